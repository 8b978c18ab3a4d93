import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, decryptText, decryptTextSync, integrityRequired, type DecryptOptions } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { newIdentity, type NewIdentity } from '../../src/keys/keygen.js';
import { storeFor } from '../../src/stores/index.js';
import type { Store } from '../../src/stores/store.js';
import { map, pair, str } from '../../src/tree/types.js';
import { caught, rejected } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';
import { withoutIntegrity } from '../helpers/sops-like.js';

let me: NewIdentity;
let other: NewIdentity;
let text: string;
/** Key options that find only `me`, and nothing from the real environment. */
let keys: DecryptOptions;
const PLAIN = [map([pair('A', str('alpha')), pair('NOTE_unencrypted', str('visible')), pair('EMPTY', str(''))])];

beforeAll(async () => {
  me = await newIdentity(false);
  other = await newIdentity(false);
  text = await encryptText('A=alpha\nNOTE_unencrypted=visible\nEMPTY=\n', 'f.env', { recipients: [me.recipient] });
  keys = { env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', ENVCRYPT_AGE_KEY: me.identity } };
});

describe('decryptText', () => {
  it('decrypts a file envcrypt wrote, and reports its integrity record as verified', async () => {
    const d = await decryptText(text, 'f.env', keys);
    expect(d.format).toBe('dotenv');
    expect(d.branches).toEqual(PLAIN);
    expect(d.integrity).toBe('verified');
    expect(d.dataKey).toHaveLength(32);
    expect(d.metadata.groups[0]!.age.map((e) => e.recipient)).toEqual([me.recipient]);
    expect((d.encrypted[0]!.items[0] as { value: { value: string } }).value.value).toMatch(/^ENC\[AES256_GCM,.*type:str\]$/);
    // Not read-only: every encrypted value and the MAC left an IV, for diff-stable writes.
    expect(d.stash.size).toBe(2);
  });

  it('readOnly remembers no IVs', async () => {
    expect((await decryptText(text, 'f.env', { ...keys, readOnly: true })).stash.size).toBe(0);
  });

  it('a given data key needs no identity', async () => {
    const { dataKey } = await decryptText(text, 'f.env', keys);
    const d = await decryptText(text, 'f.env', { env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' }, dataKey });
    expect(d.branches).toEqual(PLAIN);
  });

  it('decrypts a file sops wrote (known answer), whose integrity is absent', async () => {
    const file = join(FIXTURES, 'humphd-sops-age', 'secret.enc.env');
    const d = await decryptFile(file, { env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', SOPS_AGE_KEY: readFileSync(join(FIXTURES, 'humphd-sops-age', 'key.txt'), 'utf8') } });
    expect(d.branches).toEqual([map([pair('secret', str('this is a secret')), pair('another_secret', str('7'))])]);
    expect(d.integrity).toBe('absent');
    expect(Buffer.from(d.dataKey).toString('hex')).toBe('34d808b56651590dd622a2982a2b71faced94571cbdfd4933d939db8e5350fc3');
  });

  it('a file without its integrity record reads as absent, unless a record is required (MAC_MISMATCH, exit 3)', async () => {
    const bare = withoutIntegrity(text, 'dotenv');
    expect(bare).not.toBe(text);
    expect((await decryptText(bare, 'f.env', keys)).integrity).toBe('absent');
    const e = await rejected(decryptText(bare, 'f.env', { ...keys, requireIntegrity: true }));
    expect([e.code, e.exitCode, e.file]).toEqual(['MAC_MISMATCH', 3, 'f.env']);
    expect(e.message).toBe('the file has no integrity record, and one is required (ENVCRYPT_REQUIRE_INTEGRITY)');
    // requireIntegrity: false wins over the variable.
    const env = { ...keys.env, ENVCRYPT_REQUIRE_INTEGRITY: '1' };
    expect((await decryptText(bare, 'f.env', { env, requireIntegrity: false })).integrity).toBe('absent');
  });

  it('ENVCRYPT_REQUIRE_INTEGRITY in the given env requires the record', async () => {
    const bare = withoutIntegrity(text, 'dotenv');
    for (const v of ['1', 'true', 'TRUE', 'yes']) {
      const e = await rejected(decryptText(bare, 'f.env', { env: { ...keys.env, ENVCRYPT_REQUIRE_INTEGRITY: v } }));
      expect([v, e.code, e.exitCode]).toEqual([v, 'MAC_MISMATCH', 3]);
    }
    for (const v of ['0', 'false', '', 'on']) {
      expect((await decryptText(bare, 'f.env', { env: { ...keys.env, ENVCRYPT_REQUIRE_INTEGRITY: v } })).integrity).toBe('absent');
    }
    // A file that has its record passes when one is required.
    expect((await decryptText(text, 'f.env', { env: { ...keys.env, ENVCRYPT_REQUIRE_INTEGRITY: '1' } })).integrity).toBe('verified');
  });

  it('a record that does not verify is an error (exit 3), never absent; ignoreMac reads it, as absent', async () => {
    // Renaming an unencrypted key changes nothing the SOPS MAC or GCM sees; only the record does.
    const renamed = text.replace(/^NOTE_unencrypted=/m, 'OTHER_unencrypted=');
    expect(renamed).not.toBe(text);
    const e = await rejected(decryptText(renamed, 'f.env', keys));
    expect(e.exitCode).toBe(3);
    expect(e.file).toBe('f.env');
    const d = await decryptText(renamed, 'f.env', { ...keys, ignoreMac: true });
    expect(d.integrity).toBe('absent');
    expect(d.branches).toEqual([map([pair('A', str('alpha')), pair('OTHER_unencrypted', str('visible')), pair('EMPTY', str(''))])]);
  });

  it('ignoreMac reads a file whose MAC does not match, and is not stopped by ENVCRYPT_REQUIRE_INTEGRITY', async () => {
    const noA = withoutIntegrity(text, 'dotenv').replace(/^A=.*\n/m, '');
    const e = await rejected(decryptText(noA, 'f.env', keys));
    expect([e.code, e.exitCode]).toEqual(['MAC_MISMATCH', 3]);
    const d = await decryptText(noA, 'f.env', { env: { ...keys.env, ENVCRYPT_REQUIRE_INTEGRITY: '1' }, ignoreMac: true });
    expect(d.branches).toEqual([map([pair('NOTE_unencrypted', str('visible')), pair('EMPTY', str(''))])]);
    expect(d.integrity).toBe('absent');
  });

  it('refuses a file with no sops metadata (NOT_ENCRYPTED, exit 8)', async () => {
    const e = await rejected(decryptText('A=alpha\n', 'plain.env', keys));
    expect([e.code, e.exitCode, e.file]).toEqual(['NOT_ENCRYPTED', 8, 'plain.env']);
    expect(e.message).toBe('plain.env is not encrypted (it has no sops metadata)');
    expect(e.hints).toEqual(['encrypt it with "envcrypt encrypt plain.env"']);
  });

  it('without a matching identity: NO_IDENTITY (exit 4), naming the file', async () => {
    const e = await rejected(decryptText(text, 'f.env', { env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', ENVCRYPT_AGE_KEY: other.identity } }));
    expect([e.code, e.exitCode, e.file]).toEqual(['NO_IDENTITY', 4, 'f.env']);
  });

  it('picks the format from the name unless one is given', async () => {
    const json = await encryptText('{"a": {"b": "c"}}', 'f.json', { recipients: [me.recipient] });
    expect((await decryptText(json, 'secrets.enc.json', keys)).branches).toEqual([map([pair('a', map([pair('b', str('c'))]))])]);
    const d = await decryptText(json, 'no-extension', { ...keys, format: 'json' });
    expect(d.format).toBe('json');
  });
});

describe('decryptTextSync', () => {
  let dotenv: Store;
  beforeAll(async () => {
    dotenv = await storeFor('dotenv');
  });

  it('gives the same result as decryptText, with the store and general unwrap from the host', async () => {
    const formats: string[] = [];
    const host = { storeFor: (f: string) => (formats.push(f), dotenv), unwrapGeneral: () => [] };
    const sync = decryptTextSync(text, 'f.env', keys, host);
    const async_ = await decryptText(text, 'f.env', keys);
    expect(sync.branches).toEqual(async_.branches);
    expect(sync.integrity).toBe('verified');
    expect(formats).toEqual(['dotenv']);
  });

  it('applies the same integrity rule', () => {
    const host = { storeFor: () => dotenv, unwrapGeneral: () => [] };
    const e = caught(() => decryptTextSync(withoutIntegrity(text, 'dotenv'), 'f.env', { ...keys, requireIntegrity: true }, host));
    expect([e.code, e.exitCode, e.file]).toEqual(['MAC_MISMATCH', 3, 'f.env']);
  });
});

describe('integrityRequired', () => {
  it('is true for 1, true and yes in any case, false otherwise', () => {
    expect(['1', 'true', 'True', 'YES'].map((v) => integrityRequired({ ENVCRYPT_REQUIRE_INTEGRITY: v }))).toEqual([true, true, true, true]);
    expect(['0', 'no', '', ' 1', 'truthy'].map((v) => integrityRequired({ ENVCRYPT_REQUIRE_INTEGRITY: v }))).toEqual([false, false, false, false, false]);
    expect(integrityRequired({})).toBe(false);
  });
});
