/**
 * INI text as sops reads it: go-ini (`gopkg.in/ini.v1`, `parser.go`) with
 * the one option sops sets, `AllowNonUniqueSections`, and every other option
 * at its default. That means: `=` and `:` both separate a key from its value;
 * `;` and `#` start a comment, also inside an unquoted value (`a = x;y` is
 * `x` plus the comment `;y`); one pair of surrounding `"` or `'` is removed;
 * `"""…"""` and `` `…` `` quote a value (the first may span lines); a value
 * ending in `\` continues on the next line; keys before any `[section]`
 * belong to the section `DEFAULT`; comment lines attach to the key or
 * section header that follows them.
 *
 * Where go-ini would silently lose something, this reader refuses with the
 * position instead: a duplicate key or section, text after a closing quote
 * or a section's `]`, a comment after the last key, and the `-` keys go-ini
 * numbers itself (sops writes them back as comments).
 */
import { EnvcryptError, type Position } from '../errors.js';
import { duplicateKeyError } from './duplicate-key.js';

/** The section go-ini puts keys in before any header, and always lists first. */
export const DEFAULT_SECTION = 'DEFAULT';

/** A key as read: its raw comment text is everything go-ini collected before it (trimmed). */
export interface IniKey {
  name: string;
  value: string;
  comment: string;
  position: Position;
}

/** A section as read; the first one is always the implicit `DEFAULT` (no header, `position` null). */
export interface IniSection {
  name: string;
  comment: string;
  keys: IniKey[];
  position: Position | null;
}

/** Go's `unicode.IsSpace`, which differs from JavaScript's `trim()` (U+0085 yes, U+FEFF no). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const LEADING = new RegExp(`^${GO_SPACE.source}+`);
const TRAILING = new RegExp(`${GO_SPACE.source}+$`);

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  return s.replace(LEADING, '').replace(TRAILING, '');
}

function parseError(message: string, position: Position, hints: string[] = []): EnvcryptError {
  return new EnvcryptError('PARSE', `${message} at ${position.line}:${position.column}`, { position, hints });
}

/** A cursor over the text's lines, each with its line break (as go-ini's `ReadBytes('\n')`). */
class Lines {
  private at = 0;
  line = 0;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  get done(): boolean {
    return this.at >= this.text.length;
  }
  next(): string {
    const nl = this.text.indexOf('\n', this.at);
    const end = nl < 0 ? this.text.length : nl + 1;
    const s = this.text.slice(this.at, end);
    this.at = end;
    this.line++;
    return s;
  }
}

/**
 * Parse INI text into sections, as go-ini does for sops.
 *
 * @param text - the file's text (a leading BOM is skipped, as go-ini does)
 * @param encrypted - reading an encrypted file (changes the duplicate-key hints)
 * @returns the sections in file order, the implicit `DEFAULT` first
 * @throws EnvcryptError `PARSE` with the line:column of the problem
 */
export function parseIni(text: string, encrypted = false): IniSection[] {
  const src = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = new Lines(src);
  const sections: IniSection[] = [{ name: DEFAULT_SECTION, comment: '', keys: [], position: null }];
  const seenSections = new Map<string, Position | null>([[DEFAULT_SECTION, null]]);
  let section = sections[0]!;
  let seenKeys = new Map<string, Position>();
  let comment = '';
  let commentAt: Position | null = null;
  while (!lines.done) {
    const raw = lines.next();
    const line = raw.replace(LEADING, '');
    const col = raw.length - line.length + 1;
    const pos = { line: lines.line, column: col };
    if (line.length === 0) continue;
    if (line[0] === '#' || line[0] === ';') {
      comment += line;
      commentAt ??= pos;
      continue;
    }
    if (line[0] === '[') {
      section = readHeader(line, pos, seenSections, sections, encrypted);
      section.comment = goTrimSpace(comment + headerTail(line, pos));
      comment = '';
      commentAt = null;
      seenKeys = new Map();
      continue;
    }
    const { name, offset } = readKeyName(line, pos);
    const value = readValue(line.slice(offset), lines, { line: pos.line, column: col + offset }, (c) => (comment += c));
    const first = seenKeys.get(name);
    if (first !== undefined) throw duplicateKeyError(name, pos, first, encrypted, ['go-ini (and so sops) would keep only the last value: remove or rename one of the two']);
    seenKeys.set(name, pos);
    section.keys.push({ name, value, comment: goTrimSpace(comment), position: pos });
    comment = '';
    commentAt = null;
  }
  if (commentAt !== null) {
    throw parseError('a comment after the last key has nowhere to go in a sops INI file', commentAt, [
      'sops drops it; move it above a key or a [section] header, or delete it',
    ]);
  }
  return sections;
}

function readHeader(line: string, pos: Position, seen: Map<string, Position | null>, sections: IniSection[], encrypted: boolean): IniSection {
  const close = line.lastIndexOf(']');
  if (close < 0) throw parseError('unclosed section header', pos, ['a section header is [name] on a line of its own']);
  const name = line.slice(1, close);
  if (name.length === 0) throw parseError('empty section name', pos);
  const first = seen.get(name);
  if (seen.has(name)) {
    // The implicit DEFAULT, empty, then one explicit [DEFAULT]: go-ini lists both, and so does sops's
    // tree; a path lookup finds the second, the only one with keys.
    const implicitEmpty = name === DEFAULT_SECTION && first === null && sections[0]!.keys.length === 0;
    if (!implicitEmpty) {
      throw duplicateKeyError(name, pos, first ?? sections[0]!.keys[0]!.position, encrypted, [
        first === null ? 'keys before the first [section] header already form the section DEFAULT: move them under [DEFAULT]' : 'merge the two sections into one',
      ]);
    }
  }
  seen.set(name, pos);
  const section: IniSection = { name, comment: '', keys: [], position: pos };
  sections.push(section);
  return section;
}

/** The comment after a header's `]`; any other text there is refused (go-ini drops it). */
function headerTail(line: string, pos: Position): string {
  const tail = line.slice(line.lastIndexOf(']') + 1);
  const c = tail.search(/[#;]/);
  const before = c < 0 ? tail : tail.slice(0, c);
  if (goTrimSpace(before) !== '') throw parseError('text after a section header', { line: pos.line, column: pos.column + line.lastIndexOf(']') + 1 }, ['a section header is [name] on a line of its own']);
  return c < 0 ? '' : tail.slice(c);
}

/** go-ini's `readKeyName` with `=` and `:` as delimiters; `offset` is just past the delimiter. */
export function readKeyName(line: string, pos: Position): { name: string; offset: number } {
  let quote = '';
  if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line[0] === '`') quote = '`';
  let name: string;
  let delim: number;
  if (quote !== '') {
    const end = line.indexOf(quote, quote.length);
    if (end < 0) throw parseError('missing closing key quote', pos);
    const rest = line.slice(end + quote.length);
    const i = rest.search(/[=:]/);
    if (i < 0) throw parseError('no "=" or ":" after the key', pos, ['each line is key = value, a [section] header, or a ; comment']);
    if (goTrimSpace(rest.slice(0, i)) !== '') throw parseError('text between a quoted key and its "="', { line: pos.line, column: pos.column + end + quote.length });
    name = goTrimSpace(line.slice(quote.length, end));
    delim = end + quote.length + i;
  } else {
    delim = line.search(/[=:]/);
    if (delim < 0) throw parseError('no "=" or ":" after the key', pos, ['each line is key = value, a [section] header, or a ; comment']);
    name = goTrimSpace(line.slice(0, delim));
  }
  if (name === '') throw parseError('empty key name', pos);
  if (name === '-') {
    throw parseError('a "-" key (go-ini numbers these itself) cannot be stored', pos, ['sops would write it back as a comment; give the key a name']);
  }
  return { name, offset: delim + 1 };
}

/** True when `quote` appears exactly twice in `s`, first and last (go-ini's `hasSurroundedQuote`). */
function surrounded(s: string, quote: string): boolean {
  return s.length >= 2 && s[0] === quote && s[s.length - 1] === quote && s.indexOf(quote, 1) === s.length - 1;
}

/**
 * go-ini's `readValue`: `input` is the rest of the line after the delimiter,
 * line break included. Reads more lines for a multi-line `"""` value or a
 * `\` continuation. An inline comment goes to `onComment`.
 */
function readValue(input: string, lines: Lines, pos: Position, onComment: (c: string) => void): string {
  const line = input.replace(LEADING, '');
  if (line.length === 0) return '';
  const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line[0] === '`' ? '`' : '';
  if (quote !== '') {
    const body = line.slice(quote.length);
    const end = body.lastIndexOf(quote);
    if (end >= 0) {
      afterQuote(body.slice(end + quote.length), { line: pos.line, column: pos.column + input.length - line.length + quote.length + end + quote.length }, null);
      return body.slice(0, end);
    }
    return readMultiline(body, quote, lines, pos, onComment);
  }
  let value = goTrimSpace(line);
  if (value.endsWith('\\')) return readContinuation(value.slice(0, -1), lines);
  const c = value.search(/[#;]/);
  if (c >= 0) {
    onComment(value.slice(c));
    value = goTrimSpace(value.slice(0, c));
  }
  if (surrounded(value, "'") || surrounded(value, '"')) value = value.slice(1, -1);
  return value;
}

/** Text after a closing quote: a comment (kept when `onComment` is given), else nothing but spaces. */
function afterQuote(tail: string, pos: Position, onComment: ((c: string) => void) | null): void {
  const c = tail.search(/[#;]/);
  const before = c < 0 ? tail : tail.slice(0, c);
  if (goTrimSpace(before) !== '' || (c >= 0 && onComment === null)) {
    throw parseError('text after the closing quote of a value', pos, [
      'go-ini (and so sops) would drop it; put a comment on the line above the key',
    ]);
  }
  if (c >= 0) onComment!(goTrimSpace(tail.slice(c)));
}

function readMultiline(first: string, quote: string, lines: Lines, pos: Position, onComment: (c: string) => void): string {
  let value = first;
  for (;;) {
    if (lines.done) throw parseError(`missing closing ${quote} of a value`, pos, [`a value that spans lines ends with ${quote}`]);
    const next = lines.next();
    const end = next.lastIndexOf(quote);
    if (end >= 0) {
      afterQuote(next.slice(end + quote.length), { line: lines.line, column: end + quote.length + 1 }, onComment);
      return value + next.slice(0, end);
    }
    value += next;
  }
}

function readContinuation(start: string, lines: Lines): string {
  let value = start;
  while (!lines.done) {
    const next = goTrimSpace(lines.next());
    if (next.length === 0) break;
    value += next;
    if (!value.endsWith('\\')) break;
    value = value.slice(0, -1);
  }
  return value;
}
