/**
 * From the opened versions of one file (oldest first) to its timelines:
 * value events (created, changed, removed: compared on plaintext, since
 * ciphertext churns), recipient events, data key rotations, and for each
 * current value who has seen its current plaintext.
 *
 * Plaintexts are compared as they are, in memory: the tracks below hold the
 * plaintext of each value's versions while the walk runs (as `decrypt` holds
 * a file's), and nothing derived from one ever reaches the report. A digest
 * would protect nothing more (it would sit in the same memory) and cost a
 * hash per value per version.
 */
import type { CommitInfo } from '../../repo/history.js';
import type { VersionState } from './open.js';
import type { EventRef, Gap, RecipientEvent, ValueEvent } from './types.js';

/** One version as the timeline sees it. */
export interface TimelineInput {
  commit: CommitInfo;
  path: string;
  state: VersionState;
}

/** Per current-or-past key: its events and what is known of its current plaintext. */
export interface KeyTrack {
  events: ValueEvent[];
  /** The plaintext in the newest open version holding the key (memory only). */
  digest: string;
  /** Index of the version whose event gave it that plaintext. */
  since: number;
  /** Index of the open version before `since` (-1 when none): the change lies after it. */
  before: number;
  /** Per plaintext: the recipients of every open version that held the key with it. */
  seenBy: Map<string, Set<string>>;
}

/** The timelines of one file. */
export interface Timeline {
  keys: Map<string, KeyTrack>;
  /** Keys of the newest open version (empty when the newest version is a gap). */
  current: Set<string>;
  recipientEvents: RecipientEvent[];
  gaps: Gap[];
  /** Per data key ordinal: every recipient listed by an open version under it. */
  keyRecipients: Map<number, Set<string>>;
  /** The data key ordinal of the newest version, when it is open. */
  currentKey?: number;
}

/** The event fields of a commit. */
export function eventRef(c: CommitInfo): EventRef {
  return { commit: c.sha, date: new Date(c.date * 1000).toISOString(), author: `${c.author} <${c.email}>` };
}

/** Build the timelines of one file's versions, oldest first. */
export function buildTimeline(versions: readonly TimelineInput[]): Timeline {
  const keys = new Map<string, KeyTrack>();
  const recipientEvents: RecipientEvent[] = [];
  const gaps: Gap[] = [];
  const keyRecipients = new Map<number, Set<string>>();
  let prevOpen: { index: number; values: Map<string, string>; keyId: number } | null = null;
  let prevRecipients = new Set<string>();
  let current = new Set<string>();
  let currentKey: number | undefined;
  versions.forEach((v, i) => {
    const ref = eventRef(v.commit);
    const verified = v.state.kind === 'open' && v.state.integrity === 'verified';
    const now = new Set(v.state.recipients);
    for (const r of now) if (!prevRecipients.has(r)) recipientEvents.push({ kind: 'recipient-added', recipient: r, ...ref, verified });
    for (const r of prevRecipients) if (!now.has(r)) recipientEvents.push({ kind: 'recipient-removed', recipient: r, ...ref, verified });
    prevRecipients = now;
    if (v.state.kind === 'gap') {
      gaps.push({ ...ref, path: v.path, reason: v.state.reason });
      current = new Set();
      currentKey = undefined;
      return;
    }
    const afterGap = prevOpen !== null ? prevOpen.index < i - 1 : i > 0;
    const flag = afterGap ? { afterGap: true } : {};
    const { values, keyId } = v.state;
    if (prevOpen !== null && prevOpen.keyId !== keyId) recipientEvents.push({ kind: 'data-key-rotated', ...ref, ...flag, verified });
    let holders = keyRecipients.get(keyId);
    if (!holders) keyRecipients.set(keyId, (holders = new Set()));
    for (const r of now) holders.add(r);
    const before = prevOpen?.index ?? -1;
    for (const [key, plain] of values) {
      const d = plain;
      let t = keys.get(key);
      const wasThere = prevOpen?.values.has(key) ?? false;
      if (!t || !wasThere) {
        if (!t) keys.set(key, (t = { events: [], digest: d, since: i, before, seenBy: new Map() }));
        t.events.push({ kind: 'created', ...ref, ...flag });
        Object.assign(t, { digest: d, since: i, before });
      } else if (t.digest !== d) {
        t.events.push({ kind: 'changed', ...ref, ...flag });
        Object.assign(t, { digest: d, since: i, before });
      }
      let seen = t.seenBy.get(d);
      if (!seen) t.seenBy.set(d, (seen = new Set()));
      for (const r of now) seen.add(r);
    }
    if (prevOpen !== null) for (const key of prevOpen.values.keys()) if (!values.has(key)) keys.get(key)!.events.push({ kind: 'removed', ...ref, ...flag });
    prevOpen = { index: i, values, keyId };
    current = new Set(values.keys());
    currentKey = keyId;
  });
  return { keys, current, recipientEvents, gaps, keyRecipients, ...(currentKey !== undefined ? { currentKey } : {}) };
}
