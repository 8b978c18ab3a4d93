/**
 * `envcrypt edit`: decrypt to a private temp file, let an editor change it,
 * check the result, re-encrypt only what changed. The editor and the
 * "reopen?" question are injected, so this file has no TTY or spawn code
 * (those live in `cli/editor.ts`). The behaviour follows sops's
 * `cmd/sops/edit.go`: private temp dir, 0600 file with the original base
 * name, hash check, editor reopened after a syntax error.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { withLock } from '../io/lock.js';
import { readInputFile } from '../io/read.js';
import { guardSignals, makePrivateTempDir, type PrivateTempDir } from '../io/tempdir.js';
import { resolveCreation, type Creation } from '../repo/sops-config/rules.js';
import { formatFor, storeFor } from '../stores/index.js';
import type { Format, Store } from '../stores/store.js';
import type { Branch } from '../tree/types.js';
import { decryptText, type DecryptedFile } from './decrypt.js';
import { encryptBranches } from './encrypt.js';
import { emitChecked } from './seal.js';
import { checkRewritable, checkWritable, indentFor, metadataKeyError, reencryptText, type ChangeOptions } from './write-back.js';

/** Options for {@link editFile}. */
export interface EditOptions extends ChangeOptions {
  /**
   * Open `path` in an editor and resolve when the editor has exited
   * successfully; reject (with an {@link EnvcryptError}) to abort the edit.
   */
  runEditor: (path: string) => Promise<void>;
  /**
   * The edited text is invalid (`error` says where): resolve true to reopen
   * the editor on it, false to give up (the error is then thrown).
   */
  confirmReopen: (error: EnvcryptError) => Promise<boolean>;
  /** Recipients for a file that does not exist yet (`-r`); see `resolveCreation`. */
  recipients?: readonly string[];
  /** Where to create the private temp dir; default `/dev/shm` or the OS temp dir. */
  tempRoot?: string;
}

/** What {@link editFile} did. */
export interface EditResult {
  /** `unchanged`: nothing was written (the text or its values did not change). */
  status: 'unchanged' | 'written';
  /** True when the file did not exist and was created. */
  created: boolean;
}

/**
 * The temp file's name: the original base name without a trailing `.enc`,
 * so that editors pick the right syntax (`.env.enc` → `.env`;
 * `secrets.enc.yaml` stays as it is).
 */
export function tempFileName(file: string): string {
  const name = basename(file);
  return name.endsWith('.enc') && name.length > 4 ? name.slice(0, -4) : name;
}

/** The starting text for a new file: empty, except JSON, which needs an object. */
function newFileText(format: Format): string {
  return format === 'json' ? '{}\n' : '';
}

/** The file's bytes (a regular file under the input cap), or null when it does not exist yet. */
function readBytes(file: string): Buffer | null {
  try {
    return readInputFile(file);
  } catch (e) {
    if (e instanceof EnvcryptError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** What the session knows before the editor opens. */
interface Session {
  file: string;
  format: Format;
  store: Store;
  indent: number | undefined;
  /** The file's bytes when it was decrypted; null for a new file. */
  original: Buffer | null;
  previous?: DecryptedFile;
  creation?: Creation;
  opts: EditOptions;
}

/** The edited text, as an invalid-input error that can be fixed by reopening. */
function fixable(s: Session, e: EnvcryptError): EnvcryptError {
  const where = e.position ? 'the line:column is in the decrypted text you edited; ' : '';
  return new EnvcryptError(e.code, e.message, {
    file: s.file,
    ...(e.position ? { position: e.position } : {}),
    hints: [...e.hints, `${where}${s.file} was not changed`],
    cause: e,
  });
}

/** Parse, encrypt and emit the edited text; invalid input comes back as a fixable error. */
async function prepare(s: Session, text: string): Promise<string | EnvcryptError> {
  let plain: Branch[];
  try {
    plain = s.store.parsePlain(text);
    if (s.store.hasMetadata(plain)) throw metadataKeyError(s.format);
  } catch (e) {
    if (e instanceof EnvcryptError) return fixable(s, e);
    throw e;
  }
  // Key, recipient and selector errors cannot be fixed in the editor: they
  // are thrown, and the caller keeps the edit.
  try {
    if (s.previous) return await reencryptText(plain, s.previous, s.store, s.indent, s.file, s.opts);
    const enc = await encryptBranches(plain, {
      recipients: s.creation!.recipients,
      ...(s.creation!.groups ? { groups: s.creation!.groups, ...(s.creation!.shamirThreshold !== undefined ? { shamirThreshold: s.creation!.shamirThreshold } : {}) } : {}),
      ...(s.creation!.selector ? { selector: s.creation!.selector } : {}),
      ...(s.creation!.macOnlyEncrypted !== undefined ? { macOnlyEncrypted: s.creation!.macOnlyEncrypted } : {}),
    });
    return emitChecked(s.store, enc, plain, s.file, s.indent !== undefined ? { indent: s.indent } : {});
  } catch (e) {
    // e.g. a dotenv key or value the sops dotenv dialect cannot hold.
    if (e instanceof EnvcryptError && (e.code === 'PARSE' || e.code === 'BAD_FORMAT' || e.code === 'UNSUPPORTED')) return fixable(s, e);
    throw e;
  }
}

/** Write under the lock, unless someone else wrote the file since it was read. */
async function commit(s: Session, out: string, opts: EditOptions): Promise<void> {
  await withLock(
    s.file,
    () => {
      const now = readBytes(s.file);
      const same = now === null || s.original === null ? now === s.original : now.equals(s.original);
      if (!same) {
        const what = s.original === null ? 'created' : now === null ? 'deleted' : 'changed';
        throw new EnvcryptError('CONFLICT', `${s.file} was ${what} by another program while you were editing it`, { file: s.file });
      }
      checkWritable(s.file);
      writeFileAtomic(s.file, out);
    },
    opts,
  );
}

/** Save the edited plaintext in a fresh private file and say where, in the error. */
function keepEdit(s: Session, e: unknown, edited: Buffer, opts: EditOptions): EnvcryptError {
  const saved = makePrivateTempDir(opts.tempRoot);
  saved.keep();
  const savedPath = join(saved.path, tempFileName(s.file));
  writeFileSync(savedPath, edited, { mode: 0o600, flag: 'wx' });
  return keptError(s, e, saved, savedPath);
}

/** An error from writing, with where the edit was saved. */
function keptError(s: Session, e: unknown, tmp: PrivateTempDir, path: string): EnvcryptError {
  const base = e instanceof EnvcryptError ? e : new EnvcryptError('IO', `cannot write ${s.file}`, { file: s.file, cause: e });
  return new EnvcryptError(base.code, base.message, {
    ...(base.file !== undefined ? { file: base.file } : {}),
    cause: base,
    hints: [
      `your edit is kept, in plaintext, in ${path} (mode 0600)`,
      `run "envcrypt edit ${s.file}" again and copy your changes from it, then delete it with "rm -r ${tmp.path}"`,
      ...base.hints,
    ],
  });
}

async function startSession(file: string, opts: EditOptions): Promise<{ s: Session; text: string }> {
  const format = opts.format ?? formatFor(file);
  const store = await storeFor(format);
  const indent = indentFor(file, format, opts);
  const original = readBytes(file);
  const s: Session = { file, format, store, indent, original, opts };
  if (original === null) {
    // Decide the recipients before the editor opens: failing afterwards would waste the edit.
    s.creation = resolveCreation(file, {
      ...(opts.recipients ? { recipients: opts.recipients } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    });
    return { s, text: newFileText(format) };
  }
  if (original.includes(0)) throw new EnvcryptError('PARSE', `${file} is a binary file`, { file });
  s.previous = await decryptText(original.toString('utf8'), file, { ...opts, format });
  checkRewritable(file, s.previous);
  return { s, text: store.emitPlain(s.previous.branches, indent !== undefined ? { indent } : {}) };
}

/**
 * Edit an encrypted file (or create one) with an editor.
 *
 * 1. Decrypt `file` (MAC verified); for a missing file, resolve its
 *    recipients from `opts.recipients`, the environment or `.sops.yaml`.
 * 2. Write the plaintext to a 0600 file named like the original (see
 *    {@link tempFileName}) in a fresh 0700 directory, on `/dev/shm` when
 *    possible. The directory is removed on every way out, signals included.
 * 3. Call `runEditor`. Unchanged bytes (SHA-256) → nothing is written.
 *    Invalid text (or a top-level `sops` / `sops_*` key) → `confirmReopen`,
 *    then the editor again, or the error.
 * 4. Re-encrypt with the previous version, so only changed values get new
 *    ciphertext, and write atomically under the file's lock, only if the
 *    file's bytes are still those that were decrypted.
 *
 * @throws EnvcryptError `CONFLICT` (exit 10) when the file changed during the
 *   edit, or `IO` when it cannot be written: the edited plaintext is then
 *   kept and its path given in the hints; `PARSE` for invalid text that was
 *   not reopened; errors of `runEditor` as they are; decrypt errors
 */
export async function editFile(file: string, opts: EditOptions): Promise<EditResult> {
  const { s, text } = await startSession(file, opts);
  const tmp = makePrivateTempDir(opts.tempRoot);
  const guard = guardSignals(() => tmp.remove());
  try {
    const path = join(tmp.path, tempFileName(file));
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    const before = sha256(Buffer.from(text, 'utf8'));
    let out: string;
    let edited: Buffer;
    for (;;) {
      await opts.runEditor(path);
      if (guard.received) throw new EnvcryptError('IO', `interrupted by ${guard.received}; ${file} was not changed`, { file });
      const bytes = readBytes(path);
      if (bytes === null) throw new EnvcryptError('IO', `the editor removed the temporary file; ${file} was not changed`, { file });
      if (sha256(bytes) === before) return { status: 'unchanged', created: false };
      let result: string | EnvcryptError;
      try {
        result = await prepare(s, bytes.toString('utf8'));
      } catch (e) {
        tmp.remove();
        throw keepEdit(s, e, bytes, opts);
      }
      if (typeof result === 'string') {
        out = result;
        edited = bytes;
        break;
      }
      if (!(await opts.confirmReopen(result))) throw result;
    }
    if (s.original !== null && s.original.equals(Buffer.from(out, 'utf8'))) return { status: 'unchanged', created: false };
    // The plaintext leaves the disk before the write-back, so that even a
    // SIGKILL during the write leaves none behind; it is written again only
    // if the write fails and the edit must be kept.
    tmp.remove();
    try {
      await commit(s, out, opts);
    } catch (e) {
      throw keepEdit(s, e, edited, opts);
    }
    return { status: 'written', created: s.original === null };
  } finally {
    tmp.remove();
    // Last: it may re-raise a signal that arrived, ending the process.
    guard.dispose();
  }
}
