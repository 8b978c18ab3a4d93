/**
 * envcrypt's integrity record: one HMAC over everything a SOPS file says,
 * stored in the `sops` metadata as `envcrypt_integrity`.
 *
 * Why: the SOPS MAC hashes the values joined with no separator, and leaves
 * out key names, empty values, list structure, comments, the selector and
 * the recipient list. Someone who can push to the repository but holds no
 * key can change all of those without the MAC noticing. The record closes
 * that: it is keyed from the data key, so only a key holder can make one, and
 * it covers the whole file in an unambiguous encoding.
 *
 * sops ignores the field on read (its metadata structs have no such field and
 * its decoders drop unknown fields) and drops it when it rewrites a file;
 * envcrypt then reports "no integrity record" and adds it back on its next
 * write.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { EnvcryptError } from '../errors.js';
import { decodeCanonicalBase64 } from '../io/base64.js';
import type { Branch, Comment, Node, Pair } from '../tree/types.js';
import { scalarText } from '../tree/scalar-text.js';
import type { Metadata } from '../stores/metadata.js';

const VERSION = 'v1';
// Domain separation: the record's key is derived from the data key, never the data key itself.
const HKDF_INFO = 'envcrypt integrity record v1';
const HEADER = 'envcrypt-integrity-v1\n';

/** The metadata the record covers, besides the tree. */
export interface CoveredMetadata {
  readonly selector: { readonly kind: string; readonly value: string };
  readonly macOnlyEncrypted: boolean;
  readonly lastmodified: string;
  readonly mac: string;
  readonly version: string;
  /** Every age recipient of the file (any order: the record sorts them). */
  readonly recipients: readonly string[];
  /** Recipients envcrypt did not vouch for (any order). */
  readonly unverified: readonly string[];
  /** Number of key groups and the Shamir threshold (0 when unset). */
  readonly groups: number;
  readonly shamirThreshold: number;
  /** Non-age master keys and unknown metadata fields, as read. */
  readonly other: readonly Pair[];
  /**
   * With several key groups only: which keys are in which group (age
   * recipients in any order, other key types as read). The flat lists above
   * cannot see a recipient moved from one group to another, which changes
   * who holds which share. Absent for one group, so the records of
   * single-group files are unchanged.
   */
  readonly layout?: readonly { readonly recipients: readonly string[]; readonly other: readonly Pair[] }[];
}

/**
 * Where the encoding goes: pieces are gathered and handed on as UTF-16LE
 * bytes about every 64 Ki code units. The HMAC then reads a big file's
 * input in small chunks instead of as one string and one buffer of twice its
 * size (which were the peak memory of decrypting a 100,000-key file). UTF-16LE
 * maps each code unit on its own, so the bytes do not depend on where the
 * chunks are cut.
 */
class Pieces {
  // One rope string (V8 joins += pieces lazily), flattened once per chunk:
  // far less garbage per value than an array of small strings and an iterator.
  private text = '';
  private readonly sink: (bytes: Buffer) => void;

  constructor(sink: (bytes: Buffer) => void) {
    this.sink = sink;
  }

  push(...parts: string[]): void {
    for (let i = 0; i < parts.length; i++) this.text += parts[i]!;
    if (this.text.length >= 65536) this.flush();
  }

  flush(): void {
    if (this.text.length > 0) this.sink(Buffer.from(this.text, 'utf16le'));
    this.text = '';
  }
}

// Netstring-style pieces: a tag, then for text its length in UTF-16 code units
// and the text. The whole string is hashed as UTF-16LE, which maps every JS
// string (lone surrogates included) to distinct bytes, so the encoding is
// unambiguous: no two different files produce the same input to the HMAC.
function text(out: Pieces, tag: string, s: string): void {
  out.push(tag, String(s.length), ':', s);
}

function encodeComment(out: Pieces, c: Comment): void {
  text(out, c.inline ? 'C' : 'c', c.text);
}

function encodeNode(out: Pieces, n: Node, loose: boolean): void {
  switch (n.kind) {
    case 'map':
      out.push('m', String(n.items.length), ';');
      for (const it of n.items) {
        if (it.kind === 'comment') encodeComment(out, it);
        else {
          text(out, 'k', it.key);
          encodeNode(out, it.value, loose);
        }
      }
      return;
    case 'list':
      out.push('l', String(n.items.length), ';');
      for (const it of n.items) {
        if (it.kind === 'comment') encodeComment(out, it);
        else encodeNode(out, it, loose);
      }
      return;
    case 'null':
      out.push('n');
      return;
    default:
      // Metadata of other key types is compared as text: a dotenv file holds every field as a string.
      text(out, loose ? 'v' : n.kind[0]!, scalarText(n, floatText));
  }
}

// Exact for every double: the shortest text that reads back as the same number.
function floatText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function sorted(xs: readonly string[]): string[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A set of strings (recipients, unverified ones): its size, then each, sorted. */
function encodeSet(out: Pieces, tag: string, xs: readonly string[]): void {
  const s = sorted(xs);
  out.push(tag, String(s.length), ';');
  for (const x of s) text(out, tag, x);
}

/** Key types envcrypt keeps but does not use (pgp, kms, …), in file order. */
function encodeOthers(out: Pieces, other: readonly Pair[]): void {
  out.push('x', String(other.length), ';');
  for (const p of other) {
    text(out, 'k', p.key);
    encodeNode(out, p.value, true);
  }
}

/** Feed the bytes the record authenticates to `sink`, in order, in chunks. */
function encodeInput(branches: readonly Branch[], md: CoveredMetadata, sink: (bytes: Buffer) => void): void {
  const out = new Pieces(sink);
  out.push(HEADER);
  out.push('d', String(branches.length), ';');
  for (const b of branches) encodeNode(out, b, false);
  text(out, 's', md.selector.kind);
  text(out, 's', md.selector.value);
  out.push(md.macOnlyEncrypted ? 'o1' : 'o0');
  text(out, 't', md.lastmodified);
  text(out, 'M', md.mac);
  text(out, 'V', md.version);
  out.push('g', String(md.groups), ';', String(md.shamirThreshold), ';');
  encodeSet(out, 'r', md.recipients);
  encodeSet(out, 'u', md.unverified);
  encodeOthers(out, md.other);
  if (md.layout !== undefined) {
    out.push('G', String(md.layout.length), ';');
    for (const g of md.layout) {
      encodeSet(out, 'r', g.recipients);
      encodeOthers(out, g.other);
    }
  }
  out.flush();
}

/** The exact bytes the record authenticates (exported for tests). */
export function integrityInput(branches: readonly Branch[], md: CoveredMetadata): Buffer {
  const chunks: Buffer[] = [];
  encodeInput(branches, md, (b) => chunks.push(b));
  return Buffer.concat(chunks);
}

/** What the record covers of a file's metadata (everything but the wrapped keys and the record itself). */
export function coveredOf(md: Metadata): CoveredMetadata {
  return {
    selector: md.selector,
    macOnlyEncrypted: md.macOnlyEncrypted,
    lastmodified: md.lastmodified,
    mac: md.mac,
    version: md.version,
    recipients: md.groups.flatMap((g) => g.age.map((e) => e.recipient)),
    unverified: md.unverified,
    groups: md.groups.length,
    shamirThreshold: md.shamirThreshold ?? 0,
    other: [...md.groups.flatMap((g) => g.other), ...md.extra],
    ...(md.groups.length > 1 ? { layout: md.groups.map((g) => ({ recipients: g.age.map((e) => e.recipient), other: g.other })) } : {}),
  };
}

function recordKey(dataKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, new Uint8Array(0), HKDF_INFO, 32));
}

function mac(branches: readonly Branch[], md: CoveredMetadata, dataKey: Uint8Array): Buffer {
  const h = createHmac('sha256', recordKey(dataKey));
  encodeInput(branches, md, (b) => h.update(b));
  return h.digest();
}

/** The record for an encrypted tree and its metadata: `v1:` and a base64 HMAC-SHA256. */
export function integrityRecord(branches: readonly Branch[], md: CoveredMetadata, dataKey: Uint8Array): string {
  return `${VERSION}:${mac(branches, md, dataKey).toString('base64')}`;
}

/**
 * Check a record against the encrypted tree and metadata as read.
 *
 * @throws EnvcryptError `MAC_MISMATCH` (exit 3) when it does not match or is
 *   not a record this version understands
 */
export function verifyIntegrity(record: string, branches: readonly Branch[], md: CoveredMetadata, dataKey: Uint8Array): void {
  const hints = [
    'key names, values, comments, the selector or the recipient list were changed by someone without the data key, or by a hand-resolved merge',
    'compare the file with its last good version in git before using it',
  ];
  // Canonical base64 of the 32-byte HMAC only: no other spelling of the same bytes.
  const want = record.startsWith(`${VERSION}:`) ? decodeCanonicalBase64(record.slice(VERSION.length + 1), true) : null;
  if (want === null || want.length !== 32) {
    const other = /^v\d+:/.test(record) && !record.startsWith(`${VERSION}:`);
    throw new EnvcryptError('MAC_MISMATCH', other ? `the integrity record is of a newer kind (${record.split(':')[0]}) than this envcrypt reads` : 'the integrity record is malformed', {
      hints: other ? ['upgrade envcrypt'] : hints,
    });
  }
  if (!timingSafeEqual(want, mac(branches, md, dataKey))) {
    throw new EnvcryptError('MAC_MISMATCH', 'the integrity record does not match the file', { hints });
  }
}
