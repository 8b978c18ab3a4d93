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

/** The first word of a command's definition: its name. */
export function commandName(c: Pick<Command, 'command'>): string {
  return c.command.split(' ')[0]!;
}

/**
 * Commands that write files, the only ones where `--follow-symlinks`
 * (writing through a symbolic link that leads out of the repository) means
 * anything.
 */
export const WRITING_COMMANDS: ReadonlySet<string> = new Set(['init', 'encrypt', 'decrypt', 'edit', 'set', 'unset', 'recipients', 'rotate', 'keygen', 'export', 'git', 'audit']);

/**
 * The options envcrypt adds to a command besides its builder's own (yargs
 * adds `--help`): `--follow-symlinks` for the commands that write files.
 * `cli/main.ts` registers them and `completion` lists them, from this one
 * place.
 */
export function withCommandGlobals(name: string, y: Argv): Argv {
  if (!WRITING_COMMANDS.has(name)) return y;
  return y.option('follow-symlinks', { type: 'boolean', describe: 'allow writing through a symbolic link that leads out of the repository' });
}
