/**
 * The merge of three versions of an encrypted file (base, ours, theirs), as
 * the git merge driver needs it: decrypt all three with the MAC checked,
 * merge the plaintext by key, re-encrypt to the merged recipients.
 */
import { timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import { IvStash } from '../crypto/iv-stash.js';
import { ageRecipients } from '../stores/metadata.js';
import { EnvcryptError } from '../errors.js';
import { mergeBranches } from '../tree/merge.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readTextFile } from '../io/read.js';
import { shareKeySources, type KeyOptions } from '../keys/discovery.js';
import { normalRecipient } from '../keys/recipient.js';
import { storeFor } from '../stores/index.js';
import { sniffFormat } from '../stores/sniff.js';
import { FORMATS, type EmitOptions, type Format } from '../stores/store.js';
import { formatPath } from '../tree/path.js';
import { decryptText, type DecryptedFile } from './decrypt.js';
import { encryptBranches, vouchedByRecord } from './encrypt.js';
import { emitChecked } from './seal.js';
import { refuseDriftedPlaintext } from './selector-drift.js';
import { announceGrants, governingRule, type GoverningRule } from './vouch.js';
import { indentFor } from './write-back.js';

/** Options for {@link mergeTexts} and {@link mergeFile}. */
export interface MergeOptions extends KeyOptions {
  /** The file's path in the repository (git's `%P`): names it in messages and picks the format and `.sops.yaml`. */
  name: string;
  /** The format; by default from {@link MergeOptions.name} or sniffed from the text. */
  format?: Format;
  /** YAML/JSON indentation; by default the `stores` setting of the `.sops.yaml` governing `name`. */
  emit?: EmitOptions;
  /** Let new values be stored in plaintext by ours' selector even when it drifted from the rule's. */
  allowSelectorChange?: boolean;
}

/** What a merge produced. */
export interface MergeOutcome {
  /** The merged file, encrypted, with a valid MAC. */
  text: string;
  /** Dotted key paths changed differently on both sides (they hold ours' values in {@link MergeOutcome.text}). */
  conflicts: string[];
  /** True when the result has a new data key (a recipient was removed, or theirs had rotated). */
  rotated: boolean;
  /** The age recipients of the result. */
  recipients: string[];
  /** Recipients that the base had and one side removed. */
  removed: string[];
}

/** Looks IVs up in several stashes in turn; only ever built from stashes of the same data key. */
class ChainedStash extends IvStash {
  readonly #sources: readonly IvStash[];
  constructor(sources: readonly IvStash[]) {
    super();
    this.#sources = sources;
  }
  override lookup(text: string, aad: string): Uint8Array | undefined {
    for (const s of this.#sources) {
      const iv = s.lookup(text, aad);
      if (iv) return iv;
    }
    return undefined;
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuseOtherKeys(dec: DecryptedFile, name: string): void {
  // Merging flattens recipients into one list; for key groups that would hand
  // every group member the whole data key.
  if (dec.metadata.groups.length > 1) {
    throw new EnvcryptError('UNSUPPORTED', `${name} has ${dec.metadata.groups.length} key groups, which the merge driver does not merge`, {
      hints: ['resolve the conflict by hand: decrypt both versions, then "envcrypt edit" one of them'],
    });
  }
  const other = [...new Set(dec.metadata.groups.flatMap((g) => g.other.map((p) => p.key)))];
  if (other.length === 0) return;
  throw new EnvcryptError('UNSUPPORTED', `${name} also has ${other.join(', ')} master keys, which envcrypt cannot wrap a merged file's data key for`, {
    hints: ['merge this file by hand with sops'],
  });
}

/** The governing `.sops.yaml` rule; none when the config cannot be read (it may itself be mid-merge). */
function ruleFor(name: string, env: NodeJS.ProcessEnv | undefined): GoverningRule | null {
  try {
    return governingRule(resolve(name), { env: env ?? process.env });
  } catch {
    return null;
  }
}

/** The `stores` indentation of the governing `.sops.yaml`, as `encrypt` uses it ({@link indentFor}). */
function emitOptionsFor(name: string, format: Format, env: NodeJS.ProcessEnv | undefined): EmitOptions {
  try {
    const indent = indentFor(resolve(name), format, env !== undefined ? { env } : {});
    return indent === undefined ? {} : { indent };
  } catch {
    // The config may itself be mid-merge (conflict markers); indentation is not worth failing a merge for.
    return {};
  }
}

const BASE = 'the merge base';

function conflictName(path: readonly string[]): string {
  return path.length === 0 ? '(the list of documents)' : formatPath(path);
}

/**
 * Merge three versions of an encrypted file in memory. Each version is
 * decrypted with its MAC verified; an empty base (the file was added on both
 * sides) counts as an empty document. The plaintexts are merged by
 * {@link mergeBranches}. The result is encrypted to the union of ours' and
 * theirs' recipients, minus any the base had and one side removed.
 *
 * Data key: when a recipient was removed, or theirs has a data key that is
 * neither ours nor the base's (theirs rotated), a new one is made. Otherwise
 * ours' data key is kept, and unchanged values keep the ciphertext they had
 * in ours or, when both sides share the data key, in theirs: IVs are reused
 * only for the same plaintext, AAD and key, which reproduces an existing
 * ciphertext and reveals nothing new.
 *
 * @throws EnvcryptError from decryption (`NO_IDENTITY`, `MAC_MISMATCH`,
 *   `NOT_ENCRYPTED`, `PARSE`, …), the message ending with the version that
 *   failed ("(in their version)"); `UNSUPPORTED` when ours or theirs has
 *   non-age master keys; `USAGE` when the format cannot be told
 */
export async function mergeTexts(base: string | null, ours: string, theirs: string, opts: MergeOptions): Promise<MergeOutcome> {
  const { name, format: given, emit, allowSelectorChange: _allow, ...rest } = opts;
  const keys = shareKeySources(rest);
  const format = given ?? (await sniffFormat(ours, [name])) ?? (await sniffFormat(theirs, []));
  if (!format) {
    throw new EnvcryptError('USAGE', `cannot tell the format of ${name}`, { file: name, hints: [`formats envcrypt reads: ${FORMATS.join(', ')}`] });
  }
  const open = async (text: string, side: string) => {
    try {
      const dec = await decryptText(text, name, { ...keys, format });
      // The base's master keys do not matter: the result is wrapped for ours' and theirs'.
      if (side !== BASE) refuseOtherKeys(dec, name);
      return dec;
    } catch (e) {
      // Say which of the three versions failed; the hints (which name the path) stay as they are.
      if (!(e instanceof EnvcryptError)) throw e;
      throw new EnvcryptError(e.code, `${e.message} (in ${side})`, { hints: e.hints, file: name, ...(e.position ? { position: e.position } : {}), cause: e });
    }
  };
  const o = await open(ours, 'our version');
  const t = await open(theirs, 'their version');
  const b = base === null || base.trim() === '' ? null : await open(base, BASE);

  const merged = mergeBranches(b?.branches ?? [], o.branches, t.branches);
  const rb = b ? ageRecipients(b.metadata).map(normalRecipient) : [];
  const ro = ageRecipients(o.metadata).map(normalRecipient);
  const rt = ageRecipients(t.metadata).map(normalRecipient);
  const removed = rb.filter((r) => !ro.includes(r) || !rt.includes(r));
  const recipients = [...new Set([...ro, ...rt])].filter((r) => !removed.includes(r));
  const theirsRotated = !sameKey(t.dataKey, o.dataKey) && !(b && sameKey(t.dataKey, b.dataKey));
  const rotate = removed.length > 0 || theirsRotated;
  // Theirs' IVs are only valid under theirs' data key, so they are reused only when it is ours too.
  const stash = !rotate && sameKey(t.dataKey, o.dataKey) ? new ChainedStash([o.stash, t.stash]) : o.stash;
  const rule = ruleFor(name, keys.env);
  if (!opts.allowSelectorChange) refuseDriftedPlaintext(name, o.branches, merged.branches, o.metadata.selector, rule, o.integrity === 'verified' && t.integrity === 'verified' ? 'none' : 'all');
  // Only recipients the .sops.yaml rule, or an integrity record made under
  // ours' data key, vouches for may get a new wrap of the data key. A record
  // under another key proves only that its writer knew that key, and anyone
  // can make a whole new file, with a key of their own, for any recipients.
  const vouched = new Map<string, string>(rule?.vouched ?? []);
  for (const [dec, side] of [[t, 'their version'], [b, BASE]] as const) {
    if (!dec || !sameKey(dec.dataKey, o.dataKey)) continue;
    for (const r of vouchedByRecord(dec)) if (!vouched.has(r)) vouched.set(r, `the integrity record of ${side}`);
  }
  const enc = await encryptBranches(merged.branches, { recipients, previous: { ...o, stash }, rotate, vouched });
  announceGrants(name, enc.grants, keys.onWarning, enc.firstRecord);
  const store = await storeFor(format);
  const text = emitChecked(store, enc, merged.branches, name, emit ?? emitOptionsFor(name, format, keys.env));
  return {
    text,
    conflicts: merged.conflicts.map(conflictName),
    rotated: rotate,
    recipients: ageRecipients(enc.metadata),
    removed,
  };
}

/**
 * Merge three encrypted files and write the result over `oursPath`
 * atomically (git's `%A`). On a conflict the file is still written, holding
 * ours' values for the conflicting keys, so it stays a valid encrypted file.
 * On any error nothing is written.
 *
 * @param basePath - git's `%O`; a missing or empty file means no common ancestor
 * @throws EnvcryptError as {@link mergeTexts}, or `NOT_FOUND`/`IO` for unreadable files
 */
export async function mergeFile(basePath: string, oursPath: string, theirsPath: string, opts: MergeOptions): Promise<MergeOutcome> {
  let base: string | null = null;
  try {
    base = readTextFile(basePath);
  } catch (e) {
    if (!(e instanceof EnvcryptError && e.code === 'NOT_FOUND')) throw e;
  }
  const ours = readTextFile(oursPath);
  const outcome = await mergeTexts(base, ours, readTextFile(theirsPath), opts);
  if (outcome.text !== ours) writeFileAtomic(oursPath, outcome.text);
  return outcome;
}
