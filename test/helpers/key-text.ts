/**
 * Key-shaped text for the tests of the secret scanner (`envcrypt check`),
 * built at run time so that no test file holds key material itself. These are
 * throwaway test keys: never use them to encrypt anything.
 */
import { bech32 } from '@scure/base';

/**
 * A throwaway age identity with a valid bech32 checksum, as `age-keygen`
 * writes one: its 32 secret bytes are all `fill`.
 */
export function throwawayAgeKey(fill = 1, opts: { pq?: boolean } = {}): string {
  const prefix = opts.pq ? 'AGE-SECRET-KEY-PQ-' : 'AGE-SECRET-KEY-';
  return bech32.encode(prefix, bech32.toWords(new Uint8Array(32).fill(fill))).toUpperCase();
}

/** `-----BEGIN ${kind}PRIVATE KEY-----` (pass `'RSA '`, `'OPENSSH '`, …; `''` for PKCS#8). */
export function beginPrivateKey(kind = ''): string {
  return `-----BEGIN ${kind}PRIVATE KEY-----`;
}

/** One 64-character line of base64, as the first line of a PEM body (the start of an OpenSSH key; not a usable key). */
export const KEY_DATA_LINE = Buffer.from(`openssh-key-v1\0${'\x01'.repeat(40)}`, 'latin1').toString('base64').slice(0, 64);

/** A private key block: the BEGIN line, then base64 key data on the next line. */
export function privateKeyBlock(kind = '', eol = '\n'): string {
  return `${beginPrivateKey(kind)}${eol}${KEY_DATA_LINE}${eol}`;
}
