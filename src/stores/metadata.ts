import { EnvcryptError } from '../errors.js';
import { scalarText as leafText } from '../tree/scalar-text.js';
import type { ListNode, MapNode, Node, Pair } from '../tree/types.js';
import { bool, int, list, map, pair, str } from '../tree/types.js';

/** The six SOPS selectors that decide which leaves are encrypted (SOPS-FORMAT §3). */
export type SelectorKind =
  | 'unencrypted_suffix'
  | 'encrypted_suffix'
  | 'unencrypted_regex'
  | 'encrypted_regex'
  | 'unencrypted_comment_regex'
  | 'encrypted_comment_regex';

/** Every selector name, in the order metadata validation lists them. */
export const SELECTOR_KINDS: readonly SelectorKind[] = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
];

/** One selector and its argument. */
export interface Selector {
  kind: SelectorKind;
  value: string;
}

/** The default when a file names none. */
export const DEFAULT_SELECTOR: Selector = { kind: 'unencrypted_suffix', value: '_unencrypted' };

/** The metadata field holding envcrypt's integrity record (`sops_envcrypt_integrity` in a dotenv file); see `crypto/integrity.ts`. */
export const INTEGRITY_FIELD = 'envcrypt_integrity';
/** The metadata field listing recipients the record does not vouch for (comma-separated). */
export const UNVERIFIED_FIELD = 'envcrypt_unverified';

/** The sops version envcrypt writes into `version` (it emulates 3.13.2's format). */
export const SOPS_VERSION = '3.13.2';

/** One age master key: its recipient and the armored age file holding the data key. */
export interface AgeEntry {
  recipient: string;
  enc: string;
}

/** A key group: age keys, plus other key types kept verbatim (pgp, kms, …). */
export interface KeyGroup {
  age: AgeEntry[];
  other: Pair[];
}

/** The internal form of the `sops` metadata block (SOPS-FORMAT §6). */
export interface Metadata {
  groups: KeyGroup[];
  shamirThreshold?: number;
  lastmodified: string;
  mac: string;
  selector: Selector;
  macOnlyEncrypted: boolean;
  version: string;
  /** envcrypt's integrity record (`v1:…`), absent in files sops wrote. See `integrity.ts`. */
  integrity?: string;
  /**
   * Recipients listed in the file that envcrypt never vouched for: they were
   * there, unauthenticated, when envcrypt first wrote a record. The data key
   * is never newly wrapped for them until someone confirms them.
   */
  unverified: string[];
  /** Fields envcrypt does not interpret, written back as they were. */
  extra: Pair[];
}

const KEY_TYPES = ['age', 'pgp', 'kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault'];
const KNOWN = new Set([...KEY_TYPES, 'key_groups', 'shamir_threshold', 'lastmodified', 'mac', 'mac_only_encrypted', 'version', INTEGRITY_FIELD, UNVERIFIED_FIELD, ...SELECTOR_KINDS]);

function bad(msg: string, hints: string[] = []): EnvcryptError {
  return new EnvcryptError('BAD_METADATA', `invalid sops metadata: ${msg}`, { hints });
}

// A metadata field as text (a dotenv file holds every field as a string);
// undefined when it is missing, null, or not a scalar.
function scalarText(n: Node | undefined): string | undefined {
  return n === undefined || n.kind === 'map' || n.kind === 'list' || n.kind === 'null' ? undefined : leafText(n, String);
}

function get(m: MapNode, key: string): Node | undefined {
  for (const it of m.items) if (it.kind === 'pair' && it.key === key) return it.value;
  return undefined;
}

function listItems(n: Node | undefined, what: string): Node[] {
  if (!n || n.kind === 'null') return [];
  if (n.kind !== 'list') throw bad(`${what} is not a list`);
  return n.items.filter((x): x is Node => x.kind !== 'comment');
}

function readAge(n: Node | undefined, where: string): AgeEntry[] {
  return listItems(n, where).map((e, i) => {
    if (e.kind !== 'map') throw bad(`${where}[${i}] is not a mapping`);
    const recipient = scalarText(get(e, 'recipient'))?.trim();
    const enc = scalarText(get(e, 'enc'));
    if (!recipient || !enc) throw bad(`${where}[${i}] needs both recipient and enc`);
    return { recipient, enc };
  });
}

function readGroup(m: MapNode, where: string): KeyGroup {
  const other = m.items.filter(
    (p): p is Pair => p.kind === 'pair' && p.key !== 'age' && KEY_TYPES.includes(p.key) && listItems(p.value, p.key).length > 0,
  );
  return { age: readAge(get(m, 'age'), `${where}age`), other };
}

/** Parse an RFC 3339 timestamp and re-format it as Go's `time.RFC3339` does (the MAC's AAD). */
export function canonicalLastModified(s: string): string | null {
  // 2006-01-02T15:04:05[.999999999](Z|±hh:mm), checked by hand: it runs for every file at every launch.
  const at = (i: number, c: string): boolean => s[i] === c;
  if (!(digits(s, 0, 4) && at(4, '-') && digits(s, 5, 7) && at(7, '-') && digits(s, 8, 10) && (at(10, 'T') || at(10, 't')))) return null;
  if (!(digits(s, 11, 13) && at(13, ':') && digits(s, 14, 16) && at(16, ':') && digits(s, 17, 19))) return null;
  let i = 19;
  if (at(i, '.')) {
    const from = ++i;
    while (digits(s, i, i + 1)) i++;
    if (i === from) return null;
  }
  const z = s.slice(i);
  let zone: string;
  if (z === 'Z' || z === 'z') zone = 'Z';
  else if (z.length === 6 && (z[0] === '+' || z[0] === '-') && digits(z, 1, 3) && z[3] === ':' && digits(z, 4, 6)) zone = z === '+00:00' || z === '-00:00' ? 'Z' : z;
  else return null;
  return `${s.slice(0, 10)}T${s.slice(11, 19)}${zone}`;
}

/** True when s[from..to) is all ASCII digits (and that far exists). */
function digits(s: string, from: number, to: number): boolean {
  if (to > s.length) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `lastmodified` for "now", in the layout sops writes (UTC, whole seconds). */
export function nowLastModified(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** sops accepts semver `X.Y.Z` (optional leading v, pre-release/build) or anything starting with `1.`. */
export function isValidVersion(v: string): boolean {
  // v?MAJOR.MINOR.PATCH (no leading zeros), then -pre and +build of [0-9A-Za-z.-]; by hand, as it runs at every launch.
  if (v.startsWith('1.')) return true;
  let i = v.startsWith('v') ? 1 : 0;
  for (let part = 0; part < 3; part++) {
    const from = i;
    while (digits(v, i, i + 1)) i++;
    if (i === from || (v[from] === '0' && i - from > 1)) return false;
    if (part < 2 && v[i++] !== '.') return false;
  }
  for (const mark of ['-', '+']) {
    if (v[i] !== mark) continue;
    const from = ++i;
    while (i < v.length && isSemverChar(v.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  return i === v.length;
}

function isSemverChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
}

/**
 * Read and validate the metadata tree a store extracted. Loose coercion as
 * sops does (a dotenv file holds every field as a string).
 */
export function readMetadata(node: MapNode): Metadata {
  const top = readGroup(node, '');
  let groups: KeyGroup[];
  if (top.age.length > 0 || top.other.length > 0) {
    groups = [top];
  } else {
    groups = listItems(get(node, 'key_groups'), 'key_groups').map((g, i) => {
      if (g.kind !== 'map') throw bad(`key_groups[${i}] is not a mapping`);
      return readGroup(g, `key_groups[${i}].`);
    });
  }
  if (groups.length === 0 || groups.every((g) => g.age.length === 0 && g.other.length === 0)) {
    throw bad('no keys found in the file', ['a sops file needs at least one age (or other) master key']);
  }
  const version = scalarText(get(node, 'version'));
  if (!version || !isValidVersion(version)) throw bad('version is missing or not semver');
  const lastmodified = scalarText(get(node, 'lastmodified'));
  if (!lastmodified || !canonicalLastModified(lastmodified)) throw bad('lastmodified is missing or not an RFC 3339 time');
  const mac = scalarText(get(node, 'mac')) ?? '';
  const present = SELECTOR_KINDS.filter((k) => scalarText(get(node, k)) !== undefined && scalarText(get(node, k)) !== '');
  if (present.length > 1) throw bad(`more than one selector is set (${present.join(', ')})`);
  const kind: SelectorKind | undefined = present[0];
  const selector = kind ? { kind, value: scalarText(get(node, kind))! } : DEFAULT_SELECTOR;
  const macOnly = scalarText(get(node, 'mac_only_encrypted'));
  const threshold = scalarText(get(node, 'shamir_threshold'));
  const extra = node.items.filter((p): p is Pair => p.kind === 'pair' && !KNOWN.has(p.key));
  const integrity = scalarText(get(node, INTEGRITY_FIELD));
  const unverified = (scalarText(get(node, UNVERIFIED_FIELD)) ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');
  const md: Metadata = {
    groups,
    lastmodified,
    mac,
    selector,
    macOnlyEncrypted: macOnly === 'true' || macOnly === 'True' || macOnly === '1',
    version,
    unverified,
    extra,
  };
  if (integrity !== undefined) md.integrity = integrity;
  if (threshold !== undefined && threshold !== '0') {
    const t = Number(threshold);
    if (!Number.isInteger(t) || t < 1) throw bad('shamir_threshold is not a positive integer');
    md.shamirThreshold = t;
  }
  return md;
}

function ageList(entries: AgeEntry[]): ListNode {
  return list(entries.map((e) => map([pair('enc', str(e.enc)), pair('recipient', str(e.recipient))])));
}

function groupPairs(g: KeyGroup): Pair[] {
  const out: Pair[] = [...g.other];
  if (g.age.length > 0) out.push(pair('age', ageList(g.age)));
  return out;
}

// A group inside `key_groups`, as sops 3.13.2 writes it: its Go struct
// (`keygroup` in stores/stores.go) has no omitempty on `age` and `hc_vault`,
// so both are always there, as empty lists when the group has none.
function keyGroupPairs(g: KeyGroup): Pair[] {
  const out = groupPairs(g);
  if (g.age.length === 0) out.push(pair('age', list([])));
  if (!g.other.some((p) => p.key === 'hc_vault')) out.push(pair('hc_vault', list([])));
  return sortPairs(out);
}

/**
 * The metadata tree as sops 3.13 writes it: keys in alphabetical order at
 * every level, empty lists omitted (but `age` and `hc_vault` inside
 * `key_groups`), `key_groups` only for several groups.
 */
export function writeMetadata(md: Metadata): MapNode {
  const items: Pair[] = [...md.extra];
  if (md.groups.length === 1) items.push(...groupPairs(md.groups[0]!));
  else items.push(pair('key_groups', list(md.groups.map((g) => map(keyGroupPairs(g))))));
  items.push(pair('lastmodified', str(md.lastmodified)));
  items.push(pair('mac', str(md.mac)));
  if (md.macOnlyEncrypted) items.push(pair('mac_only_encrypted', bool(true)));
  if (md.shamirThreshold !== undefined) items.push(pair('shamir_threshold', int(BigInt(md.shamirThreshold))));
  items.push(pair(md.selector.kind, str(md.selector.value)));
  items.push(pair('version', str(md.version)));
  if (md.integrity !== undefined) items.push(pair(INTEGRITY_FIELD, str(md.integrity)));
  if (md.unverified.length > 0) items.push(pair(UNVERIFIED_FIELD, str(md.unverified.join(','))));
  return map(sortPairs(items));
}

function sortPairs(items: Pair[]): Pair[] {
  return [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Every age recipient of the file, across groups, in file order. */
export function ageRecipients(md: Metadata): string[] {
  return md.groups.flatMap((g) => g.age.map((e) => e.recipient));
}
