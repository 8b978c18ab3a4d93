import { bech32 } from '@scure/base';

/** What a bech32 recipient string holds. */
export interface DecodedRecipient {
  /** The human-readable part, lower case (`age`, `age1pq`, `age1<plugin>`). */
  prefix: string;
  bytes: Uint8Array;
}

// Recipients are public, and the same few are decoded many times in one
// command (checked when parsed, compared with the file's, wrapped for, and
// read back): @scure/base allocates a few kB of arrays per decode, which an
// `encrypt` to 100 recipients paid in garbage collections. Bounded, so a
// long-lived library user never grows it without end.
const cache = new Map<string, DecodedRecipient | null>();
const CACHE_LIMIT = 4096;

/**
 * Decode a bech32 (not bech32m) recipient of up to 2,000 characters (post-quantum
 * recipients are long), or null when it is not valid bech32. The bytes are
 * a fresh copy for each caller.
 */
export function decodeBech32Recipient(s: string): DecodedRecipient | null {
  let hit = cache.get(s);
  if (hit === undefined) {
    hit = null;
    try {
      const d = bech32.decodeUnsafe(s, 2000);
      if (d) hit = { prefix: d.prefix, bytes: bech32.fromWords(d.words) };
    } catch {
      // Not bech32 (fromWords rejects non-zero padding): null.
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(s, hit);
  }
  return hit && { prefix: hit.prefix, bytes: hit.bytes.slice() };
}
