/**
 * THE answer to "is this a sops file, and in which format?", for every
 * command: the guard, `status`, `rotate` and `recipients` over the
 * repository, `git setup`, the merge driver and textconv. A file is encrypted
 * when its store finds sops metadata in it that reads as valid metadata;
 * files whose name says nothing are tried as sops's binary layout
 * (`{"data": …, "sops": …}`, how sops stores a file of any other name), then
 * as JSON, or, where git hands over a temporary file, as each format in turn.
 */
import { basename } from 'node:path';
import { EnvcryptError, type Position } from '../errors.js';
import { encryptedFormatOf, formatFromName, storeFor } from './index.js';
import type { Format } from './store.js';
import type { Branch, MapNode } from '../tree/types.js';
import { readMetadata } from './metadata.js';

/** What a file turned out to be. */
export type SopsParse =
  | { kind: 'plain'; format: Format | null }
  | { kind: 'encrypted'; format: Format; branches: Branch[]; metadata: MapNode }
  /** It carries `ENC[…]` values but does not parse (a merge conflict, truncation, hand edits). */
  | { kind: 'broken'; format: Format | null; position?: Position; reason: string };

/** Larger files are not sops files envcrypt would write; repository scans pass over them. */
export const MAX_SOPS_FILE_BYTES = 16 * 1024 * 1024;

/** The marker every sops value carries; a file with it is meant to be a sops file. */
export const ENC_MARKER = 'ENC[AES256_GCM,';

/** Why a file holding `ENC[…]` values but no metadata is damaged, for {@link damagedError}. */
export const NO_METADATA_REASON = 'it holds encrypted values (ENC[AES256_GCM,…]) but no sops metadata';

/**
 * The error for a DAMAGED file: one holding `ENC[AES256_GCM,…]` values whose
 * sops metadata is missing or does not parse (truncated, a bad merge, hand
 * edits). Never "not encrypted": encrypting it again would wrap ciphertext.
 */
export function damagedError(name: string, reason: string = NO_METADATA_REASON, position?: Position): EnvcryptError {
  return new EnvcryptError('BAD_METADATA', `${name} is damaged: ${reason}`, {
    file: name,
    ...(position ? { position } : {}),
    hints: [
      'it was probably truncated or badly merged; restore the last good version (e.g. "git checkout -- FILE" or "git log -p FILE")',
      'do not encrypt it again: that would encrypt the ENC[…] strings themselves',
    ],
  });
}

/**
 * The format to parse `path` with: from its name, else binary when the text
 * is in sops's binary layout (see `looksBinarySops`), else JSON when the text
 * is a JSON object.
 */
export function sopsFormatOf(path: string, text: string): Format | null {
  const f = encryptedFormatOf(path, text);
  if (f) return f;
  return /^\s*\{/.test(text) ? 'json' : null;
}

/**
 * Parse `text` as an encrypted file of its format. Text without the word
 * "sops" is plaintext without parsing (every store's metadata has it), which
 * keeps a scan of a large repository cheap.
 *
 * @param path - used for the format (by name) and for nothing else
 */
export async function parseSops(path: string, text: string, format: Format | null = sopsFormatOf(path, text)): Promise<SopsParse> {
  const marked = text.includes(ENC_MARKER);
  if (format === null || (!marked && !text.includes('sops'))) return { kind: 'plain', format };
  try {
    const { branches, metadata } = (await storeFor(format)).parseEncrypted(text);
    if (metadata) return { kind: 'encrypted', format, branches, metadata };
    // Values in ciphertext with no metadata to open them: truncated or cut apart, never plaintext.
    return marked ? { kind: 'broken', format, reason: NO_METADATA_REASON } : { kind: 'plain', format };
  } catch (e) {
    if (!(e instanceof EnvcryptError)) throw e;
    // A plaintext file in a syntax the sops dialect refuses is still just plaintext.
    if (!text.includes(ENC_MARKER)) return { kind: 'plain', format };
    return { kind: 'broken', format, reason: e.message, ...(e.position ? { position: e.position } : {}) };
  }
}

/** True for the config file itself, which creation rules never govern. */
export function isSopsConfig(path: string): boolean {
  const name = basename(path);
  return name === '.sops.yaml' || name === '.sops.yml';
}

/**
 * The format of a SOPS file: from the first of `names` whose name says it,
 * else by trying each store on the text. Git hands merge drivers and textconv
 * temporary files whose names may say nothing.
 *
 * @returns null when no name says it and no store finds sops metadata in the text
 */
export async function sniffFormat(text: string, names: readonly string[]): Promise<Format | null> {
  for (const n of names) {
    const f = formatFromName(n);
    if (f) return f;
  }
  // Binary first: it is JSON with one member. Then JSON, the strictest (YAML
  // would also read a JSON file); INI before dotenv, which reads neither.
  for (const f of ['binary', 'json', 'yaml', 'ini', 'dotenv'] as const satisfies readonly Format[]) {
    if (await isEncryptedText(text, f)) return f;
  }
  return null;
}

/**
 * True when `text` parses as `format` and has a sops metadata block, valid or
 * not. Repository-wide commands count such a file as encrypted, so that a
 * file with broken metadata is reported by the step that reads it rather than
 * skipped without a word.
 */
export async function claimsSopsMetadata(text: string, format: Format): Promise<boolean> {
  try {
    return (await storeFor(format)).parseEncrypted(text).metadata !== null;
  } catch {
    // Not this format.
    return false;
  }
}

/** True when `text` parses as `format` and carries valid sops metadata (a top-level `sops` key alone is not enough). */
export async function isEncryptedText(text: string, format: Format): Promise<boolean> {
  try {
    const md = (await storeFor(format)).parseEncrypted(text).metadata;
    if (md === null) return false;
    readMetadata(md);
    return true;
  } catch {
    // Not this format, or not sops metadata.
    return false;
  }
}
