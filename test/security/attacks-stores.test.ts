// The attack suites in the INI and binary stores: one variation each, in
// process (the dotenv, YAML and JSON suites run every attack through the CLI;
// these stores share their crypto, metadata and vouching code). The attacker
// can push to the repository but holds no key.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { planRotate } from '../../src/api/rotate.js';
import { rejected } from '../helpers/errors.js';
import { ageKeygen, cleanEnv, tempDir } from '../helpers/run-cli.js';
import { CANARY, junkStanza, RECORD_MISMATCH } from './attacks-kit.js';

let t: ReturnType<typeof tempDir>;
let K: { file: string; recipient: string };
let A: { file: string; recipient: string };
let opts: { env: NodeJS.ProcessEnv; onWarning: () => void };

beforeAll(() => {
  t = tempDir('envcrypt-attack-stores-');
  K = ageKeygen(t.dir, 'k.txt');
  A = ageKeygen(t.dir, 'attacker.txt');
  opts = { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: K.file }), onWarning: () => undefined };
});
afterAll(() => t.cleanup());

async function encrypted(name: string, plain: string, format: 'ini' | 'binary', extra: { macOnlyEncrypted?: boolean } = {}): Promise<string> {
  const path = join(t.dir, name);
  writeFileSync(path, await encryptText(plain, path, { format, recipients: [K.recipient], ...extra }));
  return path;
}

describe('INI: a stanza for the attacker appended to [sops] (attack 1)', () => {
  it('rotate refuses it: the integrity record covers the recipient list (exit 3), and nothing is wrapped to A', async () => {
    const file = await encrypted('app.enc.ini', `[db]\npassword = ${CANARY}-db\n`, 'ini');
    const text = readFileSync(file, 'utf8');
    const stanza = junkStanza(A.recipient).replaceAll('\n', '\\n');
    const attacked = text.replace(/^(age__list_0__map_recipient *= .*\n)/m, `$1age__list_1__map_enc = ${stanza}\nage__list_1__map_recipient = ${A.recipient}\n`);
    expect(attacked).not.toBe(text);
    writeFileSync(file, attacked);
    const e = await rejected(planRotate([file], opts));
    expect([e.exitCode, e.message]).toEqual([3, expect.stringContaining(RECORD_MISMATCH)]);
    expect(e.message + e.hints.join('\n')).not.toContain(CANARY);
  });
});

describe('binary: the one value replaced with plaintext (attack 2, environment or file injection)', () => {
  it('decrypt refuses it with and without the integrity record, mac_only_encrypted or not (exit 3)', async () => {
    const file = await encrypted('tls.key.enc', `${CANARY}-key\n`, 'binary', { macOnlyEncrypted: true });
    const text = readFileSync(file, 'utf8');
    const evil = text.replace(/"data": "ENC\[[^"]*\]"/, '"data": "-----BEGIN PRIVATE KEY-----\\nattacker\\n"');
    expect(evil).not.toBe(text);
    const sopsOnly = evil.replace(/\t\t"envcrypt_integrity": "[^"]*",\n/, '');
    expect(sopsOnly).not.toBe(evil);
    for (const variant of [evil, sopsOnly]) {
      writeFileSync(file, variant);
      const e = await rejected(decryptFile(file, opts));
      expect(e.exitCode).toBe(3);
    }
  });
});
