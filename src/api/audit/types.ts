/**
 * What `envcrypt audit` reports (the `--json` schema, version 1, documented
 * in the README). Nothing here holds a value, or a hash, prefix or length of
 * one: only key names, dates, authors, commits and recipients.
 */

/** The commit an event happened in. */
export interface EventRef {
  commit: string;
  /** Author date, ISO 8601 UTC. */
  date: string;
  /** `Name <email>`. */
  author: string;
}

/** One event in a value's life. */
export interface ValueEvent extends EventRef {
  kind: 'created' | 'changed' | 'removed';
  /** Versions audit could not open lie just before this one: the event happened there or here. */
  afterGap?: boolean;
}

/** One event in the file's recipient list or data key. */
export interface RecipientEvent extends EventRef {
  kind: 'recipient-added' | 'recipient-removed' | 'data-key-rotated';
  /** The recipient added or removed (absent for a rotation). */
  recipient?: string;
  /** For a rotation seen across versions audit could not open: it happened in one of them, or here. */
  afterGap?: boolean;
  /** The version's recipient list is authenticated by a verified integrity record. */
  verified: boolean;
}

/** A version audit could not read, and why; never guessed at. */
export interface Gap extends EventRef {
  path: string;
  reason: string;
}

/** A value that a removed recipient may still know. */
export interface ExposedKey {
  key: string;
  /** True when the recipient could open a version holding the current value; false when only a gap says it may have. */
  certain: boolean;
}

/** A recipient who is no longer on the file, and what of the current file they still know. */
export interface Exposure {
  recipient: string;
  /** The version that removed them. */
  removed: EventRef;
  /** Whole days since the removal. */
  days: number;
  /** Current values whose plaintext has not changed since they could read it. */
  keys: ExposedKey[];
  /** They could open a version under the current data key (removed without a rotation): they can read the current file itself. */
  dataKeyKnown: boolean;
  /** `exposure_max_age` is set and these keys are past it. */
  overdue: boolean;
}

/** The state of one current value. */
export interface ValueReport {
  key: string;
  events: ValueEvent[];
  /** The event that gave the value its current plaintext (created or changed). */
  lastChange: EventRef;
  /** Whole days since the last real change (from the earliest version it could be in, when gaps hide it). */
  ageDays: number;
  /** Gaps hide the exact version of the last change. */
  uncertain: boolean;
  /** The policy's limit for this value (days), and the rule that set it. */
  maxAgeDays?: number;
  rule?: number;
  overdue: boolean;
  /** Removed recipients who may still know this value. */
  exposedTo: string[];
  /** `certain`: a removed recipient could open a version holding the current plaintext; `possible`: only a gap says they may have; `none`. */
  exposure: 'certain' | 'possible' | 'none';
  /** The policy lists it as safe to regenerate (`regenerate:`). */
  regenerable: boolean;
}

/** Everything audit found for one file. */
export interface FileReport {
  /** As shown to the user (relative to the working directory). */
  file: string;
  /** Relative to the repository top, `/`-separated, as policy `files:` patterns see it. */
  path: string;
  /** Versions in the first-parent history. */
  versions: number;
  /** The newest version could not be opened: current values are unknown. */
  currentUnknown?: string;
  gaps: Gap[];
  recipientEvents: RecipientEvent[];
  /** Current values, most urgent first. */
  values: ValueReport[];
  /** Keys that existed and were removed (each with its events). */
  removedKeys: { key: string; events: ValueEvent[] }[];
  exposures: Exposure[];
}

/** One way the repository breaks its policy (what `--check` fails on). */
export type Violation =
  | { kind: 'overdue'; file: string; key: string; ageDays: number; maxAgeDays: number; rule: number }
  | { kind: 'exposure'; file: string; recipient: string; days: number; maxDays: number; keys: string[] };

/** The whole report. */
export interface AuditReport {
  schema: 1;
  /** When the ages were computed, ISO 8601 UTC. */
  now: string;
  /** Where the policy came from (`.envcrypt.yaml`, `REF:.envcrypt.yaml`, or `(none)`). */
  policy: string;
  files: FileReport[];
  violations: Violation[];
  /** No violation. */
  ok: boolean;
}
