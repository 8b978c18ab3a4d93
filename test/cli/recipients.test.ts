/**
 * Team workflow end to end, through the built CLI: init, encrypt, onboarding
 * with `recipients add` (age and ssh keys), offboarding with `recipients
 * remove`, `rotate`, `list`, and bad input. Independent checks use the real
 * `age` CLI to open the wrapped data keys.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptFile } from '../../src/api/decrypt.js';
import { readMetadata } from '../../src/stores/metadata.js';
import { formatFor, storeFor } from '../../src/stores/index.js';
import { ageKeygen, cleanEnv, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let repo: string;
let env: NodeJS.ProcessEnv;
let A: { file: string; recipient: string };
let B: { file: string; recipient: string };
let C: { file: string; pub: string; recipient: string };

const run = (args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliResult => runCli(args, { cwd: opts.cwd ?? repo, env: opts.env ?? env });

const FILES = ['.env.enc', 'config.enc.yaml', 'config.enc.json'];
const PLAIN: Record<string, string> = {
  '.env': 'DB_PASSWORD=hunter2\nAPI_TOKEN=tok-123\n',
  'config.enc.yaml': 'db:\n    password: s3cret # prod\n    port: 5432\n',
  'config.enc.json': '{\n\t"api": {\n\t\t"key": "k-456"\n\t}\n}\n',
};

/** The armored `enc` stanza for `recipient` in a file's metadata. */
async function stanza(file: string, recipient: string): Promise<string> {
  const store = await storeFor(formatFor(file));
  const md = readMetadata(store.parseEncrypted(readFileSync(join(repo, file), 'utf8')).metadata!);
  const e = md.groups[0]!.age.find((x) => x.recipient === recipient);
  if (!e) throw new Error(`${file} has no stanza for ${recipient}`);
  return e.enc;
}

/** Open a stanza with the real age CLI: the 32-byte data key. */
function ageDecrypt(armored: string, identity: string): Buffer {
  const f = join(t.dir, `stanza-${Math.random().toString(36).slice(2)}.age`);
  writeFileSync(f, armored);
  return execFileSync('age', ['-d', '-i', identity, f]);
}

const dataKeyOf = async (file: string, identity: string) => Buffer.from((await decryptFile(join(repo, file), { identityFiles: [identity], env: {}, onWarning: () => {} })).dataKey);
/** Decrypt with one identity only: the environment has no default key (A's lives in the repo env's XDG_CONFIG_HOME). */
const decryptAs = (file: string, identity: string) => run(['decrypt', file, '-i', identity], { env: cleanEnv() });

beforeAll(() => {
  t = tempDir('envcrypt-team-');
  repo = join(t.dir, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q'], { cwd: repo });
  env = cleanEnv({ XDG_CONFIG_HOME: join(t.dir, 'config') });
  B = ageKeygen(t.dir, 'B.txt');
  const sshKey = join(t.dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'carol@laptop', '-f', sshKey]);
  C = { file: sshKey, pub: `${sshKey}.pub`, recipient: readFileSync(`${sshKey}.pub`, 'utf8').trim() };
}, 60_000);
afterAll(() => t?.cleanup());

describe('onboarding', () => {
  it('init creates key A, .sops.yaml and .gitignore; a second run changes nothing', () => {
    const r = run(['init']);
    expect(r.stderr).toContain('created your key');
    expect(r.code).toBe(0);
    const keyFile = join(t.dir, 'config', 'envcrypt', 'keys.txt');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    A = { file: keyFile, recipient: r.stdout.trim() };
    expect(A.recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(r.stderr).toContain('envcrypt recipients add <their key>');
    const before = ['.sops.yaml', '.gitignore'].map((f) => readFileSync(join(repo, f), 'utf8'));
    const again = run(['init']);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(A.recipient);
    expect(again.stderr).toContain('already lists your key; unchanged');
    expect(['.sops.yaml', '.gitignore'].map((f) => readFileSync(join(repo, f), 'utf8'))).toEqual(before);
  });

  it('encrypts three files (dotenv, YAML, JSON) to A through the .sops.yaml rule', () => {
    for (const [name, text] of Object.entries(PLAIN)) writeFileSync(join(repo, name), text);
    expect(run(['encrypt', '.env', '-o', '.env.enc']).code).toBe(0);
    expect(run(['encrypt', '--in-place', 'config.enc.yaml']).code).toBe(0);
    expect(run(['encrypt', '--in-place', 'config.enc.json']).code).toBe(0);
    const list = run(['recipients', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(FILES.map((file) => ({ file, recipients: [A.recipient] })).sort((a, b) => (a.file < b.file ? -1 : 1)));
  });

  it('recipients add B with no files updates every file and .sops.yaml; B decrypts all three', async () => {
    const before = Object.fromEntries(FILES.map((f) => [f, decryptAs(f, A.file).stdout]));
    expect(decryptAs(FILES[0]!, B.file).code).toBe(4);
    const r = run(['recipients', 'add', B.recipient]);
    expect(r.code).toBe(0);
    for (const f of FILES) expect(r.stderr).toContain(`added ${B.recipient.slice(0, 8)}…${B.recipient.slice(-5)} to ${f}`);
    expect(r.stderr).toContain('.sops.yaml: creation rule 1 updated');
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toContain(`age: ${A.recipient},${B.recipient}\n`);
    for (const f of FILES) {
      const asB = decryptAs(f, B.file);
      expect(asB.code, `${f}: ${asB.stderr}`).toBe(0);
      expect(asB.stdout).toBe(before[f]);
    }
  });

  it('the real age CLI opens B\'s new stanza in each file, giving the file\'s data key', async () => {
    for (const f of FILES) {
      const key = ageDecrypt(await stanza(f, B.recipient), B.file);
      expect(key.length).toBe(32);
      expect(key.equals(await dataKeyOf(f, A.file))).toBe(true);
    }
  });

  it('adding B again is a no-op with a note, and leaves every byte as it was', () => {
    const before = FILES.map((f) => readFileSync(join(repo, f), 'utf8'));
    const r = run(['recipients', 'add', B.file, '.env.enc']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('.env.enc already lists');
    expect(r.stderr).toContain('nothing to change');
    expect(FILES.map((f) => readFileSync(join(repo, f), 'utf8'))).toEqual(before);
  });

  it('recipients add of an ssh key (C, from ssh-keygen, given as its .pub file) works with age -d -i and envcrypt', async () => {
    const r = run(['recipients', 'add', C.pub]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toContain(C.recipient);
    for (const f of FILES) {
      expect(ageDecrypt(await stanza(f, C.recipient), C.file).equals(await dataKeyOf(f, A.file))).toBe(true);
      const asC = run(['decrypt', f], { env: cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: C.file }) });
      expect(asC.code, asC.stderr).toBe(0);
    }
  });
});

describe('offboarding', () => {
  it('recipients remove B re-keys every file: B is locked out (exit 4), A and C read the same values', async () => {
    const before = Object.fromEntries(FILES.map((f) => [f, decryptAs(f, A.file).stdout]));
    const oldStanzas = await Promise.all(FILES.map((f) => stanza(f, B.recipient)));
    const r = run(['recipients', 'remove', B.recipient, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([...out.files].sort()).toEqual([...FILES].sort());
    expect([...out.keys].sort()).toEqual(['API_TOKEN', 'DB_PASSWORD', 'api.key', 'db.password', 'db.port']);
    expect(r.stderr).toContain('could read these secrets until now');
    expect(r.stderr).toContain('rotate the secrets themselves');
    for (const [i, f] of FILES.entries()) {
      const asB = decryptAs(f, B.file);
      expect(asB.code).toBe(4);
      expect(asB.stderr).toContain('no identity matched');
      expect(decryptAs(f, A.file).stdout).toBe(before[f]);
      // B kept its old stanza: the key inside opens none of the new values.
      const oldKey = ageDecrypt(oldStanzas[i]!, B.file);
      await expect(decryptFile(join(repo, f), { dataKey: oldKey, env: {}, ignoreMac: true })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
      expect(oldKey.equals(await dataKeyOf(f, A.file))).toBe(false);
    }
    expect(run(['decrypt', FILES[0]!], { env: cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: C.file }) }).code).toBe(0);
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).not.toContain(B.recipient);
    const list = JSON.parse(run(['recipients', 'list', '--json']).stdout) as { recipients: string[] }[];
    expect(list.every((e) => e.recipients.join() === [A.recipient, C.recipient].join())).toBe(true);
  });

  it('removing a recipient that is not there is a no-op with a note', () => {
    const r = run(['recipients', 'remove', B.recipient, 'config.enc.json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('config.enc.json does not list');
  });

  it('rotate gives every file a new data key, same recipients and values', async () => {
    const keys = await Promise.all(FILES.map((f) => dataKeyOf(f, A.file)));
    const before = FILES.map((f) => decryptAs(f, A.file).stdout);
    const r = run(['rotate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files.sort()).toEqual([...FILES].sort());
    for (const [i, f] of FILES.entries()) {
      expect((await dataKeyOf(f, A.file)).equals(keys[i]!)).toBe(false);
      expect(decryptAs(f, A.file).stdout).toBe(before[i]);
    }
  });
});

describe('bad input', () => {
  it('a malformed KEY names the accepted forms (exit 5)', () => {
    const r = run(['recipients', 'add', 'bob-key-please', '.env.enc']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('malformed recipient');
    expect(r.stderr).toMatch(/hint: accepted forms are age1… \(X25519\), age1pq1…/);
    expect(r.stderr).toContain('.pub file or an identity file');
  });

  it('removing the last recipient is refused (exit 9) and writes nothing', () => {
    writeFileSync(join(repo, 'solo.env'), 'X=1\n');
    expect(run(['encrypt', 'solo.env', '-r', A.recipient, '-o', 'solo.env.enc']).code).toBe(0);
    const before = readFileSync(join(repo, 'solo.env.enc'), 'utf8');
    const r = run(['recipients', 'remove', A.recipient, 'solo.env.enc']);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('refusing to remove');
    expect(r.stderr).toContain('hint: add the new owner first');
    expect(readFileSync(join(repo, 'solo.env.enc'), 'utf8')).toBe(before);
  });

  it('a missing KEY or an unknown action is a usage error (exit 2)', () => {
    expect(run(['recipients', 'add']).code).toBe(2);
    expect(run(['recipients', 'promote', A.recipient]).code).toBe(2);
  });

  it('a repo-wide command outside any repository fails clearly (exit 6)', () => {
    const lone = join(t.dir, 'lone');
    mkdirSync(lone);
    const r = run(['rotate'], { cwd: lone });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('not in a git repository');
    expect(existsSync(join(lone, '.sops.yaml'))).toBe(false);
  });
});
