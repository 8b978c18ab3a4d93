import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptFile } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { listRecipients, planAddRecipient, planRemoveRecipient, resolveRecipient } from '../../src/api/recipients.js';
import { changedFiles, commitPlan } from '../../src/api/rotate.js';
import { recoverDataKey } from '../../src/crypto/datakey.js';
import { readMetadata } from '../../src/stores/metadata.js';
import { wrapDataKey } from '../../src/keys/age/wrap.js';
import { identityFileText, newIdentity } from '../../src/keys/keygen.js';
import { parseRecipient } from '../../src/keys/recipient.js';
import { dotenvStore } from '../../src/stores/dotenv.js';
import { yamlStore } from '../../src/stores/yaml.js';
import { FIXTURES } from '../helpers/paths.js';
import { rejected } from '../helpers/errors.js';

interface Key { file: string; recipient: string }
let root: string;
let A: Key, B: Key, C: Key;
const PLAIN = '# database\nDB_URL=postgres://db\nDB_PASSWORD=hunter2\nAPI_TOKEN=abc123\n';

async function key(name: string, pq = false): Promise<Key> {
  const id = await newIdentity(pq);
  const file = join(root, name);
  writeFileSync(file, identityFileText(id), { mode: 0o600 });
  return { file, recipient: id.recipient };
}

/** Key options that see only the given identity files (nothing from the machine running the tests). */
const only = (...keys: Key[]) => ({ identityFiles: keys.map((k) => k.file), env: {}, onWarning: () => {} });

async function encrypted(name: string, to: Key[], text = PLAIN): Promise<string> {
  const path = join(root, name);
  writeFileSync(path, await encryptText(text, name, { recipients: to.map((k) => k.recipient) }));
  return path;
}

/** The data lines of a dotenv file (everything but sops_* metadata). */
const dataLines = (text: string) => text.split('\n').filter((l) => !l.startsWith('sops_'));
const metaLine = (text: string, k: string) => text.split('\n').find((l) => l.startsWith(`sops_${k}=`));

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'envcrypt-recipients-')));
  [A, B, C] = await Promise.all([key('a.txt'), key('b.txt'), key('c.txt')]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resolveRecipient: the accepted forms of KEY', () => {
  it('takes age1, age1pq1 and ssh public keys as they are', async () => {
    expect((await resolveRecipient(A.recipient)).text).toBe(A.recipient);
    const pq = (await newIdentity(true)).recipient;
    expect(await resolveRecipient(pq)).toEqual({ kind: 'pq', text: pq });
    const ssh = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@laptop';
    // Kept as given, comment included, as sops stores it.
    expect(await resolveRecipient(ssh)).toEqual({ kind: 'ssh-ed25519', text: ssh });
  });

  it('derives the public key from an age identity file, a .pub file and an ssh private key', async () => {
    expect((await resolveRecipient(A.file)).text).toBe(A.recipient);
    const pub = join(root, 'bob.pub');
    writeFileSync(pub, `# bob's key\n${B.recipient}\n`);
    expect((await resolveRecipient(pub)).text).toBe(B.recipient);
    const sshKey = join(root, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'carol', '-f', sshKey]);
    const line = readFileSync(`${sshKey}.pub`, 'utf8').trim();
    // The private key yields the bare key (its comment is not stored in it); the .pub file keeps the comment.
    expect((await resolveRecipient(sshKey)).text).toBe(line.split(' ').slice(0, 2).join(' '));
    expect((await resolveRecipient(`${sshKey}.pub`)).text).toBe(line);
  });

  it('names the accepted forms for a malformed key, and never echoes it whole', async () => {
    const e = await rejected(resolveRecipient('not-a-key-but-a-long-secret-looking-string'));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).not.toContain('long-secret-looking');
    expect(e.hints.join(' ')).toMatch(/age1… \(X25519\).*ssh-ed25519/);
    expect(e.hints.join(' ')).toContain('.pub file or an identity file');
    const secret = await rejected(resolveRecipient(`AGE-SECRET-KEY-1${'Q'.repeat(56)}`));
    expect(secret.code).toBe('BAD_KEY');
    expect(secret.message).toContain('identity (secret key)');
    expect((await rejected(resolveRecipient('./keys/missing.pub'))).code).toBe('NOT_FOUND');
    const two = join(root, 'two.pub');
    writeFileSync(two, `${A.recipient}\n${B.recipient}\n`);
    expect((await rejected(resolveRecipient(two))).message).toContain('holds 2 keys');
  });
});

describe('listRecipients', () => {
  it('reads recipients from the metadata alone, with no key available', async () => {
    const f = await encrypted('list.env.enc', [A, B]);
    expect(await listRecipients([f], { env: {} })).toEqual([{ file: f, recipients: [A.recipient, B.recipient] }]);
  });

  it('refuses a plaintext file with NOT_ENCRYPTED', async () => {
    const f = join(root, 'plain.env');
    writeFileSync(f, 'A=1\n');
    expect((await rejected(listRecipients([f], { env: {} }))).code).toBe('NOT_ENCRYPTED');
  });
});

describe('planAddRecipient', () => {
  it('re-wraps the existing data key: values, MAC and lastmodified untouched', async () => {
    const f = await encrypted('add.env.enc', [A]);
    const before = readFileSync(f, 'utf8');
    const plan = await planAddRecipient(B.recipient, [f], only(A));
    expect(plan.recipient).toBe(B.recipient);
    expect(plan.configs).toEqual([]);
    const after = plan.files[0]!.after!;
    expect(dataLines(after)).toEqual(dataLines(before));
    for (const k of ['mac', 'lastmodified', 'version']) expect(metaLine(after, k)).toBe(metaLine(before, k));
    expect(readFileSync(f, 'utf8')).toBe(before); // planning writes nothing
    commitPlan(plan);
    const asB = await decryptFile(f, only(B));
    const asA = await decryptFile(f, only(A));
    expect(asB.branches).toEqual(asA.branches);
    expect(Buffer.from(asB.dataKey).equals(Buffer.from(asA.dataKey))).toBe(true);
    expect((await listRecipients([f], { env: {} }))[0]!.recipients).toEqual([A.recipient, B.recipient]);
  });

  it('works on a file written by the real sops, keeping everything but the new stanza', async () => {
    const f = join(root, 'secret.enc.env');
    copyFileSync(join(FIXTURES, 'humphd-sops-age', 'secret.enc.env'), f);
    const humphd: Key = { file: join(FIXTURES, 'humphd-sops-age', 'key.txt'), recipient: 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr' };
    const plan = await planAddRecipient(B.recipient, [f], only(humphd));
    commitPlan(plan);
    const asB = await decryptFile(f, only(B));
    expect(asB.branches).toEqual((await decryptFile(join(FIXTURES, 'humphd-sops-age', 'secret.enc.env'), only(humphd))).branches);
    expect(asB.metadata.groups[0]!.age.map((e) => e.recipient).at(-1)).toBe(B.recipient);
    expect(asB.metadata.groups[0]!.age).toHaveLength(4);
  });

  it('keeps master keys of other types (a sops file with age and PGP keys)', async () => {
    const f = join(root, 'nix.yaml');
    copyFileSync(join(FIXTURES, 'sops-nix', 'secrets.yaml'), f);
    const nix: Key = { file: join(FIXTURES, 'sops-nix', 'age-keys.txt'), recipient: '' };
    commitPlan(await planAddRecipient(B.recipient, [f], only(nix)));
    const md = readMetadata(yamlStore.parseEncrypted(readFileSync(f, 'utf8')).metadata!);
    expect(md.groups[0]!.other.map((p) => p.key)).toEqual(['pgp']);
    expect(md.groups[0]!.age).toHaveLength(3);
    await expect(decryptFile(f, only(B))).resolves.toBeDefined();
  });

  it('is a no-op with a note for a recipient the file already lists', async () => {
    const f = await encrypted('dup.env.enc', [A, B]);
    const plan = await planAddRecipient(B.recipient, [f], only(A));
    expect(changedFiles(plan)).toEqual([]);
    expect(plan.files[0]!.note).toBe(`${f} already lists age1${B.recipient.slice(4, 8)}…${B.recipient.slice(-5)}`);
  });

  it('adds an ssh key, which then decrypts; the same key with another comment is a duplicate, and removal matches it by key', async () => {
    const sshKey = join(root, 'id_dup');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'carol@laptop', '-f', sshKey]);
    const line = readFileSync(`${sshKey}.pub`, 'utf8').trim();
    const f = await encrypted('ssh.env.enc', [A]);
    commitPlan(await planAddRecipient(`${sshKey}.pub`, [f], only(A)));
    const env = { SOPS_AGE_SSH_PRIVATE_KEY_FILE: sshKey };
    expect((await decryptFile(f, { env, onWarning: () => {} })).branches).toEqual((await decryptFile(f, only(A))).branches);
    const again = await planAddRecipient(line.replace('carol@laptop', 'carol@desktop'), [f], only(A));
    expect(changedFiles(again)).toEqual([]);
    const bare = line.split(' ').slice(0, 2).join(' ');
    commitPlan(await planRemoveRecipient(bare, [f], only(A)));
    expect((await listRecipients([f], { env: {} }))[0]!.recipients).toEqual([A.recipient]);
  });

  it('refuses to mix a post-quantum recipient into a classic file', async () => {
    const f = await encrypted('mix.env.enc', [A]);
    const pq = (await newIdentity(true)).recipient;
    const e = await rejected(planAddRecipient(pq, [f], only(A)));
    expect(e.code).toBe('USAGE');
    expect(e.message).toContain('post-quantum');
  });

  it('fails with NO_IDENTITY when you cannot open the file yourself', async () => {
    const f = await encrypted('notmine.env.enc', [A]);
    const e = await rejected(planAddRecipient(C.recipient, [f], only(B)));
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.exitCode).toBe(4);
  });

  it('refuses a file whose stanza for you was swapped for another data key', async () => {
    const f = await encrypted('swapped.env.enc', [A]);
    const text = readFileSync(f, 'utf8');
    const forged = await wrapDataKey(new Uint8Array(32).fill(7), parseRecipient(A.recipient));
    const line = metaLine(text, 'age__list_0__map_enc')!;
    writeFileSync(f, text.replace(line, `sops_age__list_0__map_enc=${forged.replaceAll('\n', '\\n')}`));
    const e = await rejected(planAddRecipient(B.recipient, [f], only(A)));
    // A data key from a forged stanza opens no value (nor the record keyed from it).
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('could not authenticate');
  });
});

describe('planRemoveRecipient', () => {
  it('makes a new data key for the remaining recipients; the leaver can no longer decrypt', async () => {
    const f = await encrypted('rm.env.enc', [A, B, C]);
    const old = await decryptFile(f, only(B));
    const plan = await planRemoveRecipient(B.recipient, [f], only(A));
    expect(plan.configsFirst).toBe(true);
    expect(plan.files[0]!.keys).toEqual(['DB_URL', 'DB_PASSWORD', 'API_TOKEN']);
    commitPlan(plan);
    expect((await rejected(decryptFile(f, only(B)))).code).toBe('NO_IDENTITY');
    const asA = await decryptFile(f, only(A));
    const asC = await decryptFile(f, only(C));
    expect(asA.branches).toEqual(old.branches);
    expect(asC.branches).toEqual(old.branches);
    expect(Buffer.from(asA.dataKey).equals(Buffer.from(old.dataKey))).toBe(false);
    expect(asA.metadata.groups[0]!.age.map((e) => e.recipient)).toEqual([A.recipient, C.recipient]);
    // The old key opens none of the new values.
    const after = readFileSync(f, 'utf8');
    await expect(decryptFile(f, { ...only(), dataKey: old.dataKey, ignoreMac: true })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    expect(dotenvStore.parseEncrypted(after).metadata).not.toBeNull();
  });

  it('refuses to remove the last recipient (exit 9), with a hint', async () => {
    const f = await encrypted('last.env.enc', [A]);
    const e = await rejected(planRemoveRecipient(A.recipient, [f], only(A)));
    expect(e.code).toBe('REFUSED');
    expect(e.exitCode).toBe(9);
    expect(e.message).toContain('the last recipient');
    expect(e.hints[0]).toContain('envcrypt recipients add');
  });

  it('is a no-op with a note for a recipient the file does not list', async () => {
    const f = await encrypted('absent.env.enc', [A]);
    const plan = await planRemoveRecipient(B.recipient, [f], only(A));
    expect(changedFiles(plan)).toEqual([]);
    expect(plan.files[0]!.note).toContain('does not list');
  });

  it('with files named, leaves .sops.yaml alone but notes a rule that still lists the key', async () => {
    const dir = join(root, 'named');
    mkdirSync(dir);
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${A.recipient},${B.recipient}\n`);
    const f = join(dir, '.env.enc');
    writeFileSync(f, await encryptText(PLAIN, f, { recipients: [A.recipient, B.recipient] }));
    const plan = await planRemoveRecipient(B.recipient, [f], only(A));
    expect(plan.configs).toEqual([]);
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0]).toContain('rule 1 of');
    expect(plan.notes[0]).toContain('still lists');
  });
});

describe('repo-wide plans', () => {
  it('add changes every matched file and the rules that matched; remove undoes both', async () => {
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'svc'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const config = `# rules\ncreation_rules:\n  - path_regex: \\.env\\.enc$\n    age: ${A.recipient}\n  - path_regex: ^prod/\n    age: ${A.recipient}\n`;
    writeFileSync(join(repo, '.sops.yaml'), config);
    for (const p of ['.env.enc', 'svc/.env.enc']) writeFileSync(join(repo, p), await encryptText(PLAIN, p, { recipients: [A.recipient] }));
    const opts = { ...only(A), cwd: repo };
    const add = await planAddRecipient(B.recipient, [], opts);
    expect(changedFiles(add).map((f) => f.file)).toEqual([join(repo, '.env.enc'), join(repo, 'svc/.env.enc')]);
    expect(add.configs.map((c) => [c.file, c.rules])).toEqual([[join(repo, '.sops.yaml'), [1]]]);
    expect(add.notes).toEqual([`rule 2 of ${join(repo, '.sops.yaml')} matched no encrypted file and was left unchanged; add the key there by hand if it should apply`]);
    commitPlan(add);
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toBe(config.replace(`age: ${A.recipient}\n  - path_regex: ^prod`, `age: ${A.recipient},${B.recipient}\n  - path_regex: ^prod`));
    await expect(decryptFile(join(repo, 'svc/.env.enc'), only(B))).resolves.toBeDefined();

    const remove = await planRemoveRecipient(B.recipient, [], opts);
    expect(changedFiles(remove)).toHaveLength(2);
    commitPlan(remove);
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toBe(config);
    expect((await rejected(decryptFile(join(repo, '.env.enc'), only(B)))).code).toBe('NO_IDENTITY');
  });

  it('writes nothing when one file of the repository cannot be opened', async () => {
    const repo = join(root, 'repo2');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q'], { cwd: repo });
    writeFileSync(join(repo, '.sops.yaml'), `creation_rules:\n  - path_regex: \\.enc$\n    age: ${A.recipient}\n`);
    writeFileSync(join(repo, 'a.env.enc'), await encryptText(PLAIN, 'a.env', { recipients: [A.recipient, B.recipient] }));
    writeFileSync(join(repo, 'z.env.enc'), await encryptText(PLAIN, 'z.env', { recipients: [C.recipient, B.recipient] }));
    const before = readFileSync(join(repo, 'a.env.enc'), 'utf8');
    const e = await rejected(planRemoveRecipient(B.recipient, [], { ...only(A), cwd: repo }));
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.file).toBe(join(repo, 'z.env.enc'));
    expect(readFileSync(join(repo, 'a.env.enc'), 'utf8')).toBe(before);
  });
});

describe('recoverDataKey sanity', () => {
  it('a re-wrapped stanza holds the same data key as the original one', async () => {
    const f = await encrypted('same.env.enc', [A]);
    commitPlan(await planAddRecipient(B.recipient, [f], only(A)));
    const md = readMetadata(dotenvStore.parseEncrypted(readFileSync(f, 'utf8')).metadata!);
    const kA = await recoverDataKey(md, f, only(A));
    const kB = await recoverDataKey(md, f, only(B));
    expect(Buffer.from(kA).toString('hex')).toBe(Buffer.from(kB).toString('hex'));
  });
});
