/** Strict standard base64 (RFC 4648 §4, padded), as Go's `base64.StdEncoding` decodes it. */
export function decodeStrictBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const buf = Buffer.from(s, 'base64');
  // Node ignores non-zero padding bits; Go rejects them, so compare the canonical re-encoding.
  return buf.toString('base64') === s ? buf : null;
}
