import type { Identity } from 'age-encryption';
import { EnvcryptError } from '../../errors.js';
import type { FoundIdentity, SshKeyText } from '../discovery.js';
import { recipientKey, shortRecipient } from '../short-recipient.js';
import { decodeArmor } from './armor.js';
import { openWithFileKey, parseX25519Identity, unwrapNative, x25519Recipient, type NativeIdentity } from './native.js';
import { parseAgeFile } from './header.js';
import { generalCannotOpen } from './general-filter.js';
import { loadAgeLib } from './lib.js';

/** Identities prepared once per source, so each stanza is tried without re-parsing keys. */
export interface PreparedIdentities {
  /**
   * Opened in-process and synchronously with `node:crypto`: X25519, then
   * post-quantum and unprotected SSH keys, in the order found.
   */
  native: NativeIdentity[];
  /** Passphrase-protected SSH keys, age plugin identities (and keys that failed to parse), for the general `age-encryption` path. */
  general: FoundIdentity[];
  /**
   * The recipients of the native identities, normalised by
   * {@link recipientKey}: post-quantum ones only `withPq` (each costs a key
   * expansion, worth it only when the file has post-quantum recipients).
   */
  recipients?: (withPq: boolean) => ReadonlySet<string>;
  /** Asks for a protected SSH key's passphrase. */
  sshPassphrase?: (source: string) => Promise<string>;
}

/** An identity that opens stanzas in-process, with the recipient it opens. */
export interface PreparedIdentity {
  id: NativeIdentity;
  /** Its recipient string (may be costly: called only when entries are ordered). */
  recipient: () => string;
  /** True for a post-quantum identity, whose recipient costs a key expansion. */
  pq?: boolean;
}

/**
 * Opens identities other than X25519 in-process (see openers.ts), or
 * returns null to leave one to the general path. The fast start-up bundles
 * pass none, so those identities send them to the full runtime.
 */
export type OtherOpeners = (id: FoundIdentity) => PreparedIdentity | null;

const isX25519 = (s: FoundIdentity): s is string => typeof s === 'string' && s.startsWith('AGE-SECRET-KEY-1');

/**
 * Parse every identity once: X25519 ones first, then those `others` opens
 * in-process, in the order found; the rest are left for the general path.
 */
export function prepareIdentities(ids: readonly FoundIdentity[], sshPassphrase?: (source: string) => Promise<string>, others?: OtherOpeners): PreparedIdentities {
  const x25519: PreparedIdentity[] = [];
  const more: PreparedIdentity[] = [];
  const general: FoundIdentity[] = [];
  for (const s of ids) {
    if (isX25519(s)) {
      const x = parseX25519Identity(s);
      x25519.push({ id: x, recipient: () => x25519Recipient(x) });
      continue;
    }
    const p = others?.(s) ?? null;
    if (p === null) general.push(s);
    else more.push(p);
  }
  const all = [...x25519, ...more];
  const memo = new Map<boolean, Set<string>>();
  return {
    native: all.map((p) => p.id),
    general,
    recipients: (withPq) => {
      let set = memo.get(withPq);
      if (!set) memo.set(withPq, (set = new Set(all.filter((p) => withPq || !p.pq).map((p) => recipientKey(p.recipient())))));
      return set;
    },
    ...(sshPassphrase ? { sshPassphrase } : {}),
  };
}

/**
 * The entries to try, those whose stored recipient is one of `ids`' first
 * (in file order), then the rest: so the stanza meant for us is opened
 * first, and a post-quantum or RSA key does not decapsulate the nine
 * stanzas of the others. The stored recipient is written by whoever wrote
 * the file and authenticates nothing: a wrong one only changes the order
 * (every entry is still tried), and the data key found is accepted only if
 * the MAC and integrity record then verify.
 */
export function byRecipient<T extends { recipient: string }>(entries: readonly T[], ids: PreparedIdentities): T[] {
  if (entries.length < 2 || ids.native.length === 0 || !ids.recipients) return [...entries];
  const ours = ids.recipients(entries.some((e) => e.recipient.trim().startsWith('age1pq1')));
  const first = entries.filter((e) => ours.has(recipientKey(e.recipient)));
  if (first.length === 0 || first.length === entries.length) return [...entries];
  return [...first, ...entries.filter((e) => !first.includes(e))];
}

// One identity per SSH key found (the shared key sources hand every file of
// an operation the same object), and it keeps its key once unlocked: a
// protected key asks for its passphrase once, not once per file.
const sshIdentities = new WeakMap<SshKeyText, { ask: PreparedIdentities['sshPassphrase']; identity: Identity }>();

async function generalIdentity(id: FoundIdentity, ids: PreparedIdentities): Promise<string | Identity> {
  if (typeof id === 'string') return id;
  const ask = ids.sshPassphrase;
  const made = sshIdentities.get(id);
  if (made && made.ask === ask) return made.identity;
  const { sshIdentity } = await import('../ssh/key.js');
  const identity = sshIdentity(id.text, id.source, ask ? { passphrase: () => ask(id.source) } : {});
  sshIdentities.set(id, { ask, identity });
  return identity;
}

/** A wrapped data key that only the general path can try: the decoded age file, and the recipient the file says it is for. */
export interface GeneralStanza {
  file: Uint8Array;
  recipient: string;
}

/**
 * Everything one source's identities leave to the general path, handed over
 * at once (the preload starts one helper process for it, not one per
 * stanza): for each key group still to open, its stanzas in the order to try.
 */
export interface GeneralUnwrap {
  ids: PreparedIdentities;
  groups: GeneralStanza[][];
}

/** What one key group's stanzas gave on the general path: which stanza opened (its index in the group's list) and what it held. */
export interface GeneralOpened {
  stanza: number;
  key: Uint8Array;
}

/**
 * Try one armored `enc` with the X25519 identities, natively and
 * synchronously. Returns the data key, null when nothing can open it, or a
 * {@link GeneralStanza} when only the general path is left to try (the
 * caller gathers them for {@link unwrapGeneral}, in this process or in a
 * helper one). Throws when the stanza is malformed.
 */
export function unwrapAgeEntryNative(enc: string, ids: PreparedIdentities, recipient: string): Uint8Array | null | GeneralStanza {
  let file: Uint8Array;
  try {
    file = decodeArmor(enc);
  } catch (cause) {
    throw new EnvcryptError('DECRYPT_FAILED', `the wrapped data key for ${shortRecipient(recipient)} is not a valid armored age file`, { cause });
  }
  if (ids.native.length > 0) {
    const r = unwrapNative(file, ids.native);
    if (r instanceof Uint8Array) return r;
  }
  return ids.general.length === 0 ? null : { file, recipient };
}

/**
 * Open wrapped data keys with post-quantum, SSH and plugin identities
 * through `age-encryption`, imported only now: for each group, its stanzas
 * in order until one opens (null for a group none opens). The identities
 * are made once for the whole request, so a protected SSH key asks for its
 * passphrase at most once however many stanzas and groups there are.
 *
 * Plugins come last, and only for the groups still closed: each run starts
 * a program, which may ask for a PIN or a touch. Each plugin runs once for
 * all of those stanzas (see {@link pluginFileKeys}), not once per stanza.
 */
export async function unwrapGeneral({ ids, groups }: GeneralUnwrap): Promise<(GeneralOpened | null)[]> {
  const opened: (GeneralOpened | null)[] = groups.map(() => null);
  if (groups.every((g) => g.length === 0) || generalCannotOpen({ ids, groups })) return opened;
  const isPlugin = (g: FoundIdentity): g is string => typeof g === 'string' && g.startsWith('AGE-PLUGIN-');
  const others = ids.general.filter((g) => !isPlugin(g));
  if (others.length > 0) {
    const age = await loadAgeLib();
    const d = new age.Decrypter();
    for (const g of others) d.addIdentity(await generalIdentity(g, ids));
    for (const [g, stanzas] of groups.entries()) {
      for (const [stanza, { file, recipient }] of stanzas.entries()) {
        const key = await decryptOne(d, file, recipient);
        if (key !== null) {
          opened[g] = { stanza, key };
          break;
        }
      }
    }
  }
  const plugins = ids.general.filter(isPlugin);
  if (plugins.length > 0 && opened.includes(null)) await openWithPlugins(plugins, groups, opened);
  return opened;
}

/** Fill the closed groups of `opened` with what the plugins give: each group's first stanza a plugin has the file key of. */
async function openWithPlugins(plugins: readonly string[], groups: readonly GeneralStanza[][], opened: (GeneralOpened | null)[]): Promise<void> {
  const todo = groups.flatMap((stanzas, g) => (opened[g] === null ? stanzas.map((s, stanza) => ({ g, stanza, ...s })) : []));
  const parsed = todo.map((t) => {
    try {
      return parseAgeFile(t.file);
    } catch (cause) {
      throw new EnvcryptError('DECRYPT_FAILED', `could not open the wrapped data key for ${shortRecipient(t.recipient)}`, { cause });
    }
  });
  const { pluginFileKeys } = await import('../plugin/identity.js');
  const keys = await pluginFileKeys(plugins, parsed.map((p) => p.stanzas));
  for (const [i, t] of todo.entries()) {
    const fileKey = keys[i];
    if (!fileKey) continue;
    if (opened[t.g] !== null) {
      fileKey.fill(0);
      continue;
    }
    opened[t.g] = { stanza: t.stanza, key: openWithFileKey(parsed[i]!, fileKey) };
  }
}

async function decryptOne(d: { decrypt(file: Uint8Array): Promise<Uint8Array> }, file: Uint8Array, recipient: string): Promise<Uint8Array | null> {
  try {
    return await d.decrypt(file);
  } catch (cause) {
    if (cause instanceof EnvcryptError) throw cause;
    if (/no identity matched/i.test(String((cause as Error)?.message))) return null;
    throw new EnvcryptError('DECRYPT_FAILED', `could not open the wrapped data key for ${shortRecipient(recipient)}`, { cause });
  }
}
