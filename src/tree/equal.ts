import type { Comment, Node, Pair } from './types.js';

/** Structural equality of two trees (order, kinds and values; `-0` ≠ `0`, NaN = NaN). */
export function nodesEqual(a: Node | Pair | Comment, b: Node | Pair | Comment): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'pair':
      return a.key === (b as Pair).key && nodesEqual(a.value, (b as Pair).value);
    case 'comment':
      return a.text === (b as Comment).text && !!a.inline === !!(b as Comment).inline;
    case 'map':
    case 'list': {
      const bi = (b as typeof a).items;
      return a.items.length === bi.length && a.items.every((x, i) => nodesEqual(x, bi[i]!));
    }
    case 'null':
      return true;
    case 'float':
      return Object.is(a.value, (b as typeof a).value);
    default:
      return a.value === (b as typeof a).value;
  }
}
