/**
 * The YAML store (SOPS-FORMAT §10.2). Reading (`yaml-read.ts`) uses the
 * `yaml` package's CST and composer with the failsafe schema, so every scalar
 * keeps its text and is resolved the go-yaml v3 way; comments are placed from
 * their positions the way sops places go-yaml's head/line/foot comments.
 * Writing (`yaml-write.ts`) is a small emitter that reproduces go-yaml v3's
 * encoder with sops' settings (indent 4, indented sequences, `|` literals,
 * go-yaml quoting, no line folding). Each file lists its known differences
 * from sops + go-yaml v3.
 */
import { EnvcryptError } from '../errors.js';
import type { Branch, MapNode, Node, Pair } from '../tree/types.js';
import type { EmitOptions, Store } from './store.js';
import { METADATA_KEY, readYaml } from './yaml-read.js';
import { emitYamlDocuments, emitYamlValue } from './yaml-write.js';

/** sops' `--indent`: 0 (or absent) means 4, negative is an error; go-yaml then maps values outside 2–9 to 2. */
function indentOf(opts: EmitOptions | undefined): number {
  const n = opts?.indent ?? 0;
  if (!Number.isInteger(n) || n < 0) {
    throw new EnvcryptError('USAGE', 'yaml indent must be a whole number of spaces, 0 or more', {
      hints: ['0 means the default of 4 spaces'],
    });
  }
  if (n === 0) return 4;
  return n < 2 || n > 9 ? 2 : n;
}

/** Removes comment items everywhere below a metadata node. */
function withoutComments(node: Node): Node {
  if (node.kind === 'map') {
    return { kind: 'map', items: node.items.flatMap((i) => (i.kind === 'pair' ? [{ ...i, value: withoutComments(i.value) }] : [])) };
  }
  if (node.kind === 'list') {
    return { kind: 'list', items: node.items.flatMap((i) => (i.kind === 'comment' ? [] : [withoutComments(i)])) };
  }
  return node;
}

/**
 * The SOPS YAML store. Parse errors are `EnvcryptError('PARSE')` with a
 * line:column position and never quote the input.
 */
export const yamlStore: Store = {
  format: 'yaml',

  parsePlain(text: string): Branch[] {
    return readYaml(text, false).branches;
  },

  parseEncrypted(text: string): { branches: Branch[]; metadata: MapNode | null } {
    const { branches, metadataAt } = readYaml(text, true);
    let metadata: MapNode | null = null;
    // sops reads the metadata of the first document only, and strips `sops` from every document.
    const first = branches[0]?.items.find((i): i is Pair => i.kind === 'pair' && i.key === METADATA_KEY);
    if (first) {
      if (first.value.kind !== 'map') {
        throw new EnvcryptError('BAD_METADATA', `the "${METADATA_KEY}" metadata is not a mapping`, {
          ...(metadataAt ? { position: metadataAt } : {}),
        });
      }
      metadata = withoutComments(first.value) as MapNode;
    }
    const stripped = branches.map(
      (b): Branch => ({ kind: 'map', items: b.items.filter((i) => i.kind !== 'pair' || i.key !== METADATA_KEY) }),
    );
    return { branches: stripped, metadata };
  },

  hasMetadata(branches: Branch[]): boolean {
    return branches.some((b) => b.items.some((i) => i.kind === 'pair' && i.key === METADATA_KEY));
  },

  emitPlain(branches: Branch[], opts?: EmitOptions): string {
    return emitYamlDocuments(branches, indentOf(opts));
  },

  emitEncrypted(branches: Branch[], metadata: MapNode, opts?: EmitOptions): string {
    // Every document gets its own copy of the metadata as its last key (§10.2).
    const docs = branches.map(
      (b): Branch => ({ kind: 'map', items: [...b.items, { kind: 'pair', key: METADATA_KEY, value: metadata }] }),
    );
    return emitYamlDocuments(docs, indentOf(opts));
  },

  emitValue(node: Node, opts?: EmitOptions): string {
    return emitYamlValue(node, indentOf(opts));
  },
};
