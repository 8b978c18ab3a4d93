/**
 * A fast path that decrypts age files for X25519 identities with `node:crypto`
 * alone. Importing `age-encryption` costs about 100 ms (it loads WebCrypto and
 * WebStreams), which `envcrypt exec` would pay on every start; this module
 * does the common case without it and says `'unsupported'` when the general
 * path (`age-encryption`: post-quantum, scrypt, SSH) is needed.
 *
 * It MUST NOT import `age-encryption`, directly or indirectly.
 *
 * Spec: https://age-encryption.org/v1 ("X25519 recipient stanza", "Header
 * MAC", "Payload"). Behaviour is pinned by the C2SP CCTV age vectors.
 */

import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { EnvcryptError } from '../../errors.js';
import { importX25519Secret, x25519PublicRaw, x25519Shared } from '../x25519-key.js';
import { decodeBase64NoPad } from '../../io/base64.js';
import { chachaOpen, hkdf } from '../age-aead.js';
import { parseAgeFile, type AgeFile, type AgeStanza } from './header.js';

/** A parsed `AGE-SECRET-KEY-1…` identity. The secret never leaves the `KeyObject`. */
export interface X25519Identity {
  /** Always `'X25519'`. */
  readonly type: 'X25519';
  /** The private scalar, as a node `KeyObject` (it prints and serialises as nothing). */
  readonly secretKey: KeyObject;
  /** The raw 32-byte public key (part of the HKDF salt); {@link x25519Recipient} spells it. */
  readonly publicKey: Uint8Array;
}

/**
 * An identity of another type that opens its own stanzas synchronously (an
 * SSH key, a post-quantum key): typage's `Identity.unwrapFileKey` contract,
 * without the promise.
 */
export interface StanzaOpener {
  readonly type: 'opener';
  /**
   * @param stanzas - Every stanza of the header, in file order.
   * @returns The file key, or null when no stanza is this identity's.
   * @throws {@link EnvcryptError} when a stanza is this identity's but broken.
   */
  open(stanzas: readonly AgeStanza[]): Uint8Array | null;
}

/** What {@link unwrapNative} tries: X25519 identities, and openers of other types. */
export type NativeIdentity = X25519Identity | StanzaOpener;

/**
 * Stanza types that identities of the general path (`age-encryption`, the
 * SSH key type) can unwrap. When a file has one of these and no X25519 stanza
 * matched, {@link unwrapNative} answers `'unsupported'` instead of null.
 */
export const GENERAL_PATH_STANZA_TYPES: ReadonlySet<string> = new Set([
  'mlkem768x25519',
  'mlkem768p256tag',
  'p256tag',
  'scrypt',
  'ssh-ed25519',
  'ssh-rsa',
]);

const IDENTITY_PREFIX = 'AGE-SECRET-KEY-1';
const X25519_LABEL = 'age-encryption.org/v1/X25519';
const KEY_SIZE = 32;
const FILE_KEY_SIZE = 16;
const TAG_SIZE = 16;
const NONCE_SIZE = 16;
const CHUNK_SIZE = 64 * 1024;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const ZERO_NONCE = Buffer.alloc(12);

function badKey(fact: string, hints: string[] = []): EnvcryptError {
  return new EnvcryptError('BAD_KEY', fact, { hints });
}

function failed(fact: string): EnvcryptError {
  return new EnvcryptError('DECRYPT_FAILED', fact);
}

/**
 * Parse an `AGE-SECRET-KEY-1…` line (surrounding whitespace is ignored).
 *
 * @param line - One identity, as written by `age-keygen`.
 * @returns The identity, holding its secret as a node `KeyObject`.
 * @throws {@link EnvcryptError} `BAD_KEY` if the line is not an uppercase,
 *   checksummed bech32 X25519 identity; the message never quotes the line.
 */
export function parseX25519Identity(line: string): X25519Identity {
  const s = line.trim();
  if (s.startsWith('AGE-SECRET-KEY-PQ-1')) {
    throw badKey('not an X25519 age identity: this is a post-quantum identity', ['post-quantum identities are decrypted by the general age path']);
  }
  if (!s.startsWith(IDENTITY_PREFIX)) {
    const hints = s.toUpperCase().startsWith(IDENTITY_PREFIX) ? ['age identities are written in uppercase'] : [];
    throw badKey(`not an X25519 age identity: it does not start with ${IDENTITY_PREFIX}`, hints);
  }
  let raw: Uint8Array;
  try {
    // Upper case only (bech32 forbids mixed case), decoded in lower case: the
    // same check @scure/base makes, without the regex it compiles for it.
    if (s !== s.toUpperCase()) throw new Error('case');
    const decoded = bech32.decodeToBytes(s.toLowerCase() as `${string}1${string}`);
    if (decoded.prefix !== 'age-secret-key-') throw new Error('prefix');
    raw = decoded.bytes;
  } catch {
    // @scure/base quotes the whole input in its messages: drop them, keep no cause.
    throw badKey('malformed X25519 age identity: bad bech32 encoding or checksum', ['copy the whole AGE-SECRET-KEY-1… line again from the key file']);
  }
  if (raw.length !== KEY_SIZE) {
    raw.fill(0);
    throw badKey(`malformed X25519 age identity: it encodes ${raw.length} bytes instead of ${KEY_SIZE}`);
  }
  const secretKey = importX25519Secret(raw);
  raw.fill(0);
  const publicKey = new Uint8Array(x25519PublicRaw(secretKey));
  if (publicKey.length !== KEY_SIZE) throw badKey('malformed X25519 age identity: no public key could be derived from it');
  return Object.freeze({ type: 'X25519', secretKey, publicKey });
}

/**
 * The `age1…` recipient of an identity.
 *
 * @param identity - A parsed identity.
 * @returns Its public key in bech32, as `age-keygen -y` prints it.
 */
export function x25519Recipient(identity: X25519Identity): string {
  return bech32.encode('age', bech32.toWords(identity.publicKey));
}

/**
 * Unwrap one stanza for one identity: the file key, null if the stanza is
 * not for this identity, or a throw if it is an X25519 stanza that is broken.
 */
function unwrapStanza(stanza: AgeStanza, index: number, id: X25519Identity): Uint8Array | null {
  if (stanza.type !== 'X25519') return null;
  const where = `X25519 stanza ${index + 1} of the age header`;
  if (stanza.args.length !== 1) throw failed(`${where} has ${stanza.args.length} arguments instead of 1`);
  const share = decodeBase64NoPad(stanza.args[0] ?? '');
  if (share === null || share.length !== KEY_SIZE) throw failed(`${where} does not hold a canonical 32-byte ephemeral share`);
  if (stanza.body.length !== FILE_KEY_SIZE + TAG_SIZE) throw failed(`${where} has a ${stanza.body.length}-byte body instead of 32`);
  const secret = x25519Shared(id.secretKey, share);
  if (secret === null) throw failed(`${where} has an invalid or low-order ephemeral share`);
  const wrapKey = hkdf(secret, Buffer.concat([share, id.publicKey]), X25519_LABEL);
  secret.fill(0);
  const fileKey = chachaOpen(wrapKey, ZERO_NONCE, stanza.body);
  wrapKey.fill(0);
  return fileKey;
}

/** The STREAM nonce of chunk `index`: an 11-byte big-endian counter, then the last-chunk flag. */
export function streamNonce(index: number, last: boolean): Uint8Array {
  const nonce = Buffer.alloc(12);
  let n = index;
  for (let i = 10; i >= 0 && n > 0; i--) {
    nonce[i] = n % 256;
    n = Math.floor(n / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Decrypt the STREAM payload (after the nonce) all the way to EOF, or throw. */
function decryptStream(key: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length === 0) throw failed('the age payload has no chunks');
  const out: Uint8Array[] = [];
  for (let off = 0, index = 0; ; index++) {
    // Only a chunk that reaches EOF can be the last one; a full-size chunk at EOF is last too.
    const last = sealed.length - off <= SEALED_CHUNK_SIZE;
    const chunk = sealed.subarray(off, last ? sealed.length : off + SEALED_CHUNK_SIZE);
    if (last && index > 0 && chunk.length === TAG_SIZE) {
      throw failed('the age payload ends with an empty chunk');
    }
    const plain = chachaOpen(key, streamNonce(index, last), chunk);
    if (plain === null) {
      for (const b of out) b.fill(0);
      throw failed(`chunk ${index + 1} of the age payload is damaged or truncated`);
    }
    out.push(plain);
    off += chunk.length;
    if (last) break;
  }
  return Buffer.concat(out);
}

function findFileKey(stanzas: AgeStanza[], identities: readonly NativeIdentity[]): Uint8Array | null {
  // Identities outer, stanzas inner, stopping at the first match: the order age and typage use,
  // so a broken stanza is reported (or not) exactly when they report it.
  for (const id of identities) {
    if (id.type === 'opener') {
      const fileKey = id.open(stanzas);
      if (fileKey !== null) return fileKey;
      continue;
    }
    for (const [i, s] of stanzas.entries()) {
      const fileKey = unwrapStanza(s, i, id);
      if (fileKey !== null) return fileKey;
    }
  }
  return null;
}

/**
 * Decrypt a binary age file with X25519 identities: parse the header, unwrap
 * the file key, verify the header MAC, then decrypt the whole payload.
 *
 * @param file - The binary age file (use `decodeArmor` first for armored ones).
 * @param identities - The identities to try, in order: X25519 ones, and
 *   {@link StanzaOpener}s for other key types.
 * @returns The plaintext; null if no stanza is for any of the identities and
 *   none needs the general path; `'unsupported'` if no X25519 stanza matched
 *   but the file has a stanza of a {@link GENERAL_PATH_STANZA_TYPES} type, so
 *   the caller should retry with `age-encryption`.
 * @throws {@link EnvcryptError} `DECRYPT_FAILED` for a malformed header, a
 *   broken X25519 stanza, a scrypt stanza that is not alone, a wrong header
 *   MAC or a damaged payload. No plaintext is returned in those cases, not
 *   even the chunks that did authenticate.
 */
export function unwrapNative(
  file: Uint8Array,
  identities: readonly NativeIdentity[],
): Uint8Array | null | 'unsupported' {
  const parsed = refuseMixedScrypt(parseAgeFile(file));
  const fileKey = findFileKey(parsed.stanzas, identities);
  if (fileKey === null) {
    return parsed.stanzas.some((s) => GENERAL_PATH_STANZA_TYPES.has(s.type)) ? 'unsupported' : null;
  }
  return openWithKey(parsed, fileKey);
}

/**
 * Decrypt an age file (already parsed) whose file key came from elsewhere (an
 * age plugin): verify the header MAC with it, then decrypt the whole payload,
 * exactly as {@link unwrapNative} does after unwrapping. The key is zeroed.
 *
 * @throws {@link EnvcryptError} `DECRYPT_FAILED` as {@link unwrapNative}.
 */
export function openWithFileKey(parsed: AgeFile, fileKey: Uint8Array): Uint8Array {
  return openWithKey(refuseMixedScrypt(parsed), fileKey);
}

/** The parsed file, refused (as age refuses it, before trying any key) when it mixes a passphrase with other recipients. */
function refuseMixedScrypt(parsed: AgeFile): AgeFile {
  if (parsed.stanzas.some((s) => s.type === 'scrypt') && parsed.stanzas.length !== 1) {
    throw failed('the age header has a scrypt stanza that is not its only stanza');
  }
  return parsed;
}

function openWithKey({ headerForMac, mac, payload }: AgeFile, fileKey: Uint8Array): Uint8Array {
  try {
    const macKey = hkdf(fileKey, Buffer.alloc(0), 'header');
    const expected = createHmac('sha256', macKey).update(headerForMac).digest();
    macKey.fill(0);
    if (!timingSafeEqual(expected, mac)) {
      throw failed('the age header MAC does not match: the header was changed after encryption');
    }
    if (payload.length < NONCE_SIZE) throw failed('the age payload is shorter than its 16-byte nonce');
    const streamKey = hkdf(fileKey, payload.subarray(0, NONCE_SIZE), 'payload');
    try {
      const plain = decryptStream(streamKey, payload.subarray(NONCE_SIZE));
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    } finally {
      streamKey.fill(0);
    }
  } finally {
    fileKey.fill(0);
  }
}
