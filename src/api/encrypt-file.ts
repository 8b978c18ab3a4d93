import { existsSync, readFileSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readExactText, readTextFile } from '../io/read.js';
import { samePath } from '../io/same-path.js';
import type { KeyOptions } from '../keys/discovery.js';
import { formatFor, formatFromName, parseFormat } from '../stores/index.js';
import type { Selector, SelectorKind } from '../stores/metadata.js';
import { resolveCreation, storeIndent, type Creation } from '../repo/sops-config/rules.js';
import type { Format } from '../stores/store.js';
import { assertInputFile, decryptFile, type DecryptedFile } from './decrypt.js';

export { assertInputFile } from './decrypt.js';
import { encryptText, type EncryptTextOptions } from './encrypt.js';
import { keyPaths } from './keys.js';
import { parseSops, sniffFormat } from '../stores/sniff.js';

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
  /**
   * Drop keys an existing encrypted `output` holds that the plaintext lacks.
   * Without it such a write is refused (`REFUSED`, exit 9): the plaintext is
   * usually older than the encrypted file. @default false
   */
  prune?: boolean;
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
 *   `inPlace`, an existing plaintext file without `force`, or an encrypted
 *   file holding keys the plaintext lacks without `prune`;
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
  const outFormat = opts.outputFormat ?? format;
  if (out !== undefined && opts.outputFormat !== undefined) refuseNameMismatch(out, opts.outputFormat);
  const text = format === 'binary' ? readExactText(path) : readTextFile(path);
  const previous = out !== undefined && !inPlace ? await previousVersion(out, outFormat, opts) : undefined;
  const held = out !== undefined && !inPlace && !opts.prune ? (previous ? keyPaths(previous.branches) : await encryptedKeysOf(out, outFormat)) : [];
  const result = await encryptText(text, path, {
    ...opts,
    format,
    outputFormat: outFormat,
    ...(previous ? { previous } : {}),
    ...(out !== undefined ? { target: out } : {}),
    ...(out !== undefined && held.length > 0 ? { mustKeep: { file: out, keys: held } } : {}),
  });
  if (out === undefined) return { text: result, unchanged: false };
  if (previous && readFileSync(out, 'utf8') === result) return { text: result, unchanged: true };
  writeFileAtomic(out, result);
  return { text: result, unchanged: false };
}

/**
 * `--output-type` and an `-o` whose name says another format: refused, since
 * every tool that goes by the name (envcrypt and sops included) would read
 * the file as the wrong format.
 */
function refuseNameMismatch(out: string, outFormat: Format): void {
  const named = formatFromName(out);
  if (named === null || named === outFormat) return;
  throw new EnvcryptError('USAGE', `--output-type ${outFormat} disagrees with the name of ${out}, which says ${named}`, {
    hints: [`name the output for its format (e.g. ending in .${outFormat === 'dotenv' ? 'env' : outFormat}), or drop --output-type`],
  });
}

/**
 * An existing encrypted `out` in a format other than the one being written
 * (its name says nothing, or says what its content is): refused without
 * `force`, since the whole file would change form. With `force`, its data key
 * and IVs are still reused.
 */
async function existingFormat(out: string, outFormat: Format, force: boolean | undefined): Promise<Format> {
  const named = formatFromName(out);
  if (named !== null) return named;
  const found = (await sniffFormat(readTextFile(out), [])) ?? outFormat;
  if (found !== outFormat && !force) {
    throw new EnvcryptError('REFUSED', `refusing to rewrite ${out}, an encrypted ${found} file, as ${outFormat}`, {
      hints: ['pass --force to replace it in the new format (its data key is kept), or choose another path with -o/--output'],
    });
  }
  return found;
}

/** The key paths of an encrypted file no key of ours opens (key names are in clear); none for anything else. */
async function encryptedKeysOf(out: string, format: Format): Promise<string[]> {
  if (!existsSync(out)) return [];
  const parsed = await parseSops(out, readTextFile(out), formatFromName(out) ?? format);
  return parsed.kind === 'encrypted' ? keyPaths(parsed.branches) : [];
}

/**
 * The encrypted version already at `out`, decrypted, for reuse. A plaintext
 * `out` is only replaced with `force`; one no key of yours opens is
 * re-encrypted from scratch (with a warning).
 */
async function previousVersion(out: string, format: Format, opts: EncryptFileOptions): Promise<DecryptedFile | undefined> {
  if (!existsSync(out)) return undefined;
  try {
    return await decryptFile(out, { ...opts, format: await existingFormat(out, format, opts.force) });
  } catch (e) {
    // A damaged OUT (ENC values, no metadata) is replaced only with --force, as a plaintext one.
    if (e instanceof EnvcryptError && e.code === 'BAD_METADATA' && opts.force) return undefined;
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

/** A `--output-type` value, checked. @throws EnvcryptError `USAGE` for an unknown format */
export function outputFormat(s: string): Format {
  return parseFormat(s, '--output-type');
}

/** The selector flags of `encrypt`, by sops name (sops 3.13 has all six). */
export const SELECTOR_FLAGS: readonly SelectorKind[] = [
  'encrypted_regex', 'unencrypted_regex', 'encrypted_suffix', 'unencrypted_suffix', 'encrypted_comment_regex', 'unencrypted_comment_regex',
];

/** Options for {@link encryptWithRules}: {@link EncryptFileOptions} with recipients and selector still to be decided. */
export interface EncryptWithRulesOptions extends Omit<EncryptFileOptions, 'recipients' | 'selector' | 'macOnlyEncrypted' | 'recipientSource'> {
  /** `-r` values (each may be comma-separated); they replace the rule's recipients. */
  recipients?: readonly string[];
  /** A selector flag; it replaces the rule's. */
  selector?: Selector;
  /** `--mac-only-encrypted`; replaces the rule's. */
  macOnlyEncrypted?: boolean;
  /** `--config PATH`. */
  configPath?: string;
  /**
   * `-R FILE` values: recipients files as `age -R` reads them (one recipient
   * per line: `age1…`, SSH public keys), or an identity file or SSH private
   * key whose public key is used. They count as `-r` recipients.
   */
  recipientFiles?: readonly string[];
}

/**
 * The recipients of `-R FILE` arguments: each file a recipients list as
 * `age -R` reads one, or an identity file or SSH private key whose public key is used.
 *
 * @throws EnvcryptError `NOT_FOUND` for a missing file; `BAD_KEY` naming the file and line of a line that is not a recipient
 */
export async function recipientsFromFiles(files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  if (files.length === 0) return out;
  // Loaded only when used: it brings the repository-wide re-keying code.
  const { resolveRecipientsFile } = await import('./recipients.js');
  for (const f of files) {
    assertInputFile(f);
    out.push(...(await resolveRecipientsFile(f)));
  }
  return out;
}


/** What {@link encryptWithRules} did, and with what. */
export interface EncryptWithRulesResult extends EncryptFileResult {
  creation: Creation;
}

/**
 * `envcrypt encrypt`: decide the recipients and selector as sops does (flags
 * and variables, else the first `.sops.yaml` rule matching the output path,
 * else the input path, since rules usually name encrypted files), then
 * {@link encryptFile}.
 *
 * @throws EnvcryptError `NO_RECIPIENTS` when no source gives any; see {@link encryptFile}
 */
export async function encryptWithRules(path: string, opts: EncryptWithRulesOptions): Promise<EncryptWithRulesResult> {
  const { recipients: flagged, recipientFiles, selector: flagSelector, macOnlyEncrypted: flagMacOnly, configPath, shamirThreshold: flagThreshold, ...rest } = opts;
  assertInputFile(path);
  for (const r of flagged ?? []) {
    // age's rule: -r takes a key, -R a file holding one; say so rather than "invalid recipient".
    if (!/^(age1|ssh-)/.test(r.trim()) && existsSync(r)) {
      throw new EnvcryptError('USAGE', `-r/--recipient takes a public key, not a file: ${r}`, { hints: [`pass the file with -R: "-R ${r}"`] });
    }
  }
  const given = [...(flagged ?? []), ...(await recipientsFromFiles(recipientFiles ?? []))];
  const fromFiles = (recipientFiles ?? []).map((f) => `-R ${f}`);
  const resolveFor = (target: string) =>
    resolveCreation(target, {
      recipients: given.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean),
      ...(fromFiles.length > 0 ? { recipientsSource: [...(flagged?.length ? ['-r/--recipient'] : []), ...fromFiles].join(', ') } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(configPath !== undefined ? { configPath } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
  const out = opts.output;
  let creation: Creation;
  try {
    creation = resolveFor(out ?? path);
  } catch (e) {
    if (!(e instanceof EnvcryptError && e.code === 'NO_RECIPIENTS') || out === undefined || out === path) throw e;
    creation = resolveFor(path);
  }
  const format = opts.format ?? formatFor(path);
  const selector = flagSelector ?? creation.selector;
  const macOnly = flagMacOnly ?? creation.macOnlyEncrypted;
  const written = opts.outputFormat ?? format;
  const indent = opts.indent ?? (creation.stores ? storeIndent(creation.stores, written) : undefined);
  // Key groups come only from a rule; the threshold flag replaces the rule's.
  const threshold = creation.groups ? (flagThreshold ?? creation.shamirThreshold ?? creation.groups.length) : undefined;
  const result = await encryptFile(path, {
    ...rest,
    format,
    recipients: creation.recipients,
    recipientSource: creation.source,
    ...(creation.groups ? { groups: creation.groups, shamirThreshold: threshold!, vouchedThreshold: threshold! } : {}),
    ...(selector ? { selector } : {}),
    ...(macOnly !== undefined ? { macOnlyEncrypted: macOnly } : {}),
    ...(indent !== undefined ? { indent } : {}),
  });
  return { ...result, creation };
}
