import { isUtf8 } from 'node:buffer';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { EnvcryptError } from '../errors.js';
import { decodeCanonicalBase64 } from '../io/base64.js';
import { pooledRandomBytes } from '../io/random-pool.js';

/** The four fields of an `ENC[AES256_GCM,…]` string. */
export interface EncParts {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const PREFIX = 'ENC[AES256_GCM,data:';

/** True when `s` has the `ENC[AES256_GCM,` shape (it may still be malformed). */
export function looksEncrypted(s: string): boolean {
  return s.startsWith('ENC[AES256_GCM,');
}

/**
 * Parse an ENC string (SOPS-FORMAT §4.2). Returns null when the string does
 * not have the ENC shape at all; throws when it has the shape but a field is
 * malformed. `where` names the key path for the message.
 */
export function parseEnc(s: string, where: string): EncParts | null {
  if (!looksEncrypted(s)) return null;
  const bad = (what: string) =>
    new EnvcryptError('DECRYPT_FAILED', `malformed encrypted value at ${where}: ${what}`, {
      hints: ['the file may be truncated or hand-edited; compare it with the last good version in git'],
    });
  if (!s.startsWith(PREFIX)) throw bad('missing data field');
  // sops's regex is anchored at the start only and greedy; base64 has no commas,
  // so searching for the last separators gives the same fields in linear time.
  const end = s.lastIndexOf(']');
  const typeAt = s.lastIndexOf(',type:', end);
  const tagAt = s.lastIndexOf(',tag:', typeAt);
  const ivAt = s.lastIndexOf(',iv:', tagAt);
  if (end < 0 || typeAt < 0 || tagAt < 0 || ivAt < PREFIX.length) throw bad('missing field');
  const dataText = s.slice(PREFIX.length, ivAt);
  const ivText = s.slice(ivAt + 4, tagAt);
  const tagText = s.slice(tagAt + 5, typeAt);
  const type = s.slice(typeAt + 6, end);
  if (!dataText || !ivText || !tagText || !type) throw bad('empty field');
  const data = decodeCanonicalBase64(dataText, true);
  const iv = decodeCanonicalBase64(ivText, true);
  const tag = decodeCanonicalBase64(tagText, true);
  if (!data) throw bad('data is not valid base64');
  if (!iv || iv.length === 0) throw bad('iv is not valid base64');
  if (!tag || tag.length !== 16) throw bad('tag is not a 16-byte base64 value');
  return { data, iv, tag, type };
}

/** Format the fields as an ENC string. */
export function formatEnc(p: EncParts): string {
  const s = `ENC[AES256_GCM,data:${p.data.toString('base64')},iv:${p.iv.toString('base64')},tag:${p.tag.toString('base64')},type:${p.type}]`;
  // Make V8 flatten the concatenation now: a tree keeps one compact string per
  // value instead of a rope of seven pieces (about half the memory of a big file).
  s.charCodeAt(s.length - 1);
  return s;
}

// Fresh IVs come from the CSPRNG in batches (io/random-pool.ts): a
// 100,000-key file then costs some 400 reads instead of 100,000.
const freshIv = (): Buffer => pooledRandomBytes(32);

/**
 * Encrypt `text` (UTF-8) with AES-256-GCM under `key`, binding `aad`.
 * A 32-byte random IV is used unless `iv` is given (the IV stash passes the
 * IV of an unchanged value so that its ciphertext stays byte-identical).
 */
export function encryptValue(key: Uint8Array, text: string, aad: string, type: string, iv?: Uint8Array): string {
  const nonce = iv ? Buffer.from(iv) : freshIv();
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return formatEnc({ data, iv: nonce, tag: c.getAuthTag(), type });
}

/**
 * Decrypt parsed ENC fields. Throws `DECRYPT_FAILED` when authentication
 * fails, which means a wrong key, a changed value or a value moved to another
 * key path. Returns the plaintext as UTF-8 text; bytes that are not UTF-8 are refused
 * (`UNSUPPORTED`), never decoded with replacement characters.
 */
export function decryptParts(key: Uint8Array, p: EncParts, aad: string, where: string): string {
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, p.iv, { authTagLength: 16 });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(p.tag);
    plain = Buffer.concat([d.update(p.data), d.final()]);
  } catch (cause) {
    throw new EnvcryptError('DECRYPT_FAILED', `could not authenticate the value at ${where}`, {
      cause,
      hints: [
        'the value was changed, or moved from another key, since it was encrypted',
        'a hand-resolved merge conflict is the usual cause; compare with the last good version in git',
      ],
    });
  }
  // sops's binary store encrypts a file's raw bytes; envcrypt's values are
  // text, and decoding other bytes would replace them silently.
  if (!isUtf8(plain)) {
    throw new EnvcryptError('UNSUPPORTED', `the value at ${where} is not UTF-8 text`, {
      hints: ['sops can store any bytes (a binary file); envcrypt holds UTF-8 text only: decrypt this file with sops'],
    });
  }
  return plain.toString('utf8');
}
