/**
 * `envcrypt audit --fix-generated`: regenerate the values the audit found
 * due (overdue, or still known to a removed recipient) that the policy says
 * are safe to regenerate (`regenerate:` patterns, e.g. session secrets), and
 * list the due values that must be rotated upstream by hand. Nothing else is
 * ever regenerated.
 */
import { resolve } from 'node:path';
import { str } from '../tree/types.js';
import type { AuditReport, ValueReport } from './audit/types.js';
import { generateSecret, setValue, type ChangeOptions, type GenerateOptions } from './set.js';

/** A value that is due, and why. */
export interface DueValue {
  file: string;
  key: string;
  /** `overdue` (past its max_age), `exposed` (a removed recipient may know it), or both. */
  why: ('overdue' | 'exposed')[];
}

/** What {@link fixGenerated} did. */
export interface FixResult {
  /** Regenerated and written (through the normal write path: vouching, integrity record, read-back). */
  regenerated: DueValue[];
  /** Due, but not on the policy's `regenerate:` list: rotate these at their source, then `envcrypt set` them. */
  manual: DueValue[];
}

/** Options for {@link fixGenerated}. */
export interface FixOptions extends ChangeOptions {
  /** Where the report's file names start (default `process.cwd()`). */
  cwd?: string;
  /** How new values are made (default: 32 random bytes, base64url, as `set --generate`). */
  generate?: GenerateOptions;
}

/** True when the audit says the value must change. */
export function isDue(v: ValueReport): boolean {
  return v.overdue || v.exposure !== 'none';
}

function due(file: string, v: ValueReport): DueValue {
  return { file, key: v.key, why: [...(v.overdue ? (['overdue'] as const) : []), ...(v.exposure !== 'none' ? (['exposed'] as const) : [])] };
}

/**
 * Regenerate the due values the policy marks safe to regenerate, one
 * `envcrypt set FILE KEY --generate` each.
 */
export async function fixGenerated(report: AuditReport, opts: FixOptions = {}): Promise<FixResult> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const result: FixResult = { regenerated: [], manual: [] };
  for (const f of report.files) {
    for (const v of f.values.filter(isDue)) {
      if (!v.regenerable) {
        result.manual.push(due(f.file, v));
        continue;
      }
      await setValue(resolve(cwd, f.file), v.key, str(generateSecret(opts.generate)), opts);
      result.regenerated.push(due(f.file, v));
    }
  }
  return result;
}
