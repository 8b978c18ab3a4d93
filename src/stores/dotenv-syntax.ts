/**
 * Full dotenv syntax for *plaintext* files, the way users write them. The
 * values equal what `dotenv.parse` (npm dotenv 18) returns for every line
 * both accept; the encrypted sops dialect lives in `dotenv.ts`, and writing
 * values back in `dotenv-format.ts`.
 */
import { EnvcryptError, type Position } from '../errors.js';
import { duplicateKeyError } from './duplicate-key.js';

const DUPLICATE_HINTS = ['remove one of the two lines; dotenv would silently keep the last one'];

/** One item of a plaintext dotenv file, in file order. */
export type DotenvItem =
  | { readonly kind: 'pair'; readonly key: string; readonly value: string; readonly line: number }
  | { readonly kind: 'comment'; readonly text: string; readonly line: number };

const LF = 0x0a;
const HASH = 0x23;
const EQ = 0x3d;
const BACKSLASH = 0x5c;
const SQUOTE = 0x27;
const DQUOTE = 0x22;
const BACKTICK = 0x60;
const LS = 0x2028;
const PS = 0x2029;

/** JavaScript's `\s`, minus the line terminators (LF is the line end, CR is normalized, LS/PS are refused). */
export function isSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d && c !== LF && c !== 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** dotenv's key characters: `[\w.-]`, ASCII only. */
function isKeyChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e || c === 0x2d;
}

/** True for the three quotes dotenv accepts around a value: `'`, `"` and `` ` ``. */
export const isQuote = (c: number): boolean => c === SQUOTE || c === DQUOTE || c === BACKTICK;
/** True for U+2028 and U+2029, which dotenv treats as line ends in some places only. */
export const isLineSep = (c: number): boolean => c === LS || c === PS;

/**
 * True if `key` is a key dotenv can read: one or more of `A-Z a-z 0-9 _ . -`.
 *
 * @param key - the key to test
 */
export function isDotenvKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) if (!isKeyChar(key.charCodeAt(i))) return false;
  return true;
}

interface State {
  readonly text: string;
  pos: number;
  /** 1-based number of the line that starts at {@link State.lineStart}. */
  line: number;
  lineStart: number;
}

/**
 * Parse plaintext dotenv in linear time.
 *
 * Accepted, with dotenv's values: `KEY=value`, an optional `export ` prefix,
 * spaces around `=`, unquoted values (trimmed, ending at the first `#`),
 * single-, double- and back-quoted values that may span lines (in double
 * quotes `\n` and `\r` become LF and CR; nothing else is unescaped, and a
 * quote preceded by a backslash closes the value only if no later quote
 * can), inline `# comments`, CRLF or CR line ends (read as LF, also inside
 * quotes). Keys are `[A-Za-z0-9_.-]+`, as dotenv's.
 *
 * Unlike dotenv, nothing is skipped silently:
 * - a full-line `# comment` becomes a comment item (its text is everything
 *   after `#`); inline comments and the `export ` prefix are dropped; blank
 *   lines are dropped;
 * - a line that is not `KEY=VALUE`, an invalid key, an unterminated quote
 *   (also one whose only closing quote is followed by text, where dotenv
 *   falls back to the raw text), and U+2028/U+2029 outside quotes (dotenv
 *   treats them as line ends in some places and not in others) are errors;
 * - the `KEY: VALUE` form dotenv also reads is an error;
 * - a key given twice is an error, where dotenv keeps the last value
 *   silently: an overwrite usually hides a mistake.
 *
 * @param input - the file text
 * @returns the pairs and comments in file order
 * @throws EnvcryptError `PARSE` with a 1-based line:column position; the
 *   message never contains input text other than a duplicated key name
 */
export function parseDotenv(input: string): DotenvItem[] {
  // dotenv normalizes CRLF and lone CR to LF before parsing, quotes included.
  const text = input.includes('\r') ? input.replace(/\r\n?/g, '\n') : input;
  const s: State = { text, pos: 0, line: 1, lineStart: 0 };
  const items: DotenvItem[] = [];
  const seen = new Map<string, Position>();
  while (s.pos < text.length) {
    const parsed = parseLine(s);
    if (parsed === null) continue;
    const { item, column } = parsed;
    if (item.kind === 'pair') {
      const first = seen.get(item.key);
      const at = { line: item.line, column };
      if (first !== undefined) throw duplicateKeyError(item.key, at, first, false, DUPLICATE_HINTS);
      seen.set(item.key, at);
    }
    items.push(item);
  }
  return items;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Parse from `s.pos` to the end of one logical line; null for a blank line. */
function parseLine(s: State): { item: DotenvItem; column: number } | null {
  const { text } = s;
  const i = skipSpaces(text, s.pos);
  const c = text.charCodeAt(i);
  if (i >= text.length) {
    s.pos = i;
    return null;
  }
  if (c === LF) {
    newLine(s, i);
    return null;
  }
  if (isLineSep(c)) throw lineSepError(s, i);
  const line = s.line;
  if (c === HASH) {
    const end = endOfComment(s, i + 1);
    s.pos = end;
    return { item: { kind: 'comment', text: text.slice(i + 1, end), line }, column: 1 };
  }
  let keyStart = i;
  if (text.startsWith('export', i) && isSpace(text.charCodeAt(i + 6))) {
    const j = skipSpaces(text, i + 6);
    // `export =1` is the key "export", as in dotenv.
    if (isKeyChar(text.charCodeAt(j))) keyStart = j;
  }
  let k = keyStart;
  while (k < text.length && isKeyChar(text.charCodeAt(k))) k++;
  const eq = k === keyStart ? k : skipSpaces(text, k);
  if (text.charCodeAt(eq) !== EQ || k === keyStart) throw badLineError(s, i, eq);
  const key = text.slice(keyStart, k);
  const column = positionAt(s, keyStart).column;
  const v = skipSpaces(text, eq + 1);
  const q = text.charCodeAt(v);
  let value: string;
  if (isQuote(q)) {
    const close = closingQuote(s, v, q);
    value = text.slice(v + 1, close);
    if (q === DQUOTE && value.includes('\\')) value = value.replace(/\\([nr])/g, (_m, ch: string) => (ch === 'n' ? '\n' : '\r'));
    advanceLines(s, v, close);
    s.pos = endOfLine(s, close + 1);
  } else {
    let j = v;
    for (; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === LF || d === HASH) break;
      if (isLineSep(d)) throw lineSepError(s, j);
    }
    let end = j;
    while (end > v && isSpace(text.charCodeAt(end - 1))) end--;
    value = text.slice(v, end);
    s.pos = endOfLine(s, j);
  }
  return { item: { kind: 'pair', key, value, line }, column };
}

function newLine(s: State, lf: number): void {
  s.pos = lf + 1;
  s.line++;
  s.lineStart = lf + 1;
}

/** Keep the line counter right across a quoted value that spans lines. */
function advanceLines(s: State, from: number, to: number): void {
  let lf = s.text.indexOf('\n', from);
  while (lf !== -1 && lf < to) {
    s.line++;
    s.lineStart = lf + 1;
    lf = s.text.indexOf('\n', lf + 1);
  }
}

/** The end (LF or EOF) of a comment starting at `from`; refuses line separators in it. */
function endOfComment(s: State, from: number): number {
  const { text } = s;
  let end = text.indexOf('\n', from);
  if (end === -1) end = text.length;
  for (let j = from; j < end; j++) if (isLineSep(text.charCodeAt(j))) throw lineSepError(s, j);
  return end;
}

/** After a value: only spaces and an optional `# comment` follow. Returns the LF/EOF offset. */
function endOfLine(s: State, from: number): number {
  const { text } = s;
  const j = skipSpaces(text, from);
  if (j >= text.length) return j;
  const c = text.charCodeAt(j);
  if (c === LF) return j;
  if (c === HASH) return endOfComment(s, j + 1);
  // An unquoted value stops at LF or "#", and closingQuote() only accepts a
  // quote followed by spaces and LF, "#", EOF or a line separator: so a line
  // separator is all that can be left here.
  throw lineSepError(s, j);
}

/**
 * Where dotenv's quoted value ends. Candidates are the first quote not
 * preceded by a backslash, then the backslash-quotes before it, right to
 * left; the first one followed by what dotenv's `\s*(?:#.*)?$` accepts wins.
 */
function closingQuote(s: State, open: number, q: number): number {
  const { text } = s;
  const quote = String.fromCharCode(q);
  const escaped: number[] = [];
  let first = -1;
  for (let j = text.indexOf(quote, open + 1); j !== -1; j = text.indexOf(quote, j + 1)) {
    if (text.charCodeAt(j - 1) !== BACKSLASH) {
      first = j;
      break;
    }
    escaped.push(j);
  }
  if (first !== -1 && endsValue(text, first + 1)) return first;
  for (let e = escaped.length - 1; e >= 0; e--) if (endsValue(text, escaped[e]! + 1)) return escaped[e]!;
  // The message carries no position: the error's position is printed with the file name.
  if (first !== -1 && text.lastIndexOf('\n', first) < open) {
    // Closed on its own line, then more text: point at that text.
    return throwTrailing(s, skipSpaces(text, first + 1));
  }
  throw new EnvcryptError('PARSE', first === -1 ? 'unterminated quoted value' : 'quoted value is followed by text after its closing quote', {
    position: positionAt(s, open),
    hints: [
      'end the value with the same quote it starts with',
      'only spaces and a "# comment" may follow the closing quote; put any other text inside the quotes',
    ],
  });
}

function throwTrailing(s: State, at: number): never {
  throw new EnvcryptError('PARSE', 'text after the closing quote', {
    position: positionAt(s, at),
    hints: ['only spaces and a "# comment" may follow the closing quote; put any other text inside the quotes, or escape the quote'],
  });
}

/**
 * dotenv's test after a closing quote, `\s*(?:#.*)?$` in multiline mode: a
 * run of whitespace that reaches a line end (LF, U+2028, U+2029), `#` or
 * the end of the text.
 */
function endsValue(text: string, j: number): boolean {
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === LF || c === HASH || isLineSep(c)) return true;
    if (!isSpace(c)) return false;
  }
  return true;
}

function badLineError(s: State, lineStart: number, at: number): EnvcryptError {
  const { text } = s;
  let end = text.indexOf('\n', lineStart);
  if (end === -1) end = text.length;
  const eq = text.indexOf('=', lineStart);
  if (eq === -1 || eq >= end) {
    return new EnvcryptError('PARSE', 'expected KEY=VALUE, found a line without "="', {
      position: positionAt(s, lineStart),
      hints: ['comments start with "#"; a multi-line value must be in quotes', 'the "KEY: VALUE" form is not supported, write KEY=VALUE'],
    });
  }
  if (isLineSep(text.charCodeAt(at))) return lineSepError(s, at);
  if (at === eq) {
    return new EnvcryptError('PARSE', 'missing key before "="', { position: positionAt(s, at) });
  }
  return new EnvcryptError('PARSE', 'invalid character in key', {
    position: positionAt(s, at),
    hints: ['keys may contain only letters A-Z and a-z, digits, "_", "." and "-"'],
  });
}

function lineSepError(s: State, at: number): EnvcryptError {
  return new EnvcryptError('PARSE', 'unicode line separator (U+2028 or U+2029) outside quotes', {
    position: positionAt(s, at),
    hints: ['put the value in quotes, or remove the separator'],
  });
}

/** 1-based line and column (in code points) of an offset on the current line. */
function positionAt(s: State, offset: number): Position {
  let column = 1;
  for (let j = s.lineStart; j < offset; j++) {
    const c = s.text.charCodeAt(j);
    // Count a surrogate pair as one column.
    if (c >= 0xd800 && c <= 0xdbff && j + 1 < offset) {
      const d = s.text.charCodeAt(j + 1);
      if (d >= 0xdc00 && d <= 0xdfff) j++;
    }
    column++;
  }
  return { line: s.line, column };
}
