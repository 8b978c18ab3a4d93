/**
 * The SSH wire encoding (RFC 4251 §5): big-endian `uint32`, length-prefixed
 * `string` and two's-complement `mpint`. Used by the SSH key parsers; errors
 * are built by the caller's `fail`, so they never quote the bytes read.
 */

import type { EnvcryptError } from '../../errors.js';

/** Reads SSH wire fields in order; every read past the end calls `fail`. */
export interface WireReader {
  /** A big-endian 32-bit unsigned integer. */
  u32(): number;
  /** Exactly `n` raw bytes. */
  bytes(n: number): Uint8Array;
  /** A `uint32` length followed by that many bytes. */
  string(): Uint8Array;
  /** A `string` decoded as UTF-8. */
  text(): string;
  /** A non-negative `mpint`; negative values call `fail`. */
  mpint(): bigint;
  /** The unread bytes, consuming them. */
  rest(): Uint8Array;
  /** True when every byte was read. */
  done(): boolean;
}

/**
 * Make a reader over `buf`.
 *
 * @param buf - The encoded bytes.
 * @param fail - Builds the error thrown for a truncated or invalid field.
 * @returns A {@link WireReader} positioned at the start.
 */
export function wireReader(buf: Uint8Array, fail: (why: string) => EnvcryptError): WireReader {
  let off = 0;
  const take = (n: number): Uint8Array => {
    if (n < 0 || off + n > buf.length) throw fail('its data is truncated');
    const out = buf.subarray(off, off + n);
    off += n;
    return out;
  };
  const u32 = (): number => {
    const b = take(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  };
  const string = (): Uint8Array => take(u32());
  return {
    u32,
    bytes: take,
    string,
    text: () => new TextDecoder().decode(string()),
    mpint: () => {
      const b = string();
      if (b.length > 0 && (b[0]! & 0x80) !== 0) throw fail('it holds a negative integer');
      return bytesToBigint(b);
    },
    rest: () => take(buf.length - off),
    done: () => off === buf.length,
  };
}

/** Unsigned big-endian bytes → bigint (empty is zero). */
export function bytesToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}

/** Non-negative bigint → minimal unsigned big-endian bytes (zero is empty). */
export function bigintToBytes(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 1 ? '0' + hex : hex, 'hex');
}

/** Encode SSH wire fields: a `string` per byte array, an `mpint` per bigint. */
export function wireEncode(...fields: (Uint8Array | string | bigint)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    let body: Uint8Array;
    if (typeof f === 'bigint') {
      body = bigintToBytes(f);
      // A set top bit would read as negative, so mpint adds a zero byte (RFC 4251 §5).
      if (body.length > 0 && (body[0]! & 0x80) !== 0) body = Buffer.concat([Buffer.of(0), body]);
    } else {
      body = typeof f === 'string' ? Buffer.from(f, 'utf8') : f;
    }
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    parts.push(len, body);
  }
  return new Uint8Array(Buffer.concat(parts));
}
