/**
 * From one file's timelines to its report: each current value's age against
 * the policy, and what each removed recipient may still know (exposure).
 */
import type { CompiledPolicy } from '../../repo/audit-policy.js';
import type { Timeline, TimelineInput } from './timeline.js';
import type { Exposure, FileReport, ValueReport, Violation } from './types.js';

const DAY_MS = 86_400_000;

function daysBetween(thenSeconds: number, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - thenSeconds * 1000) / DAY_MS));
}

/** Most urgent first: exposed, then overdue, then oldest; then by name. */
export function compareValues(a: ValueReport, b: ValueReport): number {
  const exposed = (v: ValueReport) => (v.exposure === 'certain' ? 0 : v.exposure === 'possible' ? 1 : 2);
  return exposed(a) - exposed(b) || Number(b.overdue) - Number(a.overdue) || b.ageDays - a.ageDays || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function exposures(t: Timeline, versions: readonly TimelineInput[], now: Date, policy: CompiledPolicy, unknown: boolean): Exposure[] {
  const newest = versions[versions.length - 1];
  const present = new Set(newest?.state.recipients ?? []);
  const removed = new Map<string, (typeof t.recipientEvents)[number]>();
  for (const e of t.recipientEvents) if (e.kind === 'recipient-removed' && !present.has(e.recipient!)) removed.set(e.recipient!, e);
  const out: Exposure[] = [];
  for (const [recipient, ev] of removed) {
    const dataKeyKnown = t.currentKey !== undefined && (t.keyRecipients.get(t.currentKey)?.has(recipient) ?? false);
    const keys = unknown
      ? []
      : [...t.current].flatMap((key) => {
          const track = t.keys.get(key)!;
          if (dataKeyKnown || track.seenBy.get(track.digest)?.has(recipient)) return [{ key, certain: true }];
          // A version audit could not open, listing them, where the current plaintext may already have been.
          const maybe = versions.some((v, i) => i > track.before && v.state.kind === 'gap' && v.state.recipients.includes(recipient));
          return maybe ? [{ key, certain: false }] : [];
        });
    const days = Math.max(0, Math.floor((now.getTime() - Date.parse(ev.date)) / DAY_MS));
    const max = policy.policy.exposureMaxAgeDays;
    out.push({ recipient, removed: { commit: ev.commit, date: ev.date, author: ev.author }, days, keys, dataKeyKnown, overdue: max !== undefined && keys.length > 0 && days > max });
  }
  // Most urgent first: past the policy's limit, then by how much is certainly known, then the oldest removal.
  const certain = (x: Exposure) => x.keys.filter((k) => k.certain).length;
  return out.sort((a, b) => Number(b.overdue) - Number(a.overdue) || certain(b) - certain(a) || b.days - a.days);
}

/**
 * The report of one file, and the policy violations found in it.
 *
 * @param path - relative to the repository top, for `files:` patterns
 */
export function fileReport(file: string, path: string, versions: readonly TimelineInput[], t: Timeline, policy: CompiledPolicy, now: Date): { report: FileReport; violations: Violation[] } {
  const newest = versions[versions.length - 1];
  const unknown = newest === undefined || newest.state.kind === 'gap' ? (newest?.state.kind === 'gap' ? newest.state.reason : 'no history') : undefined;
  const exp = exposures(t, versions, now, policy, unknown !== undefined);
  const values: ValueReport[] = [...t.current].map((key) => {
    const track = t.keys.get(key)!;
    const last = [...track.events].reverse().find((e) => e.kind !== 'removed')!;
    const uncertain = last.afterGap === true;
    const from = versions[uncertain ? Math.max(0, track.before + 1) : track.since]!.commit.date;
    const ageDays = daysBetween(from, now);
    const limit = policy.maxAge(path, key);
    return {
      key,
      events: track.events,
      lastChange: { commit: last.commit, date: last.date, author: last.author },
      ageDays,
      uncertain,
      ...(limit ? { maxAgeDays: limit.days, rule: limit.rule } : {}),
      overdue: limit !== null && ageDays > limit.days,
      exposedTo: exp.filter((x) => x.keys.some((k) => k.key === key)).map((x) => x.recipient),
      exposure: exp.some((x) => x.keys.some((k) => k.key === key && k.certain)) ? 'certain' : exp.some((x) => x.keys.some((k) => k.key === key)) ? 'possible' : 'none',
      regenerable: policy.regenerable(key),
    };
  });
  values.sort(compareValues);
  const violations: Violation[] = [];
  for (const v of values) if (v.overdue) violations.push({ kind: 'overdue', file, key: v.key, ageDays: v.ageDays, maxAgeDays: v.maxAgeDays!, rule: v.rule! });
  for (const x of exp) if (x.overdue) violations.push({ kind: 'exposure', file, recipient: x.recipient, days: x.days, maxDays: policy.policy.exposureMaxAgeDays!, keys: x.keys.map((k) => k.key) });
  const removedKeys = [...t.keys].filter(([k]) => !t.current.has(k)).map(([key, tr]) => ({ key, events: tr.events }));
  const report: FileReport = {
    file,
    path,
    versions: versions.length,
    ...(unknown !== undefined ? { currentUnknown: unknown } : {}),
    gaps: t.gaps,
    recipientEvents: t.recipientEvents,
    values,
    removedKeys,
    exposures: exp,
  };
  return { report, violations };
}
