/**
 * sops's age key-source tests, ported: getsops/sops 3.13.2 `age/keysource_test.go`
 * (commit 15e36f97a8641769712da76b64aec4ea566be81e, MPL-2.0). Each `it` names the
 * Go test (and `t.Run` subtest) it ports. sops's mock keys and the data keys it
 * wrapped to them are in `test/fixtures/sops/derived/sops-age-keysource-mocks.json`
 * (throwaway keys sops publishes for its tests; see PROVENANCE.md), so the
 * stanzas sops wrote are opened here by envcrypt's own age code.
 *
 * How they map: sops's `MasterKeysFromRecipients` (comma-separated recipients)
 * is how `resolveCreation` reads `SOPS_AGE_RECIPIENTS` and `-r`;
 * `MasterKeyFromRecipient` is `parseRecipient`; `ParsedIdentities.Import` is
 * `parseIdentityText`; `MasterKey.Encrypt` is `wrapDataKey`; `MasterKey.Decrypt`
 * is `unwrapAgeEntryNative`/`unwrapGeneral` with the identities found by
 * `identitySources`, which is also `loadIdentities`.
 *
 * sops's `loadIdentities` reads every source and reports how many places had no
 * key ("unused locations", 8 in sops); envcrypt reads sources lazily, in its
 * documented order, and stops at the first that opens the file (README
 * Decisions: key discovery stops at the first source), so the ports count the
 * identities each source yields instead.
 *
 * Not ported (Go-internal API, no envcrypt equivalent):
 * - TestParsedIdentities_ApplyToMasterKey, TestMasterKey_EncryptedDataKey,
 *   TestMasterKey_NeedsRotation, TestMasterKey_ToString: getters and setters of sops's
 *   `MasterKey` struct.
 * - TestMasterKey_Encrypt "parsed recipient and invalid recipient": a struct holding
 *   both a parsed and an unparsed recipient; envcrypt only has the parsed form.
 * - TestMasterKey_EncryptIfNeeded: a `MasterKey` that already holds a wrapped key keeps
 *   it; envcrypt's equivalent (stanzas kept when the data key does not change) is
 *   tested in test/api/recipients.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { encryptText } from '../../src/api/encrypt.js';
import { recoverDataKey } from '../../src/crypto/datakey.js';
import { EnvcryptError } from '../../src/errors.js';
import { prepareIdentities, unwrapAgeEntryNative, unwrapGeneral } from '../../src/keys/age/unwrap.js';
import { wrapDataKey } from '../../src/keys/age/wrap.js';
import { identitySources, type FoundIdentity, type KeyOptions } from '../../src/keys/discovery.js';
import { parseIdentityText } from '../../src/keys/identity-text.js';
import { parseRecipient } from '../../src/keys/recipient.js';
import { resolveCreation } from '../../src/repo/sops-config/rules.js';
import { caught, rejected } from '../helpers/errors.js';
import { ageMetadata } from '../helpers/metadata.js';
import { FIXTURES } from '../helpers/paths.js';
import { tempDir } from '../helpers/run-cli.js';

const M = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'sops-age-keysource-mocks.json'), 'utf8')) as Record<string, string>;
const mockRecipient = M.mockRecipient!;
const mockIdentity = M.mockIdentity!;
const mockOtherIdentity = M.mockOtherIdentity!;
const mockHybridIdentity = M.mockHybridIdentity!;
const mockSshRecipient = M.mockSshRecipient!;
const mockSshIdentity = M.mockSshIdentity!;
const otherRecipient = M.otherRecipient!;
const PLAIN = new TextEncoder().encode(M.mockEncryptedKeyPlain!);

const t = tempDir('envcrypt-sops-keysource-');
afterAll(t.cleanup);
let n = 0;
/** A fresh empty HOME and XDG_CONFIG_HOME (sops's overwriteUserConfigDir), plus `extra`. */
function homeEnv(extra: Record<string, string> = {}): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(t.dir, `home${n++}`);
  mkdirSync(dir, { recursive: true });
  return { dir, env: { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: dir, ...extra } };
}

/** What each identity source yields, in order (null: absent); a source that fails gives its error. */
function loadAll(opts: KeyOptions): Array<FoundIdentity[] | null | EnvcryptError> {
  return identitySources({ onWarning: () => undefined, ...opts }).map((s) => {
    try {
      return s.load();
    } catch (e) {
      if (e instanceof EnvcryptError) return e;
      throw e;
    }
  });
}
const found = (r: ReturnType<typeof loadAll>) => r.flatMap((x) => (Array.isArray(x) ? x : []));
const errors = (r: ReturnType<typeof loadAll>) => r.filter((x): x is EnvcryptError => x instanceof EnvcryptError);

/** Open an armored stanza with these identities, natively or through age-encryption (PQ, SSH). */
async function unwrap(enc: string, ids: FoundIdentity[]): Promise<Uint8Array | null> {
  const prepared = prepareIdentities(ids);
  const r = unwrapAgeEntryNative(enc, prepared, 'age1…');
  return r === null || r instanceof Uint8Array ? r : ((await unwrapGeneral({ ids: prepared, groups: [[r]] }))[0]?.key ?? null);
}

/** Metadata with one age stanza, for the whole key search. */
const mdWith = (enc: string, recipient = mockRecipient) => ageMetadata([{ recipient, enc }]);

/** The recipients a comma-separated `SOPS_AGE_RECIPIENTS` gives, as sops's MasterKeysFromRecipients splits it. */
function recipientsFrom(value: string): string[] {
  const { env } = homeEnv({ SOPS_AGE_RECIPIENTS: value });
  return resolveCreation(join(t.dir, 'no-config-here', 'a.env'), { env, configPath: '' }).recipients;
}

describe('getsops/sops age/keysource_test.go: recipients', () => {
  it('TestMasterKeysFromRecipients "recipient"', () => {
    expect(recipientsFrom(mockRecipient)).toEqual([mockRecipient]);
  });

  it('TestMasterKeysFromRecipients "recipient-ssh"', () => {
    expect(recipientsFrom(mockSshRecipient)).toEqual([mockSshRecipient]);
  });

  it('TestMasterKeysFromRecipients "recipients": comma-separated, in order', () => {
    expect(recipientsFrom(`${mockRecipient},${otherRecipient},${mockSshRecipient}`)).toEqual([mockRecipient, otherRecipient, mockSshRecipient]);
  });

  it('TestMasterKeysFromRecipients "leading and trailing spaces"', () => {
    expect(recipientsFrom(`   ${mockRecipient}   ,   ${otherRecipient} ,  ${mockSshRecipient}     `)).toEqual([mockRecipient, otherRecipient, mockSshRecipient]);
  });

  it('TestMasterKeysFromRecipients "empty": no recipients (envcrypt then says there are none to encrypt to)', () => {
    expect(caught(() => recipientsFrom('')).code).toBe('NO_RECIPIENTS');
  });

  it('TestMasterKeyFromRecipient "recipient"', () => {
    expect(parseRecipient(mockRecipient)).toEqual({ kind: 'x25519', text: mockRecipient });
  });

  it('TestMasterKeyFromRecipient "recipient-ssh"', () => {
    expect(parseRecipient(mockSshRecipient)).toEqual({ kind: 'ssh-ed25519', text: mockSshRecipient });
  });

  it('TestMasterKeyFromRecipient "leading and trailing spaces"', () => {
    expect(parseRecipient(`   ${mockRecipient}   `).text).toBe(mockRecipient);
  });

  it('TestMasterKeyFromRecipient "leading and trailing spaces - ssh"', () => {
    expect(parseRecipient(`   ${mockSshRecipient}   `).text).toBe(mockSshRecipient);
  });

  it('TestMasterKeyFromRecipient "invalid recipient"', () => {
    expect(caught(() => parseRecipient('invalid')).code).toBe('BAD_KEY');
  });

  it('TestParsedIdentities_Import: X25519 and post-quantum identities; "invalid" is an error', () => {
    expect(parseIdentityText(`${mockIdentity}\n${mockOtherIdentity}\n${mockHybridIdentity}\n`, 'x')).toEqual([mockIdentity, mockOtherIdentity, mockHybridIdentity]);
    expect(caught(() => parseIdentityText('invalid', 'x')).code).toBe('BAD_KEY');
  });
});

describe('getsops/sops age/keysource_test.go: wrapping and unwrapping the data key', () => {
  it('TestMasterKey_Encrypt "recipient" and "parsed recipient": an armored age file', async () => {
    expect(await wrapDataKey(PLAIN, parseRecipient(mockRecipient))).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n?$/);
  });

  it('TestMasterKey_Encrypt "recipient ssh" and "parsed recipient ssh"', async () => {
    const enc = await wrapDataKey(PLAIN, parseRecipient(mockSshRecipient));
    expect(await unwrap(enc, [{ kind: 'ssh', text: mockSshIdentity, source: 'test' }])).toEqual(PLAIN);
  });

  it('TestMasterKey_Encrypt "invalid recipient": refused before anything is wrapped', () => {
    expect(caught(() => parseRecipient('invalid')).message).toContain('malformed recipient');
  });

  it('TestMasterKey_Decrypt "parsed identities": the stanza sops wrote opens with the second of two identities', async () => {
    expect(await unwrap(M.mockEncryptedKey!, [mockOtherIdentity, mockIdentity])).toEqual(PLAIN);
  });

  it('TestMasterKey_Decrypt "loaded identities": from SOPS_AGE_KEY', async () => {
    const ids = found(loadAll(homeEnv({ SOPS_AGE_KEY: mockIdentity })));
    expect(await unwrap(M.mockEncryptedKey!, ids)).toEqual(PLAIN);
  });

  it('TestMasterKey_Decrypt "loaded identities ssh": the stanza sops wrote to an SSH key opens with SOPS_AGE_SSH_PRIVATE_KEY_FILE', async () => {
    const h = homeEnv();
    const keyPath = join(h.dir, '.ssh', 'id_25519');
    mkdirSync(join(h.dir, '.ssh'), { mode: 0o700 });
    writeFileSync(keyPath, mockSshIdentity, { mode: 0o600 });
    const ids = found(loadAll({ env: { ...h.env, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath } }));
    expect(await unwrap(M.mockEncryptedSshKey!, ids)).toEqual(PLAIN);
  });

  it('TestMasterKey_Decrypt "no identities": the error lists the places searched', async () => {
    const e = await rejected(recoverDataKey(mdWith(M.mockEncryptedKey!), 'f.yaml', { env: homeEnv().env, onWarning: () => undefined }));
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.hints.join('\n')).toMatch(/SOPS_AGE_KEY \(unset\).*SOPS_AGE_KEY_FILE \(unset\)/s);
  });

  it('TestMasterKey_Decrypt "no matching identity": identities given explicitly are the only ones tried', async () => {
    const sources = [{ label: 'given', absent: 'unset', load: () => [mockOtherIdentity] }];
    const e = await rejected(recoverDataKey(mdWith(M.mockEncryptedKey!), 'f.yaml', { sources, env: homeEnv({ SOPS_AGE_KEY: mockIdentity }).env }));
    expect(e.code).toBe('NO_IDENTITY');
  });

  it('TestMasterKey_Decrypt "invalid encrypted key": a stanza that is not an armored age file', () => {
    expect(caught(() => unwrapAgeEntryNative('invalid', prepareIdentities([mockIdentity]), mockRecipient)).code).toBe('DECRYPT_FAILED');
  });

  it('TestMasterKey_EncryptDecrypt_RoundTrip', async () => {
    const data = new TextEncoder().encode('some secret data');
    const enc = await wrapDataKey(data, parseRecipient(mockRecipient));
    expect(await unwrap(enc, [mockIdentity])).toEqual(data);
  });

  it('TestMasterKey_ToMap: a stanza is written as exactly "recipient" and "enc"', async () => {
    const text = await encryptText('a: b\n', 'x.yaml', { recipients: [mockRecipient], onWarning: () => undefined });
    const age = (parseYaml(text) as { sops: { age: Array<Record<string, string>> } }).sops.age;
    expect(age).toHaveLength(1);
    expect(Object.keys(age[0]!).sort()).toEqual(['enc', 'recipient']);
    expect(age[0]!.recipient).toBe(mockRecipient);
    expect(age[0]!.enc).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
  });
});

describe('getsops/sops age/keysource_test.go: TestMasterKey_loadIdentities', () => {
  it('"SOPS_AGE_KEY": one identity', () => {
    const r = loadAll(homeEnv({ SOPS_AGE_KEY: mockIdentity }));
    expect(errors(r)).toEqual([]);
    expect(found(r)).toEqual([mockIdentity]);
  });

  it('"SOPS_AGE_KEY multiple": two identities on two lines', () => {
    expect(found(loadAll(homeEnv({ SOPS_AGE_KEY: `${mockIdentity}\n${mockOtherIdentity}` })))).toEqual([mockIdentity, mockOtherIdentity]);
  });

  it('"SOPS_AGE_KEY_FILE": one identity from the file', () => {
    const h = homeEnv();
    const keyPath = join(h.dir, 'keys.txt');
    writeFileSync(keyPath, mockIdentity, { mode: 0o600 });
    expect(found(loadAll({ env: { ...h.env, SOPS_AGE_KEY_FILE: keyPath } }))).toEqual([mockIdentity]);
  });

  it('"sops/age/keys.txt": one identity from the user config directory', () => {
    const h = homeEnv();
    mkdirSync(join(h.dir, 'sops', 'age'), { recursive: true, mode: 0o700 });
    writeFileSync(join(h.dir, 'sops', 'age', 'keys.txt'), mockIdentity, { mode: 0o600 });
    expect(found(loadAll(h))).toEqual([mockIdentity]);
  });

  it('"SOPS_AGE_SSH_PRIVATE_KEY_FILE": one SSH key', () => {
    const h = homeEnv();
    const keyPath = join(h.dir, 'id_25519');
    writeFileSync(keyPath, mockSshIdentity, { mode: 0o600 });
    expect(found(loadAll({ env: { ...h.env, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath } }))).toEqual([{ kind: 'ssh', text: mockSshIdentity, source: keyPath }]);
  });

  it('"no identity": every source is absent, and none fails', () => {
    const r = loadAll(homeEnv());
    expect(r.every((x) => x === null)).toBe(true);
  });

  it('"multiple identities": the user config file and SOPS_AGE_KEY_FILE', () => {
    const h = homeEnv();
    mkdirSync(join(h.dir, 'sops', 'age'), { recursive: true, mode: 0o700 });
    writeFileSync(join(h.dir, 'sops', 'age', 'keys.txt'), mockIdentity, { mode: 0o600 });
    writeFileSync(join(h.dir, 'keys.txt'), mockOtherIdentity, { mode: 0o600 });
    expect(found(loadAll({ env: { ...h.env, SOPS_AGE_KEY_FILE: join(h.dir, 'keys.txt') } })).sort()).toEqual([mockIdentity, mockOtherIdentity].sort());
  });

  it('"parsing error": SOPS_AGE_KEY=invalid is an error naming the variable, and nothing is found', () => {
    const r = loadAll(homeEnv({ SOPS_AGE_KEY: 'invalid' }));
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]!.message).toContain('SOPS_AGE_KEY');
    expect(found(r)).toEqual([]);
  });

  it('"SOPS_AGE_SSH_PRIVATE_KEY_CMD": one SSH key from the command', () => {
    const r = loadAll(homeEnv({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: `echo '${mockSshIdentity}'` }));
    expect(errors(r)).toEqual([]);
    expect(found(r)).toHaveLength(1);
  });

  it('"cmd error" (SOPS_AGE_SSH_PRIVATE_KEY_CMD=meow): an error naming the variable', () => {
    const r = loadAll(homeEnv({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: 'meow' }));
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]!.message).toContain('SOPS_AGE_SSH_PRIVATE_KEY_CMD');
    expect(found(r)).toEqual([]);
  });

  it('"SOPS_AGE_KEY_CMD": one identity from the command', () => {
    const r = loadAll(homeEnv({ SOPS_AGE_KEY_CMD: `echo '${mockIdentity}'` }));
    expect(errors(r)).toEqual([]);
    expect(found(r)).toEqual([mockIdentity]);
  });

  it('"SOPS_AGE_RECIPIENT": the key command sees the recipient of the stanza being opened', async () => {
    const cmd = `bash -c 'if [[ $SOPS_AGE_RECIPIENT = ${mockRecipient} ]]; then echo ${mockIdentity}; fi'`;
    const env = homeEnv({ SOPS_AGE_KEY_CMD: cmd }).env;
    // sops opens the stanza for mockRecipient, and finds nothing for any other recipient.
    await expect(recoverDataKey(mdWith(M.mockEncryptedKey!), 'f.yaml', { env })).rejects.toThrow(/4 bytes, not 32/);
    expect((await rejected(recoverDataKey(mdWith(M.mockEncryptedKey!, `${mockRecipient}abc`), 'f.yaml', { env }))).code).toBe('NO_IDENTITY');
  });

  it('"cmd error" (SOPS_AGE_KEY_CMD=meow): an error naming the variable, and nothing is found', () => {
    const r = loadAll(homeEnv({ SOPS_AGE_KEY_CMD: 'meow' }));
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]!.message).toContain('SOPS_AGE_KEY_CMD');
    expect(found(r)).toEqual([]);
  });
});

describe('getsops/sops age/keysource_test.go: other tests', () => {
  it('TestUserConfigDir: XDG_CONFIG_HOME is where sops/age/keys.txt is looked for', () => {
    const labels = identitySources({ env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/test/home/dir' } }).map((s) => s.label);
    expect(labels).toContain(join('/test/home/dir', 'sops', 'age', 'keys.txt'));
  });

  // sops 3.10+ asks for the passphrase of an age-encrypted identity (the Go tests inject it with
  // testOnlyAgePassword). envcrypt does not (README, SOPS compatibility): each source refuses such a key,
  // naming it, with the key-command workaround, instead of skipping it silently.
  it('TestMasterKey_Identities_Passphrase "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE": refused with a hint (sops decrypts it)', () => {
    const h = homeEnv();
    const keyPath = join(h.dir, 'keys.txt');
    writeFileSync(keyPath, M.mockEncryptedIdentity!, { mode: 0o600 });
    for (const env of [{ ...h.env, SOPS_AGE_KEY: M.mockEncryptedIdentity! }, { ...h.env, SOPS_AGE_KEY_FILE: keyPath }]) {
      const r = errors(loadAll({ env }));
      expect(r).toHaveLength(1);
      expect(r[0]!.code).toBe('UNSUPPORTED');
      expect(r[0]!.message).toContain('passphrase-protected');
      expect(r[0]!.hints.join(' ')).toContain('SOPS_AGE_KEY_CMD');
    }
  });

  it('TestMasterKey_Identities_Passphrase "invalid encrypted key": a stanza that is not an armored age file', () => {
    expect(caught(() => unwrapAgeEntryNative('invalid', prepareIdentities([mockIdentity]), mockRecipient)).code).toBe('DECRYPT_FAILED');
  });
});
