/**
 * An order-preserving JSON parser into the format-agnostic tree
 * (SOPS-FORMAT §2, §10.3). `JSON.parse` cannot be used: it moves integer-like
 * keys to the front, drops duplicate keys and loses integers beyond 2^53, and
 * all three change the MAC.
 *
 * Decisions, each matching what sops (Go `encoding/json`) does unless noted:
 * - A key given twice in one object is an error (`duplicate-key.ts`), at
 *   any depth, in plaintext and encrypted files alike. sops keeps both;
 *   `JSON.parse` keeps the last; either way two readers could see different
 *   values, and envcrypt must never write what it would then refuse to read.
 * - A number literal without `.` or exponent that fits a signed 64-bit
 *   integer is an `int` (bigint); every other number is a `float`. In
 *   plaintext (not in sops's encrypted reader), an integer beyond 64 bits
 *   that a float cannot hold exactly is an error, not a rounded float. `-0` is
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
import { duplicateKeyError } from './duplicate-key.js';
import type { EnvcryptError } from '../errors.js';
import type { Leaf, MapNode, Node, Pair } from '../tree/types.js';
import { isDigit, MINUS, positionAt, QUOTE, scanNumber, scanString } from './json-scan.js';

// positionAt moved to json-scan.ts with the string scanner that also needs it; kept in this module's API.
export { positionAt } from './json-scan.js';

/** The deepest nesting of objects and arrays accepted; the top-level object is level 1. */
export const MAX_JSON_DEPTH = 1000;

/** Options for {@link parseJsonObject}. */
export interface JsonParseOptions {
  /** The file is encrypted: only changes the hints of a duplicate-key error. */
  encrypted?: boolean;
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
  const p = new Parser(text, opts.encrypted === true);
  const root = p.document();
  if (opts.trailing === 'error') {
    p.skipWs();
    if (p.pos < text.length) throw p.fail('unexpected content after the top-level object', p.pos);
  }
  return root;
}

const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Parser states: what the next token may be. */
const KEY_OR_END = 0; // just after `{`
const KEY = 1; // just after `,` in an object
const VALUE_OR_END = 2; // just after `[`
const VALUE = 3; // after `:` or after `,` in an array
const AFTER = 4; // after a complete value

interface MapFrame {
  readonly kind: 'map';
  readonly items: Pair[];
  key: string;
  /** Offset of each key's opening quote so far (made on the first key: `{}` needs none). */
  seen: Map<string, number> | null;
}
interface ListFrame { readonly kind: 'list'; readonly items: Node[] }
type Frame = MapFrame | ListFrame;

class Parser {
  readonly text: string;
  readonly encrypted: boolean;
  /** Plaintext is refused rather than rounded; an encrypted file is read as sops wrote it. */
  readonly exactIntegers: boolean;
  pos = 0;

  constructor(text: string, encrypted: boolean) {
    this.text = text;
    this.encrypted = encrypted;
    this.exactIntegers = !encrypted;
  }

  /** Remember the key starting at `at` in `frame`; a key seen before is an error. */
  noteKey(frame: MapFrame, key: string, at: number): void {
    const seen = (frame.seen ??= new Map());
    const first = seen.get(key);
    if (first !== undefined) {
      throw duplicateKeyError(key, positionAt(this.text, at), positionAt(this.text, first), this.encrypted);
    }
    seen.set(key, at);
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
    const stack: Frame[] = [{ kind: 'map', items: [], key: '', seen: null }];
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
          const key = scanString(this);
          this.noteKey(top as MapFrame, key, at);
          (top as MapFrame).key = key;
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
          stack.push(c === LBRACE ? { kind: 'map', items: [], key: '', seen: null } : { kind: 'list', items: [] });
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
    if (c === QUOTE) return { kind: 'str', value: scanString(this) };
    if (c === MINUS || isDigit(c)) return scanNumber(this, at);
    for (const [word, leaf] of LITERALS) {
      if (c === word.charCodeAt(0)) {
        if (!this.text.startsWith(word, at)) throw this.fail('invalid literal, expected true, false or null', at);
        this.pos = at + word.length;
        return leaf;
      }
    }
    throw this.unexpected('expected a value', at);
  }
}

const LITERALS: ReadonlyArray<readonly [string, Leaf]> = [
  ['true', { kind: 'bool', value: true }],
  ['false', { kind: 'bool', value: false }],
  ['null', { kind: 'null' }],
];

/** Pop the innermost container and turn it into a node. */
function close(stack: Frame[]): Node {
  const f = stack.pop()!;
  return f.kind === 'map' ? { kind: 'map', items: f.items } : { kind: 'list', items: f.items };
}

function attach(parent: Frame, node: Node): void {
  if (parent.kind === 'map') parent.items.push({ kind: 'pair', key: parent.key, value: node });
  else parent.items.push(node);
}
