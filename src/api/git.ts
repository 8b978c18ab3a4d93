/**
 * The git integration's operations, as the `envcrypt git …` command and git
 * itself call them: set up a clone, show a file decrypted for `git diff`
 * (textconv), and merge three versions (the merge driver), with git's own
 * line merge for files that are not encrypted.
 */
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import { readInputFile, readTextFile } from '../io/read.js';
import type { KeyOptions } from '../keys/discovery.js';
import { cliInvocation, setupGit, type Invocation, type SetupResult as GitSetupResult } from '../repo/git-setup.js';
import { gitMergeFile, repoTop } from '../repo/git.js';
import { storeFor } from '../stores/index.js';
import { isEncryptedText, sniffFormat } from '../stores/sniff.js';
import { decryptText } from './decrypt.js';

/** What {@link setupClone} did, and how git runs envcrypt. */
export interface SetupResult extends GitSetupResult {
  invocation: Invocation;
}

/** Options for {@link setupClone}. */
export interface SetupOptions {
  hook: boolean;
  force: boolean;
  /** Globs the hook's `check` leaves out (needs `hook`). */
  exclude: readonly string[];
}

/**
 * Configure this clone: `.gitattributes` lines, the diff and merge drivers in
 * git config, and optionally the pre-commit hook.
 *
 * @throws EnvcryptError `USAGE` for `exclude` without `hook`
 */
export async function setupClone(opts: SetupOptions): Promise<SetupResult> {
  // Without a hook there is no "check" to hand the globs to; saying nothing would hide the mistake.
  if (opts.exclude.length > 0 && !opts.hook) throw new EnvcryptError('USAGE', 'git setup --exclude needs --hook', { hints: ['the globs are passed to the pre-commit hook\'s "envcrypt check"'] });
  const root = repoTop(process.cwd());
  const run = cliInvocation(root);
  return { ...(await setupGit({ cwd: root, cli: run.words, hook: opts.hook, force: opts.force, exclude: opts.exclude })), invocation: run };
}

/** Why a file is shown encrypted, in a few words (never a value). */
function reason(e: unknown): string | null {
  if (!(e instanceof EnvcryptError)) return 'it could not be decrypted';
  if (e.code === 'NOT_ENCRYPTED') return null;
  if (e.code === 'NO_IDENTITY') return 'no identity matched';
  return e.message;
}

/** What {@link textconv} shows, and why it is the raw file when it is. */
export interface Textconv {
  text: string;
  /** Set when the file is shown as it is (never a value). */
  shownEncrypted: string | null;
}

/**
 * The text `git diff` shows for a file: decrypted when a key opens it, else
 * the file as it is. It never fails because of the file. The output is always
 * escaped (`io/escape.ts`): git shows it through a pager that passes escape
 * sequences to the terminal, and anyone who can push can write them into a
 * key, a value or a comment. Textconv output is only ever shown, never
 * applied, so exact bytes are not needed.
 */
export async function textconv(file: string, keys: KeyOptions): Promise<Textconv> {
  // A regular file under the input cap (a FIFO or device is refused, not read).
  const raw = readInputFile(file);
  try {
    const text = raw.toString('utf8');
    const format = await sniffFormat(text, [file]);
    if (format === null) throw new EnvcryptError('NOT_ENCRYPTED', `${file} is not encrypted`);
    const dec = await decryptText(text, file, { ...keys, format });
    return { text: escapeControls((await storeFor(format)).emitPlain(dec.branches)), shownEncrypted: null };
  } catch (e) {
    return { text: escapeControls(raw.toString('utf8')), shownEncrypted: reason(e) };
  }
}

/**
 * Files that are not encrypted at all get git's own line merge, as without
 * the driver. Returns the number of conflicts, or null when a side is
 * encrypted (the caller then merges by key).
 */
export async function plainMerge(base: string, ours: string, theirs: string, path: string, cwd: string): Promise<number | null> {
  const text = readTextFile(ours);
  const other = readTextFile(theirs);
  const format = (await sniffFormat(text, [path])) ?? (await sniffFormat(other, []));
  if (format !== null && ((await isEncryptedText(text, format)) || (await isEncryptedText(other, format)))) return null;
  return gitMergeFile(ours, base, theirs, [`${path} (ours)`, `${path} (base)`, `${path} (theirs)`], cwd);
}
