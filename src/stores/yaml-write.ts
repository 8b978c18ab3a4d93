/**
 * Writing for the YAML store (SOPS-FORMAT §10.2): a small emitter that
 * reproduces go-yaml v3's encoder with sops' settings (indent 4, indented
 * sequences, `|` literals, go-yaml quoting, no line folding).
 *
 * Known differences from sops + go-yaml v3: a literal block inside a sequence
 * gets a correct indentation indicator (go-yaml always writes the indent
 * width, which misreads); strings with U+2028/U+2029 are double-quoted; a
 * comment-only mapping or list is written as `key:`, its comments, then
 * `{}`/`[]`; a `? key`'s collection value starts on the line after `:`.
 */
import { isLeaf } from '../tree/types.js';
import type { Branch, Comment, Leaf, ListNode, MapNode, Node, Pair } from '../tree/types.js';
import { formatYamlFloat, resolvesToString } from './yaml-resolve.js';

const isBreak = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isPrintable = (c: number): boolean =>
  c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
const ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r',
  0x1b: 'e', 0x22: '"', 0x5c: '\\', 0x85: 'N', 0x2028: 'L', 0x2029: 'P',
};

/** go-yaml's `yaml_emitter_analyze_scalar`, reduced to the block-context answers. */
function analyze(s: string): { multiline: boolean; plain: boolean; single: boolean; block: boolean } {
  if (s === '') return { multiline: false, plain: true, single: true, block: false };
  const cps = Array.from(s, (ch) => ch.codePointAt(0)!);
  const n = cps.length;
  let indicators = s.startsWith('---') || s.startsWith('...');
  let breaks = false, special = false, tab = false, breakSpace = false, spaceBreak = false;
  let prevSpace = false, prevBreak = false, precededByWs = true;
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    const followedByWs = i + 1 >= n || cps[i + 1] === 0x20 || cps[i + 1] === 0x09;
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) indicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWs) indicators = true;
    } else if ((ch === ':' && followedByWs) || (ch === '#' && precededByWs)) {
      indicators = true;
    }
    if (c === 0x09) tab = true;
    else if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      breaks = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = prevBreak = false;
    }
    precededByWs = c === 0x20 || c === 0x09 || c === 0 || isBreak(c);
  }
  const edge = (c: number): boolean => c === 0x20 || isBreak(c);
  const trailingSpace = cps[n - 1] === 0x20;
  return {
    multiline: breaks,
    plain: !(edge(cps[0]!) || edge(cps[n - 1]!) || breakSpace || spaceBreak || tab || special || breaks || indicators),
    single: !(breakSpace || spaceBreak || tab || special),
    block: !(trailingSpace || spaceBreak || special),
  };
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (!isPrintable(c) || c === 0xfeff || isBreak(c) || c === 0x22 || c === 0x5c) {
      const hex = c.toString(16).toUpperCase();
      out += '\\' + (ESCAPES[c] ?? (c <= 0xff ? 'x' + hex.padStart(2, '0') : c <= 0xffff ? 'u' + hex.padStart(4, '0') : 'U' + hex.padStart(8, '0')));
    } else {
      out += ch;
    }
  }
  return out + '"';
}

/** A scalar as written: on the line, or as a literal block. */
type Shown = { text: string } | { literal: string };

/** go-yaml v3's choice of style for a leaf (encoder `stringv` + emitter `select_scalar_style`). */
function show(leaf: Leaf): Shown {
  switch (leaf.kind) {
    case 'int':
      return { text: leaf.value.toString() };
    case 'float':
      return { text: formatYamlFloat(leaf.value) };
    case 'bool':
      return { text: leaf.value ? 'true' : 'false' };
    case 'null':
      return { text: 'null' };
    case 'time':
      return { text: leaf.value };
    case 'str': {
      const s = leaf.value;
      const a = analyze(s);
      // Deviation: go-yaml writes U+2028/U+2029 raw, which YAML 1.2 readers do not take as line breaks.
      const odd = /[\u2028\u2029]/.test(s);
      if (s.includes('\n') && a.block && !odd) return { literal: s };
      if (!s.includes('\n') && resolvesToString(s) && !odd) {
        if (a.plain) return { text: s };
        if (a.single) return { text: `'${s.replaceAll("'", "''")}'` };
      }
      return { text: doubleQuoted(s) };
    }
  }
}

/** Writes documents as go-yaml v3's encoder does with sops' settings. */
class Writer {
  readonly lines: string[] = [];
  private readonly best: number;
  constructor(best: number) {
    this.best = best;
  }

  /** go-yaml's indent for a value nested under something at `ind`: the next multiple of the indent width. */
  private deeper(ind: number): number {
    return this.best * Math.floor((ind + this.best) / this.best);
  }

  private comment(ind: number, c: Comment): void {
    c.text.split('\n').forEach((t, i) => this.lines.push(' '.repeat(ind) + (i === 0 || t.startsWith('#') ? '#' : '# ') + t));
  }

  /**
   * Writes `prefix` + a leaf (`prefix` ends where the value starts). A literal
   * block gets go-yaml's chomping indicator and, when its text starts with a
   * space or newline, an indentation indicator relative to `parentInd`.
   */
  private leafLine(prefix: string, leaf: Leaf, contentInd: number, parentInd: number, inline: Comment | null): void {
    const suffix = inline ? ` #${inline.text}` : '';
    const s = show(leaf);
    if ('text' in s) {
      this.lines.push(`${prefix}${s.text}${suffix}`);
      return;
    }
    const v = s.literal;
    const hint = v[0] === ' ' || v[0] === '\n' ? String(contentInd - parentInd) : '';
    const chomp = !v.endsWith('\n') ? '-' : v === '\n' || v.endsWith('\n\n') ? '+' : '';
    this.lines.push(`${prefix}|${hint}${chomp}${suffix}`);
    for (const l of (chomp === '-' ? v : v.slice(0, -1)).split('\n')) this.lines.push(l === '' ? '' : ' '.repeat(contentInd) + l);
  }

  document(branch: MapNode): void {
    if (!branch.items.some((i) => i.kind === 'pair')) {
      for (const c of branch.items as Comment[]) this.comment(0, c);
      this.lines.push('{}');
    } else {
      this.map(branch, 0);
    }
  }

  value(node: Node): void {
    if (isLeaf(node)) this.leafLine('', node, this.best, 0, null);
    else if (!node.items.some((i) => i.kind !== 'comment')) {
      for (const c of node.items as Comment[]) this.comment(0, c);
      this.lines.push(node.kind === 'map' ? '{}' : '[]');
    } else if (node.kind === 'map') this.map(node, 0);
    else this.list(node, 0);
  }

  map(node: MapNode, ind: number): void {
    const { entries, trailing } = group(node.items, (p: Pair) => isLeaf(p.value));
    for (const { heads, inline, item } of entries) {
      for (const h of heads) this.comment(ind, h);
      this.pair(item, ind, inline);
    }
    for (const t of trailing) this.comment(ind, t);
  }

  private pair(p: Pair, ind: number, inline: Comment | null): void {
    const pad = ' '.repeat(ind);
    const key: Leaf = { kind: 'str', value: p.key };
    const shown = show(key);
    let prefix = `${pad}${'text' in shown ? shown.text : ''}:`;
    // go-yaml writes keys longer than 128 bytes, and multi-line keys, as `? key` / `: value`.
    if (Buffer.byteLength(p.key) > 128 || /[\n\r\u0085\u2028\u2029]/.test(p.key)) {
      this.leafLine(`${pad}? `, key, this.deeper(ind), ind, null);
      prefix = `${pad}:`;
    }
    const v = p.value;
    if (isLeaf(v)) return this.leafLine(prefix + ' ', v, this.deeper(ind), ind, inline);
    if (inline) this.comment(ind, inline);
    this.collection(prefix, v, this.deeper(ind));
  }

  /** `prefix` (`key:` or `-`) followed by a mapping or list, nested at `inner`. */
  private collection(prefix: string, v: MapNode | ListNode, inner: number): void {
    const empty = v.kind === 'map' ? '{}' : '[]';
    if (v.items.length === 0) {
      this.lines.push(`${prefix} ${empty}`);
      return;
    }
    this.lines.push(prefix);
    if (!v.items.some((i) => i.kind !== 'comment')) {
      for (const c of v.items as Comment[]) this.comment(inner, c);
      this.lines.push(' '.repeat(inner) + empty);
    } else if (v.kind === 'map') this.map(v, inner);
    else this.list(v, inner);
  }

  list(node: ListNode, ind: number): void {
    const pad = ' '.repeat(ind);
    const { entries, trailing } = group(node.items, (n: Node) => isLeaf(n));
    for (const { heads, inline, item } of entries) {
      for (const h of heads) this.comment(ind, h);
      if (isLeaf(item)) {
        this.leafLine(`${pad}- `, item, ind + 2, ind, inline);
        continue;
      }
      if (inline) this.comment(ind, inline);
      // go-yaml prints a nested collection's leading comments above the `-`, then its first line after `- `.
      const inner = item.kind === 'map' ? group(item.items, (p: Pair) => isLeaf(p.value)) : group(item.items, isLeaf);
      const lead = inner.entries[0]?.heads ?? item.items;
      for (const c of lead as Comment[]) this.comment(ind, c);
      const rest = item.items.slice(lead.length);
      if (rest.length === 0) {
        this.lines.push(`${pad}- ${item.kind === 'map' ? '{}' : '[]'}`);
        continue;
      }
      const at = this.lines.length;
      if (item.kind === 'map') this.map({ kind: 'map', items: rest as MapNode['items'] }, ind + 2);
      else this.list({ kind: 'list', items: rest as ListNode['items'] }, ind + 2);
      this.lines[at] = `${pad}- ${this.lines[at]!.slice(ind + 2)}`;
    }
    for (const t of trailing) this.comment(ind, t);
  }
}

/** Splits items into entries (leading comments, the inline comment, the item) and trailing comments. */
function group<T extends Pair | Node>(
  items: ReadonlyArray<T | Comment>,
  takesInline: (item: T) => boolean,
): { entries: Array<{ heads: Comment[]; inline: Comment | null; item: T }>; trailing: Comment[] } {
  const entries: Array<{ heads: Comment[]; inline: Comment | null; item: T }> = [];
  let pending: Comment[] = [];
  for (const it of items) {
    if (it.kind === 'comment') {
      pending.push(it as Comment);
      continue;
    }
    const last = pending[pending.length - 1];
    const inline = last?.inline && takesInline(it as T) ? last : null;
    entries.push({ heads: inline ? pending.slice(0, -1) : pending, inline, item: it as T });
    pending = [];
  }
  return { entries, trailing: pending };
}

/**
 * Writes YAML documents as sops does, `---` between them.
 *
 * @param branches - one tree per document
 * @param indent - spaces per nesting level, already normalized (2–9)
 * @returns the text, ending with a newline
 */
export function emitYamlDocuments(branches: readonly Branch[], indent: number): string {
  return branches
    .map((b, i) => {
      const w = new Writer(indent);
      w.document(b);
      return (i > 0 ? '---\n' : '') + w.lines.join('\n') + '\n';
    })
    .join('');
}

/**
 * Writes one value on its own: a scalar on one line (or as a literal block),
 * a mapping or list as a YAML document.
 *
 * @param node - the value
 * @param indent - spaces per nesting level, already normalized (2–9)
 * @returns the text, ending with a newline
 */
export function emitYamlValue(node: Node, indent: number): string {
  const w = new Writer(indent);
  w.value(node);
  return w.lines.join('\n') + '\n';
}
