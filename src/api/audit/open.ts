/**
 * Opening the versions of a file for `envcrypt audit`: unwrap each data key
 * once, verify every version (values, MAC, integrity record) as `decrypt`
 * does, and keep only what the timelines need. A version that cannot be
 * opened or does not verify is a gap with its reason, never a guess.
 */
import { recoverDataKey } from '../../crypto/datakey.js';
import { EnvcryptError } from '../../errors.js';
import { shareKeySources, type KeyOptions } from '../../keys/discovery.js';
import { ageRecipients, readMetadata, type Metadata } from '../../stores/metadata.js';
import { parseSops, sopsFormatOf } from '../../stores/sniff.js';
import type { Format } from '../../stores/store.js';
import type { PathStep } from '../../tree/path.js';
import { scalarText } from '../../tree/scalar-text.js';
import type { Branch, Node } from '../../tree/types.js';
import { decryptParsed } from '../decrypt.js';

/** A version that opened and verified. */
export interface OpenVersion {
  kind: 'open';
  /** Key path (dotted) → its plaintext, typed (`str:…`), in memory only. */
  values: Map<string, string>;
  /** The file's age recipients, normalised as written. */
  recipients: string[];
  /** Which distinct data key this version uses: an ordinal, never the key. */
  keyId: number;
  integrity: 'verified' | 'absent';
}

/** A version audit could not read: why, and the recipients it lists (unauthenticated), if it parsed. */
export interface GapVersion {
  kind: 'gap';
  reason: string;
  recipients: string[];
}

export type VersionState = OpenVersion | GapVersion;

/**
 * A leaf's key as `set` reads it back (tree/path.ts parsePath): dotted
 * (`db.hosts.0`) when every key is a plain name, else in sops's bracket form
 * (`["db.password"]`), so a key holding a dot, a bracket or only digits is
 * neither taken for a nested path nor mixed up with one.
 */
function keyText(steps: readonly PathStep[]): string {
  if (steps.every((k) => typeof k === 'number' || /^(?!\d+$)[^.[\]"']+$/.test(k))) return steps.join('.');
  return steps.map((k) => (typeof k === 'number' ? `[${k}]` : k.includes('"') ? `['${k}']` : `["${k}"]`)).join('');
}

/** Every leaf of the tree as (key path, see {@link keyText} → typed plaintext); comments are not values. */
export function flatValues(branches: readonly Branch[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (n: Node, path: PathStep[]): void => {
    if (n.kind === 'map') {
      for (const it of n.items) if (it.kind === 'pair') visit(it.value, [...path, it.key]);
    } else if (n.kind === 'list') {
      let i = 0;
      for (const it of n.items) if (it.kind !== 'comment') visit(it, [...path, i++]);
    } else out.set(keyText(path), n.kind === 'null' ? 'null:' : `${n.kind}:${scalarText(n, String)}`);
  };
  for (const b of branches) visit(b, []);
  return out;
}

/**
 * Opens versions, remembering every data key it unwrapped by the exact
 * stanza text that held it (an age stanza always opens to the same key), so
 * versions that share a stanza are unwrapped once, and stanzas that opened
 * nothing are not tried again.
 */
export class VersionOpener {
  private readonly opts: KeyOptions;
  private readonly byStanza = new Map<string, Uint8Array>();
  private readonly refused = new Set<string>();
  private readonly keys: Uint8Array[] = [];
  /** How many stanzas were unwrapped (for `--verbose`). */
  unwraps = 0;

  constructor(opts: KeyOptions) {
    this.opts = shareKeySources(opts);
  }

  private keyId(key: Uint8Array): number {
    const i = this.keys.findIndex((k) => Buffer.from(k).equals(key));
    if (i >= 0) return i;
    this.keys.push(key);
    return this.keys.length - 1;
  }

  private async dataKey(md: Metadata, name: string): Promise<Uint8Array | null> {
    if (md.groups.length !== 1) return this.groupedKey(md, name);
    const group = md.groups[0]!;
    for (const e of group.age) {
      const k = this.byStanza.get(e.enc);
      if (k) return k;
    }
    for (const e of group.age) {
      if (this.refused.has(e.enc)) continue;
      try {
        this.unwraps++;
        const k = await recoverDataKey({ ...md, groups: [{ ...group, age: [e], other: [] }] }, name, this.opts);
        this.byStanza.set(e.enc, k);
        return k;
      } catch (err) {
        if (!(err instanceof EnvcryptError) || err.code !== 'NO_IDENTITY') throw err;
        this.refused.add(e.enc);
      }
    }
    return null;
  }

  // Key groups: the whole search (shares of enough groups, combined), cached by every stanza of the
  // version, since a share alone is no data key.
  private async groupedKey(md: Metadata, name: string): Promise<Uint8Array | null> {
    const id = md.groups.map((g) => g.age.map((e) => e.enc).join('\n')).join('\n\n');
    const known = this.byStanza.get(id);
    if (known) return known;
    if (this.refused.has(id)) return null;
    try {
      this.unwraps++;
      const k = await recoverDataKey(md, name, this.opts);
      this.byStanza.set(id, k);
      return k;
    } catch (err) {
      if (!(err instanceof EnvcryptError) || err.code !== 'NO_IDENTITY') throw err;
      this.refused.add(id);
      return null;
    }
  }

  /**
   * Open one version. `name` (the path it had) picks the format and is used
   * in messages; `fallback` is the format when the name does not say.
   */
  async open(data: Buffer | null, name: string, fallback: Format | null): Promise<VersionState> {
    if (data === null) return { kind: 'gap', reason: 'not readable from git (too large, or missing in a shallow clone)', recipients: [] };
    const text = data.toString('utf8');
    const format = sopsFormatOf(name, text) ?? fallback;
    let md: Metadata;
    let parsed: Awaited<ReturnType<typeof parseSops>>;
    try {
      parsed = await parseSops(name, text, format);
      if (parsed.kind !== 'encrypted') return { kind: 'gap', reason: parsed.kind === 'plain' ? 'not encrypted in this version' : 'damaged in this version', recipients: [] };
      md = readMetadata(parsed.metadata);
    } catch {
      return { kind: 'gap', reason: 'does not parse in this version', recipients: [] };
    }
    const recipients = ageRecipients(md);
    let key: Uint8Array | null;
    try {
      key = await this.dataKey(md, name);
    } catch {
      return { kind: 'gap', reason: 'its data key could not be unwrapped', recipients };
    }
    if (key === null) return { kind: 'gap', reason: md.groups.length !== 1 ? 'too few of its key groups open with your identity' : 'not encrypted to your identity', recipients };
    try {
      const d = decryptParsed(parsed.format, parsed.branches, md, key, { ...this.opts, readOnly: true });
      return { kind: 'open', values: flatValues(d.branches), recipients, keyId: this.keyId(key), integrity: d.integrity };
    } catch {
      // A value, the MAC or the integrity record does not verify (tampering, a bad merge): its content is not evidence.
      return { kind: 'gap', reason: 'fails verification (a value, the MAC or the integrity record)', recipients };
    }
  }
}
