import { existsSync } from 'node:fs';
import type { KeyOptions } from '../keys/discovery.js';
import type { Format } from '../stores/store.js';
import { toEnv, type FlattenOptions } from '../tree/env.js';
import { decryptFile } from './decrypt.js';

/** Options for {@link load} and {@link config}. */
export interface LoadOptions extends KeyOptions, FlattenOptions {
  /**
   * One or more encrypted files, layered in order (later files win).
   * @default '.env.enc'
   */
  path?: string | readonly string[];
  /** Files that may be missing without an error (a missing file is otherwise an error). */
  optional?: readonly string[];
  /** Input format for every file; by default chosen from each file name. */
  format?: Format;
}

/** The values of each file in order, and the merged result. */
export interface Loaded {
  values: Record<string, string>;
  /** Which file each variable came from (for `--verbose`). */
  origin: Record<string, string>;
}

/** Normalise `path` to a list. */
export function loadPaths(opts: LoadOptions): string[] {
  const p = opts.path ?? '.env.enc';
  return typeof p === 'string' ? [p] : [...p];
}

/**
 * Decrypt one or more files into environment values, without touching
 * `process.env`. Nested YAML/JSON values are flattened (see {@link toEnv}).
 * Every file's MAC is verified; any failure throws before anything is returned.
 */
export async function loadDetailed(opts: LoadOptions = {}): Promise<Loaded> {
  const values: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const file of loadPaths(opts)) {
    if (opts.optional?.includes(file) && !existsSync(file)) continue;
    const dec = await decryptFile(file, opts);
    const env = toEnv(dec.branches, opts);
    for (const [k, v] of Object.entries(env)) {
      values[k] = v;
      origin[k] = file;
    }
  }
  return { values, origin };
}

/**
 * Decrypt and return the values of the given files (default `.env.enc`).
 * `process.env` is not touched.
 *
 * @example
 * const env = await load({ path: ['.env.enc', '.env.local.enc'] });
 */
export async function load(opts: LoadOptions = {}): Promise<Record<string, string>> {
  return (await loadDetailed(opts)).values;
}

/** Options for {@link populate}. */
export interface PopulateOptions {
  /** File values win over variables already set. @default false */
  override?: boolean;
}

/**
 * Merge values into an environment object. Variables already set win unless
 * `override` (the dotenv convention). Returns the names that were set.
 */
export function populate(target: Record<string, string | undefined>, values: Readonly<Record<string, string>>, opts: PopulateOptions = {}): string[] {
  const set: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (!opts.override && Object.prototype.hasOwnProperty.call(target, k)) continue;
    target[k] = v;
    set.push(k);
  }
  return set;
}

/** Options for {@link config}. */
export interface ConfigOptions extends LoadOptions, PopulateOptions {
  /** The environment object to fill. @default process.env */
  processEnv?: Record<string, string | undefined>;
}

/**
 * Decrypt the files and populate `process.env` (or `processEnv`) with the
 * same precedence rules as `envcrypt exec`. Unlike dotenv's `config`, a
 * failure throws: an app must not start without its secrets.
 */
export async function config(opts: ConfigOptions = {}): Promise<{ parsed: Record<string, string>; set: string[] }> {
  const parsed = await load(opts);
  const set = populate(opts.processEnv ?? process.env, parsed, opts);
  return { parsed, set };
}
