/**
 * Who gets which part of the data key when a file is written: its key groups
 * (sops `key_groups`), the Shamir threshold, and what vouches for each.
 *
 * With one group every recipient wraps the whole data key. With several, the
 * data key is split (`crypto/shamir.ts`) and group i's recipients wrap share
 * i. A recipient is vouched for *in a group*: being trusted with a share of
 * group 1 is not being trusted with one of group 2, since two shares may be
 * all it takes. The threshold is vouched for too: lowering it is how someone
 * who holds one group's key would get closer to the data key.
 */
import { EnvcryptError } from '../errors.js';
import { normalRecipient } from '../keys/recipient.js';
import type { Metadata } from '../stores/metadata.js';
import type { DecryptedFile } from './decrypt.js';

/** The entry of `envcrypt_unverified` that marks a threshold nothing vouched for. */
export const THRESHOLD_MARK = 'shamir_threshold';

/** A file's recipients by key group (one inner list per group). */
export type Layout = readonly (readonly string[])[];

/** The age recipients of each key group of `md`. */
export function layoutOf(md: Metadata): string[][] {
  return md.groups.map((g) => g.age.map((e) => e.recipient));
}

/** `{ groups }` for {@link encryptBranches} options: a file's layout when it has several groups. */
export function groupsOf(dec: DecryptedFile): { groups?: string[][] } {
  return dec.metadata.groups.length > 1 ? { groups: layoutOf(dec.metadata) } : {};
}

/**
 * The key under which a recipient is vouched for: the recipient itself in a
 * single-group file, `N/recipient` (N 1-based) in group N of several.
 */
export function vouchKey(groups: number, group: number, recipient: string): string {
  return groups === 1 ? recipient : `${group + 1}/${recipient}`;
}

/** A recipient as messages name it: with its group when there are several. */
export function inGroup(groups: number, group: number, recipient: string): string {
  return groups === 1 ? recipient : `${recipient} (key group ${group + 1})`;
}

/**
 * What a decrypted file's integrity record vouches for (see {@link vouchKey}):
 * every recipient it lists but those marked unverified, each in its group.
 * None when it has no record.
 */
export function vouchedByRecord(dec: DecryptedFile): Set<string> {
  if (dec.integrity !== 'verified') return new Set();
  const unverified = new Set(dec.metadata.unverified.map(normalRecipient));
  const n = dec.metadata.groups.length;
  const out = new Set<string>();
  for (const [i, g] of dec.metadata.groups.entries()) {
    for (const e of g.age) {
      const r = normalRecipient(e.recipient);
      if (!unverified.has(r)) out.add(vouchKey(n, i, r));
    }
  }
  return out;
}

/**
 * Whether the record of `prev` vouches for `recipient` in `group` of a
 * layout of `groups` groups. A recipient the previous single-group version
 * vouched for may receive a share of any group: a share is less than the
 * whole key it was trusted with. The reverse does not hold.
 */
export function recordVouches(fromRecord: ReadonlySet<string>, prevGroups: number, groups: number, group: number, recipient: string): boolean {
  return fromRecord.has(vouchKey(groups, group, recipient)) || (prevGroups === 1 && fromRecord.has(recipient));
}

/** The threshold the previous version's record vouches for, if any. */
export function recordThreshold(prev: DecryptedFile): number | undefined {
  if (prev.integrity !== 'verified' || prev.metadata.unverified.includes(THRESHOLD_MARK)) return undefined;
  return prev.metadata.shamirThreshold ?? (prev.metadata.groups.length > 1 ? prev.metadata.groups.length : undefined);
}

/**
 * The threshold for a layout of `n` groups: as given, else the previous
 * version's, else every group (sops's default). None for one group.
 *
 * @throws EnvcryptError `USAGE` for a threshold outside 2…n, or more than 255 groups
 */
export function thresholdFor(n: number, given: number | undefined, prev: Metadata | undefined): number | undefined {
  if (n === 1) return given;
  const t = given ?? (prev && prev.groups.length === n ? prev.shamirThreshold : undefined) ?? n;
  if (n > 255) throw new EnvcryptError('USAGE', `a file can have at most 255 key groups, not ${n}`);
  if (!Number.isInteger(t) || t < 2 || t > n) {
    throw new EnvcryptError('USAGE', `shamir_threshold ${t} is not possible with ${n} key groups: it must be between 2 and ${n}`, {
      hints: ['with one key group the whole data key is wrapped for every key; several groups need a threshold of at least 2'],
    });
  }
  return t;
}

/** Refuse a layout with an empty group (sops: "empty key group provided"). */
export function checkLayout(layout: Layout): void {
  const empty = layout.findIndex((g) => g.length === 0);
  if (empty >= 0 && layout.length > 1) {
    throw new EnvcryptError('USAGE', `key group ${empty + 1} has no age recipients`, {
      hints: ['every key group needs at least one key, or its share of the data key would be lost'],
    });
  }
}

/** The refusal for a threshold nothing vouches for. */
export function unvouchedThreshold(t: number, was: number | undefined): EnvcryptError {
  return new EnvcryptError('UNVOUCHED', `refusing to split the data key with shamir_threshold ${t}: nothing vouches for it`, {
    hints: [
      `the file says ${was ?? 'nothing'}, but it has no verified integrity record, so anyone who can push to the repository could have changed it`,
      'set shamir_threshold in the .sops.yaml creation rule for this file to confirm it (encrypt also takes --shamir-secret-sharing-threshold)',
    ],
  });
}
