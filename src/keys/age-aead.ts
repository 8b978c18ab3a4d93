/**
 * The two primitives age builds every file-key wrap and its payload on
 * (https://age-encryption.org/v1, "Conventions"): HKDF-SHA-256 to a 32-byte
 * key, and ChaCha20-Poly1305 with a 16-byte tag and no associated data. The
 * X25519, ssh-ed25519 and post-quantum stanzas, the header MAC key and the
 * STREAM payload all use them. keys/age and keys/ssh share this one
 * definition, which lives beside x25519-key.ts so that neither folder
 * imports the other.
 */

import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

const KEY_SIZE = 32;
const TAG_SIZE = 16;

/**
 * HKDF-SHA-256 (RFC 5869) to 32 bytes.
 *
 * @param ikm - The input keying material.
 * @param salt - The salt (empty for none).
 * @param info - The context string, e.g. `age-encryption.org/v1/X25519`.
 */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, KEY_SIZE));
}

/**
 * ChaCha20-Poly1305 seal (RFC 8439), no associated data.
 *
 * @returns The ciphertext, then the 16-byte tag.
 */
export function chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/**
 * ChaCha20-Poly1305 open (RFC 8439), no associated data.
 *
 * @param sealed - The ciphertext, then the 16-byte tag.
 * @returns The plaintext, or null when `sealed` is shorter than a tag or the
 *   tag does not verify (no unauthenticated byte is returned or kept).
 */
export function chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_SIZE) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const head = d.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([head, d.final()]);
  } catch {
    head.fill(0);
    return null;
  }
}
