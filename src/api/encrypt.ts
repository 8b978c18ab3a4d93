import { newDataKey } from '../crypto/datakey.js';
import { type AgeEntry, type Metadata, nowLastModified, SOPS_VERSION, writeMetadata } from '../crypto/metadata.js';
import { DEFAULT_SELECTOR, type Selector } from '../crypto/selector.js';
import { encryptTree } from '../crypto/tree-cipher.js';
import { EnvcryptError } from '../errors.js';
import { wrapDataKey } from '../keys/age-wrap.js';
import { checkPqMix, parseRecipient, type ParsedRecipient } from '../keys/recipient.js';
import { formatFor, storeFor } from '../stores/index.js';
import type { EmitOptions, Format, Store } from '../stores/store.js';
import { nodesEqual } from '../tree/equal.js';
import type { Branch } from '../tree/types.js';
import type { DecryptedFile } from './decrypt.js';

/** Options for {@link encryptBranches} and {@link encryptText}. */
export interface EncryptOptions {
  /** age recipients (`age1…`, `age1pq1…`). */
  recipients: readonly string[];
  /** Which leaves to encrypt (default: all but keys ending in `_unencrypted`). */
  selector?: Selector;
  /** Hash only encrypted values into the MAC (sops 3.9+ `mac_only_encrypted`). */
  macOnlyEncrypted?: boolean;
  /**
   * The previous version of this file, decrypted. Its data key and IVs are
   * reused so unchanged values keep byte-identical ciphertext; when nothing
   * changed at all, `lastmodified` and the MAC stay too. A removed recipient
   * forces a new data key.
   */
  previous?: DecryptedFile;
  /** Force a fresh data key even when `previous` is given (rotation). */
  rotate?: boolean;
  /** Clock, for tests. */
  now?: Date;
}

/** Result of {@link encryptBranches}. */
export interface EncryptedTree {
  branches: Branch[];
  metadata: Metadata;
}

function sameTree(a: readonly Branch[], b: readonly Branch[]): boolean {
  return a.length === b.length && a.every((x, i) => nodesEqual(x, b[i]!));
}

async function wrapAll(key: Uint8Array, recipients: ParsedRecipient[], keep: Map<string, AgeEntry>): Promise<AgeEntry[]> {
  const out: AgeEntry[] = [];
  for (const r of recipients) out.push(keep.get(r.text) ?? { recipient: r.text, enc: await wrapDataKey(key, r) });
  return out;
}

/**
 * Encrypt a plaintext tree to the given recipients, producing the encrypted
 * tree and its metadata. See {@link EncryptOptions.previous} for diff stability.
 */
export async function encryptBranches(plain: readonly Branch[], opts: EncryptOptions): Promise<EncryptedTree> {
  const parsed = [...new Map(opts.recipients.map((r) => parseRecipient(r)).map((p) => [p.text, p])).values()];
  if (parsed.length === 0) {
    throw new EnvcryptError('NO_RECIPIENTS', 'no recipients to encrypt to', {
      hints: ['pass -r/--recipient age1…, set ENVCRYPT_AGE_RECIPIENTS, or add a creation rule to .sops.yaml'],
    });
  }
  checkPqMix(parsed);
  const prev = opts.previous;
  const selector = opts.selector ?? prev?.metadata.selector ?? DEFAULT_SELECTOR;
  const macOnlyEncrypted = opts.macOnlyEncrypted ?? prev?.metadata.macOnlyEncrypted ?? false;
  const prevEntries = new Map((prev?.metadata.groups[0]?.age ?? []).map((e) => [e.recipient, e] as const));
  const removed = [...prevEntries.keys()].some((r) => !parsed.some((p) => p.text === r));
  const reuseKey = prev !== undefined && !opts.rotate && !removed && prev.metadata.groups.length === 1;
  const otherKeys = prev?.metadata.groups.flatMap((g) => g.other) ?? [];
  if (prev && !reuseKey && otherKeys.length > 0) {
    throw new EnvcryptError('UNSUPPORTED', `cannot rotate the data key: the file also has ${otherKeys.map((p) => p.key).join(', ')} master keys, which envcrypt cannot wrap a new key for`, {
      hints: ['rotate it with sops, or remove those keys first'],
    });
  }
  const key = reuseKey ? prev.dataKey : newDataKey();
  const entries = await wrapAll(key, parsed, reuseKey ? prevEntries : new Map());
  const unchanged =
    reuseKey &&
    sameTree(plain, prev.branches) &&
    selector.kind === prev.metadata.selector.kind &&
    selector.value === prev.metadata.selector.value &&
    macOnlyEncrypted === prev.metadata.macOnlyEncrypted &&
    entries.length === prevEntries.size &&
    entries.every((e) => prevEntries.get(e.recipient) === e);
  const lastmodified = unchanged ? prev.metadata.lastmodified : nowLastModified(opts.now);
  const { branches, mac } = encryptTree(plain, key, {
    selector,
    macOnlyEncrypted,
    lastmodified,
    ...(prev ? { stash: prev.stash } : {}),
  });
  const metadata: Metadata = {
    // With the same data key, other master keys (pgp, kms, …) still open it: keep them.
    groups: [{ age: entries, other: reuseKey ? otherKeys : [] }],
    lastmodified,
    mac,
    selector,
    macOnlyEncrypted,
    version: unchanged ? prev.metadata.version : SOPS_VERSION,
    extra: prev?.metadata.extra ?? [],
  };
  return { branches, metadata };
}

function alreadyEncrypted(name: string): EnvcryptError {
  return new EnvcryptError('ALREADY_ENCRYPTED', `${name} is already encrypted (it has sops metadata)`, {
    hints: ['decrypt it first, or use "envcrypt edit" / "envcrypt set" to change it'],
  });
}

function hasSopsMetadata(store: Store, text: string): boolean {
  try {
    return store.parseEncrypted(text).metadata !== null;
  } catch {
    return false;
  }
}

/** Options for {@link encryptText}. */
export interface EncryptTextOptions extends EncryptOptions, EmitOptions {
  format?: Format;
}

/**
 * Parse plaintext, refuse it if it is already encrypted, encrypt it and emit
 * the SOPS-format text.
 */
export async function encryptText(text: string, name: string, opts: EncryptTextOptions): Promise<string> {
  try {
    const format = opts.format ?? formatFor(name);
    const store = await storeFor(format);
    let plain: Branch[];
    try {
      plain = store.parsePlain(text);
    } catch (e) {
      // A sops dotenv file may not be valid plaintext dotenv (e.g. a quote in an
      // unencrypted value); say "already encrypted" rather than "parse error".
      if (e instanceof EnvcryptError && e.code === 'PARSE' && hasSopsMetadata(store, text)) throw alreadyEncrypted(name);
      throw e;
    }
    if (store.hasMetadata(plain)) {
      throw alreadyEncrypted(name);
    }
    const enc = await encryptBranches(plain, opts);
    return store.emitEncrypted(enc.branches, writeMetadata(enc.metadata), opts.indent !== undefined ? { indent: opts.indent } : {});
  } catch (e) {
    if (e instanceof EnvcryptError) e.inFile(name);
    throw e;
  }
}
