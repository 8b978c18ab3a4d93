/**
 * Immutable edits of a tree at a value path (`envcrypt set` / `unset`).
 * Untouched subtrees keep their identity, and a replaced value keeps its
 * position, so that re-encryption with the IV stash changes nothing else.
 */
import { EnvcryptError } from '../errors.js';
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
    default:
      return `a ${n.kind === 'str' ? 'string' : n.kind} value`;
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

function setIn(node: Node, steps: readonly PathStep[], depth: number, value: Node): Node {
  if (depth === steps.length) return value;
  const step = steps[depth]!;
  if (typeof step === 'number') {
    if (node.kind !== 'list') throw notContainer(steps, depth, node, 'list');
    const idx = elementIndexes(node);
    if (step < idx.length) {
      const at = idx[step]!;
      const items = [...node.items];
      items[at] = setIn(node.items[at] as Node, steps, depth + 1, value);
      return { kind: 'list', items };
    }
    if (step === idx.length) return { kind: 'list', items: [...node.items, create(steps, depth + 1, value)] };
    throw new EnvcryptError('USAGE', `cannot set ${formatPath(steps)}: the list at ${formatPath(steps.slice(0, depth))} has ${idx.length} elements`, {
      hints: [`index ${idx.length} appends an element`],
    });
  }
  if (node.kind !== 'map') throw notContainer(steps, depth, node, 'mapping');
  const at = lastPairIndex(node, step);
  if (at < 0) return { kind: 'map', items: [...node.items, { kind: 'pair', key: step, value: create(steps, depth + 1, value) }] };
  const old = node.items[at] as Pair;
  const next = setIn(old.value, steps, depth + 1, value);
  if (next === old.value) return node;
  const items = [...node.items];
  items[at] = { kind: 'pair', key: step, value: next };
  return { kind: 'map', items };
}

/** Build the missing part of a path: mappings only, since a new list index is ambiguous. */
function create(steps: readonly PathStep[], depth: number, value: Node): Node {
  if (depth === steps.length) return value;
  const step = steps[depth]!;
  if (typeof step === 'number') {
    throw new EnvcryptError('USAGE', `cannot set ${formatPath(steps)}: ${formatPath(steps.slice(0, depth))} does not exist, and only mappings are created`, {
      hints: ['create the list first, e.g. with "envcrypt edit"'],
    });
  }
  return { kind: 'map', items: [{ kind: 'pair', key: step, value: create(steps, depth + 1, value) }] };
}

/**
 * Set the value at `steps`, creating missing intermediate mappings. An
 * existing key keeps its place; a new key is appended to its mapping; list
 * index N (N = length) appends.
 *
 * @returns a new root; the input is not changed
 * @throws EnvcryptError `USAGE` for an empty path or when a step goes
 *   through a value that is not a mapping (or list, for an index)
 */
export function setAt(root: MapNode, steps: readonly PathStep[], value: Node): MapNode {
  if (steps.length === 0) throw new EnvcryptError('USAGE', 'the path is empty');
  return setIn(root, steps, 0, value) as MapNode;
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
