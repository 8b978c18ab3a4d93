/**
 * Key groups (sops `key_groups` + `shamir_threshold`): what the data-key
 * search needs to know about a file's groups, and turning the shares it
 * opened into the data key, as sops 3.13.2 does (`GetDataKeyWithKeyServices`
 * and `UpdateMasterKeysWithKeyServices` in sops.go).
 *
 * With one group every key wraps the whole 32-byte data key. With n > 1
 * groups the data key is split with Shamir (`shamir.ts`) into n shares of 33
 * bytes, share i wrapped to every key of group i; any `threshold` groups
 * rebuild it.
 */
import { EnvcryptError } from '../errors.js';
import { shortRecipient } from '../keys/short-recipient.js';
import type { Metadata } from '../stores/metadata.js';
import { SHARE_OVERHEAD, shamirCombine } from './shamir.js';

/** The data key's length; a share is one byte longer. */
export const DATA_KEY_BYTES = 32;

/**
 * How many groups must open before the data key can be rebuilt: 1 for a
 * single group; the file's `shamir_threshold` otherwise. A file with several
 * groups and no threshold (sops never writes one) needs every group, though
 * as sops does, whatever opened is combined at the end if that is two or more.
 */
export function groupsNeeded(md: Metadata): number {
  if (md.groups.length === 1) return 1;
  return md.shamirThreshold ?? md.groups.length;
}

/**
 * The data key from what the search opened: the one key of a single group,
 * or the Shamir combination of the groups' shares.
 *
 * @param opened - group index → what its stanza held
 * @throws EnvcryptError `DECRYPT_FAILED` for a key or share of the wrong
 *   length, or two groups holding the same share (tampering)
 */
export function dataKeyFrom(md: Metadata, opened: ReadonlyMap<number, Uint8Array>, file: string): Uint8Array {
  if (md.groups.length === 1) {
    const key = opened.get(0)!;
    if (key.length !== DATA_KEY_BYTES) throw new EnvcryptError('DECRYPT_FAILED', `the data key wrapped in ${file} is ${key.length} bytes, not ${DATA_KEY_BYTES}`);
    return key;
  }
  const shares = [...opened.entries()].sort((a, b) => a[0] - b[0]);
  for (const [g, s] of shares) {
    if (s.length !== DATA_KEY_BYTES + SHARE_OVERHEAD) {
      throw new EnvcryptError('DECRYPT_FAILED', `the share of key group ${g + 1} in ${file} is ${s.length} bytes, not ${DATA_KEY_BYTES + SHARE_OVERHEAD}`);
    }
  }
  try {
    return shamirCombine(shares.map(([, s]) => s));
  } catch (e) {
    if (!(e instanceof EnvcryptError)) throw e;
    throw new EnvcryptError('DECRYPT_FAILED', `cannot rebuild the data key of ${file} from key groups ${shares.map(([g]) => g + 1).join(', ')}: ${e.message}`, {
      hints: ['sops never writes such shares: the metadata was changed; compare the file with its last good version in git'],
    });
  }
}

/** One line per group: `group 2: age1abc…xyz, age1def…uvw` (other key types by name). */
export function describeGroups(md: Metadata, mark: (group: number) => string = () => ''): string[] {
  return md.groups.map((g, i) => {
    const keys = [...g.age.map((e) => shortRecipient(e.recipient)), ...g.other.map((p) => `${p.key} keys`)];
    return `group ${i + 1}: ${keys.length > 0 ? keys.join(', ') : '(no keys)'}${mark(i)}`;
  });
}

/**
 * The error when the identities found open too few groups: how many opened,
 * how many are needed, and each group's recipients.
 */
export function tooFewGroups(md: Metadata, opened: ReadonlyMap<number, Uint8Array>, file: string, searched: readonly string[]): EnvcryptError {
  const n = md.groups.length;
  const need = groupsNeeded(md);
  const which = opened.size === 0 ? '' : ` (${[...opened.keys()].sort((a, b) => a - b).map((g) => g + 1).join(', ')})`;
  return new EnvcryptError('NO_IDENTITY', `your identities opened ${opened.size} of the ${n} key groups of ${file}${which}; ${need} are needed (shamir_threshold)`, {
    file,
    hints: [
      ...describeGroups(md, (g) => (opened.has(g) ? ' (opened)' : '')),
      `searched ${searched.join(', ')}`,
      `the data key is split between the groups: ask holders of keys of ${need - opened.size} more group${need - opened.size === 1 ? '' : 's'} to decrypt it, or to give you a key of theirs`,
    ],
  });
}
