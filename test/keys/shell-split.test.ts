import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../src/keys/shell-split.js';
import { caught } from '../helpers/errors.js';
import { RUNS } from '../helpers/paths.js';

/** How /bin/sh splits `line` into words (known answers from a real shell; no expansion is triggered by the inputs). */
function shWords(line: string): string[] {
  // A first word of our own, as printf prints its format once even with no arguments.
  const r = spawnSync('sh', ['-c', `printf '%s\\0' FIRST ${line}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.slice(0, -1).split('\0').slice(1);
}

describe('splitCommand', () => {
  it.each<[string, string[]]>([
    ['code --wait', ['code', '--wait']],
    ['  vim   -n  ', ['vim', '-n']],
    [`'/opt/my editor/bin/ed' -x`, ['/opt/my editor/bin/ed', '-x']],
    [`"a \\"b\\" \\\\ \\$ \\\` \\n" c`, ['a "b" \\ $ ` \\n', 'c']],
    [`my\\ editor\\'s x`, ["my editor's", 'x']],
    [`a''b ""`, ['ab', '']],
    [`'it'"'"'s'`, ["it's"]],
    ['', []],
    ['\t\n ', []],
  ])('splits %j as the shell does', (line, words) => {
    expect(splitCommand(line)).toEqual(words);
    expect(shWords(line)).toEqual(words);
  });

  it('matches /bin/sh on generated lines of words, quotes and escapes', () => {
    const piece = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_.\/=-]{1,4}$/),
      fc.constantFrom(' ', '  ', '\t', "'x y'", "''", '"a b"', '""', '"q\\"q"', '"\\\\"', '"\\$"', '\\ ', '\\\\', '\\"', "\\'", 'ü'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }).map((p) => p.join('')), (line) => {
        expect(splitCommand(line)).toEqual(shWords(line));
      }),
      { numRuns: Math.min(RUNS, 100) },
    );
  });

  it('refuses unterminated quotes (USAGE, exit 2)', () => {
    for (const [line, msg] of [[`vim 'x`, 'unterminated single quote in command'], [`vim "x`, 'unterminated double quote in command'], [`"a\\"`, 'unterminated double quote in command']]) {
      const e = caught(() => splitCommand(line!));
      expect([e.code, e.exitCode, e.message]).toEqual(['USAGE', 2, msg]);
    }
  });

  it('keeps a trailing backslash as it is', () => {
    expect(splitCommand('a\\')).toEqual(['a\\']);
  });
});
