import { inflateSync } from 'node:zlib';
import * as cctv from 'cctv-age';

/** One C2SP CCTV age vector from the `cctv-age` package. */
export interface CctvVector {
  /** The vector's name (its export name in the package). */
  name: string;
  /** The header text: the "key: value" lines before the blank line. */
  header: string;
  /** The `expect:` field: `success`, `no match`, `header failure`, `armor failure`, … */
  expect: string;
  /** The `payload:` field (SHA-256 hex of the plaintext), when present. */
  payload?: string;
  /** Every `identity:` field, in order. */
  identities: string[];
  /** Every `passphrase:` field, in order. */
  passphrases: string[];
  /** True for `armored: yes`: the body is ASCII armor. */
  armored: boolean;
  /** The age file, already inflated when the vector says `compressed: zlib` (still armored when `armored`). */
  body: Uint8Array;
}

/**
 * Parses a CCTV age vector: "key: value" lines, a blank line, then the (maybe
 * zlib-compressed) file.
 *
 * @param name - the vector's name
 * @param raw - the vector's bytes as the package exports them
 */
export function parseVector(name: string, raw: Uint8Array): CctvVector {
  const buf = Buffer.from(raw);
  const split = buf.indexOf('\n\n');
  const header = buf.subarray(0, split).toString('utf8');
  const fields = new Map<string, string[]>();
  for (const line of header.split('\n')) {
    const at = line.indexOf(': ');
    const key = line.slice(0, at);
    fields.set(key, [...(fields.get(key) ?? []), line.slice(at + 2)]);
  }
  let body: Uint8Array = buf.subarray(split + 2);
  if (fields.get('compressed')?.[0] === 'zlib') body = inflateSync(body);
  const payload = fields.get('payload')?.[0];
  return {
    name,
    header,
    expect: fields.get('expect')?.[0] ?? '',
    ...(payload === undefined ? {} : { payload }),
    identities: fields.get('identity') ?? [],
    passphrases: fields.get('passphrase') ?? [],
    armored: fields.get('armored')?.[0] === 'yes',
    body,
  };
}

/** Every vector of the `cctv-age` package, parsed, in the package's export order. */
export function cctvVectors(): CctvVector[] {
  return Object.entries(cctv as unknown as Record<string, Uint8Array>).map(([name, raw]) => parseVector(name, raw));
}
