/**
 * Immutable edits of a tree at a value path (`envcrypt set` / `unset`).
 * Untouched subtrees keep their identity, and a replaced value keeps its
 * position, so that re-encryption with the IV stash changes nothing else.
 */
import { EnvcryptError } from '../errors.js';
import { nodesEqual } from './equal.js';
import { formatPath, type PathStep } from './path.js';
import type { Comment, ListNode, MapNode, Node, Pair } from './types.js';

function kindName(n: Node): string {
  switch (n.kind) {
    case 'map':
      return 'a mapping';
    case 'list':
      return 'a list';
    case 'null':
      return 'null';
    case 'int':
      return 'an integer';
    default:
      return `a ${({ str: 'string', float: 'float', bool: 'boolean', time: 'timestamp' } as const)[n.kind]}`;
  }
}

function notContainer(steps: readonly PathStep[], depth: number, n: Node, want: 'mapping' | 'list'): EnvcryptError {
  const at = depth === 0 ? 'the document' : formatPath(steps.slice(0, depth));
  return new EnvcryptError('USAGE', `cannot reach ${formatPath(steps)}: ${at} is ${kindName(n)}, not a ${want}`);
}

/** Positions of the non-comment items of a list. */
function elementIndexes(l: ListNode): number[] {
  const out: number[] = [];
  l.items.forEach((it, i) => {
    if (it.kind !== 'comment') out.push(i);
  });
  return out;
}

/** Index of the pair with `key`; the last of duplicates, the one getPath reads. -1 when absent. */
function lastPairIndex(m: MapNode, key: string): number {
  let at = -1;
  m.items.forEach((it, i) => {
    if (it.kind === 'pair' && it.key === key) at = i;
  });
  return at;
}

/** Options for {@link setAt}. */
export interface SetOptions {
  /**
   * Replace what stands in the way: a non-null scalar the path goes through
   * (it becomes a mapping or a list, as sops does), or a non-empty mapping or
   * list at the path itself. Without it, either is refused (`REFUSED`).
   */
  force?: boolean;
  /** Told of each value replaced that way: its path and kinds, never the value. */
  onReplace?: (path: string, was: string, by: string) => void;
}

/** A mapping or list with at least one element: replacing it drops values. */
function holdsValues(n: Node): boolean {
  return (n.kind === 'map' || n.kind === 'list') && n.items.some((it) => it.kind !== 'comment');
}

/** A value that replacing would lose: anything but null and empty containers. */
function replaceable(old: Node, by: Node, path: readonly PathStep[], opts: SetOptions): void {
  const losing = old.kind === 'map' || old.kind === 'list' ? holdsValues(old) : old.kind !== 'null';
  if (!losing) return;
  const at = formatPath(path);
  if (!opts.force) {
    throw new EnvcryptError('REFUSED', `setting this path would replace ${kindName(old)} at ${at} with ${kindName(by)}`, {
      hints: ['--force replaces it (as sops does); "envcrypt get" shows what is there now'],
    });
  }
  opts.onReplace?.(at, kindName(old), kindName(by));
}

function setIn(node: Node, steps: readonly PathStep[], depth: number, value: Node, opts: SetOptions): Node {
  if (depth === steps.length) {
    if (holdsValues(node) && !nodesEqual(node, value)) replaceable(node, value, steps, opts);
    return value;
  }
  const step = steps[depth]!;
  const isLeaf = node.kind !== 'map' && node.kind !== 'list';
  if (isLeaf) {
    // sops replaces a scalar on the way with the rest of the path (Tree.Set's default case).
    const fresh = create(steps, depth, value);
    replaceable(node, fresh, steps.slice(0, depth), opts);
    return fresh;
  }
  if (typeof step === 'number') {
    if (node.kind !== 'list') throw notContainer(steps, depth, node, 'list');
    const idx = elementIndexes(node);
    if (step < idx.length) {
      const at = idx[step]!;
      const next = setIn(node.items[at] as Node, steps, depth + 1, value, opts);
      if (next === node.items[at]) return node;
      const items = [...node.items];
      items[at] = next;
      return { kind: 'list', items };
    }
    if (step === idx.length) return { kind: 'list', items: [...node.items, create(steps, depth + 1, value)] };
    throw pastEnd(steps, depth, idx.length);
  }
  if (node.kind !== 'map') throw notContainer(steps, depth, node, 'mapping');
  const at = lastPairIndex(node, step);
  if (at < 0) return { kind: 'map', items: [...node.items, { kind: 'pair', key: step, value: create(steps, depth + 1, value) }] };
  const old = node.items[at] as Pair;
  const next = setIn(old.value, steps, depth + 1, value, opts);
  if (next === old.value) return node;
  const items = [...node.items];
  items[at] = { kind: 'pair', key: step, value: next };
  return { kind: 'map', items };
}

/**
 * sops appends at any index past the end; envcrypt only at index = length,
 * so the value always lands at the path that was named (README "Decisions").
 */
function pastEnd(steps: readonly PathStep[], depth: number, length: number): EnvcryptError {
  const where = depth === 0 ? 'the document' : formatPath(steps.slice(0, depth));
  return new EnvcryptError('USAGE', `cannot set ${formatPath(steps)}: the list at ${where} has ${length} element${length === 1 ? '' : 's'}`, {
    hints: [`index ${length} appends an element`],
  });
}

/** Build the missing part of a path: a mapping for a key, a new list for index 0 (as sops does). */
function create(steps: readonly PathStep[], depth: number, value: Node): Node {
  if (depth === steps.length) return value;
  const step = steps[depth]!;
  if (typeof step === 'number') {
    if (step !== 0) throw pastEnd(steps, depth, 0);
    return { kind: 'list', items: [create(steps, depth + 1, value)] };
  }
  return { kind: 'map', items: [{ kind: 'pair', key: step, value: create(steps, depth + 1, value) }] };
}

/**
 * Set the value at `steps`, as sops's `TreeBranch.Set` does: missing
 * mappings are created, and so is a missing list for index 0; list index N
 * (N = length) appends. An existing key keeps its place; a new key is
 * appended to its mapping. Replacing a value that would be lost (a scalar the
 * path goes through, or a non-empty mapping or list at the path) needs
 * `opts.force`.
 *
 * @returns a new root; the input is not changed
 * @throws EnvcryptError `USAGE` for an empty path, an index past the end of a
 *   list, or a key step into a list (or an index into a mapping);
 *   `REFUSED` for a replacement that loses a value without `force`
 */
export function setAt(root: MapNode, steps: readonly PathStep[], value: Node, opts: SetOptions = {}): MapNode {
  if (steps.length === 0) throw new EnvcryptError('USAGE', 'the path is empty');
  return setIn(root, steps, 0, value, opts) as MapNode;
}

function deleteIn(node: Node, steps: readonly PathStep[], depth: number): Node | undefined {
  const step = steps[depth]!;
  const last = depth === steps.length - 1;
  if (typeof step === 'number') {
    if (node.kind !== 'list') return undefined;
    const at = elementIndexes(node)[step];
    if (at === undefined) return undefined;
    const items: Array<Node | Comment> = [...node.items];
    if (last) items.splice(at, 1);
    else {
      const next = deleteIn(node.items[at] as Node, steps, depth + 1);
      if (next === undefined) return undefined;
      items[at] = next;
    }
    return { kind: 'list', items };
  }
  if (node.kind !== 'map') return undefined;
  const at = lastPairIndex(node, step);
  if (at < 0) return undefined;
  if (last) return { kind: 'map', items: node.items.filter((it) => !(it.kind === 'pair' && it.key === step)) };
  const next = deleteIn((node.items[at] as Pair).value, steps, depth + 1);
  if (next === undefined) return undefined;
  const items = [...node.items];
  items[at] = { kind: 'pair', key: step, value: next };
  return { kind: 'map', items };
}

/**
 * Remove the value at `steps` (every pair with that key, if a mapping has
 * duplicates). Comments around it stay.
 *
 * @returns a new root, or undefined when nothing is at `steps`
 * @throws EnvcryptError `USAGE` for an empty path
 */
export function deleteAt(root: MapNode, steps: readonly PathStep[]): MapNode | undefined {
  if (steps.length === 0) throw new EnvcryptError('USAGE', 'the path is empty');
  return deleteIn(root, steps, 0) as MapNode | undefined;
}
