/**
 * age's X25519 recipient stanza, written with `node:crypto` alone
 * (https://age-encryption.org/v1, "X25519 recipient stanza"): so `encrypt`,
 * `set`, `edit`, `rotate` and `recipients` wrap a data key without loading
 * `age-encryption`. Unwrapping is in native.ts.
 */

import type { KeyObject } from 'node:crypto';
import { EnvcryptError } from '../../errors.js';
import { decodeBech32Recipient } from '../bech32-recipient.js';
import { ephemeralX25519, importX25519Public, x25519Shared } from '../x25519-key.js';
import { encodeBase64NoPad } from '../../io/base64.js';
import { chachaSeal, hkdf } from '../age-aead.js';
import type { OutStanza } from './write.js';

const X25519_LABEL = 'age-encryption.org/v1/X25519';
const KEY_SIZE = 32;
const ZERO_NONCE = Buffer.alloc(12);

/**
 * An `age1…` recipient as a public key, ready to wrap file keys for.
 *
 * @param recipient - The bech32 `age1…` string.
 * @returns The raw public key and its node `KeyObject`.
 * @throws {@link EnvcryptError} `BAD_KEY` for a malformed recipient.
 */
export function x25519PublicKey(recipient: string): { raw: Uint8Array; key: KeyObject } {
  const d = decodeBech32Recipient(recipient);
  const raw = d?.prefix === 'age' ? d.bytes : new Uint8Array(0);
  if (raw.length !== KEY_SIZE) throw new EnvcryptError('BAD_KEY', `malformed X25519 recipient "${recipient.slice(0, 12)}…"`);
  return { raw, key: importX25519Public(raw) };
}

/**
 * Wrap a file key for one X25519 recipient, as age does: an ephemeral key
 * pair, X25519 with the recipient, HKDF-SHA256 over (share ‖ recipient),
 * ChaCha20-Poly1305 under a zero nonce (safe: every wrapping key is fresh).
 *
 * @param fileKey - The 16-byte file key.
 * @param recipient - From {@link x25519PublicKey}.
 * @returns The `X25519` stanza.
 * @throws {@link EnvcryptError} `BAD_KEY` for a low-order recipient key.
 */
export function x25519Stanza(fileKey: Uint8Array, recipient: { raw: Uint8Array; key: KeyObject }): OutStanza {
  const eph = ephemeralX25519();
  const share = eph.share;
  const secret = x25519Shared(eph.privateKey, recipient.key);
  // age refuses a recipient that makes the shared secret all zeros (a low-order point).
  if (secret === null) throw new EnvcryptError('BAD_KEY', 'not a usable X25519 recipient: its public key is a low-order point');
  const wrapKey = hkdf(secret, Buffer.concat([share, recipient.raw]), X25519_LABEL);
  secret.fill(0);
  const body = chachaSeal(wrapKey, ZERO_NONCE, fileKey);
  wrapKey.fill(0);
  return { type: 'X25519', args: [encodeBase64NoPad(share)], body };
}
