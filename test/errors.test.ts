import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvcryptError, ExitCode, isEnvcryptError, parseError, type ErrorCode } from '../src/errors.js';
import { ROOT } from './helpers/paths.js';

// Every code and the exit status it maps to, as README "Exit codes" documents them.
const EXPECTED: Record<ErrorCode, number> = {
  USAGE: 2,
  NOT_FOUND: 6,
  IO: 1,
  PARSE: 5,
  BAD_FORMAT: 5,
  BAD_METADATA: 5,
  BAD_KEY: 5,
  NO_RECIPIENTS: 1,
  NO_IDENTITY: 4,
  MAC_MISMATCH: 3,
  UNVOUCHED: 3,
  SELECTOR_DRIFT: 3,
  DECRYPT_FAILED: 3,
  UNAUTHENTICATED: 3,
  ALREADY_ENCRYPTED: 7,
  NOT_ENCRYPTED: 8,
  REFUSED: 9,
  CONFLICT: 10,
  UNSUPPORTED: 1,
  PLUGIN: 1,
  CMD_NOT_FOUND: 127,
  CMD_NOT_EXECUTABLE: 126,
  INTERNAL: 1,
};

describe('EnvcryptError', () => {
  it.each(Object.entries(EXPECTED))('%s exits %i', (code, exit) => {
    expect(new EnvcryptError(code as ErrorCode, 'm').exitCode).toBe(exit);
  });

  it('every exit code it uses is in the README table, and the table lists nothing else', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 1));
    const documented = new Set([...table.matchAll(/^\| (\d+)(?: \/ (\d+))? \|/gm)].flatMap((m) => [m[1], m[2]]).filter((x) => x !== undefined).map(Number));
    expect([...documented].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 126, 127]);
    expect(Object.values(ExitCode).sort((a, b) => a - b)).toEqual([...documented].sort((a, b) => a - b));
    for (const exit of Object.values(EXPECTED)) expect(documented.has(exit)).toBe(true);
  });

  it('keeps code, message, hints, file, position and cause', () => {
    const cause = new Error('inner');
    const e = new EnvcryptError('PARSE', 'bad thing', { hints: ['do this'], file: 'a.env', position: { line: 2, column: 3 }, cause });
    expect([e.name, e.code, e.message, e.hints, e.file, e.position, e.cause]).toEqual(['EnvcryptError', 'PARSE', 'bad thing', ['do this'], 'a.env', { line: 2, column: 3 }, cause]);
    expect(e).toBeInstanceOf(Error);
    const bare = new EnvcryptError('IO', 'x');
    expect([bare.hints, bare.file, bare.position, 'cause' in bare]).toEqual([[], undefined, undefined, false]);
  });

  it('inFile attaches a file once and keeps an existing one', () => {
    const e = new EnvcryptError('IO', 'x');
    expect(e.inFile('first.env')).toBe(e);
    expect(e.inFile('second.env').file).toBe('first.env');
  });
});

describe('parseError and isEnvcryptError', () => {
  it('parseError is a PARSE error (exit 5) with an optional position and hints', () => {
    const e = parseError('unexpected "="', { line: 4, column: 1 }, ['quote the value']);
    expect([e.code, e.exitCode, e.message, e.position, e.hints]).toEqual(['PARSE', 5, 'unexpected "="', { line: 4, column: 1 }, ['quote the value']]);
    expect(parseError('m', undefined, ['h']).hints).toEqual(['h']);
    expect(parseError('m').position).toBeUndefined();
  });

  it('isEnvcryptError tells envcrypt errors from others', () => {
    expect([isEnvcryptError(new EnvcryptError('IO', 'x')), isEnvcryptError(new Error('x')), isEnvcryptError({ code: 'IO' }), isEnvcryptError(null)]).toEqual([true, false, false, false]);
  });
});
