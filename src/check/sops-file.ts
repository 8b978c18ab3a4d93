/**
 * Telling sops-encrypted files from plaintext ones, for the guard and for
 * `envcrypt status`. A file is encrypted when its store finds sops metadata
 * in it; files whose name says nothing are tried as sops's JSON layout (how
 * sops stores binary files).
 */
import { basename } from 'node:path';
import { EnvcryptError, type Position } from '../errors.js';
import { formatFromName, storeFor } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import type { Branch, MapNode } from '../tree/types.js';

/** What a file turned out to be. */
export type SopsParse =
  | { kind: 'plain'; format: Format | null }
  | { kind: 'encrypted'; format: Format; branches: Branch[]; metadata: MapNode }
  /** It carries `ENC[…]` values but does not parse (a merge conflict, truncation, hand edits). */
  | { kind: 'broken'; format: Format | null; position?: Position; reason: string };

/** The marker every sops value carries; a file with it is meant to be a sops file. */
const ENC_MARKER = 'ENC[AES256_GCM,';

/** The format to parse `path` with: from its name, else JSON when the text is a JSON object. */
export function sopsFormatOf(path: string, text: string): Format | null {
  const byName = formatFromName(path);
  if (byName) return byName;
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
  if (format === null || !text.includes('sops')) return { kind: 'plain', format };
  try {
    const { branches, metadata } = (await storeFor(format)).parseEncrypted(text);
    return metadata ? { kind: 'encrypted', format, branches, metadata } : { kind: 'plain', format };
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
