/**
 * SSH keys as age uses them: `ssh-ed25519` and `ssh-rsa` public keys from
 * authorized_keys-style lines, and private keys in the OpenSSH format
 * (`-----BEGIN OPENSSH PRIVATE KEY-----`) or PEM PKCS#1/PKCS#8.
 *
 * Formats: RFC 4253 §6.6 and RFC 8709 (public key blobs), sshd(8)
 * "AUTHORIZED_KEYS FILE FORMAT", OpenSSH `PROTOCOL.key` (private keys).
 * Errors name the file (or say "ssh public key") and never quote the input,
 * which may be a secret pasted in the wrong place.
 */

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeCanonicalBase64 } from '../../io/base64.js';
import { EnvcryptError } from '../../errors.js';
import { decryptOpenSshSection, openSshCipher } from './bcrypt.js';
import { bigintToBytes, bytesToBigint, wireEncode, wireReader, type WireReader } from './wire.js';

/** An `ssh-ed25519` public key. */
export interface SshEd25519PublicKey {
  readonly type: 'ssh-ed25519';
  /** The SSH wire encoding (the decoded base64 of the authorized_keys line). */
  readonly wire: Uint8Array;
  /** The raw 32-byte Ed25519 public key. */
  readonly key: Uint8Array;
  /** The comment after the key, or `''`. */
  readonly comment: string;
}

/** An `ssh-rsa` public key. */
export interface SshRsaPublicKey {
  readonly type: 'ssh-rsa';
  /** The SSH wire encoding (the decoded base64 of the authorized_keys line). */
  readonly wire: Uint8Array;
  /** The key, ready for `publicEncrypt`. */
  readonly key: KeyObject;
  /** The modulus size in bits. */
  readonly bits: number;
  /** The comment after the key, or `''`. */
  readonly comment: string;
}

/** A public key of a type age can encrypt to. */
export type SshPublicKey = SshEd25519PublicKey | SshRsaPublicKey;

/** A decoded private key. Secrets stay inside node `KeyObject`s, which never print. */
export type SshPrivateKey =
  | { readonly type: 'ssh-ed25519'; readonly publicKey: SshEd25519PublicKey; readonly key: KeyObject }
  | { readonly type: 'ssh-rsa'; readonly publicKey: SshRsaPublicKey; readonly key: KeyObject };

/** A private key file: readable now, or protected by a passphrase. */
export type SshPrivateKeyFile =
  | { readonly encrypted: false; readonly key: SshPrivateKey }
  | {
      readonly encrypted: true;
      /** The public key, when the format stores it in the clear (OpenSSH does, PEM does not). */
      readonly publicKey: SshPublicKey | null;
      /**
       * Decrypt with a passphrase.
       * @throws {@link EnvcryptError} `BAD_KEY` if the passphrase is wrong or the key is damaged.
       */
      decrypt(passphrase: string): SshPrivateKey;
    };

/** The accepted public key forms, for messages. */
export const SSH_PUBLIC_KEY_FORMS = '"ssh-ed25519 AAAA… [comment]" or "ssh-rsa AAAA… [comment]"';

const PUBLIC_HINTS = [
  `accepted ssh public keys are one line, ${SSH_PUBLIC_KEY_FORMS}, as in a .pub or authorized_keys file`,
  '"ssh-keygen -y -f <private key file>" prints the public key of a private key',
];
const SUPPORTED_HINT = 'age supports ssh-ed25519 and ssh-rsa ssh keys only; "ssh-keygen -t ed25519" makes a new one';
const MIN_RSA_BITS = 1024;
const OPENSSH_MAGIC = 'openssh-key-v1\0';
// DER prefix of an RFC 8410 PKCS#8 Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Builds the `BAD_KEY` error for one input; `extra` replaces the default hints or adds a cause. */
export type Fail = (why: string, extra?: { hints?: string[]; cause?: unknown }) => EnvcryptError;

const publicFail: Fail = (why, extra = {}) =>
  new EnvcryptError('BAD_KEY', `not a valid ssh public key: ${why}; expected ${SSH_PUBLIC_KEY_FORMS}`, { hints: PUBLIC_HINTS, ...extra });

function privateFail(source: string): Fail {
  return (why, extra = {}) => new EnvcryptError('BAD_KEY', `cannot use ssh key ${source}: ${why}`, { file: source, ...extra });
}

/** A key type name fit to print: type names are public, but an odd blob may hold anything. */
function printableType(t: string): string {
  return /^[A-Za-z0-9@._-]{1,64}$/.test(t) ? `"${t}"` : '(unreadable)';
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/**
 * Decode a public key blob (RFC 4253 §6.6).
 *
 * @param wire - The blob.
 * @param comment - The comment to attach.
 * @param fail - Builds the error for a bad blob.
 * @returns The typed key.
 */
export function publicKeyFromWire(wire: Uint8Array, comment: string, fail: Fail): SshPublicKey {
  const r = wireReader(wire, fail);
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const key = r.string();
    if (key.length !== 32) throw fail('its ed25519 key is not 32 bytes');
    if (!r.done()) throw fail('its data has trailing bytes');
    return { type, wire, key, comment };
  }
  if (type === 'ssh-rsa') {
    const e = r.mpint();
    const n = r.mpint();
    if (!r.done()) throw fail('its data has trailing bytes');
    return { type, wire, ...rsaPublic(n, e, fail), comment };
  }
  throw fail(`it has the unsupported key type ${printableType(type)}`, { hints: [SUPPORTED_HINT] });
}

function rsaPublic(n: bigint, e: bigint, fail: Fail): { key: KeyObject; bits: number } {
  const bits = n.toString(2).length;
  if (bits < MIN_RSA_BITS) throw fail(`its rsa modulus is ${bits} bits, less than ${MIN_RSA_BITS}`);
  // The same bounds as Go's x/crypto/ssh, which the age CLI uses.
  if (e < 3n || e % 2n === 0n || e >= 1n << 31n) throw fail('its rsa public exponent is invalid');
  const key = createPublicKey({ key: { kty: 'RSA', n: b64url(bigintToBytes(n)), e: b64url(bigintToBytes(e)) }, format: 'jwk' });
  return { key, bits };
}

/** Skip one authorized_keys options field (`no-pty,command="a b"`): it ends at unquoted whitespace. */
function skipOptions(s: string): string {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && /\s/.test(c)) return s.slice(i).trimStart();
  }
  return '';
}

const KEY_TYPE_TOKEN = /^(?:ssh|ecdsa|sk|rsa)-[A-Za-z0-9@._-]+$/;

/**
 * Parse one public key line: `[options] type base64 [comment]`, as in a
 * `.pub` file or `authorized_keys`.
 *
 * @param line - The line (surrounding whitespace is ignored).
 * @returns The key, with its comment.
 * @throws {@link EnvcryptError} `BAD_KEY` naming the accepted forms if the
 * line is malformed or of another key type.
 */
export function parseSshPublicKey(line: string): SshPublicKey {
  let s = line.trim();
  if (s === '') throw publicFail('it is empty');
  if (/PRIVATE KEY-----/.test(s)) {
    throw new EnvcryptError('BAD_KEY', 'expected an ssh public key but got a private key', {
      hints: [PUBLIC_HINTS[1]!, 'never share a private key'],
    });
  }
  if (s.includes('\n')) throw publicFail('it spans several lines');
  if (!KEY_TYPE_TOKEN.test(s.split(/\s/, 1)[0]!)) s = skipOptions(s);
  const [type = '', blob, ...comment] = s.split(/\s+/);
  if (!KEY_TYPE_TOKEN.test(type)) throw publicFail('it does not start with a key type');
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa') {
    throw new EnvcryptError('BAD_KEY', `unsupported ssh key type ${printableType(type)}; expected ${SSH_PUBLIC_KEY_FORMS}`, {
      hints: [SUPPORTED_HINT],
    });
  }
  if (blob === undefined) throw publicFail('the base64 key data is missing');
  const wire = decodeCanonicalBase64(blob, true);
  if (wire === null) throw publicFail('the key data is not valid base64');
  const key = publicKeyFromWire(new Uint8Array(wire), comment.join(' '), publicFail);
  if (key.type !== type) throw publicFail(`the line says ${type} but its key data is ${key.type}`);
  return key;
}

/** `type base64` (no comment): the canonical recipient text of a public key. */
export function formatSshPublicKey(key: SshPublicKey): string {
  return `${key.type} ${Buffer.from(key.wire).toString('base64')}`;
}

/**
 * Parse a private key file: OpenSSH (`openssh-key-v1`, one key) or PEM
 * PKCS#1 / PKCS#8, holding an Ed25519 or RSA key.
 *
 * @param text - The file's text.
 * @param source - The file name, for messages.
 * @returns The key, or a handle to decrypt it if it is passphrase-protected.
 * @throws {@link EnvcryptError} `BAD_KEY` if the text is not such a key.
 */
export function parseSshPrivateKey(text: string, source: string): SshPrivateKeyFile {
  const fail = privateFail(source);
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (m === null) {
    if (/^\s*(?:ssh|ecdsa|sk)-\S+\s/.test(text)) throw fail('it is a public key; give the private key file (without .pub)');
    throw fail('it holds no "-----BEGIN … PRIVATE KEY-----" block');
  }
  const [block, label, body] = m as unknown as [string, string, string];
  switch (label) {
    case 'OPENSSH PRIVATE KEY': {
      const bytes = /^[A-Za-z0-9+/=\s]*$/.test(body) ? decodeCanonicalBase64(body.replace(/\s+/g, ''), true) : null;
      if (bytes === null) throw fail('its base64 data is malformed');
      return parseOpenSsh(new Uint8Array(bytes), fail);
    }
    case 'RSA PRIVATE KEY':
    case 'PRIVATE KEY':
    case 'ENCRYPTED PRIVATE KEY':
      return parsePem(block, label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(body), fail);
    case 'EC PRIVATE KEY':
    case 'DSA PRIVATE KEY':
      throw fail(`it holds an unsupported ${label.split(' ')[0]!.toLowerCase()} key`, { hints: [SUPPORTED_HINT] });
    default:
      throw fail(`it holds a "${label}" block, not a private key`);
  }
}

function parseOpenSsh(bytes: Uint8Array, fail: Fail): SshPrivateKeyFile {
  if (Buffer.from(bytes.subarray(0, OPENSSH_MAGIC.length)).toString('latin1') !== OPENSSH_MAGIC) {
    throw fail('it is not in the openssh-key-v1 format');
  }
  const r = wireReader(bytes.subarray(OPENSSH_MAGIC.length), fail);
  const cipher = r.text();
  const kdf = r.text();
  const kdfOptions = r.string();
  const count = r.u32();
  if (count !== 1) throw fail(`it holds ${count} keys; only files with one key are supported`);
  const publicKey = publicKeyFromWire(r.string(), '', fail);
  const section = r.string();
  if (cipher === 'none') {
    if (kdf !== 'none' || !r.done()) throw fail('its header is malformed');
    return { encrypted: false, key: privateSection(section, 8, publicKey, false, fail) };
  }
  const spec = openSshCipher(cipher, kdf, fail);
  return {
    encrypted: true,
    publicKey,
    decrypt: (passphrase) => {
      const plain = decryptOpenSshSection(spec, kdfOptions, section, passphrase, fail);
      return privateSection(plain, spec.blockSize, publicKey, true, fail);
    },
  };
}

/** The (decrypted) private section: check ints, one key, comment, padding 1, 2, 3… */
function privateSection(
  section: Uint8Array,
  blockSize: number,
  publicKey: SshPublicKey,
  encrypted: boolean,
  fail: Fail,
): SshPrivateKey {
  if (section.length % blockSize !== 0) throw fail('its private section has a bad length');
  const r = wireReader(section, fail);
  // Equal check ints are how OpenSSH tells a right passphrase from a wrong one.
  if (r.u32() !== r.u32()) throw fail(encrypted ? 'the passphrase is wrong' : 'its private section is corrupt');
  const type = r.text();
  if (type !== publicKey.type) throw fail('its private and public halves disagree');
  const key = type === 'ssh-ed25519' ? ed25519Private(r, publicKey as SshEd25519PublicKey, fail) : rsaPrivate(r, publicKey as SshRsaPublicKey, fail);
  const comment = r.text();
  const pad = r.rest();
  if (pad.some((b, i) => b !== i + 1)) throw fail('its private section has bad padding');
  return { ...key, publicKey: { ...key.publicKey, comment } } as SshPrivateKey;
}

function ed25519Private(r: WireReader, publicKey: SshEd25519PublicKey, fail: Fail): SshPrivateKey {
  const pub = r.string();
  const both = r.string();
  // OpenSSH stores seed ‖ public key; all three copies of the public key must agree.
  if (both.length !== 64 || !Buffer.from(pub).equals(publicKey.key) || !Buffer.from(both.subarray(32)).equals(pub)) {
    throw fail('its private and public halves disagree');
  }
  const key = ed25519FromSeed(both.subarray(0, 32), fail);
  if (!Buffer.from(ed25519PublicOf(key)).equals(pub)) throw fail('its private and public halves disagree');
  return { type: 'ssh-ed25519', publicKey, key };
}

function rsaPrivate(r: WireReader, publicKey: SshRsaPublicKey, fail: Fail): SshPrivateKey {
  const [n, e, d, iqmp, p, q] = [r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()];
  if (!Buffer.from(wireEncode('ssh-rsa', e, n)).equals(publicKey.wire) || p < 2n || q < 2n || p * q !== n) {
    throw fail('its private and public halves disagree');
  }
  // node does not check the CRT parts, and a damaged d or iqmp would only show later as failed decryptions.
  if ((e * d) % (p - 1n) !== 1n || (e * d) % (q - 1n) !== 1n || (iqmp * q) % p !== 1n) {
    throw fail('its rsa private key is inconsistent');
  }
  const jwk = {
    kty: 'RSA',
    ...Object.fromEntries(
      Object.entries({ n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: iqmp }).map(([k, v]) => [k, b64url(bigintToBytes(v))]),
    ),
  };
  try {
    return { type: 'ssh-rsa', publicKey, key: createPrivateKey({ key: jwk, format: 'jwk' }) };
  } catch (cause) {
    throw fail('its rsa key is invalid', { cause });
  }
}

function ed25519FromSeed(seed: Uint8Array, fail: Fail): KeyObject {
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw fail('its ed25519 key is invalid');
  } finally {
    der.fill(0);
  }
}

function ed25519PublicOf(key: KeyObject): Uint8Array {
  return Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url');
}

function parsePem(block: string, encrypted: boolean, fail: Fail): SshPrivateKeyFile {
  const load = (passphrase?: string): SshPrivateKey => {
    let key: KeyObject;
    try {
      key = createPrivateKey(passphrase === undefined ? { key: block, format: 'pem' } : { key: block, format: 'pem', passphrase });
    } catch (cause) {
      const why = encrypted ? 'the passphrase is wrong or its PEM data is malformed' : 'its PEM data is malformed';
      throw fail(why, { cause });
    }
    return fromKeyObject(key, fail);
  };
  return encrypted ? { encrypted: true, publicKey: null, decrypt: load } : { encrypted: false, key: load() };
}

function fromKeyObject(key: KeyObject, fail: Fail): SshPrivateKey {
  if (key.asymmetricKeyType === 'ed25519') {
    const raw = ed25519PublicOf(key);
    const publicKey = publicKeyFromWire(wireEncode('ssh-ed25519', raw), '', fail) as SshEd25519PublicKey;
    return { type: 'ssh-ed25519', publicKey, key };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const jwk = key.export({ format: 'jwk' });
    const [n, e] = [jwk.n, jwk.e].map((v) => bytesToBigint(Buffer.from(v ?? '', 'base64url'))) as [bigint, bigint];
    const publicKey = publicKeyFromWire(wireEncode('ssh-rsa', e, n), '', fail) as SshRsaPublicKey;
    return { type: 'ssh-rsa', publicKey, key };
  }
  throw fail(`it holds an unsupported ${key.asymmetricKeyType ?? 'unknown'} key`, { hints: [SUPPORTED_HINT] });
}
