import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote, toShellExports } from '../../src/export/shell.js';
import { MULTILINE, SAMPLE } from './samples.js';
import { caught } from '../helpers/errors.js';

const RUNS = Math.max(10, Math.floor(Number(process.env.FUZZ_RUNS ?? 100) / 5));
const SHELLS = ['sh', 'bash', 'dash', 'zsh'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-shell-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Source the exports in `shell` and read each variable back, byte for byte. */
function sourced(shell: string, values: Record<string, string>): Record<string, string> {
  writeFileSync(join(dir, 'file'), toShellExports(values));
  const keys = Object.keys(values);
  // NUL separates the values: the one byte no value can contain.
  const script = `. ./file; printf '%s\\0' ${keys.map((k) => `"$${k}"`).join(' ')}`;
  // No start-up files: only the exports should run.
  const flags = shell === 'bash' ? ['--norc', '--noprofile'] : shell === 'zsh' ? ['-f'] : [];
  const r = spawnSync(shell, [...flags, '-c', script], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'buffer' });
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
  const parts = r.stdout.toString('utf8').split('\0');
  expect(parts.pop()).toBe('');
  return Object.fromEntries(keys.map((k, i) => [k, parts[i]!]));
}

describe('toShellExports', () => {
  it('writes export lines in single quotes', () => {
    expect(toShellExports({ A: 'x', B: "it's", C: '' })).toBe("export A='x'\nexport B='it'\\''s'\nexport C=''\n");
    expect(shellQuote("'")).toBe("''\\'''");
  });

  it.each(SHELLS)('gives back every sample value exactly when sourced by %s', (shell) => {
    const values = { ...SAMPLE, ...MULTILINE, TRAILING_NL: 'x\n\n', ONLY_QUOTE: "'", GLOB: '* ? [a]', BANG: '!!' };
    expect(sourced(shell, values)).toEqual(values);
  });

  it('gives back any values when sourced by sh (property)', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => !['PATH', 'IFS', 'PWD', 'OLDPWD', 'PS1', 'PS2', 'PS4', 'OPTIND', 'HOME', 'ENV', 'PPID', 'LINENO'].includes(k));
    const value = fc.string({ unit: fc.constantFrom('a', ' ', "'", '"', '\\', '$', '`', '\n', '\r', '\t', 'é', '😀', '!', '*', '%', '{', '}', '(', ')') });
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 8 }), (values) => {
        expect(sourced('sh', values)).toEqual(values);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['A-B', '1A', 'É', 'a.b', '', 'A B'])('refuses the key %j, which is not a shell name', (k) => {
    const err = caught(() => toShellExports({ [k]: 'CANARY' }));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toBe(`key ${JSON.stringify(k)} is not a valid shell variable name`);
  });

  it('refuses a NUL byte in a value', () => {
    expect(() => toShellExports({ K: 'a\0b' })).toThrow('the value of K contains a NUL byte, which a shell variable cannot hold');
  });
});
