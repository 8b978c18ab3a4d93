import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptText } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { load } from '../../src/api/load.js';
import { EnvcryptError } from '../../src/errors.js';
import { defaultKeyFile, identitySources } from '../../src/keys/discovery.js';
import { map, pair, str } from '../../src/tree/types.js';
import { ageKeygen, tempDir } from '../helpers/run-cli.js';
import { ROOT } from '../helpers/paths.js';

const CANARY = 'CANARY-keycmd-41f0';
let t: ReturnType<typeof tempDir>;
let a: { file: string; recipient: string };
let b: { file: string; recipient: string };
let text: string;
const base = () => ({ HOME: join(t.dir, 'home'), XDG_CONFIG_HOME: join(t.dir, 'xdg'), PATH: process.env.PATH });

beforeAll(async () => {
  t = tempDir();
  a = ageKeygen(t.dir, 'a.txt');
  b = ageKeygen(t.dir, 'b.txt');
  text = await encryptText('K=v\n', 'f.env', { recipients: [a.recipient] });
});
afterAll(() => t.cleanup());

const labels = (env: NodeJS.ProcessEnv, files: string[] = []) => identitySources({ env, identityFiles: files }).map((s) => s.label);
// What f.env.enc decrypts to: its one value, with envcrypt's integrity record verified.
const OPENED = { format: 'dotenv', integrity: 'verified', branches: [map([pair('K', str('v'))])] };
const fail = async (env: NodeJS.ProcessEnv) => (await decryptText(text, 'f.env.enc', { env }).catch((e) => e)) as EnvcryptError;

describe('key discovery', () => {
  it('searches the documented places in order', () => {
    const env = { ...base(), ENVCRYPT_AGE_KEY_FILE: '/k1', SOPS_AGE_KEY_FILE: '/k2' };
    const l = labels(env, ['/id']);
    expect(l.slice(0, 7)).toEqual(['-i/--identity=/id', 'ENVCRYPT_AGE_KEY', 'ENVCRYPT_AGE_KEY_FILE=/k1', 'ENVCRYPT_AGE_KEY_CMD', 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE=/k2', 'SOPS_AGE_KEY_CMD']);
    expect(l[7]).toBe(join(t.dir, 'xdg', 'envcrypt', 'keys.txt'));
    expect(l[8]).toBe(join(t.dir, 'xdg', 'sops', 'age', 'keys.txt'));
    // sops's order (age/keysource.go loadAgeSSHIdentities): the SSH key file, the SSH key command, then ~/.ssh.
    expect(l.slice(9)).toEqual(['SOPS_AGE_SSH_PRIVATE_KEY_FILE', 'SOPS_AGE_SSH_PRIVATE_KEY_CMD', join(t.dir, 'home', '.ssh', 'id_ed25519'), join(t.dir, 'home', '.ssh', 'id_rsa')]);
    expect(defaultKeyFile({ HOME: '/h' })).toBe('/h/.config/envcrypt/keys.txt');
  });

  it('stops at the first source that opens the file: later sources are not read', async () => {
    const env = { ...base(), ENVCRYPT_AGE_KEY: readFileSync(a.file, 'utf8'), SOPS_AGE_KEY_CMD: 'false' };
    await expect(decryptText(text, 'f.env.enc', { env })).resolves.toMatchObject(OPENED);
  });

  it('reads SOPS_AGE_KEY with several identities on one line, and the default sops key file', async () => {
    const both = [b, a].map((k) => readFileSync(k.file, 'utf8').split('\n').find((l) => l.startsWith('AGE-'))).join(' ');
    await expect(decryptText(text, 'f.env.enc', { env: { ...base(), SOPS_AGE_KEY: both } })).resolves.toMatchObject(OPENED);
    mkdirSync(join(t.dir, 'xdg', 'sops', 'age'), { recursive: true });
    writeFileSync(join(t.dir, 'xdg', 'sops', 'age', 'keys.txt'), readFileSync(a.file), { mode: 0o600 });
    await expect(decryptText(text, 'f.env.enc', { env: base() })).resolves.toMatchObject(OPENED);
  });

  it('runs ENVCRYPT_AGE_KEY_CMD without a shell and uses its stdout', async () => {
    const env = { ...base(), XDG_CONFIG_HOME: join(t.dir, 'none'), ENVCRYPT_AGE_KEY_CMD: `cat '${a.file}'` };
    await expect(decryptText(text, 'f.env.enc', { env })).resolves.toMatchObject(OPENED);
  });

  it('runs a key command once per operation, however many files it opens', async () => {
    for (const n of ['one', 'two', 'three']) writeFileSync(join(t.dir, `${n}.env.enc`), await encryptText(`${n.toUpperCase()}=1\n`, 'f.env', { recipients: [a.recipient] }));
    const count = join(t.dir, 'count');
    const env = { ...base(), XDG_CONFIG_HOME: join(t.dir, 'none'), ENVCRYPT_AGE_KEY_CMD: `sh -c 'echo run >> "${count}"; cat "${a.file}"'` };
    const values = await load({ path: ['one', 'two', 'three'].map((n) => join(t.dir, `${n}.env.enc`)), env });
    expect(values).toEqual({ ONE: '1', TWO: '1', THREE: '1' });
    expect(readFileSync(count, 'utf8')).toBe('run\n');
  });

  it('a failing key command names the variable, not its output', async () => {
    const e = await fail({ ...base(), XDG_CONFIG_HOME: join(t.dir, 'none'), ENVCRYPT_AGE_KEY_CMD: `sh -c 'echo ${CANARY}; exit 3'` });
    expect(e.code).toBe('NO_IDENTITY');
    const hints = e.hints.join('\n');
    expect(hints).toContain('ENVCRYPT_AGE_KEY_CMD (the command in ENVCRYPT_AGE_KEY_CMD failed (exit 3))');
    expect(`${e.message}${hints}`).not.toContain(CANARY);
  });

  it('a key command printing garbage names the variable, not the garbage', async () => {
    const e = await fail({ ...base(), XDG_CONFIG_HOME: join(t.dir, 'none'), SOPS_AGE_KEY_CMD: `echo ${CANARY}` });
    expect(e.hints.join('\n')).toContain('SOPS_AGE_KEY_CMD (the command in SOPS_AGE_KEY_CMD did not print age identities)');
    expect(`${e.message}${e.hints.join('\n')}`).not.toContain(CANARY);
  });

  it('an identity file with a bad line names the line number only', async () => {
    const bad = join(t.dir, 'bad.txt');
    writeFileSync(bad, `# comment\n${CANARY}\n`);
    chmodSync(bad, 0o600);
    const e = await fail({ ...base(), XDG_CONFIG_HOME: join(t.dir, 'none'), ENVCRYPT_AGE_KEY_FILE: bad });
    // A file the user named is the error itself, not one line of a NO_IDENTITY hint.
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toContain('invalid identity on line 2');
    expect(`${e.message}${e.hints.join('\n')}`).not.toContain(CANARY);
  });

  it('never falls back from an identity file the user named: missing, not an identity file, or empty', async () => {
    // The default key file opens the file, so any fallback would succeed.
    mkdirSync(join(t.dir, 'xdg', 'envcrypt'), { recursive: true });
    writeFileSync(join(t.dir, 'xdg', 'envcrypt', 'keys.txt'), readFileSync(a.file), { mode: 0o600 });
    await expect(decryptText(text, 'f.env.enc', { env: base() })).resolves.toMatchObject(OPENED);
    const pub = join(t.dir, 'named-pub.txt');
    writeFileSync(pub, `${a.recipient}\n`, { mode: 0o600 });
    const empty = join(t.dir, 'named-empty.txt');
    writeFileSync(empty, '# nothing\n', { mode: 0o600 });
    const missing = join(t.dir, 'named-missing.txt');
    const viaI = (f: string) => decryptText(text, 'f.env.enc', { env: base(), identityFiles: [f] }).catch((e) => e as EnvcryptError);
    expect(await viaI(missing)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('named-missing.txt (from -i/--identity)') });
    expect(await viaI(pub)).toMatchObject({ code: 'BAD_KEY', message: expect.stringContaining('named-pub.txt') });
    expect(await viaI(empty)).toMatchObject({ code: 'BAD_KEY', message: expect.stringContaining('named-empty.txt (from -i/--identity) holds no identity') });
    for (const v of ['ENVCRYPT_AGE_KEY_FILE', 'SOPS_AGE_KEY_FILE']) {
      expect(await fail({ ...base(), [v]: missing })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(`(from ${v})`) });
    }
  });

  it('a recipient pasted into a key file gets a hint', async () => {
    const bad = join(t.dir, 'pub.txt');
    writeFileSync(bad, `${a.recipient}\n`, { mode: 0o600 });
    const src = identitySources({ env: { ...base(), ENVCRYPT_AGE_KEY_FILE: bad } }).find((s) => s.label.startsWith('ENVCRYPT_AGE_KEY_FILE'))!;
    const err = await Promise.resolve().then(() => src.load()).catch((x) => x);
    expect(err.hints.join(' ')).toContain('recipient (public key)');
  });
});

// sops 3.12+ (getsops/sops age/keysource.go, loadIdentities / loadAgeSSHIdentities): each key command is run
// with SOPS_AGE_RECIPIENT set to the recipient of the stanza being tried. test/fixtures/bin/key-cmd.js logs
// the recipient variables it saw (public keys only) and prints the key file mapped to that recipient.
describe('key commands are told the recipient', () => {
  const KEY_CMD = join(ROOT, 'test', 'fixtures', 'bin', 'key-cmd.js');
  let n = 0;
  const logFile = () => join(t.dir, `keycmd-${++n}.log`);
  const runs = (log: string) => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string | null>);
  const none = () => ({ ...base(), XDG_CONFIG_HOME: join(t.dir, 'none') });

  it('SOPS_AGE_KEY_CMD and ENVCRYPT_AGE_KEY_CMD get SOPS_AGE_RECIPIENT and ENVCRYPT_AGE_RECIPIENT, stanza by stanza in file order until one opens', async () => {
    const two = await encryptText('K=v\n', 'f.env', { recipients: [b.recipient, a.recipient] });
    for (const v of ['SOPS_AGE_KEY_CMD', 'ENVCRYPT_AGE_KEY_CMD']) {
      const log = logFile();
      // This command holds only a's key, and fails when asked about b.
      const env = { ...none(), [v]: `node ${KEY_CMD} ${log} ${a.recipient}=${a.file}` };
      await expect(decryptText(two, 'f.env.enc', { env })).resolves.toMatchObject({ branches: OPENED.branches });
      expect(runs(log)).toEqual([
        { SOPS_AGE_RECIPIENT: b.recipient, ENVCRYPT_AGE_RECIPIENT: b.recipient },
        { SOPS_AGE_RECIPIENT: a.recipient, ENVCRYPT_AGE_RECIPIENT: a.recipient },
      ]);
    }
  });

  it('a command that ignores the recipient still runs once per operation, across files with other recipients', async () => {
    const files = [[a.recipient], [b.recipient, a.recipient]];
    for (const [i, r] of files.entries()) writeFileSync(join(t.dir, `multi${i}.env.enc`), await encryptText(`M${i}=1\n`, 'f.env', { recipients: r }));
    const log = logFile();
    const env = { ...none(), SOPS_AGE_KEY_CMD: `node ${KEY_CMD} ${log} ${a.file}` };
    expect(await load({ path: files.map((_, i) => join(t.dir, `multi${i}.env.enc`)), env })).toEqual({ M0: '1', M1: '1' });
    expect(runs(log)).toEqual([{ SOPS_AGE_RECIPIENT: a.recipient, ENVCRYPT_AGE_RECIPIENT: a.recipient }]);
  });

  it('a recipient from the file that is not plainly one never reaches the command environment', async () => {
    const evil = 'age1$(touch pwned)';
    const tampered = (await encryptText('K=v\n', 'f.env', { recipients: [b.recipient, a.recipient] })).replace(`recipient=${b.recipient}`, `recipient=${evil}`);
    expect(tampered).toContain(evil);
    const log = logFile();
    const env = { ...none(), SOPS_AGE_KEY_CMD: `node ${KEY_CMD} ${log} ${a.recipient}=${a.file}` };
    await decryptText(tampered, 'f.env.enc', { env }).catch(() => undefined); // the record refuses the change; the search ran first
    expect(runs(log)).toEqual([{ SOPS_AGE_RECIPIENT: a.recipient, ENVCRYPT_AGE_RECIPIENT: a.recipient }]);
  });

  it('SOPS_AGE_SSH_PRIVATE_KEY_CMD: its stdout is an SSH private key, asked with the ssh recipient; garbage is named, never echoed', async () => {
    const sshKey = join(t.dir, 'id_cmd');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'throwaway-test-key', '-f', sshKey]);
    const sshRecipient = readFileSync(`${sshKey}.pub`, 'utf8').trim();
    const sshText = await encryptText('K=v\n', 'f.env', { recipients: [sshRecipient] });
    const log = logFile();
    const env = { ...none(), SOPS_AGE_SSH_PRIVATE_KEY_CMD: `node ${KEY_CMD} ${log} ${sshKey}` };
    await expect(decryptText(sshText, 'f.env.enc', { env })).resolves.toMatchObject({ branches: OPENED.branches });
    expect(runs(log)).toEqual([{ SOPS_AGE_RECIPIENT: sshRecipient, ENVCRYPT_AGE_RECIPIENT: sshRecipient }]);
    const e = (await decryptText(sshText, 'f.env.enc', { env: { ...none(), SOPS_AGE_SSH_PRIVATE_KEY_CMD: `echo ${CANARY}` } }).catch((x) => x)) as EnvcryptError;
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.hints.join('\n')).toContain('SOPS_AGE_SSH_PRIVATE_KEY_CMD (the command in SOPS_AGE_SSH_PRIVATE_KEY_CMD did not print an SSH private key)');
    expect(`${e.message}${e.hints.join('\n')}`).not.toContain(CANARY);
  });
});
