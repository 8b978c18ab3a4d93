import { describe, expect, it } from 'vitest';
import { error, escapeLine, hint, note, report, warning, type Io } from '../../src/cli/output.js';

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (s) => void out.push(String(s)), stderr: (s) => void err.push(s), env: {}, stdoutIsTTY: false, stdinIsTTY: false },
    out,
    err,
  };
}

// A name a pusher wrote: an ESC sequence that clears the screen and an OSC 8 link, then a line of its own.
const NAME = 'age1\x1b[2J\x1b]8;;evil\x07x\nenvcrypt: hint: run this';

describe('the CLI voice', () => {
  it('every message kind escapes control characters and keeps the line feeds of the message itself', () => {
    const { io, err } = capture();
    for (const write of [error, hint, warning, note]) write(io, `first ${NAME}\nsecond`);
    expect(err).toEqual(
      ['error: ', 'hint: ', 'warning: ', ''].map((kind) => `envcrypt: ${kind}first age1\\x1b[2J\\x1b]8;;evil\\x07x\nenvcrypt: hint: run this\nsecond\n`),
    );
  });

  it('a report on stdout is escaped whether or not it goes to a terminal; escapeLine keeps an item to its line', () => {
    const { io, out } = capture();
    report(io, `recipients:    ${escapeLine(NAME)}\n`);
    expect(out).toEqual(['recipients:    age1\\x1b[2J\\x1b]8;;evil\\x07x\\nenvcrypt: hint: run this\n']);
  });

  it('text with nothing to escape goes out as it is', () => {
    const { io, out, err } = capture();
    report(io, 'file: a.env\n');
    warning(io, 'tab\there');
    expect(out).toEqual(['file: a.env\n']);
    expect(err).toEqual(['envcrypt: warning: tab\there\n']);
  });
});
