/**
 * The format-agnostic tree every store produces and consumes (SOPS-FORMAT §2).
 *
 * A file is a list of branches (documents). A branch is an ordered list of
 * items; an item is a key/value pair or a comment. Order matters: it drives
 * the MAC and the output.
 */

/** A string leaf. Encrypted files hold `ENC[…]` strings here. */
export interface StrLeaf { readonly kind: 'str'; readonly value: string }
/** A signed 64-bit integer leaf (BigInt so that values beyond 2^53 stay exact). */
export interface IntLeaf { readonly kind: 'int'; readonly value: bigint }
/** An IEEE double leaf. */
export interface FloatLeaf { readonly kind: 'float'; readonly value: number }
/** A boolean leaf. */
export interface BoolLeaf { readonly kind: 'bool'; readonly value: boolean }
/** A YAML timestamp leaf; `value` is the RFC 3339 text sops would serialize. */
export interface TimeLeaf { readonly kind: 'time'; readonly value: string }
/** A null leaf: never encrypted, never hashed. */
export interface NullLeaf { readonly kind: 'null' }

/** Any scalar. */
export type Leaf = StrLeaf | IntLeaf | FloatLeaf | BoolLeaf | TimeLeaf | NullLeaf;

/** A comment item; `text` is everything after `#` (leading space included). */
export interface Comment {
  readonly kind: 'comment';
  readonly text: string;
  /** YAML only: the comment sat on the same line as the value before it. */
  readonly inline?: boolean;
}

/** A key/value pair inside a mapping. */
export interface Pair { readonly kind: 'pair'; readonly key: string; readonly value: Node }

/** An ordered mapping. */
export interface MapNode { readonly kind: 'map'; readonly items: ReadonlyArray<Pair | Comment> }

/** A sequence; comments may sit between elements. */
export interface ListNode { readonly kind: 'list'; readonly items: ReadonlyArray<Node | Comment> }

/** Any value. */
export type Node = Leaf | MapNode | ListNode;

/** A branch is a document: always a mapping at the top. */
export type Branch = MapNode;

/** Small constructors, so that call sites stay terse. */
export const str = (value: string): StrLeaf => ({ kind: 'str', value });
export const int = (value: bigint): IntLeaf => ({ kind: 'int', value });
export const float = (value: number): FloatLeaf => ({ kind: 'float', value });
export const bool = (value: boolean): BoolLeaf => ({ kind: 'bool', value });
export const nul: NullLeaf = { kind: 'null' };
export const comment = (text: string, inline?: boolean): Comment =>
  inline ? { kind: 'comment', text, inline } : { kind: 'comment', text };
export const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value });
export const map = (items: ReadonlyArray<Pair | Comment>): MapNode => ({ kind: 'map', items });
export const list = (items: ReadonlyArray<Node | Comment>): ListNode => ({ kind: 'list', items });

/** True for scalar nodes. */
export function isLeaf(n: Node | Comment): n is Leaf {
  return n.kind !== 'map' && n.kind !== 'list' && n.kind !== 'comment';
}
