import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encryptText } from '../../src/api/encrypt.js';
import { EnvcryptError } from '../../src/errors.js';
import { hasSopsMetadata, repoRoot, resolveTargets, scanRepo, shownPath } from '../../src/repo/files.js';
import { walkFiles } from '../../src/repo/walk.js';
import { tempTrees } from '../helpers/tree.js';

// Public recipient of a published throwaway test key in test/fixtures/sops (PROVENANCE.md).
const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';

let encEnv: string;
let encJson: string;
beforeAll(async () => {
  encEnv = await encryptText('TOKEN=secret\n', '.env', { recipients: [A] });
  encJson = await encryptText('{"a": "b"}\n', 'x.json', { recipients: [A] });
});

/** A temp tree (realpath, so it compares with git's output): keys are relative paths, values file contents. */
const tree = tempTrees('envcrypt-repo-');

const RULES = `creation_rules:\n  - path_regex: (^|/)\\.env(\\.[^/]*)?\\.enc$|\\.enc\\.json$\n    age: ${A}\n`;

describe('repoRoot', () => {
  it('is the git top level inside a work tree, from any subdirectory', () => {
    const root = tree({ 'a/b/file': '' });
    execFileSync('git', ['init', '-q'], { cwd: root });
    expect(repoRoot(join(root, 'a', 'b'))).toBe(root);
  });

  it('is the directory of the nearest .sops.yaml outside git', () => {
    const root = tree({ 'proj/.sops.yaml': RULES, 'proj/sub/x': '' });
    expect(repoRoot(join(root, 'proj', 'sub'), { env: {} })).toBe(join(root, 'proj'));
  });

  it('is the directory of an explicit config', () => {
    const root = tree({ 'cfg/my.yaml': RULES, 'work/x': '' });
    expect(repoRoot(join(root, 'work'), { configPath: join(root, 'cfg', 'my.yaml'), env: {} })).toBe(join(root, 'cfg'));
  });

  it('fails with NOT_FOUND and hints when there is neither', () => {
    const root = tree({ 'x': '' });
    try {
      repoRoot(root, { env: {} });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvcryptError);
      expect((e as EnvcryptError).code).toBe('NOT_FOUND');
      expect((e as EnvcryptError).hints.join(' ')).toContain('envcrypt init');
    }
  });
});

describe('walkFiles', () => {
  it('skips .git and node_modules and does not follow symbolic links', () => {
    const root = tree({ 'a.env.enc': '', '.git/config': '', 'node_modules/p/.env.enc': '', 'sub/.env.enc': '' });
    symlinkSync(join(root, 'sub'), join(root, 'link'));
    symlinkSync(join(root, 'a.env.enc'), join(root, 'file-link.env.enc'));
    expect(walkFiles(root)).toEqual(['a.env.enc', 'sub/.env.enc']);
  });
});

describe('scanRepo', () => {
  it('finds encrypted files that a rule matches, and nothing else', async () => {
    const root = tree({
      '.sops.yaml': RULES,
      '.env.enc': encEnv,
      'app/.env.production.enc': encEnv,
      'app/config.enc.json': encJson,
      '.env': 'TOKEN=plain\n',
      'plain.enc.json': '{"a": 1}\n',
      'other.json': encJson,
      'broken/.env.enc': 'no equals sign\nsops_version=1\n',
      'claims/.env.enc': 'sops_version=oops\n',
      'node_modules/dep/.env.enc': encEnv,
    });
    const scan = await scanRepo(root, { env: {} });
    // A file that does not parse is not an encrypted file; one that claims metadata is, so a later step reports it.
    expect(scan.files.map((f) => relative(root, f.path))).toEqual(['.env.enc', 'app/.env.production.enc', 'app/config.enc.json', 'claims/.env.enc']);
    expect(scan.files.every((f) => f.configPath === join(root, '.sops.yaml') && f.rule === 1)).toBe(true);
    expect([...scan.configs.keys()]).toEqual([join(root, '.sops.yaml')]);
  });

  it('lets a nested .sops.yaml govern its own directory', async () => {
    const nested = `creation_rules:\n  - path_regex: \\.enc\\.json$\n    age: ${A}\n`;
    const root = tree({ '.sops.yaml': RULES, '.env.enc': encEnv, 'svc/.sops.yaml': nested, 'svc/.env.enc': encEnv, 'svc/x.enc.json': encJson });
    const scan = await scanRepo(root, { env: {} });
    expect(scan.files.map((f) => [relative(root, f.path), relative(root, f.configPath)])).toEqual([
      ['.env.enc', '.sops.yaml'],
      ['svc/x.enc.json', 'svc/.sops.yaml'],
    ]);
    expect(scan.configs.size).toBe(2);
  });

  it('reports a broken config as an error naming it', async () => {
    const root = tree({ '.sops.yaml': 'creation_rules:\n  - path_regexp: x\n', '.env.enc': encEnv });
    await expect(scanRepo(root, { env: {} })).rejects.toMatchObject({ code: 'PARSE', file: join(root, '.sops.yaml') });
  });
});

describe('hasSopsMetadata', () => {
  it('is true only for files that parse as encrypted and carry metadata', async () => {
    const root = tree({ '.env.enc': encEnv, 'a.enc.json': encJson, 'p.enc.json': '{"sops": 1, "x": 2}', 'q.env': 'sops=1\n', 'noext': encEnv });
    expect(await hasSopsMetadata(join(root, '.env.enc'))).toBe(true);
    expect(await hasSopsMetadata(join(root, 'a.enc.json'))).toBe(true);
    expect(await hasSopsMetadata(join(root, 'p.enc.json'))).toBe(false);
    expect(await hasSopsMetadata(join(root, 'q.env'))).toBe(false);
    expect(await hasSopsMetadata(join(root, 'noext'))).toBe(false);
  });
});

describe('shownPath', () => {
  it('is relative inside the directory and absolute outside it', () => {
    expect(shownPath('/r/a/b.env.enc', '/r')).toBe('a/b.env.enc');
    expect(shownPath('/other/x', '/r')).toBe('/other/x');
    expect(shownPath('/r', '/r')).toBe('/r');
  });
});

describe('resolveTargets', () => {
  it('returns named files as given, without scanning', async () => {
    expect(await resolveTargets(['x.env.enc', 'y.enc.json'])).toEqual({ files: ['x.env.enc', 'y.enc.json'] });
  });

  it('scans the repository when no files are named, and fails when no config governs it', async () => {
    const root = tree({ '.sops.yaml': RULES, '.env.enc': encEnv });
    execFileSync('git', ['init', '-q'], { cwd: root });
    const t = await resolveTargets([], { cwd: root, env: {} });
    // Shown relative to the process's working directory when inside it; the temp dir is not.
    expect(t.files).toEqual([shownPath(join(root, '.env.enc'), process.cwd())]);
    expect(t.files[0]).toBe(join(root, '.env.enc'));
    expect(t.scan?.files.length).toBe(1);
    const bare = tree({ '.env.enc': encEnv });
    execFileSync('git', ['init', '-q'], { cwd: bare });
    await expect(resolveTargets([], { cwd: bare, env: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
