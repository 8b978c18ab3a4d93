import { realpathSync, symlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { runCheck, type CheckOptions } from '../../src/check/scan.js';
import { privateKeyBlock, throwawayAgeKey } from '../helpers/key-text.js';
import { git } from '../helpers/git.js';
import { ageKeygen, tempDir } from '../helpers/run-cli.js';
import { writeTree } from '../helpers/tree.js';

const CANARY = 'CANARY-scan-9b41e7';
// Built at run time so that this file holds no key-shaped text.
const AGE_KEY = throwawayAgeKey();
const NO_KEYS = { HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config' };

const put = (dir: string, name: string, content: string | Uint8Array) => writeTree(dir, { [name]: content });

let t: ReturnType<typeof tempDir>;
let dir: string;
let key: { file: string; recipient: string };
let keyDir: ReturnType<typeof tempDir>;

beforeAll(() => {
  keyDir = tempDir();
  key = ageKeygen(keyDir.dir);
  return () => keyDir.cleanup();
});
beforeEach(() => {
  t = tempDir();
  dir = realpathSync(t.dir);
});
afterEach(() => t.cleanup());

const check = (opts: CheckOptions = {}) => runCheck({ cwd: dir, env: NO_KEYS, ...opts });
const summary = (r: Awaited<ReturnType<typeof runCheck>>) => r.findings.map((f) => `${f.file}${f.line ? `:${f.line}` : ''} ${f.rule}`);

describe('runCheck in a git repository', () => {
  beforeEach(() => {
    git(dir, 'init', '-q');
  });

  it('passes a clean repository and counts the files it read', async () => {
    put(dir, 'README.md', '# hello\n');
    put(dir, 'src/a.ts', 'export const a = 1;\n');
    put(dir, '.env.example', 'TOKEN=\n');
    const r = await check();
    expect(r).toEqual({ ok: true, findings: [], checked: 3, gitRoot: dir });
  });

  it('flags plaintext .env files that are tracked or not ignored, but not ignored ones or templates', async () => {
    put(dir, '.gitignore', '.env.local\n');
    put(dir, '.env', `TOKEN=${CANARY}\n`);
    put(dir, '.env.production', `TOKEN=${CANARY}\n`);
    put(dir, '.env.local', `TOKEN=${CANARY}\n`);
    put(dir, '.env.sample', 'TOKEN=\n');
    git(dir, 'add', '.env');
    const r = await check();
    expect(r.ok).toBe(false);
    expect(r.findings.map((f) => [f.file, f.message])).toEqual([
      ['.env', 'plaintext .env file is tracked by git'],
      ['.env.production', 'plaintext .env file is not ignored by git (add it to .gitignore)'],
    ]);
    expect(JSON.stringify(r)).not.toContain(CANARY);
  });

  it('accepts an encrypted file with a .env.* name', async () => {
    put(dir, '.env.production', await encryptText(`TOKEN=${CANARY}\n`, '.env.production', { recipients: [key.recipient] }));
    git(dir, 'add', '.');
    const r = await check({ env: { ...NO_KEYS, ENVCRYPT_AGE_KEY_FILE: key.file } });
    expect(r.findings).toEqual([]);
  });

  it('flags an unencrypted file a creation rule covers, a plaintext leak, a bad MAC, and private keys by line', async () => {
    put(dir, '.sops.yaml', `creation_rules:\n  - path_regex: ^secrets/\n    age: ${key.recipient}\n`);
    put(dir, 'secrets/plain.yaml', `password: ${CANARY}\n`);
    const enc = await encryptText(`A=1\nB=2\nTOKEN=x\n`, 'x.env', { recipients: [key.recipient] });
    put(dir, 'secrets/leak.env', enc.replace(/^TOKEN=.*$/m, `TOKEN=${CANARY}`));
    const lines = enc.split('\n');
    put(dir, 'secrets/swapped.env', [`A=${lines[1]!.slice(2)}`, `B=${lines[0]!.slice(2)}`, ...lines.slice(2)].join('\n'));
    put(dir, 'secrets/ok.env', enc);
    put(dir, 'deploy/id_ed25519', privateKeyBlock('OPENSSH '));
    put(dir, 'notes.md', `# keys\n\nmine: ${AGE_KEY}\n`);
    const r = await check({ env: { ...NO_KEYS, ENVCRYPT_AGE_KEY_FILE: key.file } });
    expect(summary(r)).toEqual([
      'deploy/id_ed25519:1 private-key',
      'notes.md:3 age-secret-key',
      'secrets/leak.env plaintext-value',
      'secrets/plain.yaml not-encrypted',
      'secrets/swapped.env mac',
    ]);
    expect(JSON.stringify(r)).not.toContain(CANARY);
    expect(JSON.stringify(r)).not.toContain(AGE_KEY.slice(16));
  });

  it('skips the MAC without a key, and says so only through onInfo', async () => {
    const enc = await encryptText('A=1\nB=2\n', 'x.env', { recipients: [key.recipient] });
    const lines = enc.split('\n');
    put(dir, 'swapped.env', [`A=${lines[1]!.slice(2)}`, `B=${lines[0]!.slice(2)}`, ...lines.slice(2)].join('\n'));
    const info: string[] = [];
    const r = await check({ onInfo: (m) => info.push(m) });
    expect(r.ok).toBe(true);
    expect(info).toEqual(['swapped.env: MAC not checked (no key for it)']);
  });

  it('--staged reads what is staged, not the working tree', async () => {
    put(dir, 'a.txt', `${AGE_KEY}\n`);
    put(dir, 'b.txt', 'clean\n');
    put(dir, '.env', 'A=1\n');
    git(dir, 'add', 'a.txt', 'b.txt', '.env');
    put(dir, 'a.txt', 'clean now\n');
    put(dir, 'b.txt', `x\n${AGE_KEY}\n`);
    put(dir, 'untracked.txt', `${AGE_KEY}\n`);
    const r = await check({ staged: true });
    expect(summary(r)).toEqual(['.env plaintext-env', 'a.txt:1 age-secret-key']);
    expect(r.findings[0]!.message).toBe('plaintext .env file is staged for commit');
    expect(r.checked).toBe(3);
  });

  it('--staged passes when nothing is staged', async () => {
    put(dir, 'a.txt', `${AGE_KEY}\n`);
    expect(await check({ staged: true })).toEqual({ ok: true, findings: [], checked: 0, gitRoot: dir });
  });

  it('leaves out excluded files', async () => {
    put(dir, 'test/fixtures/key.txt', `${AGE_KEY}\n`);
    put(dir, 'other/key.txt', `${AGE_KEY}\n`);
    const r = await check({ exclude: ['test/fixtures/**'] });
    expect(summary(r)).toEqual(['other/key.txt:1 age-secret-key']);
  });
});

describe('runCheck robustness', () => {
  it('skips binary files and does not follow symbolic links', async () => {
    put(dir, 'blob.bin', Buffer.concat([Buffer.from('\0\x01\x02'), Buffer.from(AGE_KEY)]));
    put(dir, 'target/key.txt', `${AGE_KEY}\n`);
    symlinkSync(join(dir, 'target', 'key.txt'), join(dir, 'link.txt'));
    const r = await check({ paths: ['blob.bin', 'link.txt'] });
    expect(r).toEqual({ ok: true, findings: [], checked: 1, gitRoot: null });
  });

  it('reads only the first maxBytes of a file, and says so', async () => {
    put(dir, 'big.log', `${'x'.repeat(1000)}\n${AGE_KEY}\n${'y'.repeat(5000)}\n${AGE_KEY}\n`);
    const info: string[] = [];
    const r = await check({ maxBytes: 2000, onInfo: (m) => info.push(m) });
    expect(summary(r)).toEqual(['big.log:2 age-secret-key']);
    expect(info.some((m) => m.startsWith('big.log: only the first'))).toBe(true);
  });

  it('reads a 2 GiB (sparse) file only up to the default cap, without loading it', async () => {
    // Text for the first 16 KiB (so it is not sniffed as binary), then a hole of zeros.
    put(dir, 'huge.log', `${AGE_KEY}\n${'z'.repeat(99)}\n`.repeat(100) + 'z\n'.repeat(8192));
    truncateSync(join(dir, 'huge.log'), 2 ** 31);
    const info: string[] = [];
    const before = process.memoryUsage().rss;
    const r = await check({ onInfo: (m) => info.push(m) });
    expect(summary(r)).toEqual(Array.from({ length: 100 }, (_, i) => `huge.log:${2 * i + 1} age-secret-key`));
    expect(info).toContain(`huge.log: only the first 5120 KiB of ${2 ** 21} KiB were scanned`);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('outside git: checks contents but has no git state to judge .env files by', async () => {
    put(dir, '.env', `TOKEN=${CANARY}\n`);
    put(dir, 'k.txt', `${AGE_KEY}\n`);
    put(dir, 'node_modules/dep/k.txt', `${AGE_KEY}\n`);
    const info: string[] = [];
    const r = await check({ onInfo: (m) => info.push(m) });
    expect(summary(r)).toEqual(['k.txt:1 age-secret-key']);
    expect(info).toContain('not in a git repository: plaintext .env files are not checked against git');
  });

  it('refuses a bad scan limit', async () => {
    await expect(check({ maxBytes: 0 })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('fails on a broken .sops.yaml rather than guessing', async () => {
    put(dir, '.sops.yaml', 'creation_rules:\n  - path_regx: x\n');
    put(dir, 'a.env.enc', 'A=1\n');
    await expect(check()).rejects.toMatchObject({ code: 'PARSE' });
  });
});
