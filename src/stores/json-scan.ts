/**
 * Token scanning for the JSON parser (`json-parse.ts`, whose header lists the
 * decisions): strings with their escapes, numbers with the strict JSON
 * grammar, and the line:column of an offset for error positions.
 *
 * Errors never quote the input: only a description and a 1-based line:column.
 */
import type { EnvcryptError, Position } from '../errors.js';
import type { Leaf } from '../tree/types.js';

/** The parser state a scan reads and advances. */
export interface ScanCursor {
  /** The whole document. */
  readonly text: string;
  /** The offset of the next character to read; a scan moves it past the token. */
  pos: number;
  /** Builds (does not throw) a PARSE error at `offset`, with optional hints. */
  fail(what: string, offset: number, hints?: string[]): EnvcryptError;
  /**
   * Plaintext input: an integer beyond 64 bits that a float cannot hold
   * exactly is an error instead of a rounded float (sops's fallback).
   */
  readonly exactIntegers?: boolean;
}

/** The 1-based line and column (in code points) of a UTF-16 offset in `text`. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let column = 1;
  for (let i = lineStart; i < offset; i++) {
    const c = text.charCodeAt(i);
    // The second half of a surrogate pair is not a column of its own.
    if (c >= 0xdc00 && c <= 0xdfff && i > lineStart && isHigh(text.charCodeAt(i - 1))) continue;
    column++;
  }
  return { line, column };
}

/** The code of `"`, which opens a string. */
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The code of `-`, which may open a number. */
export const MINUS = 0x2d;

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t',
};

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** True for an ASCII digit, which may open a number. */
export const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Read a string starting at the opening quote at `cur.pos`; decodes escapes.
 *
 * @returns the decoded string; `cur.pos` is left after the closing quote
 * @throws EnvcryptError `PARSE` for an unterminated string, a raw control
 *   character or line break, or a bad escape
 */
export function scanString(cur: ScanCursor): string {
  const t = cur.text;
  const open = cur.pos;
  const parts: string[] = [];
  let start = open + 1;
  for (let i = start; ; ) {
    if (i >= t.length) throw cur.fail('unterminated string', open);
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      cur.pos = i + 1;
      if (parts.length === 0) return t.slice(start, i);
      parts.push(t.slice(start, i));
      return parts.join('');
    }
    if (c === BACKSLASH) {
      parts.push(t.slice(start, i));
      i = scanEscape(cur, i, open, parts);
      start = i;
    } else if (c < 0x20) {
      const s = positionAt(t, open);
      throw cur.fail(c === 0x0a || c === 0x0d ? 'line break in a string' : 'unescaped control character in a string', i, [
        `the string starts at ${s.line}:${s.column}; close it, or write the character as an escape such as \\n`,
      ]);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHigh(c) && isLow(t.charCodeAt(i + 1))) {
        i += 2;
      } else {
        // A lone surrogate cannot be encoded as UTF-8; Go would see U+FFFD here.
        parts.push(t.slice(start, i), '\ufffd');
        start = ++i;
      }
    } else {
      i++;
    }
  }
}

/** Decode the escape at `i` (a backslash) into `parts`; returns the index after it. */
function scanEscape(cur: ScanCursor, i: number, open: number, parts: string[]): number {
  const t = cur.text;
  if (i + 1 >= t.length) throw cur.fail('unterminated string', open);
  const e = t.charCodeAt(i + 1);
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) {
    parts.push(simple);
    return i + 2;
  }
  if (e !== 0x75) {
    throw cur.fail('invalid escape sequence', i, ['valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\u followed by 4 hex digits']);
  }
  const u = hex4(t, i + 2);
  if (u < 0) throw cur.fail('invalid \\u escape, expected 4 hex digits', i);
  if (isHigh(u) && t.charCodeAt(i + 6) === BACKSLASH && t.charCodeAt(i + 7) === 0x75) {
    const lo = hex4(t, i + 8);
    if (isLow(lo)) {
      parts.push(String.fromCharCode(u, lo));
      return i + 12;
    }
  }
  // Go decodes a lone surrogate escape to U+FFFD and reads what follows on its own.
  parts.push(u >= 0xd800 && u <= 0xdfff ? '\ufffd' : String.fromCharCode(u));
  return i + 6;
}

/**
 * Read a number at `at` with the strict JSON grammar.
 *
 * @returns an `int` when the literal has no `.` or exponent and fits a signed
 *   64-bit integer, else a `float`; `cur.pos` is left after the literal
 * @throws EnvcryptError `PARSE` for a malformed number or a float that
 *   overflows to ±Inf
 */
export function scanNumber(cur: ScanCursor, at: number): Leaf {
  const t = cur.text;
  let i = at;
  let integral = true;
  if (t.charCodeAt(i) === MINUS) i++;
  if (t.charCodeAt(i) === 0x30) {
    i++;
    if (isDigit(t.charCodeAt(i))) throw cur.fail('invalid number, leading zeros are not allowed', at);
  } else if (isDigit(t.charCodeAt(i))) {
    while (isDigit(t.charCodeAt(i))) i++;
  } else {
    throw cur.fail('invalid number, expected a digit', at);
  }
  if (t.charCodeAt(i) === 0x2e) {
    integral = false;
    if (!isDigit(t.charCodeAt(++i))) throw cur.fail('invalid number, expected a digit after the decimal point', at);
    while (isDigit(t.charCodeAt(i))) i++;
  }
  if ((t.charCodeAt(i) | 0x20) === 0x65) {
    integral = false;
    const s = t.charCodeAt(++i);
    if (s === 0x2b || s === MINUS) i++;
    if (!isDigit(t.charCodeAt(i))) throw cur.fail('invalid number, expected a digit in the exponent', at);
    while (isDigit(t.charCodeAt(i))) i++;
  }
  // Catch `1.2.3`, `0x10`, `1_000`, `12abc` here rather than as a confusing separator error.
  if (gluedToNumber(t.charCodeAt(i))) throw cur.fail('invalid number', at);
  cur.pos = i;
  const literal = t.slice(at, i);
  if (integral) {
    const v = BigInt(literal);
    if (v >= INT64_MIN && v <= INT64_MAX) return { kind: 'int', value: v };
  }
  const f = Number(literal);
  if (!Number.isFinite(f)) throw cur.fail('number out of range for a 64-bit float', at);
  // sops reads such an integer as a float and loses its last digits without a
  // word. A float's own shortest text (what the emitters write) is fine.
  if (integral && cur.exactIntegers && BigInt(f) !== BigInt(literal) && String(f) !== literal) {
    throw cur.fail('integer beyond 64 bits: as a float (how sops reads it) it would lose digits', at, [
      'put it in quotes to store it as a string, exactly',
    ]);
  }
  return { kind: 'float', value: f };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True for characters that cannot directly follow a number: letters, digits, `_`, `.`, `+`, `-`. */
function gluedToNumber(c: number): boolean {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || isDigit(c) || c === 0x5f || c === 0x2e || c === 0x2b || c === MINUS;
}

/** The value of 4 hex digits at `j`, or -1. */
function hex4(t: string, j: number): number {
  let v = 0;
  for (let k = j; k < j + 4; k++) {
    const c = t.charCodeAt(k);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
