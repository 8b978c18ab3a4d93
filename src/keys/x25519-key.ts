/**
 * X25519 keys as node `KeyObject`s, read and written as raw 32-byte keys,
 * for every stanza that uses X25519: age's X25519 and the post-quantum
 * hybrid (keys/age/), and ssh-ed25519 (keys/ssh/).
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { pooledRandomBytes } from '../io/random-pool.js';

// PKCS#8 DER prefix of an RFC 8410 X25519 private key; the raw 32 bytes follow.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * A raw 32-byte scalar as a KeyObject. Raw keys go in (and the public key
 * comes out) as JWK: node reads those without OpenSSL's DER decoders, which
 * cost most of a millisecond on first use, and this runs on every app start.
 * The secret is briefly a base64url string, as it already is in the identity
 * text. Node reads `d` and ignores `x` for a private JWK; should a later
 * version check `x`, the DER path below still works.
 */
export function importX25519Secret(raw: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(raw).toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    const der = Buffer.concat([PKCS8_PREFIX, raw]);
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  }
}

/** A raw 32-byte X25519 public key (a recipient, a stanza's share) as a KeyObject, read in as JWK. */
export function importX25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** The raw 32-byte public key of an X25519 private or public key, read back as JWK. */
export function x25519PublicRaw(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return Buffer.from(pub.export({ format: 'jwk' }).x ?? '', 'base64url');
}

/**
 * X25519(privateKey, peer): the 32-byte shared secret, or null when the peer
 * is not a usable point: one node or OpenSSL refuses, or one that gives an
 * all-zero secret (a low-order point, which age forbids; OpenSSL refuses
 * those too, and this check does not rely on it).
 *
 * @param peer - A raw 32-byte public key (a stanza's share), or one already imported.
 */
export function x25519Shared(privateKey: KeyObject, peer: Uint8Array | KeyObject): Buffer | null {
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey: peer instanceof Uint8Array ? importX25519Public(peer) : peer });
  } catch {
    return null;
  }
  return secret.every((b) => b === 0) ? null : secret;
}

/**
 * A fresh key pair for one wrap: the private key, and its raw public key
 * (the stanza's share). Made from 32 random bytes, not with
 * `generateKeyPairSync`: on node 20 a garbage collection that lands inside a
 * key export can finalize an earlier key-generation job, whose destructor
 * waits for a lock the export holds, and the process hangs for good in a
 * futex wait, deaf to SIGTERM. That was the `encrypt` to 101 recipients
 * seen stuck in the bench; a loop of generateKeyPairSync('x25519') and a JWK
 * export hangs within some 15,000 rounds, this one not in 450,000.
 */
export function ephemeralX25519(): { privateKey: KeyObject; share: Buffer } {
  const scalar = pooledRandomBytes(32);
  const privateKey = importX25519Secret(scalar);
  scalar.fill(0);
  return { privateKey, share: x25519PublicRaw(privateKey) };
}
