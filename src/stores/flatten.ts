/**
 * Flattening of the SOPS metadata tree into `sops_*` dotenv keys and back
 * (SOPS-FORMAT §10.1 "Metadata flattening"): a mapping step is written
 * `__map_<key>`, a list step `__list_<index>`, and the whole path gets the
 * prefix `sops_`, so `age[0].enc` becomes `sops_age__list_0__map_enc`.
 */
import { formatGoFloat } from '../tree/scalar-text.js';
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import { scalarText } from '../tree/scalar-text.js';
import type { MapNode, Node, Pair } from '../tree/types.js';

/** The prefix of every metadata key in a dotenv file. */
export const SOPS_PREFIX = 'sops_';

const MAP_SEP = '__map_';
const LIST_SEP = '__list_';

/** One flattened metadata line. */
export interface FlatEntry {
  /** The full key, `sops_` prefix included. */
  readonly key: string;
  /** The value text, with real newlines (the dotenv writer escapes them). */
  readonly value: string;
  /** The 1-based line the entry was read from, for error messages. */
  readonly line?: number;
}

type Token = { readonly kind: 'map'; readonly key: string } | { readonly kind: 'list'; readonly index: number | null };

/**
 * Flatten a metadata tree into `sops_*` entries, in the order of the tree:
 * pairs in item order, list elements in index order. The caller passes the
 * tree in the order it wants on disk (sops 3.13: alphabetical at every level).
 *
 * Leaves: strings as they are, booleans `true`/`false`, integers in decimal,
 * floats in Go `'f'` form, times as their text. Null leaves, empty maps and
 * empty lists produce no entry (sops omits them too). Comments are skipped.
 *
 * @param tree - the metadata mapping (the value of the `sops` key)
 * @returns the flattened entries, keys prefixed with `sops_`
 * @throws EnvcryptError `BAD_METADATA` when a key would not read back as the
 *   same path (it contains `__map_`/`__list_` or ends in a way that merges
 *   with the next separator), or would be written twice (a key given twice)
 */
export function flattenMetadata(tree: MapNode): FlatEntry[] {
  const out: FlatEntry[] = [];
  const seen = new Set<string>();
  const walk = (node: Node, path: string, tokens: Token[]): void => {
    if (node.kind === 'map') {
      for (const item of node.items) {
        if (item.kind !== 'pair') continue;
        const step = tokens.length === 0 ? item.key : MAP_SEP + item.key;
        walk(item.value, path + step, [...tokens, { kind: 'map', key: item.key }]);
      }
      return;
    }
    if (node.kind === 'list') {
      let i = 0;
      for (const item of node.items) {
        if (item.kind === 'comment') continue;
        walk(item, `${path}${LIST_SEP}${i}`, [...tokens, { kind: 'list', index: i }]);
        i++;
      }
      return;
    }
    if (node.kind === 'null') return;
    if (!sameTokens(tokenize(path), tokens)) {
      throw new EnvcryptError('BAD_METADATA', `metadata key ${escapeControls(SOPS_PREFIX + path)} cannot be flattened unambiguously`, {
        hints: ['metadata keys must not contain "__map_" or "__list_"'],
      });
    }
    // sops refuses a key collision too ("Found key collision … while flattening", stores/flatten.go).
    if (seen.has(path)) {
      throw new EnvcryptError('BAD_METADATA', `metadata key ${escapeControls(SOPS_PREFIX + path)} would be written twice`);
    }
    seen.add(path);
    out.push({ key: SOPS_PREFIX + path, value: scalarText(node, formatGoFloat) });
  };
  walk(tree, '', []);
  return out;
}

/**
 * Split a flattened path (without the prefix) into steps, the way sops's
 * tokenizer does: scan left to right, and at each position a `__map_` or
 * `__list_` starts a new step. A list step whose index is not a canonical
 * decimal gets `index: null`.
 */
/** A canonical decimal of at most 9 digits (`0|[1-9][0-9]{0,8}`), or null; by hand, as it runs for every metadata key at start-up. */
function listIndex(text: string): number | null {
  if (text.length === 0 || text.length > 9 || (text.length > 1 && text.charCodeAt(0) === 48)) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(text);
}

function tokenize(path: string): Token[] {
  const tokens: Token[] = [];
  let kind: 'top' | 'map' | 'list' = 'top';
  let start = 0;
  const finish = (end: number): void => {
    if (kind === 'list') {
      tokens.push({ kind: 'list', index: listIndex(path.slice(start, end)) });
    } else {
      tokens.push({ kind: 'map', key: path.slice(start, end) });
    }
  };
  let i = 0;
  while (i < path.length) {
    // sops checks the map separator first at each position; so do we.
    const sep = path.startsWith(MAP_SEP, i) ? MAP_SEP : path.startsWith(LIST_SEP, i) ? LIST_SEP : null;
    if (sep === null) {
      i++;
      continue;
    }
    finish(i);
    kind = sep === MAP_SEP ? 'map' : 'list';
    i += sep.length;
    start = i;
  }
  finish(path.length);
  return tokens;
}

function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && a.every((t, i) => sameToken(t, b[i]!));
}

function sameToken(a: Token, b: Token): boolean {
  if (a.kind === 'map') return b.kind === 'map' && a.key === b.key;
  return b.kind === 'list' && a.index === b.index;
}

/** The tree being rebuilt: maps keep first-seen order, lists are sparse until checked. */
type Draft =
  | { kind: 'map'; entries: Map<string, Draft> }
  | { kind: 'list'; entries: Map<number, Draft>; path: string }
  | { kind: 'leaf'; value: string; key: string; line: number | undefined };

/**
 * Rebuild the metadata tree from `sops_*` entries (SOPS-FORMAT §10.1
 * "Reading metadata back"), strictly: every list must have exactly the
 * indices 0..n-1, and no path may be given twice or be both a value and a
 * container.
 *
 * Order: mappings keep their keys in the order they are first seen in
 * `entries` (so a 3.13 file, written alphabetically, reads back
 * alphabetically, and an older file keeps its own order); list elements are in
 * index order. All leaves come back as `str` (sops does the same; the
 * metadata reader coerces `"true"`, `"2"`, … loosely).
 *
 * @param entries - the entries, keys with the `sops_` prefix
 * @returns the metadata mapping
 * @throws EnvcryptError `BAD_METADATA` for a key without the prefix, a bad
 *   list index, an incomplete list, a key given twice or conflicting paths
 */
export function unflattenMetadata(entries: Iterable<FlatEntry>): MapNode {
  const root: Draft = { kind: 'map', entries: new Map() };
  for (const entry of entries) insert(root, entry);
  return finishMap(root);
}

function insert(root: Draft & { kind: 'map' }, entry: FlatEntry): void {
  const where = entry.line === undefined ? '' : ` (line ${entry.line})`;
  const bad = (what: string, hints?: string[]) =>
    new EnvcryptError('BAD_METADATA', `metadata key ${escapeControls(entry.key)}${where} ${what}`, hints ? { hints } : {});
  if (!entry.key.startsWith(SOPS_PREFIX)) throw bad(`does not start with "${SOPS_PREFIX}"`);
  const tokens = tokenize(entry.key.slice(SOPS_PREFIX.length));
  let node: Draft = root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    const child: Draft | undefined = next === undefined
      ? { kind: 'leaf', value: entry.value, key: entry.key, line: entry.line }
      : next.kind === 'map'
        ? { kind: 'map', entries: new Map() }
        : { kind: 'list', entries: new Map(), path: flatPrefix(tokens, i) };
    let existing: Draft | undefined;
    if (token.kind === 'map') {
      if (node.kind !== 'map') throw bad('mixes a list and a mapping at the same path');
      existing = node.entries.get(token.key);
      if (existing === undefined) node.entries.set(token.key, child);
    } else {
      if (token.index === null) throw bad('has a list index that is not a decimal number');
      if (node.kind !== 'list') throw bad('mixes a list and a mapping at the same path');
      existing = node.entries.get(token.index);
      if (existing === undefined) node.entries.set(token.index, child);
    }
    if (existing === undefined) {
      node = child;
      continue;
    }
    if (existing.kind === 'leaf') {
      if (next === undefined) {
        const first = existing.line === undefined ? '' : `, first on line ${existing.line}`;
        throw bad(`is given twice${first}`, ['remove the duplicate line; a SOPS file has each metadata key once']);
      }
      throw bad(`is nested under ${escapeControls(existing.key)}, which is a value`);
    }
    if (next === undefined) throw bad('is a value but other metadata keys are nested under it');
    if (existing.kind !== child.kind) throw bad('mixes a list and a mapping at the same path');
    node = existing;
  }
}

/** The flattened key up to and including step `i`, for naming a list in errors. */
function flatPrefix(tokens: readonly Token[], i: number): string {
  let s = SOPS_PREFIX;
  tokens.slice(0, i + 1).forEach((t, j) => {
    s += t.kind === 'map' ? (j === 0 ? t.key : MAP_SEP + t.key) : `${LIST_SEP}${t.index}`;
  });
  return s;
}

function finishMap(draft: Draft & { kind: 'map' }): MapNode {
  const items: Pair[] = [];
  for (const [key, child] of draft.entries) items.push({ kind: 'pair', key, value: finish(child) });
  return { kind: 'map', items };
}

function finish(draft: Draft): Node {
  if (draft.kind === 'map') return finishMap(draft);
  if (draft.kind === 'leaf') return { kind: 'str', value: draft.value };
  const n = draft.entries.size;
  const items: Node[] = [];
  for (let i = 0; i < n; i++) {
    const child = draft.entries.get(i);
    if (child === undefined) {
      throw new EnvcryptError('BAD_METADATA', `incomplete list ${escapeControls(draft.path)}: element ${i} is missing`, {
        hints: ['list elements must be numbered 0..n-1 without gaps'],
      });
    }
    items.push(finish(child));
  }
  return { kind: 'list', items };
}
