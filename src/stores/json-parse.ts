/**
 * An order-preserving JSON parser into the format-agnostic tree
 * (SOPS-FORMAT §2, §10.3). `JSON.parse` cannot be used: it moves integer-like
 * keys to the front, drops duplicate keys and loses integers beyond 2^53, and
 * all three change the MAC.
 *
 * Decisions, each matching what sops (Go `encoding/json`) does unless noted:
 * - Duplicate keys are kept, in order.
 * - A number literal without `.` or exponent that fits a signed 64-bit
 *   integer is an `int` (bigint); every other number is a `float`. `-0` is
 *   the int 0, as Go's `ParseInt` reads it. A float that overflows to ±Inf is
 *   an error, as in Go.
 * - A `\u` escape of a lone UTF-16 surrogate decodes to U+FFFD, as Go's
 *   decoder does; so does a raw lone surrogate in the input string. Every
 *   string in the tree is therefore well-formed UTF-16 and encodes to valid
 *   UTF-8 for encryption.
 * - A byte order mark is rejected, as in Go.
 * - Depth is limited to {@link MAX_JSON_DEPTH} (stricter than Go's 10,000),
 *   because the tree walk and the emitters recurse; the parser itself is
 *   iterative, so deep input fails with a PARSE error, never a stack overflow.
 * - Text after the top-level object is ignored by default, like sops's plain
 *   reader; `trailing: 'error'` rejects it, like sops's encrypted reader
 *   (`json.Unmarshal`).
 *
 * Errors never quote the input: only a description and a 1-based line:column.
 */
import { parseError } from '../errors.js';
import type { EnvcryptError, Position } from '../errors.js';
import type { Leaf, MapNode, Node, Pair } from '../tree/types.js';

/** The deepest nesting of objects and arrays accepted; the top-level object is level 1. */
export const MAX_JSON_DEPTH = 1000;

/** Options for {@link parseJsonObject}. */
export interface JsonParseOptions {
  /**
   * What to do with non-whitespace text after the top-level object.
   * @defaultValue `'ignore'`
   */
  trailing?: 'ignore' | 'error';
}

/**
 * Parse a JSON document whose top level is an object.
 *
 * @param text - the whole document, already decoded from UTF-8
 * @param opts - see {@link JsonParseOptions}
 * @returns the top-level object as an ordered mapping
 * @throws EnvcryptError `PARSE` with a position, for invalid JSON, a top level
 *   that is not an object, or nesting deeper than {@link MAX_JSON_DEPTH}
 */
export function parseJsonObject(text: string, opts: JsonParseOptions = {}): MapNode {
  const p = new Parser(text);
  const root = p.document();
  if (opts.trailing === 'error') {
    p.skipWs();
    if (p.pos < text.length) throw p.fail('unexpected content after the top-level object', p.pos);
  }
  return root;
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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;

/** Parser states: what the next token may be. */
const KEY_OR_END = 0; // just after `{`
const KEY = 1; // just after `,` in an object
const VALUE_OR_END = 2; // just after `[`
const VALUE = 3; // after `:` or after `,` in an array
const AFTER = 4; // after a complete value

interface MapFrame { readonly kind: 'map'; readonly items: Pair[]; key: string }
interface ListFrame { readonly kind: 'list'; readonly items: Node[] }
type Frame = MapFrame | ListFrame;

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t',
};

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

class Parser {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  fail(what: string, offset: number, hints?: string[]): EnvcryptError {
    const position = positionAt(this.text, offset);
    return parseError(`invalid JSON: ${what} at ${position.line}:${position.column}`, position, hints);
  }

  /** An error for a token that is not the `expected` one, without quoting it. */
  unexpected(expected: string, offset: number): EnvcryptError {
    if (offset >= this.text.length) return this.fail(`unexpected end of input, ${expected}`, offset);
    if (this.text.charCodeAt(offset) === 0x2f) {
      return this.fail('comments are not allowed', offset, ['JSON has no comments; remove them or use YAML']);
    }
    const hints = this.text.charCodeAt(offset) === 0x27 ? ['JSON strings and keys use double quotes'] : undefined;
    return this.fail(`unexpected character, ${expected}`, offset, hints);
  }

  skipWs(): void {
    const t = this.text;
    let i = this.pos;
    for (let c = t.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = t.charCodeAt(++i));
    this.pos = i;
  }

  document(): MapNode {
    const t = this.text;
    if (t.charCodeAt(0) === 0xfeff) {
      throw this.fail('byte order mark at the start of the file', 0, ['save the file as UTF-8 without a BOM']);
    }
    this.skipWs();
    if (this.pos >= t.length) throw this.fail('the document is empty', this.pos, ['an empty JSON document is {}']);
    if (t.charCodeAt(this.pos) !== LBRACE) throw this.topLevel(this.pos);
    this.pos++;
    const stack: Frame[] = [{ kind: 'map', items: [], key: '' }];
    let state = KEY_OR_END;
    let lastComma = 0;
    for (;;) {
      this.skipWs();
      const at = this.pos;
      const c = at < t.length ? t.charCodeAt(at) : -1;
      const top = stack[stack.length - 1]!;
      let done: Node | undefined; // a value that was just completed
      if (state === KEY_OR_END || state === KEY) {
        if (c === QUOTE) {
          (top as MapFrame).key = this.string();
          this.skipWs();
          if (t.charCodeAt(this.pos) !== COLON) throw this.unexpected("expected ':' after an object key", this.pos);
          this.pos++;
          state = VALUE;
          continue;
        }
        if (c === RBRACE && state === KEY) throw this.fail("trailing comma before '}'", lastComma);
        if (c !== RBRACE) throw this.unexpected(state === KEY ? 'expected a string key' : "expected a string key or '}'", at);
        this.pos++;
        done = close(stack);
      } else if (state === VALUE || state === VALUE_OR_END) {
        if (c === LBRACE || c === LBRACKET) {
          if (stack.length >= MAX_JSON_DEPTH) {
            throw this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`, at, ['flatten the structure; sops files are meant for configuration']);
          }
          this.pos++;
          stack.push(c === LBRACE ? { kind: 'map', items: [], key: '' } : { kind: 'list', items: [] });
          state = c === LBRACE ? KEY_OR_END : VALUE_OR_END;
          continue;
        }
        if (c === RBRACKET && state === VALUE_OR_END) {
          this.pos++;
          done = close(stack);
        } else if (c === RBRACKET && top.kind === 'list') {
          throw this.fail("trailing comma before ']'", lastComma);
        } else {
          done = this.scalar(c, at);
        }
      } else if (c === COMMA) {
        lastComma = at;
        this.pos++;
        state = top.kind === 'map' ? KEY : VALUE;
        continue;
      } else if (c === (top.kind === 'map' ? RBRACE : RBRACKET)) {
        this.pos++;
        done = close(stack);
      } else {
        throw this.unexpected(top.kind === 'map' ? "expected ',' or '}' after an object member" : "expected ',' or ']' after an array element", at);
      }
      if (stack.length === 0) return done as MapNode;
      attach(stack[stack.length - 1]!, done);
      state = AFTER;
    }
  }

  /** The error for a top level that is not an object. */
  topLevel(at: number): EnvcryptError {
    const c = this.text.charCodeAt(at);
    const kind =
      c === LBRACKET ? 'an array' : c === QUOTE ? 'a string' : c === MINUS || isDigit(c) ? 'a number'
      : c === 0x74 || c === 0x66 ? 'a boolean' : c === 0x6e ? 'null' : undefined;
    if (kind === undefined) return this.unexpected("expected '{' at the start of the document", at);
    return this.fail(`the top-level value must be an object, not ${kind}`, at, [
      'a SOPS JSON file has an object at the top; wrap the value in one, e.g. {"data": ...}',
    ]);
  }

  scalar(c: number, at: number): Leaf {
    if (c === QUOTE) return { kind: 'str', value: this.string() };
    if (c === MINUS || isDigit(c)) return this.number(at);
    for (const [word, leaf] of LITERALS) {
      if (c === word.charCodeAt(0)) {
        if (!this.text.startsWith(word, at)) throw this.fail('invalid literal, expected true, false or null', at);
        this.pos = at + word.length;
        return leaf;
      }
    }
    throw this.unexpected('expected a value', at);
  }

  /** Read a string starting at the opening quote at `pos`; decodes escapes. */
  string(): string {
    const t = this.text;
    const open = this.pos;
    const parts: string[] = [];
    let start = open + 1;
    for (let i = start; ; ) {
      if (i >= t.length) throw this.fail('unterminated string', open);
      const c = t.charCodeAt(i);
      if (c === QUOTE) {
        this.pos = i + 1;
        if (parts.length === 0) return t.slice(start, i);
        parts.push(t.slice(start, i));
        return parts.join('');
      }
      if (c === BACKSLASH) {
        parts.push(t.slice(start, i));
        i = this.escape(i, open, parts);
        start = i;
      } else if (c < 0x20) {
        const s = positionAt(t, open);
        throw this.fail(c === 0x0a || c === 0x0d ? 'line break in a string' : 'unescaped control character in a string', i, [
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
  escape(i: number, open: number, parts: string[]): number {
    const t = this.text;
    if (i + 1 >= t.length) throw this.fail('unterminated string', open);
    const e = t.charCodeAt(i + 1);
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      parts.push(simple);
      return i + 2;
    }
    if (e !== 0x75) {
      throw this.fail('invalid escape sequence', i, ['valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\u followed by 4 hex digits']);
    }
    const u = hex4(t, i + 2);
    if (u < 0) throw this.fail('invalid \\u escape, expected 4 hex digits', i);
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

  /** Read a number at `at` with the strict JSON grammar. */
  number(at: number): Leaf {
    const t = this.text;
    let i = at;
    let integral = true;
    if (t.charCodeAt(i) === MINUS) i++;
    if (t.charCodeAt(i) === 0x30) {
      i++;
      if (isDigit(t.charCodeAt(i))) throw this.fail('invalid number, leading zeros are not allowed', at);
    } else if (isDigit(t.charCodeAt(i))) {
      while (isDigit(t.charCodeAt(i))) i++;
    } else {
      throw this.fail('invalid number, expected a digit', at);
    }
    if (t.charCodeAt(i) === 0x2e) {
      integral = false;
      if (!isDigit(t.charCodeAt(++i))) throw this.fail('invalid number, expected a digit after the decimal point', at);
      while (isDigit(t.charCodeAt(i))) i++;
    }
    if ((t.charCodeAt(i) | 0x20) === 0x65) {
      integral = false;
      const s = t.charCodeAt(++i);
      if (s === 0x2b || s === MINUS) i++;
      if (!isDigit(t.charCodeAt(i))) throw this.fail('invalid number, expected a digit in the exponent', at);
      while (isDigit(t.charCodeAt(i))) i++;
    }
    // Catch `1.2.3`, `0x10`, `1_000`, `12abc` here rather than as a confusing separator error.
    if (gluedToNumber(t.charCodeAt(i))) throw this.fail('invalid number', at);
    this.pos = i;
    const literal = t.slice(at, i);
    if (integral) {
      const v = BigInt(literal);
      if (v >= INT64_MIN && v <= INT64_MAX) return { kind: 'int', value: v };
    }
    const f = Number(literal);
    if (!Number.isFinite(f)) throw this.fail('number out of range for a 64-bit float', at);
    return { kind: 'float', value: f };
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const LITERALS: ReadonlyArray<readonly [string, Leaf]> = [
  ['true', { kind: 'bool', value: true }],
  ['false', { kind: 'bool', value: false }],
  ['null', { kind: 'null' }],
];

/** True for characters that cannot directly follow a number: letters, digits, `_`, `.`, `+`, `-`. */
function gluedToNumber(c: number): boolean {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || isDigit(c) || c === 0x5f || c === 0x2e || c === 0x2b || c === MINUS;
}

/** Pop the innermost container and turn it into a node. */
function close(stack: Frame[]): Node {
  const f = stack.pop()!;
  return f.kind === 'map' ? { kind: 'map', items: f.items } : { kind: 'list', items: f.items };
}

function attach(parent: Frame, node: Node): void {
  if (parent.kind === 'map') parent.items.push({ kind: 'pair', key: parent.key, value: node });
  else parent.items.push(node);
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
