/**
 * Writing a binary age v1 file (https://age-encryption.org/v1, "Header",
 * "Header MAC", "Payload") with `node:crypto` alone: the stanzas a recipient
 * type made for a fresh file key, the header MAC, then the STREAM payload.
 * {@link unwrapNative} (native.ts) is the reader; the tests check the `age`
 * CLI reads what this writes.
 */

import { createHmac } from 'node:crypto';
import { encodeBase64NoPad } from '../../io/base64.js';
import { pooledRandomBytes } from '../../io/random-pool.js';
import { chachaSeal, hkdf } from '../age-aead.js';
import { streamNonce } from './native.js';

/** One recipient stanza to write: `-> type args…`, then the body. */
export interface OutStanza {
  type: string;
  args: readonly string[];
  body: Uint8Array;
}

const INTRO = 'age-encryption.org/v1\n';
const COLUMNS_PER_LINE = 64;
const CHUNK_SIZE = 64 * 1024;
const NONCE_SIZE = 16;
const FILE_KEY_SIZE = 16;

/** A stanza in age's text form: the body in 64-column lines, the last one short (empty when the body fills its last line). */
function stanzaText(s: OutStanza): string {
  const b64 = encodeBase64NoPad(s.body);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += COLUMNS_PER_LINE) lines.push(b64.slice(i, i + COLUMNS_PER_LINE));
  if (b64.length % COLUMNS_PER_LINE === 0) lines.push('');
  return `-> ${[s.type, ...s.args].join(' ')}\n${lines.join('\n')}\n`;
}

/** A fresh 16-byte age file key from the CSPRNG. */
export function newFileKey(): Buffer {
  return pooledRandomBytes(FILE_KEY_SIZE);
}

/**
 * Encrypt `plaintext` into a binary age file whose header holds `stanzas`,
 * each wrapping `fileKey` for one recipient.
 *
 * @param fileKey - The 16-byte file key the stanzas wrap.
 * @param stanzas - The recipient stanzas, in order.
 * @param plaintext - The payload (for sops, the 32-byte data key).
 * @param nonce - The payload nonce; fresh from the CSPRNG unless a
 *   known-answer test reproduces a published file.
 * @returns The binary age file (armor it with `encodeArmor`).
 */
export function writeAgeFile(fileKey: Uint8Array, stanzas: readonly OutStanza[], plaintext: Uint8Array, nonce: Uint8Array = pooledRandomBytes(NONCE_SIZE)): Uint8Array {
  const header = INTRO + stanzas.map(stanzaText).join('') + '---';
  const macKey = hkdf(fileKey, new Uint8Array(0), 'header');
  const mac = createHmac('sha256', macKey).update(header, 'latin1').digest();
  macKey.fill(0);
  const streamKey = hkdf(fileKey, nonce, 'payload');
  const parts: Buffer[] = [Buffer.from(`${header} ${encodeBase64NoPad(mac)}\n`, 'latin1'), Buffer.from(nonce)];
  // An empty payload is one empty final chunk; a full last chunk is final itself.
  for (let off = 0, index = 0; ; index++) {
    const last = plaintext.length - off <= CHUNK_SIZE;
    parts.push(chachaSeal(streamKey, streamNonce(index, last), plaintext.subarray(off, last ? plaintext.length : off + CHUNK_SIZE)));
    if (last) break;
    off += CHUNK_SIZE;
  }
  streamKey.fill(0);
  const out = Buffer.concat(parts);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
