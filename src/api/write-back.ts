/**
 * Writing a changed file back, shared by `set`/`unset` and `edit`: the
 * options every change takes, the checks before a rewrite, and the
 * re-encryption as the next version of the file (same data key and IVs of
 * unchanged values, drifted selectors refused, grants announced, the text
 * read back before it is returned).
 */
import { accessSync, constants } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import type { LockOptions } from '../io/lock.js';
import type { KeyOptions } from '../keys/discovery.js';
import { findConfig } from '../repo/sops-config/find.js';
import { loadConfig, storeIndent } from '../repo/sops-config/rules.js';
import { ageRecipients } from '../stores/metadata.js';
import type { Format, Store } from '../stores/store.js';
import type { Branch } from '../tree/types.js';
import type { DecryptedFile } from './decrypt.js';
import { encryptBranches } from './encrypt.js';
import { groupsOf } from './key-layout.js';
import { emitChecked } from './seal.js';
import { refuseDriftedPlaintext } from './selector-drift.js';
import { announceGrants, governingRule } from './vouch.js';

/** Options shared by {@link setValue}, {@link unsetValue}, {@link getValue} and {@link changeFile}. */
export interface ChangeOptions extends KeyOptions, LockOptions {
  /** The file's format; by default chosen from its name. */
  format?: Format;
  /** YAML/JSON indentation; by default `stores.<format>.indent` of the governing `.sops.yaml`, else the store's default. */
  indent?: number;
  /** `--config PATH` for finding that `.sops.yaml`. */
  configPath?: string;
  /**
   * Store new values as the file's selector says even when it differs from
   * its `.sops.yaml` rule (or the default) and would leave them in plaintext.
   */
  allowSelectorChange?: boolean;
}

/** What a change did. */
export interface ChangeResult {
  /** False when the file already held this content and was not written (its mtime is untouched). */
  changed: boolean;
}

/** Both `env` fields mean the same environment; this picks it. */
function envOf(opts: { env?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  return opts.env ?? process.env;
}

/**
 * The indentation to write `file` with: the explicit one, else the
 * `stores` setting of the `.sops.yaml` that governs the file (so that a
 * team's 2-space YAML is not rewritten with 4), else undefined.
 */
export function indentFor(file: string, format: Format, opts: ChangeOptions): number | undefined {
  if (opts.indent !== undefined) return opts.indent;
  if (format === 'dotenv') return undefined;
  const env = envOf(opts);
  const path = findConfig(file, { env, ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}) });
  if (path === null) return undefined;
  return storeIndent(loadConfig(path).stores, format);
}

/**
 * Refuse to rewrite a file whose master keys envcrypt cannot keep (PGP, KMS…):
 * writing it back would silently drop them. Several key groups of age keys
 * are kept, group by group.
 */
export function checkRewritable(file: string, dec: DecryptedFile): void {
  const others = [...new Set(dec.metadata.groups.flatMap((g) => g.other.map((p) => p.key)))];
  if (others.length === 0) return;
  const what = `${others.join(', ')} master keys`;
  throw new EnvcryptError('UNSUPPORTED', `${file} has ${what}, which envcrypt cannot keep when it rewrites the file`, {
    file,
    hints: ['change this file with sops, or re-encrypt it to age recipients only'],
  });
}

/** Refuse a file the user may not write, as an editor would (root may write anything). */
export function checkWritable(file: string): void {
  try {
    accessSync(file, constants.W_OK);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new EnvcryptError('IO', `${file} is read-only`, { file, cause, hints: [`make it writable with "chmod u+w ${file}"`] });
  }
}

/**
 * Encrypt `plain` as the next version of `previous` (same recipients, data
 * key, IVs of unchanged values, selector) and emit the file text, checked to
 * read back. Refuses a new value that the file's drifted selector would leave
 * in plaintext (unless `allowSelectorChange`), and announces recipients that
 * only the `.sops.yaml` rule vouches for.
 */
export async function reencryptText(plain: Branch[], previous: DecryptedFile, store: Store, indent: number | undefined, file: string, opts: ChangeOptions): Promise<string> {
  const rule = governingRule(file, { env: envOf(opts), ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}) });
  if (!opts.allowSelectorChange) refuseDriftedPlaintext(file, previous.branches, plain, previous.metadata.selector, rule, previous.integrity === 'verified' ? 'none' : 'previous');
  const enc = await encryptBranches(plain, { recipients: ageRecipients(previous.metadata), ...groupsOf(previous), previous, ...(rule ? { vouched: rule.vouched, ...(rule.threshold !== undefined ? { vouchedThreshold: rule.threshold } : {}) } : {}) });
  announceGrants(file, enc.grants, opts.onWarning, enc.firstRecord);
  return emitChecked(store, enc, plain, file, indent !== undefined ? { indent } : {});
}

/** An error for plaintext that tries to carry SOPS metadata. */
export function metadataKeyError(format: Format): EnvcryptError {
  const what = format === 'dotenv' ? 'a key starting with "sops_"' : 'a top-level "sops" key';
  return new EnvcryptError('PARSE', `the new content has ${what}, which is reserved for the sops metadata`, {
    hints: ['rename or remove that key'],
  });
}

