/**
 * The binary store (sops `stores/json/store.go` BinaryStore): a whole file
 * stored as one string value under the key `data`, in sops's JSON layout
 * `{"data": "ENC[…]", "sops": {…}}`. For TLS keys, kubeconfigs and
 * service-account JSON: files whose structure should not be touched.
 *
 * sops keeps the file's raw bytes as the value. envcrypt's values are
 * strings encrypted as UTF-8, so this store holds exactly the files that are
 * UTF-8 text (which PEM keys, kubeconfigs and JSON are); `api/encrypt-file.ts`
 * refuses other bytes before they reach it, and the cipher refuses a
 * sops-written value that is not UTF-8 rather than print replaced characters.
 */
import { EnvcryptError } from '../errors.js';
import type { Branch, MapNode, Node } from '../tree/types.js';
import { jsonStore } from './json.js';
import type { EmitOptions, Store } from './store.js';

/** The one key a binary file's tree holds. */
export const BINARY_KEY = 'data';

const SHAPE_HINTS = {
  PARSE: ['a binary file holds one value, "data": the whole file', 'read it as JSON with --input-type json to see its members'],
  UNSUPPORTED: ['a binary file holds one value, "data": the whole file; choose another --output-type'],
};

/**
 * The binary {@link Store}.
 *
 * - `parsePlain`: the text as it is, every byte, as `{data: text}` (no
 *   parsing: an empty file is an empty value).
 * - `parseEncrypted`: sops's JSON layout, strictly: exactly the members
 *   `data` (a string) and `sops`; anything else is an error rather than a
 *   member dropped on the way out (sops ignores other members on decrypt).
 * - `hasMetadata`: true when the text is itself a sops file, so that
 *   encrypting an encrypted file as binary is refused like any re-encryption.
 * - `emitPlain`: the value of `data`, as it is.
 * - `emitEncrypted`: the JSON store's output, byte for byte as sops writes it.
 * - `emitValue`: refused, as sops refuses `--extract` on a binary file.
 */
export const binaryStore: Store = {
  format: 'binary',

  parsePlain(text: string): Branch[] {
    return [{ kind: 'map', items: [{ kind: 'pair', key: BINARY_KEY, value: { kind: 'str', value: text } }] }];
  },

  parseEncrypted(text: string): { branches: Branch[]; metadata: MapNode | null } {
    const parsed = jsonStore.parseEncrypted(text);
    if (parsed.metadata !== null) checkShape(parsed.branches[0]!, 'has', 'PARSE');
    return parsed;
  },

  hasMetadata(branches: Branch[]): boolean {
    const v = dataOf(branches);
    return v !== null && v.includes('ENC[AES256_GCM,') && v.includes('sops');
  },

  emitPlain(branches: Branch[]): string {
    const branch = branches.length === 1 ? branches[0]! : null;
    if (branch === null) throw shapeError(`${branches.length} documents`);
    checkShape(branch, 'holds');
    return (branch.items[0] as { value: { value: string } }).value.value;
  },

  emitEncrypted(branches: Branch[], metadata: MapNode, opts?: EmitOptions): string {
    if (branches.length !== 1) throw shapeError(`${branches.length} documents`);
    checkShape(branches[0]!, 'holds');
    return jsonStore.emitEncrypted(branches, metadata, opts);
  },

  emitValue(): string {
    throw new EnvcryptError('UNSUPPORTED', 'a binary file is not structured, so no single value can be extracted from it', {
      hints: ['decrypt the whole file without --extract'],
    });
  },
};

/** The `data` string of a one-pair tree, else null. */
function dataOf(branches: readonly Branch[]): string | null {
  const items = branches[0]?.items ?? [];
  const only = items.length === 1 ? items[0]! : null;
  return only?.kind === 'pair' && only.key === BINARY_KEY && only.value.kind === 'str' ? only.value.value : null;
}

/** Exactly one pair, `data`, holding a string; anything else names what it found. */
function checkShape(branch: Branch, verb: string, code: 'PARSE' | 'UNSUPPORTED' = 'UNSUPPORTED'): void {
  const items = branch.items;
  if (items.length === 1 && items[0]!.kind === 'pair' && items[0]!.key === BINARY_KEY) {
    const v: Node = items[0]!.value;
    if (v.kind === 'str') return;
    throw shapeError(`"${BINARY_KEY}" ${v.kind === 'map' || v.kind === 'list' ? 'nested values' : `a ${v.kind}`}, not a string`, verb, code);
  }
  const keys = items.filter((i) => i.kind === 'pair').map((i) => JSON.stringify((i as { key: string }).key));
  throw shapeError(keys.length === 0 ? 'no "data" member' : `the members ${keys.join(', ')}`, verb, code);
}

function shapeError(what: string, verb = 'holds', code: 'PARSE' | 'UNSUPPORTED' = 'UNSUPPORTED'): EnvcryptError {
  return new EnvcryptError(code, `a binary file must hold exactly one value, "${BINARY_KEY}", but this one ${verb} ${what}`, { hints: SHAPE_HINTS[code] });
}
