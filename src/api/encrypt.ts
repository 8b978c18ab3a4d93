import { newDataKey } from '../crypto/datakey.js';
import { type AgeEntry, type Metadata, nowLastModified, SOPS_VERSION } from '../stores/metadata.js';
import { DEFAULT_SELECTOR, type Selector } from '../crypto/selector.js';
import { encryptTree } from '../crypto/tree-cipher.js';
import { EnvcryptError } from '../errors.js';
import { wrapDataKey } from '../keys/age/wrap.js';
import { checkPqMix, normalRecipient, parseRecipient } from '../keys/recipient.js';
import { formatFor, storeFor } from '../stores/index.js';
import { damagedError, ENC_MARKER, isEncryptedText } from '../stores/sniff.js';
import { keyPaths } from './keys.js';
import type { EmitOptions, Format, Store } from '../stores/store.js';
import { coveredOf, integrityRecord } from '../crypto/integrity.js';
import { nodesEqual } from '../tree/equal.js';
import type { Branch, Comment, Node, Pair } from '../tree/types.js';
import { shamirSplit } from '../crypto/shamir.js';
import { checkLayout, inGroup, recordThreshold, recordVouches, THRESHOLD_MARK, thresholdFor, unvouchedThreshold, vouchedByRecord as recordVouchedKeys, vouchKey } from './key-layout.js';
import type { DecryptedFile } from './decrypt.js';
import { emitChecked } from './seal.js';
import { announceGrants, namedBy } from './vouch.js';

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
  /**
   * Recipients this command vouches for, each with where it came from
   * (`-r/--recipient`, `.sops.yaml:4:5 (creation rule 1)`). The data key is
   * newly wrapped only for these and for those the previous version's
   * integrity record vouches for; any other recipient is refused
   * (`UNVOUCHED`, exit 3).
   */
  vouched?: ReadonlyMap<string, string>;
  /**
   * Key groups (sops `key_groups`): one list of recipients per group. With
   * several, the data key is split with Shamir and each group's recipients
   * wrap its share. Replaces `recipients` when given.
   */
  groups?: readonly (readonly string[])[];
  /** How many groups rebuild the data key (default: the previous version's, else every group). */
  shamirThreshold?: number;
  /** The threshold this command or the `.sops.yaml` rule vouches for (see `key-layout.ts`). */
  vouchedThreshold?: number;
  /** Clock, for tests. */
  now?: Date;
}

/** A recipient that received the data key on the strength of this command (see {@link EncryptOptions.vouched}). */
export interface Grant {
  recipient: string;
  /** Where it came from. */
  source: string;
  /** It was not listed in the previous version at all. */
  added: boolean;
  /** The data key was newly wrapped for it (otherwise its stanza was kept and only the record now vouches for it). */
  wrapped: boolean;
}

/** Result of {@link encryptBranches}. */
export interface EncryptedTree {
  branches: Branch[];
  metadata: Metadata;
  /** The data key, for checking that the written text reads back. */
  dataKey: Uint8Array;
  /**
   * With a previous version: recipients newly given the data key that its
   * integrity record did not vouch for. Commands announce these on stderr.
   */
  grants: Grant[];
  /** The previous version had no integrity record, and this one has the first. */
  firstRecord: boolean;
}

function sameTree(a: readonly Branch[], b: readonly Branch[]): boolean {
  return a.length === b.length && a.every((x, i) => nodesEqual(x, b[i]!));
}

/**
 * The recipients a decrypted file's integrity record vouches for: every one
 * it lists but those marked unverified (`N/recipient` in group N of a file
 * with several key groups). None when it has no record.
 */
export const vouchedByRecord = recordVouchedKeys;

function unvouched(r: string, prev: DecryptedFile | undefined): EnvcryptError {
  return new EnvcryptError('UNVOUCHED', `refusing to give the data key to ${r}: nothing vouches for this recipient`, {
    hints: [
      prev?.integrity === 'verified'
        ? 'the file lists it, but envcrypt never wrapped the key for it (it was there, unauthenticated, before the file had an integrity record, or it was in another key group)'
        : 'the file lists it, but the file has no integrity record, so anyone who can push to the repository could have added it',
      `if it belongs to a teammate, confirm it with "envcrypt recipients add ${r.replace(/ \(key group (\d+)\)$/, ' --group $1')}"; otherwise remove it with "envcrypt recipients remove ${r.replace(/ \(key group \d+\)$/, '')}"`,
    ],
  });
}

// The previous version's stanzas of group i by recipient; none when the layout differs in size.
function previousGroup(prev: DecryptedFile | undefined, n: number, i: number): Map<string, AgeEntry> {
  const g = prev && prev.metadata.groups.length === n ? prev.metadata.groups[i] : undefined;
  return new Map((g?.age ?? []).map((e) => [e.recipient, e] as const));
}

/**
 * Encrypt a plaintext tree to the given recipients, producing the encrypted
 * tree and its metadata. See {@link EncryptOptions.previous} for diff stability.
 */
export async function encryptBranches(plain: readonly Branch[], opts: EncryptOptions): Promise<EncryptedTree> {
  const parsed = (opts.groups ?? [opts.recipients]).map((g) => [...new Map(g.map((r) => parseRecipient(r)).map((p) => [p.text, p])).values()]);
  const all = parsed.flat();
  if (all.length === 0) {
    throw new EnvcryptError('NO_RECIPIENTS', 'no recipients to encrypt to', {
      hints: ['pass -r/--recipient age1…, set ENVCRYPT_AGE_RECIPIENTS, or add a creation rule to .sops.yaml'],
    });
  }
  checkPqMix(all);
  checkLayout(parsed.map((g) => g.map((p) => p.text)));
  const n = parsed.length;
  const prev = opts.previous;
  const prevN = prev?.metadata.groups.length ?? 0;
  if (prevN > 1 && n === 1) {
    throw new EnvcryptError('REFUSED', `refusing to merge the ${prevN} key groups of the file into one: every recipient would get the whole data key`, {
      hints: ['keep the groups (the .sops.yaml rule with key_groups), or write to a new file and delete the old one if the split is really no longer wanted'],
    });
  }
  const threshold = thresholdFor(n, opts.shamirThreshold, prev?.metadata);
  const selector = opts.selector ?? prev?.metadata.selector ?? DEFAULT_SELECTOR;
  const macOnlyEncrypted = opts.macOnlyEncrypted ?? prev?.metadata.macOnlyEncrypted ?? false;
  const prevGroups = parsed.map((_, i) => previousGroup(prev, n, i));
  // Whoever held a part of the old key and holds less now (removed, or moved
  // between groups; a new number of groups or threshold) must not keep it.
  const sameShape = prev !== undefined && prevN === n && (n === 1 || prev.metadata.shamirThreshold === threshold);
  const removed = !sameShape || prevGroups.some((m, i) => [...m.keys()].some((r) => !parsed[i]!.some((p) => p.text === r)));
  const reuseKey = prev !== undefined && !opts.rotate && !removed;
  const otherKeys = prev?.metadata.groups.map((g) => g.other) ?? [];
  const key = reuseKey ? prev.dataKey : newDataKey();
  // Each group's part: the data key itself, or its Shamir share. With the key
  // kept, a group's share is kept too when its stanzas stay or when this
  // process opened it (so it can be wrapped for a new member); else the key
  // is split afresh and every stanza is new.
  const added = (i: number) => parsed[i]!.some((p) => !prevGroups[i]!.has(p.text));
  const keepSplit = reuseKey && (n === 1 || parsed.every((_, i) => !added(i) || prev.shares?.has(i)));
  if (prev && !keepSplit && otherKeys.some((o) => o.length > 0)) {
    throw new EnvcryptError('UNSUPPORTED', `cannot rotate the data key: the file also has ${otherKeys.flat().map((p) => p.key).join(', ')} master keys, which envcrypt cannot wrap a new key for`, {
      hints: ['rotate it with sops, or remove those keys first'],
    });
  }
  const parts = n === 1 ? [key] : keepSplit ? parsed.map((_, i) => prev!.shares?.get(i)) : shamirSplit(key, n, threshold!);
  // Stanzas of the previous version are written again as they are when the
  // group's part stays: that grants nothing new, whoever made them.
  const keep = parsed.map((_, i) => (keepSplit ? prevGroups[i]! : new Map<string, AgeEntry>()));
  const fromRecord = prev ? recordVouchedKeys(prev) : new Set<string>();
  const grants: Grant[] = [];
  const unverified: string[] = [];
  for (const [i, group] of parsed.entries()) {
    for (const r of group) {
      if (recordVouches(fromRecord, prevN, n, i, r.text)) continue;
      const source = opts.vouched?.get(vouchKey(n, i, r.text));
      if (source === undefined) {
        // Kept stanzas stay unverified; a new file is encrypted only to what this command named.
        if (keep[i]!.has(r.text) || !prev) {
          if (prev) unverified.push(r.text);
          continue;
        }
        throw unvouched(inGroup(n, i, r.text), prev);
      }
      if (prev) grants.push({ recipient: inGroup(n, i, r.text), source, added: !prevGroups[i]!.has(r.text), wrapped: !keep[i]!.has(r.text) });
    }
  }
  const thresholdMark = n > 1 && prev !== undefined && !thresholdVouched(threshold!, prev, opts);
  if (thresholdMark && !keepSplit) throw unvouchedThreshold(threshold!, prev.metadata.shamirThreshold);
  const entries: AgeEntry[][] = [];
  for (const [i, group] of parsed.entries()) {
    const out: AgeEntry[] = [];
    for (const r of group) out.push(keep[i]!.get(r.text) ?? { recipient: r.text, enc: await wrapDataKey(parts[i]!, r) });
    entries.push(out);
  }
  const unchanged =
    reuseKey &&
    sameTree(plain, prev.branches) &&
    selector.kind === prev.metadata.selector.kind &&
    selector.value === prev.metadata.selector.value &&
    macOnlyEncrypted === prev.metadata.macOnlyEncrypted &&
    entries.every((g, i) => g.length === prevGroups[i]!.size && g.every((e) => prevGroups[i]!.get(e.recipient) === e));
  const lastmodified = unchanged ? prev.metadata.lastmodified : nowLastModified(opts.now);
  const { branches, mac } = encryptTree(plain, key, {
    selector,
    macOnlyEncrypted,
    lastmodified,
    ...(prev ? { stash: prev.stash } : {}),
  });
  const metadata: Metadata = {
    // With the same parts, other master keys (pgp, kms, …) still open them: keep them.
    groups: entries.map((age, i) => ({ age, other: keepSplit ? (otherKeys[i] ?? []) : [] })),
    lastmodified,
    mac,
    selector,
    macOnlyEncrypted,
    version: unchanged ? prev.metadata.version : SOPS_VERSION,
    // Stanzas kept as they were, for recipients nothing vouches for, stay marked.
    unverified: thresholdMark ? [...unverified, THRESHOLD_MARK] : unverified,
    extra: prev?.metadata.extra ?? [],
  };
  if (threshold !== undefined) metadata.shamirThreshold = threshold;
  metadata.integrity = integrityRecord(branches, coveredOf(metadata), key);
  return { branches, metadata, dataKey: key, grants, firstRecord: prev !== undefined && prev.integrity !== 'verified' };
}

// A threshold is vouched for by this command or rule, or by the previous record.
function thresholdVouched(t: number, prev: DecryptedFile, opts: EncryptOptions): boolean {
  return opts.vouchedThreshold === t || recordThreshold(prev) === t;
}

function alreadyEncrypted(name: string): EnvcryptError {
  return new EnvcryptError('ALREADY_ENCRYPTED', `${name} is already encrypted (it has sops metadata)`, {
    hints: ['decrypt it first, or use "envcrypt edit" / "envcrypt set" to change it'],
  });
}


/** Options for {@link encryptText}. */
export interface EncryptTextOptions extends EncryptOptions, EmitOptions {
  format?: Format;
  /**
   * Write the encrypted file in this format (sops's `encrypt --output-type`):
   * the plaintext is converted first, as `decrypt --output-type` converts
   * it, so what cannot be held (a nested value in dotenv) is refused, naming
   * the key. Comments a JSON file cannot hold are reported through
   * `onWarning`. Default: the input format.
   */
  outputFormat?: Format;
  /**
   * Where `recipients` came from (`-r/--recipient`, a `.sops.yaml` rule):
   * they are vouched for with this source unless `vouched` is given.
   * @default 'this command'
   */
  recipientSource?: string;
  /** The file being written, for messages (default: the input's name). */
  target?: string;
  /** Receives announcements of recipients given the data key (default: stderr). */
  onWarning?: (message: string) => void;
  /**
   * Key paths an existing encrypted `file` holds that the plaintext must
   * still hold: encrypting an older plaintext over a newer encrypted file
   * would drop them silently. Missing ones are refused (`REFUSED`, exit 9).
   */
  mustKeep?: { file: string; keys: readonly string[] };
}

/** How many comments a tree holds, at any depth. */
function countComments(nodes: ReadonlyArray<Node | Comment | Pair>): number {
  let n = 0;
  for (const it of nodes) {
    if (it.kind === 'comment') n++;
    else if (it.kind === 'pair') n += countComments([it.value]);
    else if (it.kind === 'map' || it.kind === 'list') n += countComments(it.items);
  }
  return n;
}

/**
 * The plaintext as the output format holds it: emitted by its store and
 * parsed back, exactly as `decrypt --output-type` would print it, so the
 * encrypted file decrypts to that text.
 */
function convertPlain(plain: Branch[], outStore: Store, outFormat: Format, name: string, onWarning?: (m: string) => void): Branch[] {
  const converted = outStore.parsePlain(outStore.emitPlain(plain));
  const lost = countComments(plain) - countComments(converted);
  if (lost > 0) onWarning?.(`${lost} comment${lost === 1 ? '' : 's'} of ${name} dropped: ${outFormat} cannot hold comments`);
  return converted;
}

function refuseDropped(plain: readonly Branch[], keep: { file: string; keys: readonly string[] }): void {
  const now = new Set(keyPaths(plain));
  const dropped = keep.keys.filter((k) => !now.has(k));
  if (dropped.length === 0) return;
  const shown = dropped.length > 10 ? `${dropped.slice(0, 10).join(', ')} and ${dropped.length - 10} more` : dropped.join(', ');
  throw new EnvcryptError('REFUSED', `refusing to drop ${dropped.length} key${dropped.length === 1 ? '' : 's'} that ${keep.file} holds and the plaintext does not: ${shown}`, {
    hints: [
      `the plaintext is probably older than ${keep.file} (a value added with "envcrypt set"?); change ${keep.file} with "envcrypt set" / "envcrypt edit" instead`,
      'pass --prune if the keys should go',
    ],
  });
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
      if (e instanceof EnvcryptError && e.code === 'PARSE' && (await isEncryptedText(text, format))) throw alreadyEncrypted(name);
      if (e instanceof EnvcryptError && text.includes(ENC_MARKER)) throw damagedError(name, `it holds encrypted values but does not parse: ${e.message}`, e.position);
      throw e;
    }
    if (store.hasMetadata(plain)) {
      throw alreadyEncrypted(name);
    }
    // No document to carry the metadata (an empty YAML file, or only comments): sops refuses it too.
    if (plain.length === 0) {
      throw new EnvcryptError('PARSE', `${name} has no document to encrypt (it is empty, or holds only comments)`, {
        hints: ['add at least one key; a sops file cannot be completely empty'],
      });
    }
    // ENC[…] values without metadata: a truncated encrypted file, whose
    // ciphertext would be encrypted again and could never be read back.
    if (text.includes(ENC_MARKER)) throw damagedError(name);
    const outStore = opts.outputFormat !== undefined && opts.outputFormat !== format ? await storeFor(opts.outputFormat) : store;
    if (outStore !== store) plain = convertPlain(plain, outStore, opts.outputFormat!, name, opts.onWarning);
    if (opts.mustKeep) refuseDropped(plain, opts.mustKeep);
    const source = opts.recipientSource ?? 'this command';
    const groups = opts.groups;
    const vouched =
      opts.vouched ??
      (groups && groups.length > 1
        ? new Map(groups.flatMap((g, i) => g.map((r) => [vouchKey(groups.length, i, normalRecipient(r)), source] as const)))
        : namedBy(opts.recipients.map(normalRecipient), source));
    const enc = await encryptBranches(plain, { ...opts, vouched });
    const target = opts.target ?? name;
    announceGrants(target, enc.grants, opts.onWarning, enc.firstRecord);
    return emitChecked(outStore, enc, plain, target, opts.indent !== undefined ? { indent: opts.indent } : {});
  } catch (e) {
    if (e instanceof EnvcryptError) e.inFile(name);
    throw e;
  }
}
