// The native age writer (write.ts), the native X25519 stanza (x25519-wrap.ts)
// and wrapDataKey (wrap.ts): what they write, the age 1.1.1 CLI, age-encryption
// and the native reader open; the writer reproduces a CCTV vector byte for byte.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, randomBytes, createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, armor } from 'age-encryption';
import { bech32 } from '@scure/base';
import { decodeArmor } from '../../../src/keys/age/armor.js';
import { parseAgeFile } from '../../../src/keys/age/header.js';
import { parseX25519Identity, unwrapNative } from '../../../src/keys/age/native.js';
import { wrapDataKey } from '../../../src/keys/age/wrap.js';
import { writeAgeFile } from '../../../src/keys/age/write.js';
import { x25519PublicKey, x25519Stanza } from '../../../src/keys/age/x25519-wrap.js';
import { parseRecipient } from '../../../src/keys/recipient.js';
import * as cctv from 'cctv-age';
import { parseVector } from '../../helpers/cctv.js';
import { caught } from '../../helpers/errors.js';

let dir: string;
let x: { identity: string; recipient: string; file: string };
let ed: { priv: string; pub: string };
let rsa: { priv: string; pub: string };

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-wrap-'));
  // Throwaway keys, made for this run only.
  const file = join(dir, 'x.txt');
  run('age-keygen', ['-o', file]);
  const identity = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
  x = { identity, recipient: run('age-keygen', ['-y', file]).toString().trim(), file };
  const sshKey = (name: string, args: string[]) => {
    const priv = join(dir, name);
    run('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'throwaway', '-f', priv]);
    return { priv, pub: readFileSync(`${priv}.pub`, 'utf8').trim() };
  };
  ed = sshKey('ed', ['-t', 'ed25519']);
  rsa = sshKey('rsa', ['-t', 'rsa', '-b', '2048']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wrapDataKey without age-encryption', () => {
  it('the age CLI opens what is wrapped for an X25519, an ssh-ed25519 and an ssh-rsa recipient', async () => {
    const key = new Uint8Array(randomBytes(32));
    for (const [recipient, identity] of [[x.recipient, x.file], [ed.pub, ed.priv], [rsa.pub, rsa.priv]] as const) {
      const armored = await wrapDataKey(key, parseRecipient(recipient));
      const file = join(dir, 'key.age');
      writeFileSync(file, armored);
      expect(run('age', ['-d', '-i', identity, file]).equals(Buffer.from(key))).toBe(true);
    }
  });

  it('the native reader and age-encryption open an X25519 wrap; another identity gets null', async () => {
    const key = new Uint8Array(randomBytes(32));
    const armored = await wrapDataKey(key, parseRecipient(x.recipient));
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*\n-----END AGE ENCRYPTED FILE-----\n$/);
    const file = decodeArmor(armored);
    expect(Buffer.from(unwrapNative(file, [parseX25519Identity(x.identity)]) as Uint8Array).equals(Buffer.from(key))).toBe(true);
    const d = new Decrypter();
    d.addIdentity(x.identity);
    expect(Buffer.from(await d.decrypt(armor.decode(armored))).equals(Buffer.from(key))).toBe(true);
    const other = bech32.encodeFromBytes('AGE-SECRET-KEY-', randomBytes(32)).toUpperCase();
    expect(unwrapNative(file, [parseX25519Identity(other)])).toBeNull();
  });

  it('each wrap has a fresh ephemeral share and file key', async () => {
    const key = new Uint8Array(32);
    const a = parseAgeFile(decodeArmor(await wrapDataKey(key, parseRecipient(x.recipient))));
    const b = parseAgeFile(decodeArmor(await wrapDataKey(key, parseRecipient(x.recipient))));
    expect(a.stanzas[0]!.args[0]).not.toBe(b.stanzas[0]!.args[0]);
    expect(Buffer.from(a.stanzas[0]!.body).equals(Buffer.from(b.stanzas[0]!.body))).toBe(false);
  });

  it('refuses a low-order recipient (all-zero shared secret), as age does', () => {
    const zero = bech32.encodeFromBytes('age', new Uint8Array(32));
    const e = caught(() => x25519Stanza(new Uint8Array(16), x25519PublicKey(zero)));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toMatch(/low-order/);
    expect(caught(() => x25519PublicKey('age1qqqq')).code).toBe('BAD_KEY');
  });
});

describe('writeAgeFile', () => {
  const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

  it('reproduces the CCTV x25519 vector byte for byte from its stanzas, file key and nonce', () => {
    // The file key is recovered here with the spec's own steps (not the code under test).
    const v = parseVector('x25519', cctv.x25519!);
    const parsed = parseAgeFile(v.body);
    const s = parsed.stanzas[0]!;
    const raw = Buffer.from(bech32.decodeToBytes(v.identities[0]!).bytes);
    const priv = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' }, format: 'jwk' });
    const ours = Buffer.from(createPublicKey(priv).export({ format: 'jwk' }).x!, 'base64url');
    const share = Buffer.from(s.args[0]!, 'base64');
    const secret = diffieHellman({ privateKey: priv, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: share.toString('base64url') }, format: 'jwk' }) });
    const wrap = hkdf(secret, Buffer.concat([share, ours]), 'age-encryption.org/v1/X25519');
    const d = createDecipheriv('chacha20-poly1305', wrap, Buffer.alloc(12), { authTagLength: 16 });
    d.setAuthTag(s.body.subarray(16));
    const fileKey = Buffer.concat([d.update(s.body.subarray(0, 16)), d.final()]);
    const nonce = parsed.payload.subarray(0, 16);
    const plain = unwrapNative(v.body, [parseX25519Identity(v.identities[0]!)]) as Uint8Array;
    const again = writeAgeFile(fileKey, [{ type: s.type, args: s.args, body: s.body }], plain, nonce);
    expect(createHash('sha256').update(plain).digest('hex')).toBe(v.payload);
    expect(Buffer.from(again).equals(Buffer.from(v.body))).toBe(true);
  });

  it('round-trips payloads of 0, 1, 64 KiB and 64 KiB + 1 bytes, and stanza bodies that fill their last line', () => {
    const id = parseX25519Identity(x.identity);
    for (const n of [0, 1, 64 * 1024, 64 * 1024 + 1]) {
      const fileKey = randomBytes(16);
      const plain = randomBytes(n);
      const file = writeAgeFile(fileKey, [x25519Stanza(fileKey, x25519PublicKey(x.recipient)), { type: 'grease', args: ['a'], body: randomBytes(48) }], plain);
      expect(parseAgeFile(file).stanzas[1]!.body).toHaveLength(48);
      expect(Buffer.from(unwrapNative(file, [id]) as Uint8Array).equals(plain)).toBe(true);
    }
  });
});
