import type { Argv } from 'yargs';
import type { Io } from './output.js';

/** Parsed arguments as yargs hands them over. */
export type Args = Record<string, unknown> & { _: (string | number)[] };

/**
 * A CLI command: a thin layer that maps flags to one library call and
 * returns an exit code. Handlers never call `process.exit`.
 */
export interface Command {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  handler: (args: Args, io: Io) => Promise<number>;
}

/** Read a repeatable string option as an array. */
export function strings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Read an optional string option. */
export function optString(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}
