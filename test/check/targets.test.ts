import { realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTargets, type Target } from '../../src/check/targets.js';
import { git } from '../helpers/git.js';
import { tempDir } from '../helpers/run-cli.js';
import { writeTree } from '../helpers/tree.js';
import { caught } from '../helpers/errors.js';

const view = (ts: Target[]) => ts.map((t) => `${t.rel} ${t.git}`).sort();

describe('findTargets in a git repository', () => {
  let t: ReturnType<typeof tempDir>;
  let top: string;
  beforeAll(() => {
    t = tempDir();
    top = realpathSync(t.dir);
    git(top, 'init', '-q');
    writeTree(top, { '.gitignore': 'ignored.txt\nbuild/\n', 'tracked.txt': 't', 'src/a.ts': 'a', 'src/deep/b.ts': 'b', 'untracked.txt': 'u', 'ignored.txt': 'i', 'build/out.js': 'o', 'node_modules/x/index.js': 'x' });
    git(top, 'add', '.gitignore', 'tracked.txt', 'src');
    symlinkSync('tracked.txt', join(top, 'link.txt'));
  });
  afterAll(() => t.cleanup());

  it('with no paths: every tracked file and every untracked file git does not ignore', () => {
    const r = findTargets({ cwd: top });
    expect(r.top).toBe(top);
    expect(view(r.targets)).toEqual([
      '.gitignore tracked',
      'link.txt untracked',
      'node_modules/x/index.js untracked',
      'src/a.ts tracked',
      'src/deep/b.ts tracked',
      'tracked.txt tracked',
      'untracked.txt untracked',
    ]);
  });

  it('from a subdirectory still covers the whole repository, with paths relative to the top', () => {
    expect(view(findTargets({ cwd: join(top, 'src') }).targets)).toContain('tracked.txt tracked');
  });

  it('with named files: says whether each is tracked, untracked or ignored', () => {
    const r = findTargets({ cwd: top, paths: ['tracked.txt', 'untracked.txt', 'ignored.txt', './src/../tracked.txt'] });
    expect(view(r.targets)).toEqual(['ignored.txt ignored', 'tracked.txt tracked', 'untracked.txt untracked']);
  });

  it('with a named directory: its tracked and untracked-not-ignored files, relative to the cwd', () => {
    writeTree(top, { 'src/new.ts': 'n', 'src/ignored.txt': 'i' });
    const r = findTargets({ cwd: join(top, 'src'), paths: ['.'] });
    expect(view(r.targets)).toEqual(['src/a.ts tracked', 'src/deep/b.ts tracked', 'src/new.ts untracked']);
  });

  it('does not follow a named symbolic link', () => {
    expect(findTargets({ cwd: top, paths: ['link.txt'] }).targets).toEqual([]);
  });

  it('refuses a missing path with NOT_FOUND', () => {
    expect(() => findTargets({ cwd: top, paths: ['nope.txt'] })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as unknown as Error);
  });

  it('lists staged files only with --staged, limited to the named paths', () => {
    git(top, 'add', 'untracked.txt');
    const all = findTargets({ cwd: top, staged: true });
    expect(all.targets.every((x) => x.git === 'staged' && /^[0-9a-f]+$/.test(x.blob ?? ''))).toBe(true);
    expect(all.targets.map((x) => x.rel)).toContain('untracked.txt');
    expect(findTargets({ cwd: top, staged: true, paths: ['src'] }).targets.map((x) => x.rel).sort()).toEqual(['src/a.ts', 'src/deep/b.ts']);
  });
});

describe('findTargets outside git', () => {
  let t: ReturnType<typeof tempDir>;
  let dir: string;
  beforeAll(() => {
    t = tempDir();
    dir = realpathSync(t.dir);
    writeTree(dir, { 'a.txt': 'a', 'sub/b.txt': 'b', 'node_modules/m.js': 'm', '.git/config': 'fake' });
    symlinkSync('a.txt', join(dir, 'link'));
    symlinkSync('sub', join(dir, 'linkdir'));
  });
  afterAll(() => t.cleanup());

  it('walks the directory, skipping .git, node_modules and symbolic links', () => {
    const r = findTargets({ cwd: dir });
    expect(r.top).toBeNull();
    expect(view(r.targets)).toEqual(['a.txt no-git', 'sub/b.txt no-git']);
  });

  it('walks named directories and takes named files', () => {
    expect(view(findTargets({ cwd: join(dir, 'sub'), paths: ['.', '../a.txt'] }).targets)).toEqual(['../a.txt no-git', 'b.txt no-git']);
  });

  it('refuses --staged with a usage error', () => {
    const err = caught(() => findTargets({ cwd: dir, staged: true }));
    expect(err.code).toBe('USAGE');
  });
});
