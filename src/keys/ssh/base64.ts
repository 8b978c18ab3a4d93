const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict standard base64 (RFC 4648 §4, padded), as Go's `base64.StdEncoding` decodes it. */
export function decodeStrictBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  // Node ignores non-zero padding bits; Go rejects them. Check the bits the
  // padding leaves unused in the last character, without re-encoding.
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const last = ALPHABET.indexOf(s[s.length - pad - 1]!);
    if ((last & (pad === 1 ? 0b11 : 0b1111)) !== 0) return null;
  }
  return Buffer.from(s, 'base64');
}
