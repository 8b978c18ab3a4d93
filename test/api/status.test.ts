import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { fileStatus, recipientDrift } from '../../src/api/status.js';
import { ageKeygen, tempDir } from '../helpers/run-cli.js';
import { FIXTURES } from '../helpers/paths.js';

const CANARY = 'CANARY-status-31c0';
const NO_KEYS = { HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config' };

let t: ReturnType<typeof tempDir>;
let alice: { file: string; recipient: string };
let bob: { file: string; recipient: string };
let carol: { file: string; recipient: string };
const p = (name: string) => join(t.dir, name);

beforeAll(async () => {
  t = tempDir();
  alice = ageKeygen(t.dir, 'alice.txt');
  bob = ageKeygen(t.dir, 'bob.txt');
  carol = ageKeygen(t.dir, 'carol.txt');
  mkdirSync(p('secrets'));
  writeFileSync(p('.sops.yaml'), `creation_rules:\n  - path_regex: ^secrets/\n    age: ${alice.recipient},${bob.recipient}\n  - age: ${alice.recipient}\n`);
  writeFileSync(p('secrets/app.env'), await encryptText(`A=1\nTOKEN=${CANARY}\n`, 'app.env', { recipients: [alice.recipient, carol.recipient] }));
  writeFileSync(p('plain.yaml'), `token: ${CANARY}\n`);
});
afterAll(() => t.cleanup());

describe('fileStatus', () => {
  it('reports an encrypted file without a key: recipients, dates, the rule, and drift', async () => {
    const s = await fileStatus(p('secrets/app.env'), { env: NO_KEYS });
    expect(s.encrypted).toBe(true);
    expect(s.format).toBe('dotenv');
    expect(s.recipients).toEqual([alice.recipient, carol.recipient]);
    expect(s.lastmodified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(s.version).toBe('3.13.2');
    expect(s.mac).toBe('no key');
    expect(s.rule).toEqual({ config: p('.sops.yaml'), index: 1, pathRegex: '^secrets/', recipients: [alice.recipient, bob.recipient] });
    expect(s.drift).toEqual({ missing: [bob.recipient], extra: [carol.recipient] });
    expect(JSON.stringify(s)).not.toContain(CANARY);
  });

  it('verifies the MAC with a key, and reports a mismatch after tampering', async () => {
    const env = { ...NO_KEYS, ENVCRYPT_AGE_KEY_FILE: carol.file };
    expect((await fileStatus(p('secrets/app.env'), { env })).mac).toBe('ok');
    const text = readFileSync(p('secrets/app.env'), 'utf8');
    const lines = text.split('\n');
    writeFileSync(p('secrets/swapped.env'), [`A=${lines[1]!.slice(6)}`, `TOKEN=${lines[0]!.slice(2)}`, ...lines.slice(2)].join('\n'));
    const s = await fileStatus(p('secrets/swapped.env'), { env });
    expect(s.mac).toBe('mismatch');
    expect(s.macDetail).toContain('"A"');
    expect((await fileStatus(p('secrets/swapped.env'), { env, verifyMac: false })).mac).toBe('n/a');
  });

  it('reports a plaintext file as not encrypted, with the catch-all rule and no drift', async () => {
    const s = await fileStatus(p('plain.yaml'), { env: NO_KEYS });
    expect(s).toEqual({ file: p('plain.yaml'), format: 'yaml', encrypted: false, recipients: [], otherKeyTypes: [], mac: 'n/a', rule: { config: p('.sops.yaml'), index: 2, recipients: [alice.recipient] }, drift: null });
  });

  it('reports files sops wrote, including their other key types', async () => {
    const s = await fileStatus(join(FIXTURES, 'humphd-sops-age/secret.enc.json'), { env: NO_KEYS, configPath: p('.sops.yaml') });
    expect(s.encrypted).toBe(true);
    expect(s.recipients.length).toBeGreaterThan(0);
    const withKey = await fileStatus(join(FIXTURES, 'humphd-sops-age/secret.enc.json'), {
      env: { ...NO_KEYS, ENVCRYPT_AGE_KEY_FILE: join(FIXTURES, 'humphd-sops-age/key.txt') },
      onWarning: () => undefined, // the shared fixture key is world-readable on purpose
    });
    expect(withKey.mac).toBe('ok');
  });

  it('treats a binary file as not encrypted', async () => {
    writeFileSync(p('blob.bin'), Buffer.from([0, 1, 2, 3]));
    const s = await fileStatus(p('blob.bin'), { env: NO_KEYS });
    expect(s.encrypted).toBe(false);
    expect(s.format).toBeNull();
  });

  it('fails for a missing file, a directory, and an encrypted file that does not parse', async () => {
    await expect(fileStatus(p('nope.env'), { env: NO_KEYS })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fileStatus(p('secrets'), { env: NO_KEYS })).rejects.toMatchObject({ code: 'USAGE' });
    writeFileSync(p('secrets/conflict.env'), `<<<<<<< ours\n${readFileSync(p('secrets/app.env'), 'utf8')}`);
    // A damaged file: its own message, exit 5 as any parse error.
    await expect(fileStatus(p('secrets/conflict.env'), { env: NO_KEYS })).rejects.toMatchObject({ code: 'BAD_METADATA', message: expect.stringContaining('is damaged') });
  });
});

describe('recipientDrift', () => {
  it('is empty when the sets agree, in any order and spacing', () => {
    expect(recipientDrift([alice.recipient, ` ${bob.recipient}`], [bob.recipient, alice.recipient])).toEqual({ missing: [], extra: [] });
  });

  it('names missing and extra recipients', () => {
    expect(recipientDrift([alice.recipient], [bob.recipient])).toEqual({ missing: [bob.recipient], extra: [alice.recipient] });
  });
});
