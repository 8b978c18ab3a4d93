// The tamper matrix: real encrypted files of each format, every mutation from
// the threat model, each refused with its documented exit code and no
// plaintext. Mutations that are undetectable by design are listed in
// SECURITY.md and checked here to behave as documented.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptText } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { EnvcryptError } from '../../src/errors.js';
/** The matrix runs in the three text stores; INI and binary: test/security/attacks-stores.test.ts. */
type Format = 'dotenv' | 'yaml' | 'json';
import { ageKeygen, cleanEnv, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-tamper-0d5e';
const plain: Record<Format, string> = {
  dotenv: `# comment\nUSER=admin\nPASSWORD=${CANARY}\nPORT=5432\nURL_unencrypted=https://x.example\n`,
  yaml: `# comment\ndb:\n    user: admin\n    password: ${CANARY}\n    port: 5432\nhosts:\n    - a\n    - b\nurl_unencrypted: https://x.example\n`,
  json: `{"db": {"user": "admin", "password": "${CANARY}", "port": 5432}, "hosts": ["a", "b"], "url_unencrypted": "https://x.example"}\n`,
};
const names: Record<Format, string> = { dotenv: 'f.env.enc', yaml: 'f.enc.yaml', json: 'f.enc.json' };

let t: ReturnType<typeof tempDir>;
let env: NodeJS.ProcessEnv;
let mine: string;
let other: string;
const files = {} as Record<Format, string>;

beforeAll(async () => {
  t = tempDir();
  const a = ageKeygen(t.dir, 'a.txt');
  const b = ageKeygen(t.dir, 'b.txt');
  mine = a.recipient;
  other = b.recipient;
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: a.file });
  for (const f of ['dotenv', 'yaml', 'json'] as Format[]) files[f] = await encryptText(plain[f], names[f], { format: f, recipients: [a.recipient, b.recipient] });
});
afterAll(() => t.cleanup());

/** Replace the first ENC field `field` of the value at `key` by applying `f`. */
function flipField(text: string, key: string, field: 'data' | 'iv' | 'tag' | 'type'): string {
  const re = new RegExp(`(${key}["]?[=:] ?"?ENC\\[AES256_GCM,[^\\]]*?${field}:)([^,\\]]+)`);
  const m = re.exec(text);
  if (!m) throw new Error(`no ${field} for ${key}`);
  const v = m[2]!;
  const flipped = field === 'type' ? 'stx' : (v[0] === 'A' ? 'B' : 'A') + v.slice(1);
  return text.replace(re, `$1${flipped}`);
}
function encOf(text: string, key: string): string {
  return new RegExp(`${key}["]?[=:] ?"?(ENC\\[[^\\]]*\\])`).exec(text)![1]!;
}
function swap(text: string, k1: string, k2: string): string {
  const a = encOf(text, k1);
  const b = encOf(text, k2);
  return text.replace(a, '\u0000').replace(b, a).replace('\u0000', b);
}

// code: the exit code, per format where it differs; -1 means any refusal code.
type Mutation = [name: string, apply: (text: string, f: Format) => string, code: number | Partial<Record<Format, number>> & { other: number }];
const userKey = (f: Format) => (f === 'dotenv' ? 'USER' : 'user');
const pwKey = (f: Format) => (f === 'dotenv' ? 'PASSWORD' : 'password');
const portKey = (f: Format) => (f === 'dotenv' ? 'PORT' : 'port');

const matrix: Mutation[] = [
  ['flip a byte in data', (s, f) => flipField(s, pwKey(f), 'data'), 3],
  ['flip a byte in iv', (s, f) => flipField(s, pwKey(f), 'iv'), 3],
  ['flip a byte in tag', (s, f) => flipField(s, pwKey(f), 'tag'), 3],
  ['corrupt the type', (s, f) => flipField(s, pwKey(f), 'type'), 3],
  ['swap two values', (s, f) => swap(s, userKey(f), pwKey(f)), 3],
  ['move a value under another key', (s, f) => s.replace(encOf(s, portKey(f)), encOf(s, pwKey(f))), 3],
  ['rename a key', (s, f) => s.replace(f === 'json' ? '"user"' : f === 'yaml' ? 'user:' : 'USER=', f === 'json' ? '"usr"' : f === 'yaml' ? 'usr:' : 'USR='), 3],
  ['duplicate a key', (s, f) => (f === 'dotenv' ? s.replace(/^(USER=.*)$/m, '$1\n$1') : f === 'yaml' ? s.replace(/^( {4}user: .*)$/m, '$1\n$1') : s.replace(/("user": "[^"]*",)/, '$1 $1')), 5],
  ['drop a line', (s, f) => (f === 'dotenv' ? s.replace(/^PORT=.*\n/m, '') : f === 'yaml' ? s.replace(/^ {4}port: .*\n/m, '') : s.replace(/,?\s*"port": "[^"]*"/, '')), 3],
  ['drop a list item', (s, f) => (f === 'dotenv' ? s.replace(/^USER=.*\n/m, '') : f === 'yaml' ? s.replace(/^ {4}- ENC.*\n/m, '') : s.replace(/"ENC\[[^\]]*type:str\]",\s*(?="ENC)/, '')), 3],
  ['change lastmodified', (s) => s.replace(/(lastmodified["]?[=:] ?"?)(\d{4})/, '$11999'), 3],
  ['change the mac', (s) => s.replace(/(mac["]?[=:] ?"?ENC\[AES256_GCM,data:)(.)/, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A')), 3],
  ['set mac_only_encrypted', (s, f) => (f === 'dotenv' ? s.replace(/^sops_mac=/m, 'sops_mac_only_encrypted=true\nsops_mac=') : f === 'yaml' ? s.replace(/^ {4}mac: /m, '    mac_only_encrypted: true\n    mac: ') : s.replace(/"mac": /, '"mac_only_encrypted": true, "mac": ')), 3],
  ['change an unencrypted value', (s) => s.replace('https://x.example', 'https://evil.example'), 3],
  ['drop our recipient stanza', (s, f) => dropRecipient(s, f, 0), 4],
  ['truncate the file', (s) => s.slice(0, Math.floor(s.length / 2)), -1],
];

function dropRecipient(s: string, f: Format, index: number): string {
  if (f === 'dotenv') {
    return s
      .split('\n')
      .filter((l) => !l.startsWith(`sops_age__list_${index}__`))
      .map((l) => l.replace(/^sops_age__list_1__/, 'sops_age__list_0__'))
      .join('\n');
  }
  if (f === 'yaml') {
    const lines = s.split('\n');
    const starts = lines.flatMap((l, i) => (/^ {8}- /.test(l) ? [i] : []));
    const end = starts[index + 1] ?? lines.findIndex((l, i) => i > starts[index]! && /^ {4}\S/.test(l));
    return [...lines.slice(0, starts[index]), ...lines.slice(end)].join('\n');
  }
  const doc = JSON.parse(s);
  doc.sops.age.splice(index, 1);
  return JSON.stringify(doc, null, '\t');
}

/** The file as sops would have written it: no envcrypt integrity record. */
function stripRecord(text: string, format: Format): string {
  if (format === 'dotenv') return text.replace(/^sops_envcrypt_integrity=.*\n/m, '');
  if (format === 'yaml') return text.replace(/^ {4}envcrypt_integrity: .*\n/m, '');
  const doc = JSON.parse(text) as { sops: Record<string, unknown> };
  delete doc.sops.envcrypt_integrity;
  return JSON.stringify(doc, null, '\t');
}

describe.each(['dotenv', 'yaml', 'json'] as Format[])('tamper matrix: %s', (format) => {
  it('the untouched file decrypts (control)', async () => {
    const dec = await decryptText(files[format], names[format], { env });
    expect(JSON.stringify(dec.branches, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toContain(CANARY);
  });

  for (const [name, apply, codeSpec] of matrix) {
    const code = typeof codeSpec === 'number' ? codeSpec : (codeSpec[format] ?? codeSpec.other);
    it(`${name} → refused${code > 0 ? ` with exit ${code}` : ''}, no plaintext`, async () => {
      const mutated = apply(files[format], format);
      expect(mutated).not.toBe(files[format]);
      const err = await decryptText(mutated, names[format], { env }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EnvcryptError);
      const e = err as EnvcryptError;
      if (code > 0) expect(e.exitCode).toBe(code);
      else expect([3, 4, 5, 8]).toContain(e.exitCode);
      expect(`${e.message}\n${e.hints.join('\n')}`).not.toContain(CANARY);
    });
  }

  it('dropping another recipient\'s stanza is refused (exit 3): the integrity record covers the recipient list', async () => {
    const err = await decryptText(dropRecipient(files[format], format, 1), names[format], { env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).exitCode).toBe(3);
    expect((err as EnvcryptError).message).toContain('integrity record does not match');
    expect(other).not.toBe(mine);
  });

  it('without the integrity record (as sops writes files), dropping another recipient\'s stanza still decrypts for us', async () => {
    const dec = await decryptText(stripRecord(dropRecipient(files[format], format, 1), format), names[format], { env });
    expect(dec.integrity).toBe('absent');
    expect(dec.metadata.groups[0]!.age.map((a) => a.recipient)).toEqual([mine]);
  });

  it('undetectable by design: rolling back to an older valid version decrypts', async () => {
    const older = await encryptText(plain[format], names[format], { format, recipients: [mine] });
    const dec = await decryptText(older, names[format], { env });
    expect(dec.integrity).toBe('verified');
    expect(dec.branches).toEqual((await decryptText(files[format], names[format], { env })).branches);
  });
});
