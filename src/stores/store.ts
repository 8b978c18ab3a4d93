import type { Branch, MapNode, Node } from '../tree/types.js';

/**
 * The file formats envcrypt reads and writes: sops's five. `binary` is one
 * whole file stored as a single value (`{"data": "ENC[…]", "sops": …}`).
 */
export type Format = 'dotenv' | 'yaml' | 'json' | 'ini' | 'binary';

/** Every format, in the order error messages list them. */
export const FORMATS: readonly Format[] = ['dotenv', 'yaml', 'json', 'ini', 'binary'];

/** Options a store may honour when emitting. */
export interface EmitOptions {
  /** YAML: spaces per level (default 4). JSON: spaces per level (default: a tab). */
  indent?: number;
}

/**
 * One store per file format. Stores turn bytes into the format-agnostic tree
 * and back; they never touch crypto. Parse errors are `EnvcryptError('PARSE')`
 * with a 1-based line:column position and no value in the message.
 */
export interface Store {
  readonly format: Format;
  /** Parse plaintext input, as given to `encrypt` or written by the editor. */
  parsePlain(text: string): Branch[];
  /**
   * Parse a SOPS-encrypted file. Returns the data branches with the metadata
   * removed, and the metadata as a tree (`null` when the file has none).
   */
  parseEncrypted(text: string): { branches: Branch[]; metadata: MapNode | null };
  /** True when a parsed plaintext tree already carries SOPS metadata keys. */
  hasMetadata(branches: Branch[]): boolean;
  /** Emit plaintext. */
  emitPlain(branches: Branch[], opts?: EmitOptions): string;
  /** Emit an encrypted file: data branches plus the metadata tree. */
  emitEncrypted(branches: Branch[], metadata: MapNode, opts?: EmitOptions): string;
  /** Emit one value on its own (for `decrypt --extract` of a subtree or non-string). */
  emitValue(node: Node, opts?: EmitOptions): string;
}
