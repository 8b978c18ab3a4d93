import { recoverDataKey, recoverDataKeysSync } from '../crypto/datakey.js';
import { IvStash } from '../crypto/iv-stash.js';
import { readMetadata, type Metadata } from '../stores/metadata.js';
import { coveredOf, verifyIntegrity } from '../crypto/integrity.js';
import { decryptTree } from '../crypto/tree-cipher.js';
import { EnvcryptError } from '../errors.js';
import { envFlag } from '../io/env-flag.js';
import { openInput, readTextFile } from '../io/read.js';
import type { GeneralOpened, GeneralUnwrap, OtherOpeners } from '../keys/age/unwrap.js';
import { noFallbackFromNamed, type KeyOptions } from '../keys/discovery.js';
import { formatFor, storeFor } from '../stores/index.js';
import { damagedError, ENC_MARKER } from '../stores/sniff.js';
import type { Format, Store } from '../stores/store.js';
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
  /**
   * Refuse a file without an integrity record (exit 3). Default: the
   * `ENVCRYPT_REQUIRE_INTEGRITY` variable of `env` is `1` or `true`.
   */
  requireIntegrity?: boolean;
  /**
   * Called with the encrypted tree once it is parsed, before the data key is
   * looked for and anything is decrypted; it may throw to stop there (`exec`
   * refuses an environment too large for the OS this way).
   */
  beforeDecrypt?: (encrypted: readonly Branch[]) => void;
  /** Called with the file's text and format before it is parsed; it may throw to stop there. */
  beforeParse?: (text: string, format: Format) => void;
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
  /**
   * Whether the file's envcrypt integrity record was present and verified
   * (`verified`: every key name, value, comment, the selector and the
   * recipient list are authenticated), or absent (a sops-written file: only
   * encrypted, non-empty values are authenticated, by GCM and the SOPS MAC).
   * A record that is present but does not verify is an error, never `absent`.
   */
  integrity: 'verified' | 'absent';
  /**
   * With several key groups: the Shamir share of each group the identities
   * opened (group index → share), so one group's share can be wrapped for a
   * new member without re-splitting the data key.
   */
  shares?: ReadonlyMap<number, Uint8Array>;
}

/**
 * Parse and decrypt SOPS-format text. `name` is used for messages and, when
 * no format is given, to pick the format. The MAC is always verified unless
 * `ignoreMac` is set. Throws {@link EnvcryptError} on any failure, having
 * produced no plaintext.
 */
export async function decryptText(text: string, name: string, opts: DecryptOptions = {}): Promise<DecryptedFile> {
  try {
    const format = opts.format ?? formatFor(name, undefined, undefined, text);
    opts.beforeParse?.(text, format);
    const { branches, md } = parseSops(await storeFor(format), text, name);
    requireRecord(md, opts);
    opts.beforeDecrypt?.(branches);
    let dataKey = opts.dataKey;
    const shares = new Map<number, Uint8Array>();
    if (!dataKey) {
      const keys = noFallbackFromNamed(opts);
      try {
        dataKey = await recoverDataKey(md, name, keys.opts, shares);
      } catch (e) {
        throw namedFailure(e, keys.failure());
      }
    }
    return decryptParsed(format, branches, md, dataKey, opts, shares);
  } catch (e) {
    throw inFile(e, name);
  }
}

/** What {@link decryptTextSync} cannot do itself: load a store, open a stanza on the general path. */
export interface SyncHost {
  storeFor(format: Format): Store;
  /** Opens, synchronously, what one source's keys leave to the general path: an answer per group in `req` (see {@link recoverDataKeySync}). */
  unwrapGeneral(req: GeneralUnwrap): readonly (GeneralOpened | null)[];
  /** Opens post-quantum and SSH identities in-process; without it they go to {@link SyncHost.unwrapGeneral}. */
  otherOpeners?: OtherOpeners;
}

/**
 * {@link decryptText} without a promise, for the preloads. The same checks
 * in the same order; `host` provides the parts that are asynchronous in
 * this module's other callers.
 */
export function decryptTextSync(text: string, name: string, opts: DecryptOptions, host: SyncHost): DecryptedFile {
  const [result] = decryptTextsSync([{ text, name }], opts, host);
  if ('error' in result!) throw result.error;
  return result!.file;
}

/** One file's outcome in {@link decryptTextsSync}. */
export type DecryptTextResult = { file: DecryptedFile } | { error: unknown };

/**
 * {@link decryptTextSync} for several files (the preload's layered files),
 * with their keys found together: every file is parsed, then their key
 * searches run in step so that what they leave to the general path goes to
 * `host` in one request (one helper process for all of them), then each is
 * decrypted. Each file gets its own result, with the same checks and errors
 * as alone; the caller reports the first failure in file order.
 */
export function decryptTextsSync(files: readonly { text: string; name: string }[], opts: DecryptOptions, host: SyncHost): DecryptTextResult[] {
  const parsed = files.map(({ text, name }) => {
    try {
      const format = opts.format ?? formatFor(name, undefined, undefined, text);
      opts.beforeParse?.(text, format);
      const { branches, md } = parseSops(host.storeFor(format), text, name);
      requireRecord(md, opts);
      opts.beforeDecrypt?.(branches);
      return { name, format, branches, md, keys: opts.dataKey ? undefined : noFallbackFromNamed(opts), shares: new Map<number, Uint8Array>() };
    } catch (error) {
      return { name, error };
    }
  });
  const searching = parsed.flatMap((p) => ('keys' in p && p.keys ? [p] : []));
  const found = recoverDataKeysSync(
    searching.map((p) => ({ md: p.md, file: p.name, opts: p.keys!.opts, found: p.shares })),
    (req) => host.unwrapGeneral(req),
    host.otherOpeners,
  );
  return parsed.map((p): DecryptTextResult => {
    try {
      if ('error' in p) throw p.error;
      let dataKey: Uint8Array;
      if (opts.dataKey) dataKey = opts.dataKey;
      else {
        const r = found[searching.indexOf(p)]!;
        if ('error' in r) throw namedFailure(r.error, p.keys!.failure());
        dataKey = r.key;
      }
      return { file: decryptParsed(p.format, p.branches, p.md, dataKey, opts, p.shares) };
    } catch (e) {
      return { error: inFile(e, p.name) };
    }
  });
}

/**
 * When the search for a key found none because an identity file the user
 * named failed, that failure is the error (it names the file); see
 * `noFallbackFromNamed`.
 */
function namedFailure(e: unknown, failure: unknown): unknown {
  return failure !== undefined && e instanceof EnvcryptError && e.code === 'NO_IDENTITY' ? failure : e;
}

function inFile(e: unknown, name: string): unknown {
  if (e instanceof EnvcryptError) e.inFile(name);
  return e;
}

function notEncrypted(name: string): EnvcryptError {
  return new EnvcryptError('NOT_ENCRYPTED', `${name} is not encrypted (it has no sops metadata)`, {
    hints: [`encrypt it with "envcrypt encrypt ${name}"`],
  });
}

/** True when `text` reads as plaintext of the store's format. */
function parsesAsPlain(store: Store, text: string): boolean {
  try {
    store.parsePlain(text);
    return true;
  } catch {
    // Not plaintext either: the caller reports the sops parse error.
    return false;
  }
}

function parseSops(store: Store, text: string, name: string): { branches: Branch[]; md: Metadata } {
  let parsed: ReturnType<Store['parseEncrypted']>;
  try {
    parsed = store.parseEncrypted(text);
  } catch (e) {
    // Plaintext in a syntax only the plaintext parser accepts (a multi-line
    // value) is just plaintext; ciphertext that does not parse keeps its error
    // and position (a duplicate key, a merge conflict).
    if (e instanceof EnvcryptError && !text.includes(ENC_MARKER) && parsesAsPlain(store, text)) throw notEncrypted(name);
    throw e;
  }
  const { branches, metadata } = parsed;
  if (!metadata) throw text.includes(ENC_MARKER) ? damagedError(name) : notEncrypted(name);
  return { branches, md: readMetadata(metadata) };
}

/** True when `ENVCRYPT_REQUIRE_INTEGRITY` asks for every file to carry an integrity record. */
export function integrityRequired(env: NodeJS.ProcessEnv): boolean {
  return envFlag(env.ENVCRYPT_REQUIRE_INTEGRITY);
}

/**
 * Refuse a file without an integrity record when one is required. Checked as
 * soon as the file is parsed (the metadata says so, no key needed), so such a
 * file is refused for that, before any key is looked for or any other check
 * on its contents (an environment `exec` could not pass) can answer first.
 */
function requireRecord(md: Metadata, opts: DecryptOptions): void {
  if (md.integrity !== undefined || opts.ignoreMac || !(opts.requireIntegrity ?? integrityRequired(opts.env ?? process.env))) return;
  throw new EnvcryptError('MAC_MISMATCH', 'the file has no integrity record, and one is required (ENVCRYPT_REQUIRE_INTEGRITY)', {
    hints: [
      'it was written by sops, or someone removed the record; compare it with the last good version in git',
      'if it is genuine, any envcrypt write adds the record (e.g. "envcrypt rotate FILE")',
    ],
  });
}

// One HMAC over the encrypted tree already in memory.
function checkIntegrity(branches: Branch[], md: Metadata, dataKey: Uint8Array, opts: DecryptOptions): DecryptedFile['integrity'] {
  if (md.integrity === undefined) {
    requireRecord(md, opts);
    return 'absent';
  }
  if (opts.ignoreMac) return 'absent';
  verifyIntegrity(md.integrity, branches, coveredOf(md), dataKey);
  return 'verified';
}

/**
 * Decrypt an already parsed SOPS tree with its data key: every value, the MAC
 * and the integrity record checked as {@link decryptText} checks them (for
 * callers that parsed the file to find its key, e.g. `audit`).
 */
export function decryptParsed(format: Format, branches: Branch[], md: Metadata, dataKey: Uint8Array, opts: DecryptOptions, shares: ReadonlyMap<number, Uint8Array> = new Map()): DecryptedFile {
  const stash = new IvStash(!opts.readOnly);
  const plain = decryptTree(branches, md, dataKey, {
    stash,
    ...(opts.ignoreMac ? { ignoreMac: true } : {}),
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  });
  // After the values and the MAC, so that a changed value is reported by its
  // key path; the record then covers what they cannot see (names, structure,
  // empty and unencrypted values, selector, recipients).
  const integrity = checkIntegrity(branches, md, dataKey, opts);
  const out: DecryptedFile = { format, branches: plain, encrypted: branches, metadata: md, dataKey, stash, integrity };
  if (md.groups.length > 1 && shares.size > 0) out.shares = shares;
  return out;
}

/** Read and decrypt a file. See {@link decryptText}. */
export async function decryptFile(path: string, opts: DecryptOptions = {}): Promise<DecryptedFile> {
  return decryptText(readTextFile(path), path, opts);
}

/**
 * Fail early, with the right words, for an input that is missing (`NOT_FOUND`,
 * exit 6), a directory or not a regular file (`USAGE`, exit 2): before any
 * question of format or recipients comes up.
 */
export function assertInputFile(path: string): void {
  openInput(path).close();
}
