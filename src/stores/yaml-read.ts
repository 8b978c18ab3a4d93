/**
 * Reading for the YAML store (SOPS-FORMAT §10.2): YAML text → one tree per
 * document. It uses the `yaml` package's CST and composer with the failsafe
 * schema, so every scalar keeps its text and is resolved the go-yaml v3 way
 * ({@link resolveScalar}); comments are placed from their positions the way
 * sops places go-yaml's head/line/foot comments.
 *
 * Known differences from sops + go-yaml v3:
 * - Comment placement is computed from columns (the §10.2 interop rule:
 *   innermost block of the next item, or of the previous one when the comment
 *   is indented deeper); go-yaml's own attachment can differ in odd layouts.
 * - Reading is stricter: duplicate keys are refused in every document (sops
 *   checks the first); `!!int abc` and other tag mismatches are errors (sops
 *   reads null); `!!binary` must decode to UTF-8; a file of comments only has
 *   no documents, like an empty one; raw U+0085, U+2028 and U+2029 (line
 *   breaks to go-yaml, ordinary characters to the `yaml` package) are refused.
 * - Block scalar values are recomputed with go-yaml's rules (`yaml-block.ts`),
 *   not taken from the `yaml` package, which reads a few of them differently.
 */
import { Composer, LineCounter, Parser, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { CST, ParsedNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { parseError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import type { EnvcryptError, Position } from '../errors.js';
import { nul } from '../tree/types.js';
import type { Branch, Comment, Leaf, ListNode, MapNode, Node, Pair } from '../tree/types.js';
import { duplicateKeyError } from './duplicate-key.js';
import { YAML11_BREAKS, goBlockScalar } from './yaml-block.js';
import { resolveScalar } from './yaml-resolve.js';
import type { ResolveFailure } from './yaml-resolve.js';

/** The top-level key holding the metadata in YAML and JSON files. */
export const METADATA_KEY = 'sops';
/** Deeper trees are refused; sops files are shallow and our walks are recursive. */
const MAX_DEPTH = 1000;
/**
 * Nodes that alias expansion may add to a whole file, all documents together
 * (billion-laughs guard). Per document is not enough: 300 small documents of
 * nested aliases each under a per-document cap still expand to 27 million
 * nodes, which every later walk (decryption, MAC, emit) pays for. 100,000
 * extra nodes cost well under a second to decrypt and are far beyond any
 * real use of anchors in a configuration file (sops files rarely have any).
 */
export const MAX_ALIAS_NODES = 100_000;

/** A mapping or list under construction; aliases share these objects. */
interface Container {
  readonly kind: 'bmap' | 'blist';
  readonly keys: string[];
  readonly values: Built[];
  readonly notes: Note[];
  readonly owner: { container: Container; index: number } | null;
  readonly offset: number;
  /** Column of the first item (or of the container itself when empty), 1-based. */
  col: number;
  /** 0 new, 1 being measured, 2 measured. */
  state: number;
  size: number;
  frozen: MapNode | ListNode | null;
}
type Built = Leaf | Container;
/** A comment waiting to be placed before item `slot` (or at the end when `slot` is the item count). */
interface Note { slot: number; offset: number; comment: Comment }
/** Where a line comment after `offset` goes. */
interface LineEvent { offset: number; line: number; container: Container; slot: number; inline: boolean }
/** The start of a mapping pair or list entry. */
interface ItemPos { offset: number; col: number; container: Container; index: number }
/** Comments strictly between `start` and `end` go to `container` at `slot`. */
interface Region { start: number; end: number; container: Container; slot: number }

const FAILURES: Record<ResolveFailure, string> = {
  uint64: 'is an integer beyond the signed 64-bit range, which sops cannot encrypt',
  'tag-mismatch': 'does not match its explicit tag',
  'bad-binary': 'is !!binary data that is not base64-encoded UTF-8 text',
  'time-range': 'is a timestamp whose offset sops cannot serialize',
};

/** Messages for the `yaml` package's error codes; its own messages quote the source. */
const LIB_ERRORS: Partial<Record<string, string>> = {
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'tab used as indentation',
  MISSING_CHAR: 'missing character',
  UNEXPECTED_TOKEN: 'unexpected token',
  MULTILINE_IMPLICIT_KEY: 'implicit key spans several lines',
  BLOCK_AS_IMPLICIT_KEY: 'block collection used as an implicit key',
  BAD_DQ_ESCAPE: 'bad escape in a double-quoted string',
  BAD_SCALAR_START: 'bad start of a plain scalar',
  RESOURCE_EXHAUSTION: 'nesting too deep to parse',
  TAG_RESOLVE_FAILED: 'unknown tag handle',
};

function newContainer(kind: Container['kind'], owner: Container['owner'], offset: number, col: number): Container {
  return { kind, keys: [], values: [], notes: [], owner, offset, col, state: 0, size: 0, frozen: null };
}

/** Converts one composed document into containers, recording item positions for comment placement. */
class DocReader {
  readonly anchors = new Map<string, Built>();
  readonly items: ItemPos[] = [];
  readonly events: LineEvent[] = [];
  readonly regions: Region[] = [];
  /** Every alias of the document, where it is and what it stands for, in source order. */
  readonly aliases: Array<{ offset: number; target: Built }> = [];
  private readonly path: string[] = [];
  private readonly text: string;
  private readonly lc: LineCounter;
  /** The top-level `sops` value of this document is metadata (its scalars keep their text). */
  private readonly metaDoc: boolean;

  /** The file is encrypted (only changes the hints of a duplicate-key error). */
  private readonly encrypted: boolean;

  constructor(text: string, lc: LineCounter, metaDoc: boolean, encrypted: boolean) {
    this.text = text;
    this.lc = lc;
    this.metaDoc = metaDoc;
    this.encrypted = encrypted;
  }

  pos(offset: number): Position {
    const p = this.lc.linePos(offset);
    return { line: p.line, column: p.col };
  }

  fail(what: string, offset: number, code?: string): never {
    const p = this.pos(offset);
    throw parseError(`${what} at ${p.line}:${p.column}${code ? ` (${code})` : ''}`, p);
  }

  root(n: ParsedNode | null): Container {
    // An empty (or null) document is an empty branch, as in sops.
    if (n === null || (isScalar(n) && isNullScalar(n))) return newContainer('bmap', null, n?.range[0] ?? 0, 1);
    if (!isMap(n)) this.fail('top level of the document is not a mapping', n.range[0]);
    const top = this.node(n, null, 0, false) as Container;
    // `{a: 1} # c`: go-yaml's line comment of the top mapping, which sops puts first in the branch.
    if ((n.srcToken as CST.Token | undefined)?.type === 'flow-collection') this.event(n.range[1], top, 0, false);
    return top;
  }

  node(n: ParsedNode | null, owner: Container['owner'], depth: number, meta: boolean): Built {
    if (n === null) return nul;
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, n.range[0]);
    if (isAlias(n)) {
      const target = this.anchors.get(n.source);
      if (target === undefined) this.fail('alias to an undefined anchor', n.range[0]);
      this.aliases.push({ offset: n.range[0], target });
      return target;
    }
    if (isScalar(n)) {
      const leaf = this.scalar(n, meta);
      if (n.anchor) this.anchors.set(n.anchor, leaf);
      return leaf;
    }
    const c = newContainer(isMap(n) ? 'bmap' : 'blist', owner, n.range[0], this.pos(n.range[0]).column);
    // go-yaml registers an anchor when its node starts, so `&a [*a]` refers to itself (caught later as a cycle).
    if (n.anchor) this.anchors.set(n.anchor, c);
    if (isMap(n)) {
      const seen = new Map<string, number>();
      n.items.forEach((p, i) => this.pair(c, i, p.key as ParsedNode | null, p.value as ParsedNode | null, depth, meta, seen));
    } else if (isSeq(n)) {
      this.entries(c, n as YAMLSeq.Parsed, depth, meta);
    }
    return c;
  }

  private scalar(n: Scalar.Parsed, meta: boolean): Leaf {
    const text = yamlScalarValue(this.text, n);
    const r = resolveScalar(text, syntaxOf(n));
    if (!r.ok) {
      const where = this.path.length ? `value at ${escapeControls(this.path.join(':'))}` : 'value';
      this.fail(`${where} ${FAILURES[r.reason]}`, n.range[0]);
    }
    // Metadata is decoded into Go strings by sops, which keep the scalar's text.
    if (meta && (r.leaf.kind === 'time' || r.leaf.kind === 'float')) return { kind: 'str', value: text };
    return r.leaf;
  }

  private key(k: ParsedNode | null, offset: number, depth: number): string {
    // Keys must be strings after go-yaml resolution (§2): `123:`, `true:` and `~:` are refused.
    const key = k === null ? nul : isScalar(k) || isAlias(k) ? this.node(k, null, depth, false) : null;
    if (key === null || isContainer(key)) this.fail('non-string key (collection)', offset);
    if (key.kind !== 'str') this.fail(`non-string key (${key.kind})`, offset);
    return key.value;
  }

  private addItem(c: Container, index: number, offset: number): void {
    if (index === 0) c.col = this.pos(offset).column;
    this.items.push({ offset, col: c.col, container: c, index });
  }

  private event(offset: number, container: Container, slot: number, inline: boolean): void {
    this.events.push({ offset, line: this.pos(offset).line, container, slot, inline });
  }

  private pair(
    c: Container, i: number, k: ParsedNode | null, v: ParsedNode | null, depth: number, meta: boolean, seen: Map<string, number>,
  ): void {
    const keyStart = k?.range[0] ?? v?.range[0] ?? c.offset;
    const key = this.key(k, keyStart, depth);
    const first = seen.get(key);
    if (first !== undefined) throw duplicateKeyError(key, this.pos(keyStart), this.pos(first), this.encrypted);
    seen.set(key, keyStart);
    this.addItem(c, i, explicitKeyStart(this.text, keyStart));
    const keyEnd = k?.range[1] ?? keyStart;
    this.event(keyEnd, c, i, false);
    this.path.push(key);
    const isMeta = meta || (this.metaDoc && depth === 0 && key === METADATA_KEY);
    const value = this.node(v, { container: c, index: i }, depth + 1, isMeta);
    this.path.pop();
    c.keys.push(key);
    c.values.push(value);
    this.marks(v, value, keyEnd, c, i);
  }

  private entries(c: Container, n: YAMLSeq.Parsed, depth: number, meta: boolean): void {
    const dashes = dashOffsets(n);
    n.items.forEach((it, i) => {
      const item = it as ParsedNode | YAMLMap.Parsed['items'][number] | null;
      const dash = dashes?.[i];
      const start = dash ?? (item && isPair(item) ? (item.key as ParsedNode | null)?.range[0] : item?.range[0]) ?? c.offset;
      this.addItem(c, i, start);
      if (dash !== undefined) this.event(dash, c, i, false);
      if (item && isPair(item)) {
        // `[a: 1]`: a single-pair mapping inside a flow sequence.
        const m = newContainer('bmap', { container: c, index: i }, start, this.pos(start).column);
        this.pair(m, 0, item.key as ParsedNode | null, item.value as ParsedNode | null, depth + 1, meta, new Map());
        c.values.push(m);
        return;
      }
      const value = this.node(item as ParsedNode | null, { container: c, index: i }, depth + 1, meta);
      c.values.push(value);
      this.marks(item as ParsedNode | null, value, dash ?? start, c, i);
    });
  }

  /** Records where comments next to a value go (§10.2 "Comments"). */
  private marks(v: ParsedNode | null, built: Built, before: number, c: Container, i: number): void {
    if (!v) return;
    const [start, end] = v.range;
    if (isScalar(v) || isAlias(v)) {
      // A comment after a scalar (or alias) on its line is the value's line comment: inline, before the pair.
      this.event(start, c, i, true);
      this.event(end, c, i, true);
      if (this.pos(start).line > this.pos(before).line) this.regions.push({ start: before, end: start, container: c, slot: i });
    } else if (isContainer(built)) {
      if ((v.srcToken as CST.Token | undefined)?.type === 'flow-collection') this.event(end, built, 0, false);
      this.regions.push({ start: before, end: start, container: built, slot: 0 });
    }
  }

  /** Places one comment (§10.2, and the interop advice: innermost container of the next item, or the previous one). */
  place(offset: number, text: string, top: Container, lineComment: boolean): void {
    const note = (container: Container, slot: number, inline: boolean): void => {
      container.notes.push({ slot, offset, comment: inline ? { kind: 'comment', text, inline } : { kind: 'comment', text } });
    };
    const { line, column } = this.pos(offset);
    if (lineComment) {
      const ev = this.events[countBefore(this.events, offset) - 1];
      if (ev && ev.line === line) return note(ev.container, ev.slot, ev.inline);
    }
    const region = this.regions[countBefore(this.regions, offset) - 1];
    if (region && offset < region.end) return note(region.container, region.slot, false);
    const at = countBefore(this.items, offset);
    const prev = this.items[at - 1];
    const next = this.items[at];
    if (next && column <= next.col) return note(next.container, next.index, false);
    if (!prev) return note(top, 0, false);
    // A trailing comment belongs to the innermost enclosing block indented no deeper than it.
    let container = prev.container;
    let slot = prev.index + 1;
    while (container.col > column && container.owner) {
      slot = container.owner.index + 1;
      container = container.owner.container;
    }
    return note(container, slot, false);
  }
}

/**
 * A scalar's value after YAML unescaping and folding. Block scalars are
 * re-read with go-yaml's rules (`yaml-block.ts`), where the `yaml` package's
 * value can differ (a clip block at the end of the file, whitespace-only lines).
 */
function yamlScalarValue(text: string, n: Scalar.Parsed): string {
  const tok = n.srcToken as CST.Token | undefined;
  if (tok?.type === 'block-scalar') {
    const header = tok.props.find((p) => p.type === 'block-scalar-header');
    if (header) return goBlockScalar(text, { offset: header.offset, parentIndent: tok.indent });
  }
  return String(n.source ?? '');
}

function syntaxOf(n: Scalar.Parsed): { quoted: boolean; tag: string | undefined } {
  return { quoted: n.type !== undefined && n.type !== 'PLAIN', tag: n.tag };
}

function isNullScalar(n: Scalar.Parsed): boolean {
  const r = resolveScalar(String(n.source ?? ''), syntaxOf(n));
  return r.ok && r.leaf.kind === 'null';
}

/** Where a pair starts: at the `?` of an explicit key (`? key`), else at the key. */
function explicitKeyStart(text: string, keyStart: number): number {
  let i = keyStart - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i--;
  return i >= 0 && text[i] === '?' && (i === 0 || /\s/.test(text[i - 1]!)) ? i : keyStart;
}

/** The `-` offsets of a block sequence's entries, from its CST token. */
function dashOffsets(n: YAMLSeq.Parsed): number[] | null {
  const tok = n.srcToken as CST.Token | undefined;
  if (tok?.type !== 'block-seq') return null;
  const dashes = tok.items.flatMap((it) => it.start.filter((t) => t.type === 'seq-item-ind').map((t) => t.offset));
  return dashes.length === n.items.length ? dashes : null;
}

/** How many elements start before `offset` (elements sorted by `offset` or `start`). */
function countBefore(list: ReadonlyArray<{ offset: number } | { start: number }>, offset: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const e = list[mid]!;
    if (('offset' in e ? e.offset : e.start) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isContainer(b: Built): b is Container {
  return 'keys' in b;
}

/** Every comment token in the CST, in source order (iterative: the CST can be deep). */
function collectComments(tokens: readonly CST.Token[]): CST.SourceToken[] {
  const found: CST.SourceToken[] = [];
  const stack: unknown[] = [...tokens].reverse();
  while (stack.length) {
    const t = stack.pop();
    if (Array.isArray(t)) {
      for (let i = t.length - 1; i >= 0; i--) stack.push(t[i]);
    } else if (t && typeof t === 'object') {
      const o = t as Record<string, unknown>;
      if (o.type === 'comment' && typeof o.offset === 'number') found.push(o as unknown as CST.SourceToken);
      else for (const k of ['start', 'key', 'sep', 'value', 'items', 'end', 'props']) if (o[k]) stack.push(o[k]);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** Counts the nodes of the expanded tree, refusing cycles and excessive depth. */
function measure(b: Built, r: DocReader, depth: number): number {
  if (!isContainer(b)) return 1;
  if (b.state === 2) return b.size;
  if (b.state === 1) r.fail('alias refers to a node that contains it', b.offset);
  if (depth > MAX_DEPTH) r.fail(`nesting deeper than ${MAX_DEPTH} levels after alias expansion`, b.offset);
  b.state = 1;
  let size = 1;
  for (const v of b.values) size += measure(v, r, depth + 1);
  b.state = 2;
  b.size = size;
  return size;
}

/** Builds the immutable tree, merging the comments into place. Shared containers freeze once. */
function freeze(b: Built): Node {
  if (!isContainer(b)) return b;
  if (b.frozen) return b.frozen;
  const notes = [...b.notes].sort((x, y) => x.slot - y.slot || x.offset - y.offset);
  const items: Array<Pair | Node | Comment> = [];
  let k = 0;
  for (let i = 0; i <= b.values.length; i++) {
    while (k < notes.length && notes[k]!.slot <= i) items.push(notes[k++]!.comment);
    if (i === b.values.length) break;
    const value = freeze(b.values[i]!);
    items.push(b.kind === 'bmap' ? { kind: 'pair', key: b.keys[i]!, value } : value);
  }
  b.frozen = b.kind === 'bmap' ? { kind: 'map', items: items as Array<Pair | Comment> } : { kind: 'list', items: items as Array<Node | Comment> };
  return b.frozen;
}

/**
 * Parses every document; `encrypted` keeps the first document's `sops`
 * scalars as text. Comments are placed into the trees.
 *
 * @param text - the whole file
 * @param encrypted - when true, the first document's top-level `sops` value is
 *   metadata: its scalars keep their text (sops decodes them into Go strings)
 * @returns one branch per document, and where the first document's `sops` key
 *   starts (null when it has none, or when `encrypted` is false)
 * @throws EnvcryptError `PARSE` with a line:column position, never quoting the
 *   input, for invalid YAML, non-string or duplicate keys, unresolvable scalars,
 *   alias cycles, excessive nesting, and alias expansion beyond
 *   {@link MAX_ALIAS_NODES} extra nodes in the whole file
 */
export function readYaml(text: string, encrypted: boolean): { branches: Branch[]; metadataAt: Position | null } {
  refuseYaml11Breaks(text);
  const lc = new LineCounter();
  let tokens: CST.Token[];
  let docs;
  try {
    tokens = Array.from(new Parser(lc.addNewLine).parse(text));
    docs = Array.from(new Composer({ schema: 'failsafe', keepSourceTokens: true, uniqueKeys: false }).compose(tokens, false, text.length));
  } catch (e) {
    if (e instanceof RangeError) throw parseError('yaml nesting too deep to parse', { line: 1, column: 1 });
    throw e;
  }
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const p = lc.linePos(err.pos[0]);
      const what = LIB_ERRORS[err.code] ?? err.code.toLowerCase().replaceAll('_', ' ');
      throw parseError(`invalid yaml: ${what} at ${p.line}:${p.col} (${err.code})`, { line: p.line, column: p.col });
    }
  }
  const comments = collectComments(tokens);
  let metadataAt: Position | null = null;
  let aliasNodes = 0;
  // The first comment not yet placed: comments and documents are both in file order.
  let nextComment = 0;
  const branches = docs.map((doc, di) => {
    const reader = new DocReader(text, lc, encrypted && di === 0, encrypted);
    let top: Container;
    try {
      top = reader.root(doc.contents as ParsedNode | null);
    } catch (e) {
      if (e instanceof RangeError) throw parseError('yaml nesting too deep to read', reader.pos(doc.range[0]));
      throw e;
    }
    reader.events.sort((a, b) => a.offset - b.offset);
    reader.regions.sort((a, b) => a.start - b.start);
    // Comments before a document's `---` belong to the one before (go-yaml's foot comments).
    const start = di === 0 ? -Infinity : doc.range[0];
    const end = docs[di + 1]?.range[0] ?? Infinity;
    for (; nextComment < comments.length && comments[nextComment]!.offset < end; nextComment++) {
      const c = comments[nextComment]!;
      if (c.offset < start) continue;
      reader.place(c.offset, c.source.slice(1), top, isAfterContent(text, c.offset));
    }
    measure(top, reader, 0);
    // Each use of an alias adds its target's expanded size, minus the alias node itself.
    for (const a of reader.aliases) {
      aliasNodes += (isContainer(a.target) ? a.target.size : 1) - 1;
      if (aliasNodes > MAX_ALIAS_NODES) throw aliasBudgetError(reader.pos(a.offset), di + 1);
    }
    if (encrypted && di === 0) {
      const i = top.keys.indexOf(METADATA_KEY);
      const at = reader.items.find((p) => p.container === top && p.index === i);
      if (at) metadataAt = reader.pos(at.offset);
    }
    return freeze(top) as Branch;
  });
  return { branches, metadataAt };
}

/**
 * go-yaml (YAML 1.1) reads U+0085, U+2028 and U+2029 as line breaks, the
 * `yaml` package (YAML 1.2) as ordinary characters: the same text would give
 * sops other values, or other structure. Written escaped in double quotes
 * (`"\\N"`, `"\\L"`, `"\\P"`), as envcrypt itself writes them, both agree.
 */
function refuseYaml11Breaks(text: string): void {
  const m = YAML11_BREAKS.exec(text);
  if (!m) return;
  const before = text.slice(0, m.index);
  const line = before.split(/\r\n|\r|\n/).length;
  const column = m.index - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  throw parseError(
    `unicode line break (U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at ${line}:${column}, which sops's yaml parser reads as a new line`,
    { line, column },
    ['write it as an escape inside double quotes: "\\N" (U+0085), "\\L" (U+2028), "\\P" (U+2029)'],
  );
}

function aliasBudgetError(at: Position, doc: number): EnvcryptError {
  return parseError(
    `yaml aliases expand the file by more than ${MAX_ALIAS_NODES} nodes (all documents together) at ${at.line}:${at.column}, in document ${doc}`,
    at,
    ['an alias copies its anchor\'s whole value; nested aliases multiply, a known denial-of-service pattern', 'write the repeated values out, or use fewer aliases'],
  );
}

/** True when something other than blanks precedes `offset` on its line. */
function isAfterContent(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '\n' || c === '\r') return false;
    if (c !== ' ' && c !== '\t') return true;
  }
  return false;
}
