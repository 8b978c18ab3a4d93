import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../../src/exec/which.js';
import { DEFAULT_PATH } from '../../src/io/path-search.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);

let root: string;
let bin1: string;
let bin2: string;
let bin3: string;
let work: string;

function file(path: string, mode: number): void {
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, mode);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'envcrypt-which-'));
  bin1 = join(root, 'bin1');
  bin2 = join(root, 'bin2');
  bin3 = join(root, 'bin3');
  work = join(root, 'work');
  for (const d of [bin1, bin2, bin3, work]) mkdirSync(d);
  file(join(bin1, 'tool'), 0o755);
  file(join(bin2, 'tool'), 0o755);
  file(join(bin1, 'noexec'), 0o644);
  file(join(bin2, 'noexec'), 0o755);
  mkdirSync(join(bin1, 'dirname'));
  file(join(bin2, 'dirname'), 0o755);
  file(join(bin3, 'onlynoexec'), 0o644);
  file(join(work, 'local'), 0o755);
  symlinkSync(join(bin1, 'tool'), join(bin3, 'linked'));
  symlinkSync(join(root, 'nowhere'), join(bin3, 'dangling'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('which: PATH search', () => {
  it('returns the first executable in PATH order', () => {
    expect(which('tool', { PATH: `${bin1}:${bin2}` }, work)).toBe(join(bin1, 'tool'));
    expect(which('tool', { PATH: `${bin2}:${bin1}` }, work)).toBe(join(bin2, 'tool'));
  });

  it('skips a file without execute permission and keeps searching', () => {
    expect(which('noexec', { PATH: `${bin1}:${bin2}` }, work)).toBe(join(bin2, 'noexec'));
  });

  it('skips a directory of that name and keeps searching', () => {
    expect(which('dirname', { PATH: `${bin1}:${bin2}` }, work)).toBe(join(bin2, 'dirname'));
  });

  it('searches the PATH of the given env, not its own', () => {
    expect(which('tool', { PATH: bin2 }, work)).toBe(join(bin2, 'tool'));
    // node is on envcrypt's PATH (it runs this test) but not on the child's.
    expect(caught(() => which('node', { PATH: bin1 }, work)).code).toBe('CMD_NOT_FOUND');
  });

  it('never runs a file from the current directory for an empty PATH entry (execvp would)', () => {
    for (const PATH of [`${bin1}:`, `:${bin1}`, '', `${bin1}::${bin3}`]) {
      const err = caught(() => which('local', { PATH }, work));
      expect(err.code).toBe('CMD_NOT_FOUND');
      expect(err.hints.join('\n')).toMatch(/empty or relative PATH entr(y was|ies were) not searched: envcrypt never looks up a command in the current directory/);
      expect(err.hints).toContain('a file named local is in the current directory; run it as ./local');
    }
  });

  it('skips relative PATH entries, ".", "./x" and "x", and keeps searching the absolute ones', () => {
    for (const PATH of ['.', './', '..', 'work', '../work']) expect(caught(() => which('local', { PATH }, work)).code).toBe('CMD_NOT_FOUND');
    expect(caught(() => which('tool', { PATH: 'bin2' }, root)).code).toBe('CMD_NOT_FOUND');
    expect(which('tool', { PATH: `.:bin1:${bin2}` }, join(root))).toBe(join(bin2, 'tool'));
    const err = caught(() => which('tool', { PATH: '.:bin1:bin2' }, root));
    expect(err.hints).toContain('3 empty or relative PATH entries were not searched: envcrypt never looks up a command in the current directory');
    expect(err.hints).toContain('searched the 0 absolute entries of the PATH the command will get (not shown: it differs from envcrypt\'s own PATH)');
  });

  it('still runs a name with a slash as given, relative to cwd', () => {
    expect(which('./local', { PATH: '' }, work)).toBe(join(work, 'local'));
    expect(which('./local', { PATH: '.' }, work)).toBe(join(work, 'local'));
  });

  it('uses the default path when PATH is unset', () => {
    const found = which('sh', {}, work);
    expect(DEFAULT_PATH.split(':').map((d) => join(d, 'sh'))).toContain(found);
    const err = caught(() => which('tool', {}, work));
    expect(err.code).toBe('CMD_NOT_FOUND');
    expect(err.hints.join('\n')).toContain(`PATH is not set in the command's environment, so only the default ${DEFAULT_PATH}`);
  });

  it('follows a symlink to an executable and returns the link path', () => {
    expect(which('linked', { PATH: bin3 }, work)).toBe(join(bin3, 'linked'));
  });

  it('reports a dangling symlink as not found', () => {
    expect(caught(() => which('dangling', { PATH: bin3 }, work)).code).toBe('CMD_NOT_FOUND');
  });

  it('reports a missing command with code 127 and the searched PATH', () => {
    const env = { PATH: process.env['PATH'] ?? '' };
    const err = caught(() => which('envcrypt-test-no-such-command', env, work));
    expect(err.code).toBe('CMD_NOT_FOUND');
    expect(err.exitCode).toBe(127);
    expect(err.message).toBe('command not found: envcrypt-test-no-such-command');
    expect(err.hints).toEqual([`searched PATH=${env.PATH}`]);
  });

  it('points at a file of that name in the current directory', () => {
    const err = caught(() => which('local', { PATH: bin1 }, work));
    expect(err.code).toBe('CMD_NOT_FOUND');
    expect(err.hints).toContain('a file named local is in the current directory; run it as ./local');
  });

  it('reports a command found only without execute permission with code 126', () => {
    const err = caught(() => which('onlynoexec', { PATH: `${bin1}:${bin3}` }, work));
    expect(err.code).toBe('CMD_NOT_EXECUTABLE');
    expect(err.exitCode).toBe(126);
    expect(err.message).toBe('command not executable: onlynoexec');
  });

  it('never prints a PATH that differs from its own, since it may be a decrypted value', () => {
    const canary = '/envcrypt-canary-Zq8rT1';
    const env = { PATH: `${bin3}:${canary}` };
    expect(env.PATH).not.toBe(process.env['PATH']);
    for (const name of ['missing-cmd', 'onlynoexec']) {
      const err = caught(() => which(name, env, work));
      const text = [err.message, ...err.hints].join('\n');
      expect(text).not.toContain(canary);
      expect(text).not.toContain(bin3);
      expect(text).toContain('the 2 absolute entries of the PATH the command will get');
    }
  });

  it('rejects an empty command name as a usage error', () => {
    const err = caught(() => which('', { PATH: bin1 }, work));
    expect(err.code).toBe('USAGE');
    expect(err.exitCode).toBe(2);
  });

  it('reports any name missing from an empty directory as not found, naming it', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('/') && !s.includes('\0')),
        (name) => {
          const err = caught(() => which(name, { PATH: bin3 + '-empty-nonexistent' }, join(root, 'bin3-empty-nonexistent')));
          expect(err.code).toBe('CMD_NOT_FOUND');
          expect(err.message).toBe(`command not found: ${name}`);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('which: names with a slash', () => {
  it('uses the path as given, relative to cwd, without searching', () => {
    expect(which('./local', { PATH: bin1 }, work)).toBe(join(work, 'local'));
    expect(which('bin1/tool', { PATH: bin2 }, root)).toBe(join(bin1, 'tool'));
    expect(which(join(bin2, 'tool'), {}, work)).toBe(join(bin2, 'tool'));
  });

  it('reports a missing path as not found without searching PATH', () => {
    const err = caught(() => which('./tool', { PATH: bin1 }, work));
    expect(err.code).toBe('CMD_NOT_FOUND');
    expect(err.message).toBe('command not found: ./tool');
    expect(err.hints.join('\n')).toContain('PATH was not searched');
  });

  it('reports a directory with code 126', () => {
    const err = caught(() => which('./bin1', {}, root));
    expect(err.code).toBe('CMD_NOT_EXECUTABLE');
    expect(err.exitCode).toBe(126);
    expect(err.message).toBe('command is a directory: ./bin1');
  });

  it('reports a file without execute permission with code 126 and a chmod hint', () => {
    const err = caught(() => which('bin1/noexec', {}, root));
    expect(err.code).toBe('CMD_NOT_EXECUTABLE');
    expect(err.message).toBe('command not executable: bin1/noexec');
    expect(err.hints.join('\n')).toContain('chmod +x bin1/noexec');
  });
});
