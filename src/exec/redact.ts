/**
 * Streaming secret redaction for `envcrypt exec --redact`: every occurrence
 * of a decrypted value in the child's output becomes `[REDACTED:KEY]`, even
 * when the output arrives in arbitrary pieces.
 *
 * Matching is on the UTF-8 bytes of each value, so it is byte-exact and
 * works on output that is not UTF-8 at all; every byte outside a match is
 * passed through unchanged. Because UTF-8 is self-synchronising, a value can
 * only match on character boundaries of UTF-8 output.
 *
 * Not covered: a value printed in another form (base64, URL-encoded, JSON
 * with escapes, split by colour codes or by the terminal), and values
 * shorter than {@link MIN_SECRET_LENGTH}.
 */

import { Transform } from 'node:stream';

/**
 * Values shorter than this many characters (code points) are not redacted.
 * A 1-3 character value (`1`, `80`, `dev`) occurs all over ordinary output;
 * replacing every occurrence would wreck the output and, worse, the pattern
 * of replacements would reveal the value (every "80" gone means the value
 * is "80"), which is more than leaving it alone reveals.
 */
export const MIN_SECRET_LENGTH = 4;

/** A byte-stream filter: feed chunks in order, then flush once at the end. */
export interface Redactor {
  /**
   * Take the next chunk and return the output that is now certain. Bytes at
   * the end that could still be the start of a value are held back (at most
   * {@link Redactor.maxHold} bytes) until the next call decides them.
   */
  push(chunk: Uint8Array): Buffer;
  /** End of input: return the held-back bytes, redacted where they match. */
  flush(): Buffer;
  /** The most bytes ever held back: the longest value's length in bytes minus one (0 when nothing is redacted). */
  readonly maxHold: number;
}

interface Pattern {
  bytes: Buffer;
  marker: Buffer;
}

const WAIT = Symbol('wait');

/**
 * Make a redactor for the values of `secrets` (key → value). Each value of
 * at least {@link MIN_SECRET_LENGTH} characters is replaced by
 * `[REDACTED:KEY]`; when two keys hold the same value, the first key names
 * it. Overlapping values are resolved like a left-to-right scan: the match
 * that starts first wins, and of those starting at the same byte the
 * longest, so `abcdef` is preferred to its prefix `abcd`. The result is the
 * same however the input is split into chunks.
 *
 * Cost, for n bytes of output and k values: each byte is first checked
 * with one table look-up (its first 2 bytes), then one hash look-up (its
 * first 4), so ordinary output is scanned in linear time whatever k is.
 * Where the first 4 bytes of some value do occur, the values are searched
 * as a sorted array (a trie in disguise): each further byte narrows the
 * candidates by binary search, and once one candidate is left the rest is
 * compared with native `memcmp`. That costs O(m log k) for a prefix of m
 * bytes shared by several values, so the worst case is O(n · L · log k)
 * with L the longest value, reached only by output that keeps repeating
 * long shared prefixes of values. Memory is the values and their markers
 * (O(total length), no per-byte nodes) plus at most {@link Redactor.maxHold}
 * held-back bytes; building sorts the values once.
 */
export function createRedactor(secrets: Readonly<Record<string, string>>): Redactor {
  const patterns: Pattern[] = [];
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(secrets)) {
    if ([...value].length < MIN_SECRET_LENGTH || seen.has(value)) continue;
    seen.add(value);
    patterns.push({ bytes: Buffer.from(value, 'utf8'), marker: Buffer.from(`[REDACTED:${key}]`, 'utf8') });
  }
  // Byte order: the values sharing a prefix form one run, a value sorts
  // before the longer values it is a prefix of.
  patterns.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const pairs = new Uint8Array(65536);
  const firsts = new Uint8Array(256);
  // First 4 bytes → the run [lo, hi) of values starting with them.
  const groups = new Map<number, [number, number]>();
  let longest = 0;
  patterns.forEach((p, i) => {
    firsts[p.bytes[0]!] = 1;
    pairs[p.bytes.readUInt16BE(0)] = 1;
    const k = p.bytes.readUInt32BE(0);
    const g = groups.get(k);
    if (g) g[1] = i + 1;
    else groups.set(k, [i, i + 1]);
    longest = Math.max(longest, p.bytes.length);
  });
  const maxHold = Math.max(0, longest - 1);

  // First index in [lo, hi) whose byte d is > b (or >= b when `strict` is false).
  // Every value in the range is longer than d.
  const bound = (lo: number, hi: number, d: number, b: number, strict: boolean): number => {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = patterns[mid]!.bytes[d]!;
      if (x < b || (strict && x === b)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  // The longest value starting at data[i], null for none, WAIT when a
  // longer one matches up to the end of the data and more data could decide.
  const matchAt = (data: Buffer, i: number, final: boolean): Pattern | null | typeof WAIT => {
    const n = data.length;
    const avail = n - i;
    if (avail >= 2 ? pairs[data.readUInt16BE(i)] === 0 : firsts[data[i]!] === 0) return null;
    let lo = 0;
    let hi = patterns.length;
    let d = 0;
    if (avail >= 4) {
      const g = groups.get(data.readUInt32BE(i));
      if (g === undefined) return null;
      [lo, hi] = g;
      d = 4;
    }
    // Invariant: the values in [lo, hi) are those whose first d bytes match.
    let best: Pattern | null = null;
    while (lo < hi) {
      const first = patterns[lo]!;
      if (first.bytes.length === d) {
        best = first;
        lo++;
        continue;
      }
      if (hi - lo === 1) {
        const len = first.bytes.length;
        if (len <= avail) return first.bytes.compare(data, i + d, i + len, d, len) === 0 ? first : best;
        return !final && first.bytes.compare(data, i + d, n, d, avail) === 0 ? WAIT : best;
      }
      if (d >= avail) return final ? best : WAIT;
      const b = data[i + d]!;
      lo = bound(lo, hi, d, b, false);
      hi = bound(lo, hi, d, b, true);
      d++;
    }
    return best;
  };

  let held: Buffer = Buffer.alloc(0);
  const scan = (data: Buffer, final: boolean): Buffer => {
    if (patterns.length === 0) return data;
    const out: Buffer[] = [];
    let raw = 0;
    let i = 0;
    while (i < data.length) {
      const m = matchAt(data, i, final);
      if (m === WAIT) break;
      if (m === null) {
        i++;
        continue;
      }
      out.push(data.subarray(raw, i), m.marker);
      i += m.bytes.length;
      raw = i;
    }
    out.push(data.subarray(raw, i));
    // A copy: `data` may be the caller's buffer, which they may reuse.
    held = Buffer.from(data.subarray(i));
    return Buffer.concat(out);
  };

  return {
    maxHold,
    push(chunk) {
      const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      return scan(held.length === 0 ? c : Buffer.concat([held, c]), false);
    },
    flush() {
      const rest = held;
      held = Buffer.alloc(0);
      return scan(rest, true);
    },
  };
}

/**
 * {@link createRedactor} as a `node:stream` Transform, for `.pipe()`.
 * Strings written to it are encoded as UTF-8 first.
 */
export function createRedactStream(secrets: Readonly<Record<string, string>>): Transform {
  const r = createRedactor(secrets);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const b = r.push(chunk);
      if (b.length > 0) this.push(b);
      done();
    },
    flush(done) {
      const b = r.flush();
      if (b.length > 0) this.push(b);
      done();
    },
  });
}
