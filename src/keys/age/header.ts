/**
 * The textual header of a binary age v1 file (https://age-encryption.org/v1,
 * "Header"), parsed as strictly as age does: one exact version line, stanzas
 * `-> type args…` whose bodies are canonical unpadded base64 in 64-column
 * lines closed by a short (possibly empty) line, then `--- ` and the MAC.
 *
 * Parsing only: unwrapping and MAC checking live in `x25519-native.ts`.
 */

import { EnvcryptError } from '../../errors.js';
import { decodeBase64NoPad } from '../../io/base64.js';

/** One recipient stanza of an age header. */
export interface AgeStanza {
  /** The first argument, e.g. `X25519`, `mlkem768x25519`, `scrypt`. */
  type: string;
  /** The arguments after the type. */
  args: string[];
  /** The decoded body. */
  body: Uint8Array;
}

/** A parsed age file. All byte arrays are views into the input. */
export interface AgeFile {
  /** The stanzas, in file order. */
  stanzas: AgeStanza[];
  /** The bytes the header MAC covers: from the start through the `---` (without the space). */
  headerForMac: Uint8Array;
  /** The 32-byte header MAC. */
  mac: Uint8Array;
  /** Everything after the MAC line: the 16-byte nonce, then the STREAM chunks. */
  payload: Uint8Array;
}

const INTRO = 'age-encryption.org/v1';
const COLUMNS_PER_LINE = 64;
const BYTES_PER_LINE = 48;
const MAC_SIZE = 32;
const LF = 0x0a;

function headerError(fact: string): EnvcryptError {
  // Header lines can be quoted by no message: keep to line numbers and facts.
  return new EnvcryptError('DECRYPT_FAILED', `invalid age header: ${fact}`, {
    hints: ['the encrypted value is damaged or was not written by age'],
  });
}

/** An argument is a non-empty run of printable ASCII other than space. */
function isValidArg(arg: string): boolean {
  if (arg.length === 0) return false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/** Reads LF-terminated lines out of the header; a missing LF is truncation. */
class LineReader {
  private readonly file: Uint8Array;
  /** Offset of the first byte not yet read. */
  pos = 0;
  /** 1-based number of the last line read. */
  line = 0;

  constructor(file: Uint8Array) {
    this.file = file;
  }

  next(): string {
    const end = this.file.indexOf(LF, this.pos);
    if (end < 0) {
      throw headerError(this.line === 0 ? 'the file is empty or has no complete first line' : `the header ends after line ${this.line} without a "---" MAC line`);
    }
    // latin1 maps each byte to one char, so any non-ASCII byte fails the checks below.
    const text = Buffer.from(this.file.buffer, this.file.byteOffset + this.pos, end - this.pos).toString('latin1');
    this.pos = end + 1;
    this.line++;
    return text;
  }
}

function parseStanzaBody(r: LineReader): Uint8Array {
  const parts: Uint8Array[] = [];
  for (;;) {
    const text = r.next();
    if (text.length > COLUMNS_PER_LINE) throw headerError(`line ${r.line} is longer than ${COLUMNS_PER_LINE} columns`);
    const bytes = decodeBase64NoPad(text);
    if (bytes === null) throw headerError(`line ${r.line} is not a canonical base64 stanza body line`);
    parts.push(bytes);
    // Only the last body line is short, and it always exists (empty if need be).
    if (bytes.length < BYTES_PER_LINE) break;
  }
  const body = Buffer.concat(parts);
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}

/**
 * Parse a binary age file into its stanzas, MAC and payload.
 *
 * Nothing is decrypted or authenticated here; unknown stanza types are kept
 * (age ignores them when unwrapping, but they are covered by the MAC).
 *
 * @param file - The binary age file (see `decodeArmor` for armored ones).
 * @returns The parsed header and views of the MACed bytes and the payload.
 * @throws {@link EnvcryptError} `DECRYPT_FAILED` naming the header line that
 *   is malformed, never its content.
 */
export function parseAgeFile(file: Uint8Array): AgeFile {
  const r = new LineReader(file);
  if (r.next() !== INTRO) throw headerError(`line 1 is not "${INTRO}" (unsupported version or not an age file)`);
  const stanzas: AgeStanza[] = [];
  for (;;) {
    const start = r.pos;
    const text = r.next();
    const n = r.line;
    if (text.startsWith('---')) {
      const parts = text.split(' ');
      if (parts[0] !== '---' || parts.length !== 2) throw headerError(`line ${n} is a malformed "---" MAC line`);
      const mac = decodeBase64NoPad(parts[1] ?? '');
      if (mac === null || mac.length !== MAC_SIZE) throw headerError(`line ${n} does not hold a canonical 32-byte MAC`);
      return {
        stanzas,
        headerForMac: file.subarray(0, start + 3),
        mac,
        payload: file.subarray(r.pos),
      };
    }
    if (!text.startsWith('->')) throw headerError(`line ${n} is neither a "->" stanza nor the "---" MAC line`);
    const parts = text.split(' ');
    if (parts[0] !== '->' || parts.length < 2) throw headerError(`line ${n} is a malformed stanza line`);
    const args = parts.slice(1);
    if (!args.every(isValidArg)) throw headerError(`line ${n} has an empty stanza argument or one with a character outside printable ASCII`);
    const type = args.shift() ?? '';
    stanzas.push({ type, args, body: parseStanzaBody(r) });
  }
}
