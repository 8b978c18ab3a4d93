import { existsSync, readFileSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readTextFile } from '../io/read.js';
import { samePath } from '../io/same-path.js';
import type { KeyOptions } from '../keys/discovery.js';
import { formatFor, formatFromName } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import { decryptFile, type DecryptedFile } from './decrypt.js';
import { encryptText, type EncryptTextOptions } from './encrypt.js';

/** Options for {@link encryptFile}. */
export interface EncryptFileOptions extends Omit<EncryptTextOptions, 'previous'>, KeyOptions {
  /**
   * Write the result here (atomically). When it already holds an encrypted
   * version that a key of yours opens, its data key and IVs are reused, so
   * unchanged values keep their ciphertext and an unchanged file is not
   * rewritten at all.
   */
  output?: string;
  /** `output` may be the input itself (encrypt in place). @default false */
  inPlace?: boolean;
  /** Replace an `output` that exists but is not an encrypted file. @default false */
  force?: boolean;
}

/** What {@link encryptFile} did. */
export interface EncryptFileResult {
  /** The encrypted text. */
  text: string;
  /** `output` already held exactly this text, so it was not rewritten. */
  unchanged: boolean;
}

/**
 * Encrypt a plaintext file, and with `output`, write it diff-stably.
 *
 * @throws EnvcryptError `REFUSED` when `output` is the input without
 *   `inPlace`, or an existing plaintext file without `force`;
 *   `ALREADY_ENCRYPTED` for an input that has sops metadata; parse and key errors
 */
export async function encryptFile(path: string, opts: EncryptFileOptions): Promise<EncryptFileResult> {
  const out = opts.output;
  const inPlace = out !== undefined && samePath(out, path);
  if (inPlace && !opts.inPlace) {
    throw new EnvcryptError('REFUSED', `refusing to write the encryption of ${path} over its plaintext`, {
      hints: ['pass --in-place to replace the file, or choose another path with -o/--output'],
    });
  }
  const format = opts.format ?? formatFor(path);
  const text = readTextFile(path);
  const previous = out !== undefined && !inPlace ? await previousVersion(out, format, opts) : undefined;
  const result = await encryptText(text, path, { ...opts, format, ...(previous ? { previous } : {}), ...(out !== undefined ? { target: out } : {}) });
  if (out === undefined) return { text: result, unchanged: false };
  if (previous && readFileSync(out, 'utf8') === result) return { text: result, unchanged: true };
  writeFileAtomic(out, result);
  return { text: result, unchanged: false };
}

/**
 * The encrypted version already at `out`, decrypted, for reuse. A plaintext
 * `out` is only replaced with `force`; one no key of yours opens is
 * re-encrypted from scratch (with a warning).
 */
async function previousVersion(out: string, format: Format, opts: EncryptFileOptions): Promise<DecryptedFile | undefined> {
  if (!existsSync(out)) return undefined;
  try {
    return await decryptFile(out, { ...opts, format: formatFromName(out) ?? format });
  } catch (e) {
    if (e instanceof EnvcryptError && e.code === 'NOT_ENCRYPTED') {
      if (opts.force) return undefined;
      throw new EnvcryptError('REFUSED', `refusing to overwrite ${out}, which exists and is not an encrypted file`, {
        hints: ['choose another path with -o/--output, or pass --force to replace it'],
      });
    }
    if (e instanceof EnvcryptError && e.code === 'NO_IDENTITY') {
      opts.onWarning?.(`cannot decrypt the existing ${out}, so every value gets new ciphertext`);
      return undefined;
    }
    throw e;
  }
}
