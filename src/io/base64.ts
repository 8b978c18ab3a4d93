/**
 * Canonical standard base64 (RFC 4648 §4), the one spelling of each byte
 * string: what Go's `base64.StdEncoding` / `RawStdEncoding` and age accept,
 * and nothing that Node's lenient decoder would also take (whitespace,
 * URL-safe characters, stray or missing padding, non-zero spare bits).
 *
 * Checked with a table lookup instead of a regular expression: every app
 * launch decodes dozens of these (IVs, tags, stanza arguments, armor lines),
 * and each distinct regex costs a compilation on its first use.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const EQ = 0x3d;
/** Each ASCII code's 6-bit value, or -1. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * Decode canonical base64, or return null.
 *
 * @param s - The encoded text.
 * @param padded - true for padded base64 (length a multiple of 4, `=` or
 *   `==` at the end when needed, as sops's values and SSH keys are); false
 *   for unpadded (no `=` at all, as age writes header arguments and bodies).
 *   The empty string decodes to no bytes either way.
 */
export function decodeCanonicalBase64(s: string, padded: boolean): Buffer | null {
  let n = s.length;
  if (padded) {
    if (n % 4 !== 0) return null;
    if (n > 0 && s.charCodeAt(n - 1) === EQ) n -= s.charCodeAt(n - 2) === EQ ? 2 : 1;
  } else if (n % 4 === 1) {
    return null;
  }
  let last = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    last = c < 128 ? VALUE[c]! : -1;
    if (last < 0) return null;
  }
  // The bits of the last character that no byte uses must be zero: 4 of
  // them when it ends a group of 2 characters (1 byte), 2 after 3 (2 bytes).
  const rem = n % 4;
  if (rem === 1 || (rem === 2 && (last & 0b1111) !== 0) || (rem === 3 && (last & 0b11) !== 0)) return null;
  return Buffer.from(s, 'base64');
}

/**
 * Decode canonical unpadded base64 (age's header arguments, bodies and MAC),
 * or return null: {@link decodeCanonicalBase64} with `padded` false, as a
 * plain `Uint8Array` view of the bytes.
 *
 * @param s - The encoded text.
 * @returns The bytes, or null if `s` has padding, whitespace, a CR, a bad
 *   length or non-zero spare bits (all of which age rejects as malleable).
 */
export function decodeBase64NoPad(s: string): Uint8Array | null {
  const bytes = decodeCanonicalBase64(s, false);
  return bytes && new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Standard base64 without its `=` padding, as age writes header arguments,
 * bodies and the MAC: the one spelling {@link decodeBase64NoPad} accepts.
 *
 * @param bytes - The bytes to encode.
 */
export function encodeBase64NoPad(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === EQ) end--;
  return s.slice(0, end);
}
