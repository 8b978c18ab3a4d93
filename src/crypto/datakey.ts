import { EnvcryptError } from '../errors.js';
import { pooledRandomBytes } from '../io/random-pool.js';
import { otherOpeners } from '../keys/age/openers.js';
import { byRecipient, prepareIdentities, unwrapAgeEntryNative, unwrapGeneral, type GeneralOpened, type GeneralStanza, type GeneralUnwrap, type OtherOpeners } from '../keys/age/unwrap.js';
import { safeRecipientText, shareKeySources, type FoundIdentity, type IdentitySource, type KeyOptions } from '../keys/discovery.js';
import { shortRecipient } from '../keys/short-recipient.js';
import { ageRecipients, type Metadata } from '../stores/metadata.js';
import { DATA_KEY_BYTES, dataKeyFrom, groupsNeeded, tooFewGroups } from './key-groups.js';

/** A fresh 32-byte data key from the CSPRNG. */
export function newDataKey(): Uint8Array {
  const bytes = pooledRandomBytes(32);
  const key = new Uint8Array(bytes);
  bytes.fill(0);
  return key;
}

/**
 * Find the data key: try each identity source in the documented order against
 * every age stanza, and stop at the first that opens. Sources after that are
 * not read. When none opens, the error lists the recipients and every place
 * searched, with what was found there. A file with several key groups needs
 * `shamir_threshold` of them opened (see `key-groups.ts`).
 *
 * @param found - receives what each opened group's stanza held (group index →
 *   data key, or Shamir share with several groups), for re-wrapping one
 *   group's share without re-splitting
 */
export async function recoverDataKey(md: Metadata, file: string, opts: KeyOptions = {}, found?: Map<number, Uint8Array>): Promise<Uint8Array> {
  const search = searchDataKey(md, file, { ...opts, openers: otherOpeners }, found);
  let step = search.next();
  while (!step.done) step = search.next(await unwrapGeneral(step.value));
  return step.value;
}

/**
 * {@link recoverDataKey} without a promise, for the preloads, which must
 * finish before the app's first line. X25519 identities are tried natively,
 * and so are those `openers` opens (post-quantum, SSH keys without a
 * passphrase); what is left for the general path is handed to `general` at
 * once, every stanza of every key group still to open that one source's
 * keys may open (so the preload runs one helper process per such source,
 * not one per stanza). `general` answers for each group in the request, in
 * order (a missing answer counts as none).
 */
export function recoverDataKeySync(
  md: Metadata,
  file: string,
  opts: KeyOptions,
  general: (req: GeneralUnwrap) => readonly (GeneralOpened | null)[],
  openers?: OtherOpeners,
  found?: Map<number, Uint8Array>,
): Uint8Array {
  const [result] = recoverDataKeysSync([{ md, file, opts, ...(found ? { found } : {}) }], general, openers);
  if ('error' in result!) throw result.error;
  return result!.key;
}

/** One file's key search, for {@link recoverDataKeysSync}. */
export interface KeySearchJob {
  md: Metadata;
  file: string;
  opts: KeyOptions;
  /** Receives what each opened group's stanza held (see {@link recoverDataKey}). */
  found?: Map<number, Uint8Array>;
}

/** What {@link recoverDataKeysSync} found for one file: its data key, or what its search threw. */
export type KeySearchResult = { key: Uint8Array } | { error: unknown };

/**
 * {@link recoverDataKeySync} for several files at once, the layered files of
 * a preload: their searches run in step, and what they leave to the general
 * path in the same round with the same identities goes to `general` as one
 * request. So a preload starts one helper process for all of its files,
 * not one per file. Each file's search is the one {@link recoverDataKey}
 * runs, and its result is its own: a file's failure (or a failed `general`
 * call) is that file's error, for the caller to report in file order.
 */
export function recoverDataKeysSync(
  jobs: readonly KeySearchJob[],
  general: (req: GeneralUnwrap) => readonly (GeneralOpened | null)[],
  openers?: OtherOpeners,
): KeySearchResult[] {
  const results: KeySearchResult[] = [];
  const waiting: Waiting[] = [];
  const advance = (i: number, search: Search<Uint8Array>, answers?: readonly (GeneralOpened | null)[]): void => {
    try {
      const step = answers === undefined ? search.next() : search.next(answers);
      if (step.done) results[i] = { key: step.value };
      else waiting.push({ i, search, req: step.value });
    } catch (error) {
      results[i] = { error };
    }
  };
  for (const [i, job] of jobs.entries()) {
    let search: Search<Uint8Array>;
    try {
      search = searchDataKey(job.md, job.file, openers ? { ...job.opts, openers } : job.opts, job.found);
    } catch (error) {
      results[i] = { error };
      continue;
    }
    advance(i, search);
  }
  while (waiting.length > 0) {
    const round = waiting.splice(0);
    for (const batch of byIdentities(round)) {
      let answers: readonly (GeneralOpened | null)[];
      try {
        answers = general({ ids: batch[0]!.req.ids, groups: batch.flatMap((w) => w.req.groups) });
      } catch (error) {
        for (const w of batch) results[w.i] = { error };
        continue;
      }
      let at = 0;
      for (const w of batch) {
        advance(w.i, w.search, answers.slice(at, at + w.req.groups.length));
        at += w.req.groups.length;
      }
    }
  }
  return results;
}

/** A search waiting for the general path: its file's index, and its request. */
interface Waiting {
  i: number;
  search: Search<Uint8Array>;
  req: GeneralUnwrap;
}

/** The waiting searches in batches that ask with the same identities (the key sources are shared, so the same objects). */
function byIdentities(round: readonly Waiting[]): Waiting[][] {
  const batches: Waiting[][] = [];
  for (const w of round) {
    const same = (b: Waiting[]): boolean => {
      const [x, y] = [b[0]!.req.ids.general, w.req.ids.general];
      return x.length === y.length && x.every((id, k) => id === y[k]);
    };
    const batch = batches.find(same);
    if (batch) batch.push(w);
    else batches.push([w]);
  }
  return batches;
}

/** What the search yields (everything one source leaves to the general path) and is resumed with. */
type Search<T> = Generator<GeneralUnwrap, T, readonly (GeneralOpened | null)[]>;

// The search itself, once for both drivers above: it yields what only the
// general path can try, once per set of identities loaded, and is resumed with
// that attempt's result. Each source is tried on every key group not yet opened
// (one group, for most files); the search stops after the first source that
// brings the number of opened groups to what the file needs (see key-groups.ts).
function searchDataKey(md: Metadata, file: string, opts: SearchOptions, found?: Map<number, Uint8Array>): Search<Uint8Array> {
  // Nothing to search for: say so before reading any key source.
  if (md.groups.every((g) => g.age.length === 0)) {
    const others = [...new Set(md.groups.flatMap((g) => g.other.map((p) => p.key)))];
    throw new EnvcryptError('NO_IDENTITY', `${file} has no age recipients (only ${others.join(', ')} keys), which envcrypt cannot use`, {
      file,
      hints: [
        'open it with sops and one of those keys',
        'someone who can open it can add an age recipient with "sops updatekeys" (or re-encrypt it with envcrypt)',
      ],
    });
  }
  return searchSources(md, file, opts, found ?? new Map<number, Uint8Array>());
}

function* searchSources(md: Metadata, file: string, opts: SearchOptions, opened: Map<number, Uint8Array>): Search<Uint8Array> {
  const need = groupsNeeded(md);
  const whole = md.groups.length === 1;
  const searched: string[] = [];
  // The key groups not opened yet that have age stanzas, by index.
  const left = (): Map<number, readonly Entry[]> => new Map([...md.groups.entries()].filter(([g, group]) => !opened.has(g) && group.age.length > 0).map(([g, group]) => [g, group.age]));
  // Shared, so that a key command asked again for another key group reuses what it printed.
  for (const source of shareKeySources(opts).sources!) {
    const before = opened.size;
    let report: string;
    if (source.perRecipient) {
      report = yield* askPerRecipient(source, left, opened, file, opts, whole);
    } else {
      let ids: FoundIdentity[] | null;
      try {
        ids = source.load();
      } catch (e) {
        searched.push(`${source.label} (${e instanceof EnvcryptError ? e.message : 'unreadable'})`);
        continue;
      }
      if (ids === null) {
        searched.push(`${source.label} (${source.absent})`);
        continue;
      }
      yield* tryIdentities(ids, left(), opened, file, opts, whole);
      report = `${countIds(ids.length)}, none matched`;
    }
    if (opened.size >= need) return dataKeyFrom(md, opened, file);
    const matched = opened.size - before;
    searched.push(`${source.label} (${matched > 0 ? `opened ${matched} key group${matched === 1 ? '' : 's'}` : report})`);
  }
  // sops combines whatever opened when a file with several groups states no threshold.
  if (!whole && md.shamirThreshold === undefined && opened.size >= 2) return dataKeyFrom(md, opened, file);
  if (!whole) throw tooFewGroups(md, opened, file, searched);
  const recipients = ageRecipients(md);
  throw new EnvcryptError('NO_IDENTITY', `no identity matched any of the ${recipients.length} recipient${recipients.length === 1 ? '' : 's'} of ${file}`, {
    file,
    hints: [
      `the file is encrypted to ${recipients.map(shortRecipient).join(', ')}`,
      `searched ${searched.join(', ')}`,
      `send your public key to someone who can decrypt the file and ask them to run "envcrypt recipients add <key> ${file}"`,
    ],
  });
}

type Entry = Metadata['groups'][number]['age'][number];

/** The search's options: where keys come from, and who opens the non-X25519 ones in-process. */
type SearchOptions = KeyOptions & { openers?: OtherOpeners };

const countIds = (n: number) => `${n} ${n === 1 ? 'identity' : 'identities'}`;

/**
 * Try identities against every stanza of the given key groups (in each, those
 * stored for our recipients first), natively first and then on the general
 * path: a key opened in-process that opens a later stanza wins before an age
 * plugin or a protected SSH key asks for a PIN. What is left for the general
 * path, for every group, is yielded once. What each group's stanza held (the
 * data key, or with several groups a share) goes into `opened`.
 */
function* tryIdentities(ids: readonly FoundIdentity[], groups: ReadonlyMap<number, readonly Entry[]>, opened: Map<number, Uint8Array>, file: string, opts: SearchOptions, whole: boolean): Search<void> {
  const prepared = prepareIdentities(ids, opts.sshPassphrase, opts.openers);
  const general: [number, GeneralStanza[]][] = [];
  for (const [g, entries] of groups) {
    const stanzas: GeneralStanza[] = [];
    let key: Uint8Array | null = null;
    for (const entry of byRecipient(entries, prepared)) {
      const native = unwrapAgeEntryNative(entry.enc, prepared, entry.recipient);
      if (native instanceof Uint8Array) {
        key = checkedKey(native, entry.recipient, file, whole);
        break;
      }
      if (native !== null) stanzas.push(native);
    }
    if (key) opened.set(g, key);
    else if (stanzas.length > 0) general.push([g, stanzas]);
  }
  if (general.length === 0) return;
  const answers = yield { ids: prepared, groups: general.map(([, stanzas]) => stanzas) };
  for (const [i, [g, stanzas]] of general.entries()) {
    const answer = answers[i];
    const stanza = answer ? stanzas[answer.stanza] : undefined;
    if (answer && stanza) opened.set(g, checkedKey(answer.key, stanza.recipient, file, whole));
  }
}

function checkedKey(key: Uint8Array, recipient: string, file: string, whole: boolean): Uint8Array {
  // A share's length is checked when the shares are combined (key-groups.ts).
  if (whole && key.length !== DATA_KEY_BYTES) {
    throw new EnvcryptError('DECRYPT_FAILED', `the data key wrapped for ${shortRecipient(recipient)} in ${file} is ${key.length} bytes, not ${DATA_KEY_BYTES}`);
  }
  return key;
}

/**
 * A key command, asked as sops asks it (age/keysource.go: once per stanza,
 * with that stanza's recipient in `SOPS_AGE_RECIPIENT`; envcrypt also sets
 * `ENVCRYPT_AGE_RECIPIENT`): for each recipient of the file in order until
 * one run's output opens a stanza (with key groups, until every group it
 * can open is open). Each run's output is tried on every group still
 * closed, and what earlier runs printed is tried first, so a command that
 * ignores the recipient runs once. A recipient that is not plainly one (see
 * {@link safeRecipientText}) is never put in its environment.
 *
 * @returns what to report for this source when it opened nothing
 */
function* askPerRecipient(source: IdentitySource, left: () => ReadonlyMap<number, readonly Entry[]>, opened: Map<number, Uint8Array>, file: string, opts: SearchOptions, whole: boolean): Search<string> {
  const earlier = source.loaded?.() ?? [];
  if (earlier.length > 0) yield* tryIdentities(earlier, left(), opened, file, opts, whole);
  // Each recipient once, group by group in file order (a group with none plainly one: one run told no recipient), with the groups it opens.
  const asks = new Map<string | undefined, number[]>();
  for (const [g, entries] of left()) {
    const safe = entries.map((e) => e.recipient).filter(safeRecipientText);
    for (const r of safe.length > 0 ? safe : [undefined]) asks.set(r, [...(asks.get(r) ?? []), g]);
  }
  let found = 0;
  let failure: string | undefined;
  for (const [recipient, groups] of asks) {
    // Not asked about once its groups are open (by an earlier run's output).
    if (groups.every((g) => opened.has(g))) continue;
    let ids: FoundIdentity[] | null;
    try {
      ids = source.load(recipient);
    } catch (e) {
      failure ??= e instanceof EnvcryptError ? e.message : 'unreadable';
      continue;
    }
    if (ids === null) return source.absent;
    found += ids.length;
    yield* tryIdentities(ids, left(), opened, file, opts, whole);
  }
  if (failure !== undefined && found === 0) return failure;
  return `${countIds(found)}, none matched${failure !== undefined ? `; ${failure}` : ''}`;
}
