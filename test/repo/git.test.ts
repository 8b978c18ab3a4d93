import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvcryptError } from '../../src/errors.js';
import { git, gitMergeFile, gitPath, listFiles, repoTop, runGit, shellQuote } from '../../src/repo/git.js';
import { tempDir } from '../helpers/run-cli.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

let t: ReturnType<typeof tempDir>;
let repo: string;

beforeAll(() => {
  // Keep the machine's git config (hooksPath, excludesFile, …) out of these tests.
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  t = tempDir('envcrypt-repo-');
  mkdirSync(join(t.dir, 'r'));
  // git prints real paths; the temp directory may sit behind a symbolic link (as on macOS).
  repo = realpathSync(join(t.dir, 'r'));
  git(['init', '-q', '-b', 'main'], repo);
});
afterAll(() => t.cleanup());

describe('shellQuote', () => {
  const echo = (word: string) => spawnSync('sh', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' }).stdout;
  it.each(['plain', '/usr/bin/node', "it's", 'a b', '$HOME', '`id`', '"q"', 'back\\slash', 'semi;colon', '%O', '*', ''])('survives sh: %s', (w) => {
    expect(echo(w)).toBe(w);
  });
  it('survives sh for any string without NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (w) => {
        expect(echo(w)).toBe(w);
      }),
      { numRuns: RUNS },
    );
  });
  it('leaves simple words bare and quotes the rest', () => {
    expect(shellQuote('/usr/local/bin/node')).toBe('/usr/local/bin/node');
    expect(shellQuote('/opt/My Apps/node')).toBe("'/opt/My Apps/node'");
  });
});

describe('running git', () => {
  it('returns stdout, and turns a failure into an error carrying git\'s message', () => {
    expect(git(['rev-parse', '--is-inside-work-tree'], repo)).toBe('true\n');
    const err = (() => {
      try {
        git(['rev-parse', '--verify', 'no-such-ref'], repo);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).code).toBe('IO');
    expect((err as EnvcryptError).message).toMatch(/^git rev-parse failed: /);
    expect(runGit(['rev-parse', '--verify', 'no-such-ref'], repo).status).not.toBe(0);
  });

  it('finds the top of the work tree from a subdirectory, and refuses outside one', () => {
    mkdirSync(join(repo, 'a', 'b'), { recursive: true });
    expect(repoTop(join(repo, 'a', 'b'))).toBe(repo);
    const outside = join(t.dir, 'outside');
    mkdirSync(outside);
    expect(() => repoTop(outside)).toThrow(/is not inside a git work tree/);
  });

  it('gitPath honours core.hooksPath', () => {
    expect(gitPath(repo, 'hooks/pre-commit')).toBe(join(repo, '.git', 'hooks', 'pre-commit'));
    git(['config', 'core.hooksPath', 'my-hooks'], repo);
    try {
      expect(gitPath(repo, 'hooks/pre-commit')).toBe(join(repo, 'my-hooks', 'pre-commit'));
    } finally {
      git(['config', '--unset', 'core.hooksPath'], repo);
    }
  });

  it('lists tracked and untracked files but not ignored ones', () => {
    writeFileSync(join(repo, '.gitignore'), 'ignored.env\n');
    writeFileSync(join(repo, 'tracked.env'), 'A=1\n');
    writeFileSync(join(repo, 'new file.env'), 'A=1\n');
    writeFileSync(join(repo, 'ignored.env'), 'A=1\n');
    writeFileSync(join(repo, 'a', 'b', 'deep.env'), 'A=1\n');
    git(['add', 'tracked.env'], repo);
    expect(listFiles(repo)).toEqual(['.gitignore', 'a/b/deep.env', 'new file.env', 'tracked.env']);
  });

  it('gitMergeFile merges lines and counts conflicts', () => {
    const w = (n: string, s: string) => {
      writeFileSync(join(t.dir, n), s);
      return join(t.dir, n);
    };
    const clean = gitMergeFile(w('o1', 'A\nb\nc\n'), w('b1', 'a\nb\nc\n'), w('t1', 'a\nb\nC\n'), ['x', 'y', 'z'], t.dir);
    expect(clean).toBe(0);
    expect(readFileSync(join(t.dir, 'o1'), 'utf8')).toBe('A\nb\nC\n');
    const conflicted = gitMergeFile(w('o2', 'X\n'), w('b2', 'a\n'), w('t2', 'Y\n'), ['x (ours)', 'y', 'z'], t.dir);
    expect(conflicted).toBe(1);
    expect(readFileSync(join(t.dir, 'o2'), 'utf8')).toContain('<<<<<<< x (ours)');
  });
});
