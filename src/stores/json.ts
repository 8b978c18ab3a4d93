/**
 * The JSON store (SOPS-FORMAT §10.3): one document per file, an object at the
 * top, and the SOPS metadata in a top-level `sops` member written last.
 */
import { EnvcryptError } from '../errors.js';
import type { Branch, MapNode, Node, Pair } from '../tree/types.js';
import { emitJson } from './json-emit.js';
import { parseJsonObject } from './json-parse.js';
import type { EmitOptions, Store } from './store.js';

/** The top-level key that holds SOPS metadata. */
const SOPS_KEY = 'sops';

/**
 * The JSON {@link Store}.
 *
 * - Text after the top-level object is an error in both parsers. sops ignores
 *   it in plaintext input, which silently drops a second object (`{…}{…}`).
 * - Both parsers refuse a key given twice in any object (`json-parse.ts`),
 *   so a second top-level `sops` member is a duplicate-key error too.
 * - `parseEncrypted` refuses a `sops` member that is not an object.
 * - Emitters throw `UNSUPPORTED` for NaN/±Inf floats and drop comments.
 * - `emitValue` writes no trailing newline, as sops's `EmitValue`.
 */
export const jsonStore: Store = {
  format: 'json',

  parsePlain(text: string): Branch[] {
    return [parseJsonObject(text, { trailing: 'error' })];
  },

  parseEncrypted(text: string): { branches: Branch[]; metadata: MapNode | null } {
    // The parser refuses a key given twice, a second `sops` member included.
    const root = parseJsonObject(text, { trailing: 'error', encrypted: true });
    const meta = root.items.find(isSopsPair);
    if (meta === undefined) return { branches: [root], metadata: null };
    if (meta.value.kind !== 'map') {
      throw new EnvcryptError('BAD_METADATA', `the top-level "${SOPS_KEY}" member is ${describe(meta.value)}, not an object`, {
        hints: [`"${SOPS_KEY}" is reserved for SOPS metadata; if it is data, rename it before encrypting`],
      });
    }
    const data: MapNode = { kind: 'map', items: root.items.filter((i) => i !== meta) };
    return { branches: [data], metadata: meta.value };
  },

  hasMetadata(branches: Branch[]): boolean {
    return branches.some((b) => b.items.some(isSopsPair));
  },

  emitPlain(branches: Branch[], opts?: EmitOptions): string {
    return emitJson(single(branches), opts) + '\n';
  },

  emitEncrypted(branches: Branch[], metadata: MapNode, opts?: EmitOptions): string {
    const data = single(branches);
    if (data.items.some(isSopsPair)) {
      throw new EnvcryptError('REFUSED', `the data already has a top-level "${SOPS_KEY}" key, which is reserved for SOPS metadata`, {
        hints: [`rename the "${SOPS_KEY}" key`],
      });
    }
    const items = [...data.items, { kind: 'pair' as const, key: SOPS_KEY, value: metadata }];
    return emitJson({ kind: 'map', items }, opts) + '\n';
  },

  emitValue(node: Node, opts?: EmitOptions): string {
    return emitJson(node, opts);
  },
};

function isSopsPair(item: Branch['items'][number]): item is Pair {
  return item.kind === 'pair' && item.key === SOPS_KEY;
}

/** JSON holds exactly one document; refuse rather than drop the others as sops does. */
function single(branches: readonly Branch[]): Branch {
  if (branches.length !== 1) {
    throw new EnvcryptError('UNSUPPORTED', `a JSON file holds exactly one document, but there are ${branches.length}`, {
      hints: ['write multi-document data as YAML, or extract one document first'],
    });
  }
  return branches[0]!;
}

function describe(n: Node): string {
  switch (n.kind) {
    case 'list':
      return 'an array';
    case 'null':
      return 'null';
    case 'bool':
      return 'a boolean';
    case 'int':
    case 'float':
      return 'a number';
    default:
      return 'a string';
  }
}
