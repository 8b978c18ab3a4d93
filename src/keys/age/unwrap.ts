import type { Identity } from 'age-encryption';
import { EnvcryptError } from '../../errors.js';
import type { FoundIdentity } from '../discovery.js';
import { decodeArmor } from './armor.js';
import { parseX25519Identity, unwrapNative, type X25519Identity } from './native.js';
import { loadAgeLib } from './lib.js';

/** Identities prepared once per source, so each stanza is tried without re-parsing keys. */
export interface PreparedIdentities {
  native: X25519Identity[];
  /** Post-quantum identity strings and SSH keys, for the general `age-encryption` path. */
  general: FoundIdentity[];
  /** Asks for a protected SSH key's passphrase. */
  sshPassphrase?: (source: string) => Promise<string>;
}

/** Parse X25519 identities once; keep the rest for the general path. */
export function prepareIdentities(ids: readonly FoundIdentity[], sshPassphrase?: (source: string) => Promise<string>): PreparedIdentities {
  const isNative = (s: FoundIdentity): s is string => typeof s === 'string' && s.startsWith('AGE-SECRET-KEY-1');
  const native = ids.filter(isNative).map((s) => parseX25519Identity(s));
  return { native, general: ids.filter((s) => !isNative(s)), ...(sshPassphrase ? { sshPassphrase } : {}) };
}

async function generalIdentity(id: FoundIdentity, ids: PreparedIdentities): Promise<string | Identity> {
  if (typeof id === 'string') return id;
  const { sshIdentity } = await import('../ssh/key.js');
  const ask = ids.sshPassphrase;
  return sshIdentity(id.text, id.source, ask ? { passphrase: () => ask(id.source) } : {});
}

/**
 * A wrapped data key that only the general path (`age-encryption`) can try:
 * the decoded age file and the non-X25519 identities to try on it.
 */
export interface GeneralUnwrap {
  file: Uint8Array;
  ids: PreparedIdentities;
  recipient: string;
}

/**
 * Try one armored `enc` with the X25519 identities, natively and
 * synchronously. Returns the data key, null when nothing can open it, or a
 * {@link GeneralUnwrap} when only the general path is left to try (the
 * caller runs {@link unwrapGeneral}, in this process or in a helper one).
 * Throws when the stanza is malformed.
 */
export function unwrapAgeEntryNative(enc: string, ids: PreparedIdentities, recipient: string): Uint8Array | null | GeneralUnwrap {
  let file: Uint8Array;
  try {
    file = decodeArmor(enc);
  } catch (cause) {
    throw new EnvcryptError('DECRYPT_FAILED', `the wrapped data key for ${recipient.slice(0, 24)}… is not a valid armored age file`, { cause });
  }
  if (ids.native.length > 0) {
    const r = unwrapNative(file, ids.native);
    if (r instanceof Uint8Array) return r;
  }
  return ids.general.length === 0 ? null : { file, ids, recipient };
}

/**
 * Open a wrapped data key with post-quantum and SSH identities through
 * `age-encryption`, imported only now. Null when no identity matches.
 */
export async function unwrapGeneral({ file, ids, recipient }: GeneralUnwrap): Promise<Uint8Array | null> {
  const age = await loadAgeLib();
  const d = new age.Decrypter();
  for (const g of ids.general) d.addIdentity(await generalIdentity(g, ids));
  try {
    return await d.decrypt(file);
  } catch (cause) {
    if (cause instanceof EnvcryptError) throw cause;
    if (/no identity matched/i.test(String((cause as Error)?.message))) return null;
    throw new EnvcryptError('DECRYPT_FAILED', `could not open the wrapped data key for ${recipient.slice(0, 24)}…`, { cause });
  }
}
