/**
 * The three-way merge of plaintext trees by key, for the git merge driver.
 * Pure: no crypto, no files. Maps are merged key by key (recursively);
 * lists and scalars are atomic values.
 */
import { nodesEqual } from './equal.js';
import type { Branch, Comment, MapNode, Node, Pair } from './types.js';

/** What {@link mergeBranches} produced. */
export interface TreeMerge {
  /** The merged documents. Where keys conflict they hold ours' value. */
  branches: Branch[];
  /**
   * Key paths changed differently on both sides, in the order met (ours'
   * order first). An empty path means the documents themselves conflicted.
   */
  conflicts: string[][];
}

const EMPTY: MapNode = { kind: 'map', items: [] };

function same(a: Node | undefined, b: Node | undefined): boolean {
  return a === undefined || b === undefined ? a === b : nodesEqual(a, b);
}

/** The pairs of a map by key, or null when a key repeats (such a map is merged as one value). */
function byKey(m: MapNode): Map<string, Node> | null {
  const out = new Map<string, Node>();
  for (const it of m.items) {
    if (it.kind !== 'pair') continue;
    if (out.has(it.key)) return null;
    out.set(it.key, it.value);
  }
  return out;
}

/**
 * Merge one value. `undefined` stands for "absent" (never added, or deleted),
 * so a deletion on one side is a change like any other.
 */
function mergeValue(base: Node | undefined, ours: Node | undefined, theirs: Node | undefined, path: string[], conflicts: string[][]): Node | undefined {
  if (same(ours, theirs)) return ours;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;
  if (ours?.kind === 'map' && theirs?.kind === 'map') {
    const merged = mergeMaps(base?.kind === 'map' ? base : EMPTY, ours, theirs, path, conflicts);
    if (merged) return merged;
  }
  conflicts.push(path);
  return ours;
}

/** Merge two changed maps key by key; null when one of them cannot be indexed by key. */
function mergeMaps(base: MapNode, ours: MapNode, theirs: MapNode, path: string[], conflicts: string[][]): MapNode | null {
  const b = byKey(base) ?? new Map<string, Node>();
  const o = byKey(ours);
  const t = byKey(theirs);
  if (!o || !t) return null;
  const out: Array<Pair | Comment> = [];
  for (const it of ours.items) {
    if (it.kind === 'comment') {
      out.push(it);
      continue;
    }
    const v = mergeValue(b.get(it.key), it.value, t.get(it.key), [...path, it.key], conflicts);
    if (v !== undefined) out.push(v === it.value ? it : { kind: 'pair', key: it.key, value: v });
  }
  insertTheirs(out, ours, theirs, (key, value) => mergeValue(b.get(key), undefined, value, [...path, key], conflicts), o);
  return { kind: 'map', items: out };
}

/**
 * Add the keys that only theirs has (and that survive the merge), each right
 * after its nearest predecessor in theirs that is in the result, or at the
 * end. The comments directly above such a key in theirs come with it, unless
 * ours already has a comment with the same text at this level.
 */
function insertTheirs(
  out: Array<Pair | Comment>,
  ours: MapNode,
  theirs: MapNode,
  merge: (key: string, value: Node) => Node | undefined,
  oursKeys: Map<string, Node>,
): void {
  const oursComments = new Set(ours.items.filter((i): i is Comment => i.kind === 'comment').map((c) => c.text));
  let run: Comment[] = [];
  let prev: string | undefined;
  for (const it of theirs.items) {
    if (it.kind === 'comment') {
      run.push(it);
      continue;
    }
    const above = run;
    run = [];
    if (oursKeys.has(it.key)) {
      prev = it.key;
      continue;
    }
    const v = merge(it.key, it.value);
    if (v === undefined) continue;
    const at = prev === undefined ? -1 : out.findIndex((x) => x.kind === 'pair' && x.key === prev);
    const add = [...above.filter((c) => !oursComments.has(c.text)), { kind: 'pair', key: it.key, value: v } as Pair];
    out.splice(at < 0 ? out.length : at + 1, 0, ...add);
    prev = it.key;
  }
}

/**
 * Three-way merge of decrypted documents by key.
 *
 * Rules, applied at every map level: a value changed on one side only takes
 * that side (a deletion is a change); a value changed to the same thing on
 * both sides is kept; maps changed on both sides are merged key by key; any
 * other change on both sides is a conflict, which keeps ours' value and is
 * reported by path. The result keeps ours' key order and comments; keys that
 * only theirs added go after their predecessor in theirs (or at the end).
 * When one side did not change a document at all, the other side's document
 * is taken as it is, comments and order included.
 *
 * Documents are merged by position when ours and theirs have as many as the
 * base (or the base is empty, i.e. the file was added on both sides);
 * otherwise the side that changed the document list wins, and a change on
 * both sides is a conflict with an empty path.
 *
 * @param base - the common ancestor's documents; `[]` when there is none
 */
export function mergeBranches(base: readonly Branch[], ours: readonly Branch[], theirs: readonly Branch[]): TreeMerge {
  const conflicts: string[][] = [];
  const sameCount = ours.length === theirs.length && (base.length === 0 || base.length === ours.length);
  if (!sameCount) {
    const eq = (a: readonly Branch[], b: readonly Branch[]) => a.length === b.length && a.every((x, i) => nodesEqual(x, b[i]!));
    if (eq(base, ours)) return { branches: [...theirs], conflicts };
    if (eq(base, theirs) || eq(ours, theirs)) return { branches: [...ours], conflicts };
    return { branches: [...ours], conflicts: [[]] };
  }
  const branches = ours.map((o, i) => {
    const merged = mergeValue(base[i] ?? (base.length === 0 ? EMPTY : undefined), o, theirs[i], [], conflicts);
    return merged?.kind === 'map' ? merged : o;
  });
  return { branches, conflicts };
}
