/**
 * envcrypt's library API. The CLI is a thin layer over these functions.
 * @packageDocumentation
 */
import {
  decryptFile as decryptFileWithKey,
  decryptText as decryptTextWithKey,
  type DecryptOptions,
  type DecryptedFile as DecryptedFileWithKey,
} from './api/decrypt.js';

export type { DecryptOptions, DecryptedFileWithKey };
export { encryptBranches, encryptText, type EncryptOptions, type EncryptTextOptions, type EncryptedTree } from './api/encrypt.js';
export { encryptFile, type EncryptFileOptions, type EncryptFileResult } from './api/encrypt-file.js';
export { config, load, loadDetailed, populate, type ConfigOptions, type LoadOptions, type Loaded, type PopulateOptions } from './api/load.js';
export { parse, type ParseOptions } from './api/parse.js';
export { EnvcryptError, ExitCode, type ErrorCode, type Position } from './errors.js';
export type { KeyOptions } from './keys/discovery.js';
export type { Format } from './stores/store.js';
export type { FlattenOptions } from './tree/env.js';
export type * from './tree/types.js';

/**
 * A decrypted file, as {@link decryptFile} and {@link decryptText} return it
 * by default: the plaintext tree, the file's metadata and whether its
 * integrity record verified, but no key material.
 */
export type DecryptedFile = Omit<DecryptedFileWithKey, 'dataKey' | 'stash'>;

/** Options for {@link decryptFile} and {@link decryptText}. */
export interface DecryptFileOptions extends DecryptOptions {
  /**
   * Also return the file's data key (`dataKey`) and the IV of every value
   * (`stash`), e.g. to pass the result as `previous` to
   * {@link encryptBranches} or {@link encryptText} for a diff-stable rewrite.
   *
   * Off by default, because the data key decrypts every value of the file:
   * of this version, of its history in git, and of every later version
   * written with the same key (a rewrite keeps the data key, for small
   * diffs, until a recipient is removed or the key is rotated). A caller
   * that only reads values has no use for it, and a result that carries it
   * turns every log line, error report or cache entry that serializes the
   * result into a copy of the key to all of those secrets. Without this
   * option the IVs are not kept either (as with `readOnly`), which also
   * saves memory on big files.
   */
  withDataKey?: boolean;
}

/**
 * Read and decrypt a SOPS-format file (dotenv, YAML or JSON). The MAC and the
 * integrity record are verified unless `ignoreMac` is set; any failure throws
 * {@link EnvcryptError} having produced no plaintext.
 *
 * The result holds no key material unless `withDataKey: true` is passed
 * (see {@link DecryptFileOptions.withDataKey} for why).
 */
export function decryptFile(path: string, opts: DecryptFileOptions & { withDataKey: true }): Promise<DecryptedFileWithKey>;
export function decryptFile(path: string, opts?: DecryptFileOptions): Promise<DecryptedFile>;
export async function decryptFile(path: string, opts: DecryptFileOptions = {}): Promise<DecryptedFile | DecryptedFileWithKey> {
  const { withDataKey, ...rest } = opts;
  return keyMaterialIf(withDataKey, await decryptFileWithKey(path, withDataKey ? rest : { readOnly: true, ...rest }));
}

/**
 * Parse and decrypt SOPS-format text; `name` is used for messages and, when
 * no `format` is given, to pick the format. See {@link decryptFile}: the
 * result holds no key material unless `withDataKey: true` is passed.
 */
export function decryptText(text: string, name: string, opts: DecryptFileOptions & { withDataKey: true }): Promise<DecryptedFileWithKey>;
export function decryptText(text: string, name: string, opts?: DecryptFileOptions): Promise<DecryptedFile>;
export async function decryptText(text: string, name: string, opts: DecryptFileOptions = {}): Promise<DecryptedFile | DecryptedFileWithKey> {
  const { withDataKey, ...rest } = opts;
  return keyMaterialIf(withDataKey, await decryptTextWithKey(text, name, withDataKey ? rest : { readOnly: true, ...rest }));
}

function keyMaterialIf(withDataKey: boolean | undefined, file: DecryptedFileWithKey): DecryptedFile | DecryptedFileWithKey {
  if (withDataKey) return file;
  const { dataKey: _dataKey, stash: _stash, ...rest } = file;
  return rest;
}
