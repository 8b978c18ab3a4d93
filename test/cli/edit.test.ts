import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, startCli, tempDir } from '../helpers/run-cli.js';

const EDITORS = fileURLToPath(new URL('../fixtures/editors/', import.meta.url));
const editor = (script: string) => (script.endsWith('.sh') ? `sh ${join(EDITORS, script)}` : `node ${join(EDITORS, script)}`);
const CANARY = 'CANARY-cliedit-51aa-secret';

let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let n = 0;

beforeAll(() => {
  t = tempDir('envcrypt-cli-edit-');
  chmodSync(t.dir, 0o755);
  key = ageKeygen(t.dir);
});
afterAll(() => t.cleanup());

/** A fresh case directory with an encrypted file made by the CLI; returns paths and an env. */
function setup(name: string, plain: string, editorEnv: Record<string, string> = {}) {
  const dir = join(t.dir, `case-${++n}`);
  mkdirSync(dir);
  put(dir, 'plain.txt', plain);
  const enc = runCli(['encrypt', 'plain.txt', '-r', key.recipient, '-o', name, '--input-type', formatOf(name)], { cwd: dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file }) });
  expect(enc.stderr).toBe('');
  const log = join(dir, 'editor.log');
  const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, EDITOR_LOG: log, ...editorEnv });
  return { dir, file: join(dir, name), log, env };
}

function formatOf(name: string): string {
  return /\.ya?ml/.test(name) ? 'yaml' : /\.json/.test(name) ? 'json' : 'dotenv';
}

/** Keys of the lines that differ between two versions of a file. */
function changedKeys(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return b.flatMap((l, i) => (l === a[i] ? [] : [l.trim().split(/[=:]/)[0]!])).sort();
}

/** The temp files the editor was given, from its log. */
const editedPaths = (log: string) => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('/'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('envcrypt edit', () => {
  it('dotenv: changing one value touches only that line plus sops_mac, sops_lastmodified and the integrity record', async () => {
    const c = setup('.env.enc', `# comment\nA=1\nB=two\nC=three\n`, { ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_FROM: 'B=two', EDIT_TO: `B=${CANARY}` });
    const before = readFileSync(c.file, 'utf8');
    await sleep(1100); // so that lastmodified differs
    const r = runCli(['edit', '.env.enc'], { cwd: c.dir, env: c.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = readFileSync(c.file, 'utf8');
    expect(changedKeys(before, after)).toEqual(['B', 'sops_envcrypt_integrity', 'sops_lastmodified', 'sops_mac']);
    expect(after).not.toContain(CANARY);
    const [path] = editedPaths(c.log);
    expect(path).toMatch(/\/\.env$/);
    expect(existsSync(dirname(path!))).toBe(false);
    expect(runCli(['get', '.env.enc', 'B'], { cwd: c.dir, env: c.env }).stdout).toBe(CANARY);
  });

  it('YAML: changing one nested value touches only that line plus mac, lastmodified and the integrity record', async () => {
    const c = setup('secrets.enc.yaml', `# top\ndb:\n    user: admin\n    password: hunter2\nport: 5432\n`, { ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_FROM: 'hunter2', EDIT_TO: 'rotated' });
    const before = readFileSync(c.file, 'utf8');
    await sleep(1100);
    const r = runCli(['edit', 'secrets.enc.yaml'], { cwd: c.dir, env: c.env });
    expect(r.code).toBe(0);
    expect(changedKeys(before, readFileSync(c.file, 'utf8'))).toEqual(['envcrypt_integrity', 'lastmodified', 'mac', 'password']);
    expect(editedPaths(c.log)[0]).toMatch(/\/secrets\.enc\.yaml$/);
  });

  it('no change: byte-identical, mtime untouched, exit 0, "file has not changed" on stderr', () => {
    const c = setup('app.env.enc', `A=1\n`, { ENVCRYPT_EDITOR: editor('noop.sh') });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(c.file, old, old);
    const mtime = statSync(c.file).mtimeMs;
    const before = readFileSync(c.file);
    const r = runCli(['edit', 'app.env.enc'], { cwd: c.dir, env: c.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('file has not changed');
    expect(readFileSync(c.file).equals(before)).toBe(true);
    expect(statSync(c.file).mtimeMs).toBe(mtime);
    expect(existsSync(dirname(editedPaths(c.log)[0]!))).toBe(false);
  });

  it('invalid syntax without a TTY: exit 5 with line:column, original untouched, temp dir gone, no content echoed', () => {
    const c = setup('bad.env.enc', `A=1\n`, { ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_APPEND: `${CANARY} is not a line\n` });
    const before = readFileSync(c.file);
    const r = runCli(['edit', 'bad.env.enc'], { cwd: c.dir, env: c.env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/bad\.env\.enc:2:\d+/);
    expect(r.stderr).not.toContain(CANARY);
    expect(readFileSync(c.file).equals(before)).toBe(true);
    expect(existsSync(dirname(editedPaths(c.log)[0]!))).toBe(false);
  });

  it('a top-level sops key in the edited text is refused (exit 5)', () => {
    const c = setup('m.yaml', `a: 1\n`, { ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_APPEND: 'sops:\n    mac: x\n' });
    const r = runCli(['edit', 'm.yaml'], { cwd: c.dir, env: c.env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('reserved for the sops metadata');
  });

  it('SIGTERM to envcrypt while the editor runs: temp dir removed, editor stopped, exit 143', async () => {
    const c = setup('sig.env.enc', `A=${CANARY}\n`, { ENVCRYPT_EDITOR: editor('sleep.mjs') });
    const child = startCli(['edit', 'sig.env.enc'], { cwd: c.dir, env: c.env });
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    let pid: number | undefined;
    for (let i = 0; i < 200 && pid === undefined; i++) {
      await sleep(25);
      if (existsSync(c.log)) pid = Number(/pid (\d+)/.exec(readFileSync(c.log, 'utf8'))?.[1]) || undefined;
    }
    expect(pid).toBeDefined();
    const tmp = dirname(editedPaths(c.log)[0]!);
    expect(existsSync(tmp)).toBe(true);
    child.kill('SIGTERM');
    const end = await done;
    expect(end.code === 143 || end.signal === 'SIGTERM').toBe(true);
    expect(existsSync(tmp)).toBe(false);
    let alive = true;
    for (let i = 0; i < 80 && alive; i++) {
      try {
        process.kill(pid!, 0);
        await sleep(25);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it('SIGKILL to envcrypt while the editor runs: the plaintext dir is left, exec leaves it, the next other command removes it', async () => {
    const root = join(t.dir, `tmproot-${++n}`);
    mkdirSync(root, { mode: 0o700 });
    const c = setup('kill.env.enc', `A=${CANARY}\n`, { ENVCRYPT_EDITOR: editor('sleep.mjs'), ENVCRYPT_TMPDIR: root });
    const child = startCli(['edit', 'kill.env.enc'], { cwd: c.dir, env: c.env });
    const done = new Promise<void>((r) => child.on('exit', () => r()));
    let pid: number | undefined;
    for (let i = 0; i < 200 && pid === undefined; i++) {
      await sleep(25);
      if (existsSync(c.log)) pid = Number(/pid (\d+)/.exec(readFileSync(c.log, 'utf8'))?.[1]) || undefined;
    }
    expect(pid).toBeDefined();
    const plain = editedPaths(c.log)[0]!;
    const tmp = dirname(plain);
    expect(dirname(tmp)).toBe(root);
    expect(readFileSync(plain, 'utf8')).toContain(CANARY);
    child.kill('SIGKILL');
    await done;
    try {
      process.kill(pid!, 'SIGKILL'); // the editor outlives a SIGKILLed envcrypt
    } catch {
      /* already gone */
    }
    expect(existsSync(tmp)).toBe(true);
    // exec's start-up does no sweeping.
    const exec = runCli(['exec', '-f', 'kill.env.enc', '--', process.execPath, '-e', ''], { cwd: c.dir, env: c.env });
    expect(exec.code).toBe(0);
    expect(existsSync(tmp)).toBe(true);
    // Any other command does.
    const r = runCli(['decrypt', 'kill.env.enc'], { cwd: c.dir, env: c.env });
    expect(r.code).toBe(0);
    expect(existsSync(tmp)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  it('file changed by someone else during the edit: exit 10, theirs kept, my edit saved in a 0600 file whose path is printed', () => {
    const c = setup('race.env.enc', `A=1\n`, { ENVCRYPT_EDITOR: editor('conflict.mjs'), EDIT_FROM: 'A=1', EDIT_TO: `A=${CANARY}` });
    const r = runCli(['edit', 'race.env.enc'], { cwd: c.dir, env: { ...c.env, EDIT_TARGET: c.file } });
    expect(r.code).toBe(10);
    expect(r.stderr).toContain('changed by another program');
    expect(readFileSync(c.file, 'utf8')).toContain('#written by someone else');
    const kept = /kept, in plaintext, in (\S+) \(mode 0600\)/.exec(r.stderr)?.[1];
    // The editor's temp dir is gone (no plaintext during the write-back); the edit was saved anew.
    expect(existsSync(editedPaths(c.log)[0]!)).toBe(false);
    expect(statSync(kept!).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(kept!)).mode & 0o777).toBe(0o700);
    expect(readFileSync(kept!, 'utf8')).toBe(`A=${CANARY}\n`);
    expect(r.stderr.replace(kept!, '')).not.toContain(CANARY);
    rmSync(dirname(kept!), { recursive: true });
  });

  it('read-only target directory: the edit is kept and its path printed, exit 1', () => {
    const c = setup('ro.env.enc', `A=1\n`, { ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_FROM: 'A=1', EDIT_TO: 'A=2' });
    // Root ignores permissions, so as root run envcrypt as nobody.
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
    const logs = join(t.dir, `ro-logs-${n}`);
    // A temp root that user can write (the suite's is root's).
    const tmp = join(t.dir, `ro-tmp-${n}`);
    mkdirSync(logs);
    mkdirSync(tmp, { mode: 0o700 });
    if (asRoot) for (const p of [c.dir, c.file, key.file, logs, tmp]) chownSync(p, 65534, 65534);
    chmodSync(c.dir, 0o555);
    try {
      const r = spawnSync(process.execPath, [BIN, 'edit', 'ro.env.enc'], { cwd: c.dir, env: { ...c.env, EDITOR_LOG: join(logs, 'log'), ENVCRYPT_TMPDIR: tmp }, encoding: 'utf8', ...ids });
      expect(r.status).toBe(1);
      const kept = /kept, in plaintext, in (\S+) \(mode 0600\)/.exec(r.stderr)?.[1];
      expect(kept).toBeDefined();
      expect(readFileSync(kept!, 'utf8')).toBe('A=2\n');
      rmSync(dirname(kept!), { recursive: true });
    } finally {
      chmodSync(c.dir, 0o755);
      if (asRoot) chownSync(key.file, 0, 0);
    }
  });

  it('editor not found: lists what was tried (exit 1)', () => {
    const c = setup('ne.env.enc', `A=1\n`);
    const none = runCli(['edit', 'ne.env.enc'], { cwd: c.dir, env: { ...c.env, PATH: join(t.dir, 'empty-path') } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no editor found');
    expect(none.stderr).toContain('ENVCRYPT_EDITOR (unset), VISUAL (unset), EDITOR (unset), then vim, nano, vi');
    const missing = runCli(['edit', 'ne.env.enc'], { cwd: c.dir, env: { ...c.env, VISUAL: 'no-such-editor --wait' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('editor not found: no-such-editor (from VISUAL)');
    expect(missing.stderr).toContain('ENVCRYPT_EDITOR (unset), VISUAL=no-such-editor --wait');
  });

  it('ENVCRYPT_EDITOR wins over VISUAL, which wins over EDITOR; a failing editor aborts the edit', () => {
    const c = setup('order.env.enc', `A=1\n`);
    const before = readFileSync(c.file);
    const fail = `${editor('noop.sh')} --visual`;
    const r = runCli(['edit', 'order.env.enc'], { cwd: c.dir, env: { ...c.env, VISUAL: fail, EDITOR: 'no-such-editor', EDITOR_EXIT: '3' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the editor exited with status 3');
    expect(readFileSync(c.file).equals(before)).toBe(true);
    const ok = runCli(['edit', 'order.env.enc'], { cwd: c.dir, env: { ...c.env, ENVCRYPT_EDITOR: editor('noop.sh'), VISUAL: 'no-such-editor', EDITOR_EXIT: '0' } });
    expect(ok.code).toBe(0);
  });

  it('edit of a missing file creates it with -r recipients', () => {
    const dir = join(t.dir, 'create');
    mkdirSync(dir);
    const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_APPEND: 'NEW=value\n' });
    const r = runCli(['edit', 'fresh.env.enc', '-r', key.recipient], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('created fresh.env.enc');
    expect(runCli(['get', 'fresh.env.enc', 'NEW'], { cwd: dir, env }).stdout).toBe('value');
    const none = runCli(['edit', 'other.env.enc'], { cwd: dir, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('-r/--recipient');
  });

  it('edit of a missing file takes -R recipient files, as encrypt does', () => {
    const dir = join(t.dir, 'create-R');
    mkdirSync(dir);
    writeFileSync(join(dir, 'me.pub'), `${key.recipient}\n`);
    const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, ENVCRYPT_EDITOR: editor('replace.mjs'), EDIT_APPEND: 'NEW=value\n' });
    const r = runCli(['edit', 'fresh.env.enc', '-R', 'me.pub'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(runCli(['get', 'fresh.env.enc', 'NEW'], { cwd: dir, env }).stdout).toBe('value');
    expect(runCli(['edit', 'other.env.enc', '-R', 'missing.pub'], { cwd: dir, env }).code).toBe(6);
  });

  it('on a TTY, invalid syntax offers to reopen the editor; Enter reopens it', async () => {
    const c = setup('tty.env.enc', `A=1\n`, { ENVCRYPT_EDITOR: editor('twice.mjs') });
    const cmd = `${process.execPath} ${BIN} edit tty.env.enc`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: c.dir, env: c.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('press Enter to reopen the editor') && !out.includes('\u0000sent')) {
        out += '\u0000sent';
        child.stdin.write('\r');
      }
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c2) => r(c2)));
    expect(out).toContain('press Enter to reopen the editor, Ctrl-C to abort');
    expect(code).toBe(0);
    expect(editedPaths(c.log)).toHaveLength(2);
    expect(runCli(['get', 'tty.env.enc', 'FIXED'], { cwd: c.dir, env: c.env }).stdout).toBe('yes');
  });
});
