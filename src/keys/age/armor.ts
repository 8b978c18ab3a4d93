/**
 * The ASCII armor of age files (https://age-encryption.org/v1, "ASCII armor"):
 * PEM with the type `AGE ENCRYPTED FILE`, no headers, standard padded base64
 * wrapped at 64 columns. sops stores every `enc` value in this form
 * (SOPS-FORMAT.md §7). Reading is as strict as age's own `armor` package, so a
 * file envcrypt accepts is one the `age` CLI accepts too.
 *
 * Uses only `Buffer`: this module is on the start-up path of `envcrypt exec`.
 */

import { EnvcryptError } from '../../errors.js';
import { decodeCanonicalBase64 } from '../../io/base64.js';

/** The first line of an armored age file. */
export const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
/** The last line of an armored age file. */
export const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';

const COLUMNS_PER_LINE = 64;
const BYTES_PER_LINE = 48; // 64 base64 columns carry 48 bytes
// age skips at most 1 KiB of whitespace-only lines before the armor, and after the END line
// it reads 1 KiB and refuses it if that is all there is: so at most 1023 bytes may follow.
const MAX_LEADING_WHITESPACE = 1024;
const MAX_TRAILING_WHITESPACE = 1023;

/** Only ASCII whitespace (space, \t, \n, \v, \f, \r), as Go's armor reader skips; by hand, as every launch unwraps a key. */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && (c < 9 || c > 13)) return false;
  }
  return true;
}

function armorError(fact: string): EnvcryptError {
  // The armor may wrap a secret-bearing file: describe, never quote, the input.
  return new EnvcryptError('DECRYPT_FAILED', `invalid age armor: ${fact}`, {
    hints: ['the encrypted value was probably damaged by a copy, a merge or an editor that rewraps lines'],
  });
}

/** A line without its LF, and without one CR before it (CRLF files are accepted). */
function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Decode an ASCII-armored age file into the binary age file.
 *
 * Accepted, exactly as age reads it: up to 1024 bytes of whitespace-only
 * lines before the `BEGIN` line and up to 1023 bytes of whitespace after the
 * `END` line (ASCII whitespace only);
 * LF or CRLF line ends; body lines of exactly 64 columns except the last,
 * which has 4 to 64; canonical padded base64 on every line; nothing else (no
 * PEM headers, no empty lines, no spaces inside, no checksum line).
 *
 * @param text - The armored file, e.g. a sops `enc` value.
 * @returns The binary age file (it is not decrypted or parsed here).
 * @throws {@link EnvcryptError} `DECRYPT_FAILED` naming the offending line
 *   number of the armor, never its content.
 */
export function decodeArmor(text: string): Uint8Array {
  const lines = text.split('\n');
  let i = 0;
  let leading = 0;
  while (i < lines.length && isBlank(lines[i] ?? '')) {
    leading += (lines[i] ?? '').length + 1;
    i++;
  }
  if (i === lines.length) throw armorError(`missing the "${ARMOR_BEGIN}" line`);
  if (leading > MAX_LEADING_WHITESPACE) throw armorError(`more than ${MAX_LEADING_WHITESPACE} bytes of whitespace before the armor`);
  if (stripCr(lines[i] ?? '') !== ARMOR_BEGIN) {
    throw armorError(`line ${i + 1} should be "${ARMOR_BEGIN}"`);
  }

  const chunks: Buffer[] = [];
  let lastWasShort = false;
  for (i++; ; i++) {
    // The empty string after a final LF is the end of the text, not a line.
    if (i >= lines.length || (i === lines.length - 1 && lines[i] === '')) {
      throw armorError(`missing the "${ARMOR_END}" line`);
    }
    const line = stripCr(lines[i] ?? '');
    if (line === ARMOR_END) break;
    const n = i + 1;
    // A short line must be the last one: everything after it is out of place.
    if (lastWasShort) {
      throw armorError(`line ${n} should be "${ARMOR_END}" because line ${n - 1} is shorter than ${COLUMNS_PER_LINE} columns`);
    }
    if (line.length === 0) throw armorError(`line ${n} is empty`);
    if (line.length > COLUMNS_PER_LINE) throw armorError(`line ${n} is longer than ${COLUMNS_PER_LINE} columns`);
    const bytes = decodeCanonicalBase64(line, true);
    if (bytes === null) throw armorError(`line ${n} is not canonical padded base64`);
    chunks.push(bytes);
    lastWasShort = bytes.length < BYTES_PER_LINE;
  }

  const trailing = lines.slice(i + 1).join('\n');
  if (!isBlank(trailing)) throw armorError(`unexpected text after the "${ARMOR_END}" line`);
  if (trailing.length > MAX_TRAILING_WHITESPACE) throw armorError(`more than ${MAX_TRAILING_WHITESPACE} bytes of whitespace after the armor`);

  const out = Buffer.concat(chunks);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Encode a binary age file in the ASCII armor, byte for byte as age, sops and
 * `age-encryption` write it: LF line ends, 64-column lines, a final newline.
 *
 * @param bytes - The binary age file.
 * @returns The armored text, ending in `-----END AGE ENCRYPTED FILE-----\n`.
 */
export function encodeArmor(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const lines = [ARMOR_BEGIN];
  for (let off = 0; off < buf.length; off += BYTES_PER_LINE) {
    lines.push(buf.subarray(off, off + BYTES_PER_LINE).toString('base64'));
  }
  lines.push(ARMOR_END, '');
  return lines.join('\n');
}
