import { recoverDataKey } from '../crypto/datakey.js';
import { IvStash } from '../crypto/iv-stash.js';
import { readMetadata, type Metadata } from '../crypto/metadata.js';
import { decryptTree } from '../crypto/tree-cipher.js';
import { EnvcryptError } from '../errors.js';
import { readTextFile } from '../io/read.js';
import type { KeyOptions } from '../keys/discovery.js';
import { formatFor, storeFor } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import type { Branch } from '../tree/types.js';

/** Options for {@link decryptFile} and {@link decryptText}. */
export interface DecryptOptions extends KeyOptions {
  /** The input format; by default chosen from the file name. */
  format?: Format;
  /** Skip the MAC check. For recovery only: it also accepts forged values. */
  ignoreMac?: boolean;
  /**
   * Use this data key instead of unwrapping one. For tests and recovery
   * (e.g. files whose only master keys are PGP).
   */
  dataKey?: Uint8Array;
  /**
   * The caller only reads the values and will not write the file back: the
   * IVs are not remembered (saves memory on big files).
   */
  readOnly?: boolean;
}

/** A decrypted file, with everything needed to write it back diff-stably. */
export interface DecryptedFile {
  format: Format;
  /** The plaintext tree. */
  branches: Branch[];
  /** The encrypted tree as read (for comparisons). */
  encrypted: Branch[];
  metadata: Metadata;
  dataKey: Uint8Array;
  /** IVs of every value, for byte-identical re-encryption of unchanged values. */
  stash: IvStash;
}

/**
 * Parse and decrypt SOPS-format text. `name` is used for messages and, when
 * no format is given, to pick the format. The MAC is always verified unless
 * `ignoreMac` is set. Throws {@link EnvcryptError} on any failure, having
 * produced no plaintext.
 */
export async function decryptText(text: string, name: string, opts: DecryptOptions = {}): Promise<DecryptedFile> {
  try {
    const format = opts.format ?? formatFor(name);
    const store = await storeFor(format);
    const { branches, metadata } = store.parseEncrypted(text);
    if (!metadata) {
      throw new EnvcryptError('NOT_ENCRYPTED', `${name} is not encrypted (it has no sops metadata)`, {
        hints: [`encrypt it with "envcrypt encrypt ${name}"`],
      });
    }
    const md = readMetadata(metadata);
    const dataKey = opts.dataKey ?? (await recoverDataKey(md, name, opts));
    const stash = new IvStash(!opts.readOnly);
    const plain = decryptTree(branches, md, dataKey, {
      stash,
      ...(opts.ignoreMac ? { ignoreMac: true } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
    return { format, branches: plain, encrypted: branches, metadata: md, dataKey, stash };
  } catch (e) {
    if (e instanceof EnvcryptError) e.inFile(name);
    throw e;
  }
}

/** Read and decrypt a file. See {@link decryptText}. */
export async function decryptFile(path: string, opts: DecryptOptions = {}): Promise<DecryptedFile> {
  return decryptText(readTextFile(path), path, opts);
}
