import { EnvcryptError } from '../errors.js';
import { decodeArmor } from './age-armor.js';
import { parseX25519Identity, unwrapNative, type X25519Identity } from './x25519-native.js';

/** Identities prepared once per source, so each stanza is tried without re-parsing keys. */
export interface PreparedIdentities {
  native: X25519Identity[];
  /** Every identity string, for the general `age-encryption` path. */
  all: string[];
}

/** Parse identity strings once. */
export function prepareIdentities(ids: readonly string[]): PreparedIdentities {
  const native = ids.filter((s) => s.startsWith('AGE-SECRET-KEY-1')).map((s) => parseX25519Identity(s));
  return { native, all: [...ids] };
}

/**
 * Unwrap one armored `enc` with the given identities. X25519 identities take
 * a native `node:crypto` path (fast start-up); anything else (post-quantum,
 * SSH) goes through `age-encryption`, imported only then. Returns null when no
 * identity matches; throws when the stanza is malformed.
 */
export async function unwrapAgeEntry(enc: string, ids: PreparedIdentities, recipient: string): Promise<Uint8Array | null> {
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
  const general = ids.all.filter((s) => !s.startsWith('AGE-SECRET-KEY-1'));
  if (general.length === 0) return null;
  const age = await import('age-encryption');
  const d = new age.Decrypter();
  for (const g of general) d.addIdentity(g);
  try {
    return await d.decrypt(file);
  } catch (cause) {
    if (/no identity matched/i.test(String((cause as Error)?.message))) return null;
    throw new EnvcryptError('DECRYPT_FAILED', `could not open the wrapped data key for ${recipient.slice(0, 24)}…`, { cause });
  }
}
