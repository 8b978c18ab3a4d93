import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { ATTRIBUTE_PATTERNS, cliInvocation, driverConfig, exactPattern, HOOK_MARKER, hookText, setupGit } from '../../src/repo/git-setup.js';
import { BIN } from '../helpers/paths.js';
import { ageKeygen, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let recipient: string;
let repo: string;
let n = 0;
const CLI = ['/usr/bin/node', '/opt/env crypt/bin/envcrypt.js'];

const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
const attrs = () => readFileSync(join(repo, '.gitattributes'), 'utf8');

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  t = tempDir('envcrypt-setup-');
  recipient = ageKeygen(t.dir).recipient;
});
afterAll(() => t.cleanup());

beforeEach(() => {
  mkdirSync(join(t.dir, `r${++n}`));
  repo = realpathSync(join(t.dir, `r${n}`));
  git('init', '-q', '-b', 'main');
});

describe('exactPattern', () => {
  const names = ['plain.yaml', 'with space.env', 'star*.json', 'q?.yaml', '[brackets].env', '#hash.env', '!bang.env', 'quote".env', 'back\\slash.env', 'dir/sub dir/x.json'];
  it('matches exactly the file it names, whatever its name', () => {
    for (const name of names) {
      const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
      if (dir) mkdirSync(join(repo, dir), { recursive: true });
      writeFileSync(join(repo, name), '');
    }
    writeFileSync(join(repo, 'starX.json'), '');
    writeFileSync(join(repo, 'qq.yaml'), '');
    writeFileSync(join(repo, 'b.env'), '');
    writeFileSync(join(repo, '.gitattributes'), names.map((p) => `${exactPattern(p)} merge=envcrypt\n`).join(''));
    const out = git('check-attr', '-z', 'merge', '--', ...names, 'starX.json', 'qq.yaml', 'b.env').split('\0');
    const got = new Map<string, string>();
    for (let i = 0; i + 2 < out.length; i += 3) got.set(out[i]!, out[i + 2]!);
    for (const name of names) expect(got.get(name), name).toBe('envcrypt');
    for (const other of ['starX.json', 'qq.yaml', 'b.env']) expect(got.get(other), other).toBe('unspecified');
  });
  it('anchors the pattern at the top', () => {
    expect(exactPattern('.env.prod')).toBe('/.env.prod');
  });
});

describe('driverConfig and hookText', () => {
  it('quotes the command for the shell git runs it with, and never caches textconv output', () => {
    const cfg = Object.fromEntries(driverConfig(CLI));
    expect(cfg['diff.envcrypt.textconv']).toBe("/usr/bin/node '/opt/env crypt/bin/envcrypt.js' git textconv");
    expect(cfg['diff.envcrypt.cachetextconv']).toBe('false');
    expect(cfg['merge.envcrypt.driver']).toBe("/usr/bin/node '/opt/env crypt/bin/envcrypt.js' git merge-driver %O %A %B %P");
    expect(cfg['merge.envcrypt.name']).toBe('envcrypt: merge encrypted files by key');
  });
  it('writes a hook that carries the marker and runs check --staged', () => {
    const h = hookText(CLI);
    expect(h.startsWith('#!/bin/sh\n')).toBe(true);
    expect(h).toContain(HOOK_MARKER);
    expect(h).toContain("exec /usr/bin/node '/opt/env crypt/bin/envcrypt.js' check --staged\n");
  });
  it('passes exclude globs on to check, quoted for the shell', () => {
    const h = hookText(CLI, ['examples/keys/**', "it's/*.pem"]);
    expect(h).toContain(`exec /usr/bin/node '/opt/env crypt/bin/envcrypt.js' check --staged --exclude 'examples/keys/**' --exclude 'it'\\''s/*.pem'\n`);
    expect(hookText(CLI, [])).toBe(hookText(CLI));
  });
});

describe('cliInvocation: words that survive a node upgrade or a new prefix', () => {
  const binDir = () => join(repo, 'elsewhere-bin');
  it('is "envcrypt" when the first envcrypt on PATH is this package', () => {
    mkdirSync(binDir());
    symlinkSync(BIN, join(binDir(), 'envcrypt'));
    expect(cliInvocation(repo, { path: `${binDir()}:/usr/bin` })).toEqual({ words: ['envcrypt'], kind: 'path' });
  });
  it('skips another envcrypt first on PATH, relative entries and node_modules/.bin', () => {
    mkdirSync(join(binDir(), 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(binDir(), 'envcrypt'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync(BIN, join(binDir(), 'node_modules', '.bin', 'envcrypt'));
    const r = cliInvocation(repo, { path: `${join(binDir(), 'node_modules', '.bin')}:.:${binDir()}` });
    expect(r.kind).toBe('absolute');
  });
  it('is node_modules/.bin/envcrypt, relative to the top, for a repo-local install', () => {
    mkdirSync(join(repo, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(BIN, join(repo, 'node_modules', '.bin', 'envcrypt'));
    expect(cliInvocation(repo, { path: '/usr/bin' })).toEqual({ words: ['node_modules/.bin/envcrypt'], kind: 'repo' });
  });
  it('otherwise runs node from PATH on this package\'s bin/envcrypt.js, never node\'s absolute path', () => {
    const r = cliInvocation(repo, { path: '/usr/bin' });
    expect(r).toEqual({ words: ['node', BIN], kind: 'absolute' });
    expect(r.words).not.toContain(process.execPath);
  });
});

describe('setupGit', () => {
  it('adds the common patterns and one line per encrypted file with another name, once', async () => {
    mkdirSync(join(repo, 'deploy'));
    writeFileSync(join(repo, '.env.enc'), await encryptText('A=1\n', '.env.enc', { recipients: [recipient] }));
    writeFileSync(join(repo, 'deploy', 'prod.yaml'), await encryptText('a: 1\n', 'prod.yaml', { recipients: [recipient] }));
    writeFileSync(join(repo, 'deploy', 'plain.yaml'), 'a: 1\n');
    writeFileSync(join(repo, 'deploy', 'mentions-sops.json'), '{"sops": "not metadata"}');
    writeFileSync(join(repo, '.gitattributes'), '# mine\n*.png binary\n');
    const r1 = await setupGit({ cwd: join(repo, 'deploy'), cli: CLI });
    expect(r1.root).toBe(repo);
    expect(r1.files).toEqual(['.env.enc', 'deploy/prod.yaml']);
    expect(r1.added).toEqual([...ATTRIBUTE_PATTERNS, '/deploy/prod.yaml'].map((p) => `${p} diff=envcrypt merge=envcrypt`));
    expect(attrs().startsWith('# mine\n*.png binary\n\n# envcrypt:')).toBe(true);
    expect(r1.config.map(([k]) => k)).toEqual(['diff.envcrypt.textconv', 'diff.envcrypt.cachetextconv', 'merge.envcrypt.name', 'merge.envcrypt.driver']);
    expect(git('config', '--local', 'merge.envcrypt.driver')).toBe(`${driverConfig(CLI)[3]![1]}\n`);

    const before = attrs();
    const mtime = statSync(join(repo, '.gitattributes')).mtimeMs;
    const r2 = await setupGit({ cwd: repo, cli: CLI });
    expect(r2.added).toEqual([]);
    expect(r2.config).toEqual([]);
    expect(attrs()).toBe(before);
    expect(statSync(join(repo, '.gitattributes')).mtimeMs).toBe(mtime);
  });

  it('uses the globs of the .sops.yaml rules, so only a file no pattern covers gets its own line', async () => {
    mkdirSync(join(repo, 'deploy', 'eu'), { recursive: true });
    mkdirSync(join(repo, 'svc'), { recursive: true });
    const rules = [String.raw`\.env\.enc$`, String.raw`^deploy/.*\.yaml$`, String.raw`\.secret\.(yaml|json)$`, String.raw`^odd[0-9]\.yaml$`];
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n${rules.map((r) => `  - path_regex: '${r}'\n    age: ${recipient}\n`).join('')}`);
    writeFileSync(join(repo, 'svc', '.sops.yaml'), `creation_rules:\n  - path_regex: 'conf/.*\\.json$'\n    age: ${recipient}\n`);
    const enc = (name: string, plain: string, as: string) => encryptText(plain, as, { recipients: [recipient] }).then((t) => writeFileSync(join(repo, name), t));
    await enc('deploy/prod.yaml', 'a: 1\n', 'x.yaml');
    await enc('deploy/eu/staging.yaml', 'a: 1\n', 'x.yaml');
    await enc('a.secret.json', '{"a": 1}\n', 'x.json');
    await enc('odd1.yaml', 'a: 1\n', 'x.yaml');
    const r = await setupGit({ cwd: repo, cli: CLI });
    expect(r.patterns).toEqual(['/deploy/**/*.yaml', '*.secret.yaml', '*.secret.json', '/svc/**/*conf/**/*.json']);
    expect(r.added).toEqual([...ATTRIBUTE_PATTERNS, ...r.patterns, '/odd1.yaml'].map((p) => `${p} diff=envcrypt merge=envcrypt`));
    for (const f of ['deploy/prod.yaml', 'deploy/eu/staging.yaml', 'a.secret.json', 'odd1.yaml', 'svc/conf/x.json', 'svc/a/conf/b/x.json']) {
      expect(git('check-attr', 'merge', '--', f), f).toBe(`${f}: merge: envcrypt\n`);
    }
    expect(git('check-attr', 'merge', '--', 'deployx/a.yaml')).toBe('deployx/a.yaml: merge: unspecified\n');
    // Another clone, with more files under the same rules: .gitattributes stays as it is.
    const before = attrs();
    await enc('deploy/new.yaml', 'b: 2\n', 'x.yaml');
    await enc('other.secret.yaml', 'b: 2\n', 'x.yaml');
    expect((await setupGit({ cwd: repo, cli: CLI })).added).toEqual([]);
    expect(attrs()).toBe(before);
  });

  it('recognises lines that are already there in another spelling, and adds only the missing ones', async () => {
    writeFileSync(join(repo, '.gitattributes'), '*.env.enc   merge=envcrypt  diff=envcrypt\n*.enc.json -diff');
    const r = await setupGit({ cwd: repo, cli: CLI });
    expect(r.added).not.toContain('*.env.enc diff=envcrypt merge=envcrypt');
    expect(r.added).toContain('*.enc.json diff=envcrypt merge=envcrypt');
    expect(attrs().split('\n').filter((l) => l.startsWith('*.env.enc'))).toHaveLength(1);
    expect(attrs()).toContain('*.enc.json -diff\n\n# envcrypt:');
  });

  it('updates a driver entry that points elsewhere', async () => {
    git('config', '--local', 'diff.envcrypt.cachetextconv', 'true');
    const r = await setupGit({ cwd: repo, cli: CLI });
    expect(r.config).toContainEqual(['diff.envcrypt.cachetextconv', 'false']);
    expect(git('config', '--local', 'diff.envcrypt.cachetextconv')).toBe('false\n');
  });

  it('installs the hook where core.hooksPath says, executable', async () => {
    git('config', 'core.hooksPath', 'hooks-here');
    const r = await setupGit({ cwd: repo, cli: CLI, hook: true });
    expect(r.hook).toEqual({ path: join(repo, 'hooks-here', 'pre-commit'), action: 'installed' });
    expect(readFileSync(r.hook!.path, 'utf8')).toBe(hookText(CLI));
    expect(statSync(r.hook!.path).mode & 0o777).toBe(0o755);
    expect((await setupGit({ cwd: repo, cli: CLI, hook: true })).hook?.action).toBe('unchanged');
  });

  it('writes the exclude globs into the hook, and rewrites it when they change', async () => {
    const r = await setupGit({ cwd: repo, cli: CLI, hook: true, exclude: ['test/fixtures/**'] });
    expect(readFileSync(r.hook!.path, 'utf8')).toBe(hookText(CLI, ['test/fixtures/**']));
    expect((await setupGit({ cwd: repo, cli: CLI, hook: true, exclude: ['test/fixtures/**'] })).hook?.action).toBe('unchanged');
    expect((await setupGit({ cwd: repo, cli: CLI, hook: true })).hook?.action).toBe('updated');
    expect(readFileSync(r.hook!.path, 'utf8')).toBe(hookText(CLI));
  });

  it('refuses another pre-commit hook before writing anything', async () => {
    mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(repo, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n');
    await expect(setupGit({ cwd: repo, cli: CLI, hook: true, exclude: ['k/**'] })).rejects.toMatchObject({
      code: 'REFUSED',
      hints: expect.arrayContaining([expect.stringContaining("check --staged --exclude 'k/**'")]),
    });
    expect(() => statSync(join(repo, '.gitattributes'))).toThrow();
    expect(git('config', '--local', '--get-regexp', '^core\\.')).not.toContain('envcrypt');
    const r = await setupGit({ cwd: repo, cli: CLI, hook: true, force: true });
    expect(r.hook?.action).toBe('replaced');
  });
});
