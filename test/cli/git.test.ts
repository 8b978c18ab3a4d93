/**
 * End to end: `envcrypt git setup|textconv|merge-driver` driven by a real git
 * in a temp repository, with HOME pointing at a temp directory so that the
 * machine's global git config plays no part.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptFile, decryptText } from '../../src/api/decrypt.js';
import { encryptBranches, encryptText } from '../../src/api/encrypt.js';
import { writeMetadata } from '../../src/stores/metadata.js';
import { storeFor } from '../../src/stores/index.js';
import { throwawayAgeKey } from '../helpers/key-text.js';
import { BIN } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

const CANARY_O = 'CANARY-ours-e2e-41f7';
const CANARY_T = 'CANARY-theirs-e2e-83aa';

let t: ReturnType<typeof tempDir>;
let alice: { file: string; recipient: string };
let bob: { file: string; recipient: string };
let home: string;
let repo: string;
let n = 0;

/** The environment of a user with `key` (or none): a private HOME, no system git config. */
function envFor(key: { file: string } | null): NodeJS.ProcessEnv {
  return cleanEnv({
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PAGER: 'cat',
    ...(key ? { ENVCRYPT_AGE_KEY_FILE: key.file } : {}),
  });
}

function git(args: string[], key: { file: string } | null = alice) {
  const r = spawnSync('git', args, { cwd: repo, env: envFor(key), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function gitOk(args: string[], key: { file: string } | null = alice): string {
  const r = git(args, key);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const cli = (args: string[], key: { file: string } | null = alice) => runCli(args, { cwd: repo, env: envFor(key) });
const file = (name: string) => join(repo, name);

/** Write a new version of an encrypted dotenv file with this plaintext (as "envcrypt edit" would). */
async function edit(name: string, plain: string, recipients?: string[]): Promise<void> {
  const dec = await decryptFile(file(name), { identityFiles: [alice.file], env: {} });
  const store = await storeFor(dec.format);
  const enc = await encryptBranches(store.parsePlain(plain), {
    recipients: recipients ?? dec.metadata.groups[0]!.age.map((e) => e.recipient),
    previous: dec,
  });
  writeFileSync(file(name), store.emitEncrypted(enc.branches, writeMetadata(enc.metadata)));
}

async function plainOf(name: string, key = alice): Promise<string> {
  const dec = await decryptFile(file(name), { identityFiles: [key.file], env: {} });
  return (await storeFor(dec.format)).emitPlain(dec.branches);
}

/** A fresh repository holding .env.enc (A=1, B=2, DB_PASSWORD=old) for alice and bob, set up for envcrypt. */
async function freshRepo(): Promise<void> {
  repo = join(t.dir, `repo${++n}`);
  mkdirSync(repo);
  gitOk(['init', '-q', '-b', 'main']);
  gitOk(['config', 'user.email', 'test@example.com']);
  gitOk(['config', 'user.name', 'Test']);
  gitOk(['config', 'commit.gpgsign', 'false']);
  writeFileSync(file('.env.enc'), await encryptText('A=1\nB=2\nDB_PASSWORD=old\n', '.env.enc', { recipients: [alice.recipient, bob.recipient] }));
  const setup = cli(['git', 'setup']);
  expect(setup.stderr).not.toContain('error');
  expect(setup.code).toBe(0);
  gitOk(['add', '-A']);
  gitOk(['commit', '-q', '-m', 'base']);
}

beforeAll(() => {
  t = tempDir('envcrypt-git-');
  home = join(t.dir, 'home');
  mkdirSync(home);
  alice = ageKeygen(t.dir, 'alice.txt');
  bob = ageKeygen(t.dir, 'bob.txt');
});
afterAll(() => t.cleanup());

describe('envcrypt git setup', () => {
  beforeEach(async () => {
    repo = join(t.dir, `setup${++n}`);
    mkdirSync(join(repo, 'config'), { recursive: true });
    gitOk(['init', '-q', '-b', 'main']);
    writeFileSync(file('.gitattributes'), '*.png binary');
    writeFileSync(file('.env.enc'), await encryptText('A=1\n', '.env.enc', { recipients: [alice.recipient] }));
    writeFileSync(file('config/prod secrets.yaml'), await encryptText('a: 1\n', 'x.yaml', { recipients: [alice.recipient] }));
    writeFileSync(file('config/plain.yaml'), 'a: 1\n');
  });

  it('writes .gitattributes and the drivers, keeps existing lines, and changes nothing the second time', () => {
    const first = cli(['git', 'setup']);
    expect(first.code).toBe(0);
    const attrs = readFileSync(file('.gitattributes'), 'utf8');
    const lines = attrs.split('\n');
    expect(lines[0]).toBe('*.png binary');
    expect(lines).toContain('*.env.enc diff=envcrypt merge=envcrypt');
    expect(lines).toContain('*.enc.yaml diff=envcrypt merge=envcrypt');
    expect(lines).toContain('"/config/prod secrets.yaml" diff=envcrypt merge=envcrypt');
    expect(attrs).not.toContain('plain.yaml');
    expect(gitOk(['check-attr', 'diff', 'merge', '--', 'config/prod secrets.yaml'])).toBe(
      'config/prod secrets.yaml: diff: envcrypt\nconfig/prod secrets.yaml: merge: envcrypt\n',
    );
    expect(gitOk(['check-attr', 'merge', '--', 'config/plain.yaml'])).toBe('config/plain.yaml: merge: unspecified\n');
    const config = gitOk(['config', '--local', '--get-regexp', 'envcrypt']);
    expect(config).toContain('diff.envcrypt.cachetextconv false');
    // Not on PATH, not installed in the repository: node from PATH runs this copy (never node's absolute path).
    expect(config).toContain(`diff.envcrypt.textconv node ${BIN} git textconv`);
    expect(config).toContain(`merge.envcrypt.driver node ${BIN} git merge-driver %O %A %B %P`);
    expect(config).not.toContain(process.execPath);
    expect(first.stderr).toContain('envcrypt: hint: install envcrypt on PATH');

    const second = cli(['git', 'setup']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('already set up; nothing changed');
    expect(readFileSync(file('.gitattributes'), 'utf8')).toBe(attrs);
    expect(gitOk(['config', '--local', '--get-regexp', 'envcrypt'])).toBe(config);
  });

  it('installs, keeps and updates its own pre-commit hook, and refuses to replace another one without --force', () => {
    const hook = file('.git/hooks/pre-commit');
    const r1 = cli(['git', 'setup', '--hook']);
    expect(r1.code).toBe(0);
    const text = readFileSync(hook, 'utf8');
    expect(text).toContain('envcrypt-pre-commit-hook');
    expect(text).toContain(`${BIN} check --staged`);
    expect(statSync(hook).mode & 0o111).toBe(0o111);
    expect(cli(['git', 'setup', '--hook']).stderr).toContain('already set up; nothing changed');
    writeFileSync(hook, text.replace('check --staged', 'check --old'));
    expect(cli(['git', 'setup', '--hook']).stderr).toContain('updated the pre-commit hook');
    expect(readFileSync(hook, 'utf8')).toBe(text);

    writeFileSync(hook, '#!/bin/sh\nexec lint-staged\n');
    chmodSync(hook, 0o755);
    rmSync(file('.gitattributes'));
    const refused = cli(['git', 'setup', '--hook']);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toContain("is not envcrypt's pre-commit hook");
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(hook, 'utf8')).toBe('#!/bin/sh\nexec lint-staged\n');
    // Refused before anything was written.
    expect(existsSync(file('.gitattributes'))).toBe(false);
    const forced = cli(['git', 'setup', '--hook', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(hook, 'utf8')).toBe(text);
  });

  it('--hook --exclude GLOB: the hook lets throwaway test keys under GLOB through and still blocks others', () => {
    mkdirSync(file('test/fixtures'), { recursive: true });
    writeFileSync(file('test/fixtures/key.txt'), `# throwaway test key\n${throwawayAgeKey()}\n`);
    const r = cli(['git', 'setup', '--hook', '--exclude', 'test/fixtures/**']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file('.git/hooks/pre-commit'), 'utf8')).toContain(`${BIN} check --staged --exclude 'test/fixtures/**'\n`);
    const commit = () => git(['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'x']);
    gitOk(['add', 'test/fixtures/key.txt']);
    const ok = commit();
    expect(ok.code, ok.stderr).toBe(0);
    writeFileSync(file('leaked.txt'), `${throwawayAgeKey(2)}\n`);
    gitOk(['add', 'leaked.txt']);
    const blocked = commit();
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain('leaked.txt:1: error: looks like an age secret key');
  });

  it('a repo-local install: git and the hook run node_modules/.bin/envcrypt relative to the top, from any directory', async () => {
    mkdirSync(file('node_modules/.bin'), { recursive: true });
    symlinkSync(BIN, file('node_modules/.bin/envcrypt'));
    writeFileSync(file('.gitignore'), 'node_modules/\n');
    const r = cli(['git', 'setup', '--hook']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("git runs this repository's node_modules/.bin/envcrypt");
    expect(gitOk(['config', '--local', 'diff.envcrypt.textconv'])).toBe('node_modules/.bin/envcrypt git textconv\n');
    expect(readFileSync(file('.git/hooks/pre-commit'), 'utf8')).toContain('exec node_modules/.bin/envcrypt check --staged\n');
    gitOk(['add', '.env.enc', '.gitignore', '.gitattributes']);
    // The hook runs (from the top) and passes.
    gitOk(['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'base']);
    writeFileSync(file('.env.enc'), await encryptText('A=2\n', '.env.enc', { recipients: [alice.recipient] }));
    const diff = spawnSync('git', ['diff', '--', '../.env.enc'], { cwd: file('config'), env: envFor(alice), encoding: 'utf8' });
    expect(diff.stderr).toBe('');
    expect(diff.stdout).toContain('-A=1\n+A=2');
  });

  it('an install on PATH: git runs "envcrypt"', () => {
    const binDir = join(t.dir, `path-bin${++n}`);
    mkdirSync(binDir);
    symlinkSync(BIN, join(binDir, 'envcrypt'));
    const env = { ...envFor(alice), PATH: `${binDir}:${process.env.PATH}` };
    const r = runCli(['git', 'setup'], { cwd: repo, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('git runs envcrypt on PATH');
    expect(gitOk(['config', '--local', 'merge.envcrypt.driver'])).toBe('envcrypt git merge-driver %O %A %B %P\n');
  });

  it('another clone with the same files and rules leaves .gitattributes as it is', async () => {
    writeFileSync(file('.sops.yaml'), `creation_rules:\n  - path_regex: '^config/.*\\.yaml$'\n    age: ${alice.recipient}\n`);
    expect(cli(['git', 'setup']).code).toBe(0);
    const attrs = readFileSync(file('.gitattributes'), 'utf8');
    expect(attrs).toContain('/config/**/*.yaml diff=envcrypt merge=envcrypt\n');
    expect(attrs).not.toContain('prod secrets');
    gitOk(['add', '.gitattributes', '.sops.yaml', '.env.enc', 'config']);
    gitOk(['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'base']);
    const clone = join(t.dir, `clone${++n}`);
    gitOk(['clone', '-q', repo, clone]);
    writeFileSync(join(clone, 'config', 'staging.yaml'), await encryptText('a: 2\n', 'x.yaml', { recipients: [alice.recipient] }));
    const r = runCli(['git', 'setup'], { cwd: clone, env: envFor(alice) });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(clone, '.gitattributes'), 'utf8')).toBe(attrs);
  });

  it('--exclude without --hook is a usage error that changes nothing', () => {
    const r = cli(['git', 'setup', '--exclude', 'test/fixtures/**']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('envcrypt: error: git setup --exclude needs --hook');
    expect(readFileSync(file('.gitattributes'), 'utf8')).toBe('*.png binary');
  });

  it('fails clearly outside a git work tree', () => {
    const outside = join(t.dir, 'not-a-repo');
    mkdirSync(outside, { recursive: true });
    const r = runCli(['git', 'setup'], { cwd: outside, env: envFor(alice) });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('is not inside a git work tree');
  });
});

describe('git merge with the envcrypt driver', () => {
  beforeEach(freshRepo);

  it('merges changes to different keys of the same file; the result decrypts with a valid MAC', async () => {
    gitOk(['checkout', '-q', '-b', 'feature']);
    await edit('.env.enc', 'A=1\nB=theirs\nDB_PASSWORD=old\n');
    gitOk(['commit', '-q', '-am', 'theirs']);
    gitOk(['checkout', '-q', 'main']);
    await edit('.env.enc', 'A=ours\nB=2\nDB_PASSWORD=old\nNEW=x\n');
    gitOk(['commit', '-q', '-am', 'ours']);
    const m = git(['merge', '--no-edit', 'feature']);
    expect(m.stderr).not.toContain('CONFLICT');
    expect(m.code).toBe(0);
    expect(await plainOf('.env.enc')).toBe('A=ours\nB=theirs\nDB_PASSWORD=old\nNEW=x\n');
    expect(await plainOf('.env.enc', bob)).toBe('A=ours\nB=theirs\nDB_PASSWORD=old\nNEW=x\n');
    const dec = cli(['decrypt', '.env.enc']);
    expect(dec.code).toBe(0);
    expect(gitOk(['status', '--porcelain'])).toBe('');
  });

  it('fails on a real conflict, naming the key and never the values, and leaves a valid encrypted file', async () => {
    gitOk(['checkout', '-q', '-b', 'feature']);
    await edit('.env.enc', `A=1\nB=theirs\nDB_PASSWORD=${CANARY_T}\n`);
    gitOk(['commit', '-q', '-am', 'theirs']);
    gitOk(['checkout', '-q', 'main']);
    await edit('.env.enc', `A=ours\nB=2\nDB_PASSWORD=${CANARY_O}\n`);
    gitOk(['commit', '-q', '-am', 'ours']);
    const m = git(['merge', '--no-edit', 'feature']);
    expect(m.code).not.toBe(0);
    const out = m.stdout + m.stderr;
    expect(out).toContain('envcrypt: error: merge conflict in .env.enc on 1 key: DB_PASSWORD');
    expect(out).toContain('resolve with "envcrypt edit .env.enc", then "git add .env.enc"');
    expect(out).not.toContain('CANARY');
    expect(gitOk(['status', '--porcelain'])).toBe('UU .env.enc\n');
    expect(readFileSync(file('.env.enc'), 'utf8')).not.toContain('<<<<<<<');
    expect(await plainOf('.env.enc')).toBe(`A=ours\nB=theirs\nDB_PASSWORD=${CANARY_O}\n`);
    gitOk(['merge', '--abort']);
  });

  it('merges a branch that removed a recipient into a new data key that the removed recipient cannot open', async () => {
    const before = (await decryptFile(file('.env.enc'), { identityFiles: [alice.file], env: {} })).dataKey;
    gitOk(['checkout', '-q', '-b', 'feature']);
    await edit('.env.enc', 'A=1\nB=2\nDB_PASSWORD=old\n', [alice.recipient]);
    gitOk(['commit', '-q', '-am', 'remove bob']);
    gitOk(['checkout', '-q', 'main']);
    await edit('.env.enc', 'A=ours\nB=2\nDB_PASSWORD=old\n');
    gitOk(['commit', '-q', '-am', 'ours']);
    const m = git(['merge', '--no-edit', 'feature']);
    expect(m.code).toBe(0);
    expect(m.stderr).toContain('merged .env.enc with a new data key');
    const after = await decryptFile(file('.env.enc'), { identityFiles: [alice.file], env: {} });
    expect(Buffer.from(after.dataKey)).not.toEqual(Buffer.from(before));
    expect(after.metadata.groups[0]!.age.map((e) => e.recipient)).toEqual([alice.recipient]);
    expect(await plainOf('.env.enc')).toBe('A=ours\nB=2\nDB_PASSWORD=old\n');
    const asBob = cli(['decrypt', '.env.enc'], bob);
    expect(asBob.code).toBe(4);
  });

  it('without a key: the driver fails with a hint, git marks the file conflicted, ours is left as it was', async () => {
    gitOk(['checkout', '-q', '-b', 'feature']);
    await edit('.env.enc', 'A=1\nB=theirs\nDB_PASSWORD=old\n');
    gitOk(['commit', '-q', '-am', 'theirs']);
    gitOk(['checkout', '-q', 'main']);
    await edit('.env.enc', 'A=ours\nB=2\nDB_PASSWORD=old\n');
    gitOk(['commit', '-q', '-am', 'ours']);
    const ours = readFileSync(file('.env.enc'), 'utf8');
    const m = git(['merge', '--no-edit', 'feature'], null);
    expect(m.code).not.toBe(0);
    expect(m.stderr).toContain('envcrypt: error:');
    expect(m.stderr).toContain('git checkout --ours .env.enc');
    expect(gitOk(['status', '--porcelain'])).toBe('UU .env.enc\n');
    expect(readFileSync(file('.env.enc'), 'utf8')).toBe(ours);
    gitOk(['merge', '--abort']);
  });
});

describe('envcrypt git merge-driver (run directly)', () => {
  beforeEach(freshRepo);

  it('without a key exits 4, leaves %A untouched and says how to recover', () => {
    const text = readFileSync(file('.env.enc'), 'utf8');
    for (const f of ['.merge_file_O', '.merge_file_A', '.merge_file_B']) writeFileSync(file(f), text);
    const r = cli(['git', 'merge-driver', '.merge_file_O', '.merge_file_A', '.merge_file_B', '.env.enc'], null);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no identity');
    expect(r.stderr).toContain('envcrypt: hint: .env.enc is left as your version');
    expect(readFileSync(file('.merge_file_A'), 'utf8')).toBe(text);
  });

  it('merges files that are not encrypted line by line, as git would', () => {
    writeFileSync(file('.merge_file_O'), 'a\nb\nc\n');
    writeFileSync(file('.merge_file_A'), 'A\nb\nc\n');
    writeFileSync(file('.merge_file_B'), 'a\nb\nC\n');
    const r = cli(['git', 'merge-driver', '.merge_file_O', '.merge_file_A', '.merge_file_B', 'x.enc.json']);
    expect(r.code).toBe(0);
    expect(readFileSync(file('.merge_file_A'), 'utf8')).toBe('A\nb\nC\n');
  });

  it('refuses the wrong number of arguments', () => {
    const r = cli(['git', 'merge-driver', 'a', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs BASE OURS THEIRS [PATH]');
  });
});

describe('git diff with the envcrypt textconv', () => {
  beforeEach(freshRepo);

  it('shows the plaintext change to a key holder', async () => {
    await edit('.env.enc', `A=2\nB=2\nDB_PASSWORD=old\n`);
    const d = git(['diff']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^-A=1$/m);
    expect(d.stdout).toMatch(/^\+A=2$/m);
    expect(d.stdout).not.toContain('ENC[AES256_GCM');
    expect(existsSync(file('.git/refs/notes/textconv'))).toBe(false);
  });

  it('shows the ciphertext without a key, and does not fail', async () => {
    await edit('.env.enc', `A=${CANARY_O}\nB=2\nDB_PASSWORD=old\n`);
    const d = git(['diff'], null);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^\+A=ENC\[AES256_GCM/m);
    expect(d.stdout).not.toContain('CANARY');
    expect(d.stderr).toContain('no identity matched');
  });

  it('textconv prints a file that is not encrypted as it is, and a corrupt one as it is', () => {
    writeFileSync(file('plain.env.enc'), 'A=1\n');
    const r = cli(['git', 'textconv', 'plain.env.enc']);
    expect(r).toMatchObject({ code: 0, stdout: 'A=1\n', stderr: '' });
    const enc = readFileSync(file('.env.enc'), 'utf8');
    const tampered = enc.replace(/^A=ENC\[AES256_GCM,data:[^,]*/m, 'A=ENC[AES256_GCM,data:AAAA');
    writeFileSync(file('bad.env.enc'), tampered);
    const bad = cli(['git', 'textconv', 'bad.env.enc']);
    expect(bad.code).toBe(0);
    expect(bad.stdout).toBe(tampered);
    expect(bad.stderr).toContain('showing bad.env.enc encrypted');
  });

  it('textconv escapes control characters in what it decrypts, and git diff shows them escaped', async () => {
    await edit('.env.enc', `# \u001b[2J\u001b[Hclean\nA="\u001b]8;;https://evil.example\u0007x\u001b]8;;\u0007"\nB="a\u202eb"\nDB_PASSWORD=old\n`);
    const r = cli(['git', 'textconv', '.env.enc']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(r.stdout).toContain('# \\x1b[2J\\x1b[Hclean\n');
    expect(r.stdout).toContain('\\x1b]8;;https://evil.example\\x07x');
    expect(r.stdout).toContain('B=a\\u202eb\n');
    const d = git(['diff']);
    expect(d.stdout).toMatch(/^\+# \\x1b\[2J\\x1b\[Hclean$/m);
    expect(d.stdout).not.toContain('\u001b[2J');
  });

  it('textconv escapes the raw text it falls back to: without a key, and for a file that is not encrypted', () => {
    const enc = readFileSync(file('.env.enc'), 'utf8');
    writeFileSync(file('inject.env.enc'), `#\u001b[2Jfake\rover\b\n${enc}`);
    const nokey = cli(['git', 'textconv', 'inject.env.enc'], null);
    expect(nokey.code).toBe(0);
    expect(nokey.stdout).not.toMatch(/[\u001b\r\b]/);
    expect(nokey.stdout.startsWith('#\\x1b[2Jfake\\x0dover\\x08\nA=ENC[AES256_GCM')).toBe(true);
    writeFileSync(file('plain2.env.enc'), 'A=\u009b2J\u0085\n');
    const plain = cli(['git', 'textconv', 'plain2.env.enc']);
    expect(plain).toMatchObject({ code: 0, stdout: 'A=\\u009b2J\\u0085\n' });
  });

  it('textconv of a file git hands over under a temp name still finds the format', async () => {
    const enc = await encryptText('a: 1\n', 'x.yaml', { recipients: [alice.recipient] });
    writeFileSync(file('XyZ123_secrets'), enc);
    const r = cli(['git', 'textconv', 'XyZ123_secrets']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a: 1\n');
    expect((await decryptText(enc, 'x.yaml', { identityFiles: [alice.file], env: {} })).branches).toHaveLength(1);
  });
});
