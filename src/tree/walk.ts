import type { Branch, Comment, Leaf, ListNode, MapNode, Node, Pair } from './types.js';

/** What a visitor learns about the leaf or comment it is given. */
export interface VisitContext {
  /** Mapping keys from the document root down to the leaf; list indices are not part of it. */
  readonly path: readonly string[];
  /**
   * The comments directly before the current item at every level along the
   * path (the "comment stack" of SOPS-FORMAT §3).
   */
  readonly comments: readonly string[];
}

/** A visitor returns the replacement for the leaf or comment (or the same object). */
export type Visitor = (node: Leaf | Comment, ctx: VisitContext) => Leaf | Comment;

/**
 * The one traversal shared by the cipher and the MAC (SOPS-FORMAT §2.1):
 * documents in order, then depth-first, pre-order, in item order. Nulls are
 * visited too; callers skip them. Returns new branches; input is not mutated,
 * and untouched subtrees keep their identity.
 */
export function mapLeaves(branches: readonly Branch[], fn: Visitor): Branch[] {
  return branches.map((b) => mapMap(b, [], [], fn));
}

/** Like {@link mapLeaves} but only observes. */
export function forEachLeaf(branches: readonly Branch[], fn: (node: Leaf | Comment, ctx: VisitContext) => void): void {
  mapLeaves(branches, (n, ctx) => {
    fn(n, ctx);
    return n;
  });
}

/**
 * The comment stack for the next item: the parent's, plus the comments just
 * before it. The parent's array itself when there are none (the usual case);
 * no array given to a visitor is changed afterwards, so sharing it is safe.
 */
const withRun = (stack: string[], run: string[]): string[] => (run.length === 0 ? stack : stack.concat(run));

function mapMap(node: MapNode, path: string[], stack: string[], fn: Visitor): MapNode {
  let changed = false;
  let run: string[] = [];
  const items = node.items.map((item): Pair | Comment => {
    if (item.kind === 'comment') {
      const out = fn(item, { path, comments: withRun(stack, run) }) as Comment;
      run.push(item.text);
      if (out !== item) changed = true;
      return out;
    }
    const childPath = path.concat(item.key);
    const childStack = withRun(stack, run);
    run = [];
    const value = mapNode(item.value, childPath, childStack, fn);
    if (value === item.value) return item;
    changed = true;
    return { kind: 'pair', key: item.key, value };
  });
  return changed ? { kind: 'map', items } : node;
}

function mapList(node: ListNode, path: string[], stack: string[], fn: Visitor): ListNode {
  let changed = false;
  let run: string[] = [];
  const items = node.items.map((item): Node | Comment => {
    if (item.kind === 'comment') {
      const out = fn(item, { path, comments: withRun(stack, run) });
      run.push(item.text);
      if (out !== item) changed = true;
      return out;
    }
    const childStack = withRun(stack, run);
    run = [];
    const out = mapNode(item, path, childStack, fn);
    if (out !== item) changed = true;
    return out;
  });
  return changed ? { kind: 'list', items } : node;
}

function mapNode(node: Node, path: string[], stack: string[], fn: Visitor): Node {
  if (node.kind === 'map') return mapMap(node, path, stack, fn);
  if (node.kind === 'list') return mapList(node, path, stack, fn);
  return fn(node, { path, comments: stack }) as Leaf;
}

/** The AAD for a value at `path`: the keys joined with `:`, plus a trailing `:`. */
export function aadFor(path: readonly string[]): string {
  return path.join(':') + ':';
}
