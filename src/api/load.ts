import { existsSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import { shareKeySources, type KeyOptions } from '../keys/discovery.js';
import type { Format } from '../stores/store.js';
import { setOwn, toEnv, type FlattenOptions } from '../tree/env.js';
import { readTextFile } from '../io/read.js';
import type { Branch } from '../tree/types.js';
import { decryptFile, decryptTextSync, type SyncHost } from './decrypt.js';

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

/**
 * Decrypt one or more files into environment values, without touching
 * `process.env`. Nested YAML/JSON values are flattened (see {@link toEnv}).
 * Every file's MAC is verified; any failure throws before anything is returned.
 */
export async function loadDetailed(options: LoadOptions = {}): Promise<Loaded> {
  const opts = shareKeySources(options);
  const files: [string, Branch[]][] = [];
  for (const file of presentPaths(opts)) files.push([file, (await decryptFile(file, { ...opts, readOnly: true })).branches]);
  return layer(files, opts);
}

/**
 * {@link loadDetailed} without a promise, for the preloads (see
 * {@link decryptTextSync}).
 */
export function loadDetailedSync(options: LoadOptions, host: SyncHost): Loaded {
  const opts = shareKeySources(options);
  return layer(
    presentPaths(opts).map((file) => [file, decryptTextSync(readTextFile(file), file, { ...opts, readOnly: true }, host).branches]),
    opts,
  );
}

/** The files to load (default `.env.enc`), less the optional ones that do not exist. */
function presentPaths(opts: LoadOptions): string[] {
  const p = opts.path ?? '.env.enc';
  return (typeof p === 'string' ? [p] : p).filter((file) => !(opts.optional?.includes(file) && !existsSync(file)));
}

/** Flatten each file's tree and layer them in order, the later winning. */
function layer(files: readonly [string, Branch[]][], opts: LoadOptions): Loaded {
  const values: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [file, branches] of files) {
    for (const [k, v] of Object.entries(toEnv(branches, opts))) {
      setOwn(values, k, v);
      setOwn(origin, k, file);
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
 *
 * Every name becomes an own property of `target`, `__proto__` included: it
 * is defined, not assigned, so the prototype of `target` is never touched.
 * (Node's `process.env` accepts `__proto__` as an ordinary variable, and
 * children see it.)
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` when `target` does not take a
 *   name as its own property (a frozen object, or an environment object
 *   that refuses `__proto__`); the names before it are already set
 * @throws {@link EnvcryptError} `USAGE`, before anything is set, when the
 *   target is `process.env` and a name or value holds a NUL byte (node
 *   would silently cut it there)
 */
export function populate(target: Record<string, string | undefined>, values: Readonly<Record<string, string>>, opts: PopulateOptions = {}): string[] {
  if (target === process.env) refuseNul(values);
  const set: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (!opts.override && Object.prototype.hasOwnProperty.call(target, k)) continue;
    if (k === '__proto__') defineProto(target, v);
    else target[k] = v;
    set.push(k);
  }
  return set;
}

// Node cuts a process.env name or value at a NUL byte without a word, which
// would hand the app a shortened secret; exec refuses NUL the same way.
function refuseNul(values: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(values)) {
    if (k.includes('\0') || v.includes('\0')) {
      throw new EnvcryptError('USAGE', `environment variable ${k.replaceAll('\0', '\\0')} contains a NUL byte`, {
        hints: ['a decrypted value cannot be passed through the environment if it contains a NUL byte'],
      });
    }
  }
}

// Define `__proto__` as an own variable and check that it took: an
// environment object that ignored or rerouted it would otherwise lose the
// value silently.
function defineProto(target: Record<string, string | undefined>, value: string): void {
  let failure: unknown;
  try {
    setOwn(target, '__proto__', value);
  } catch (e) {
    failure = e;
  }
  const own = Object.getOwnPropertyDescriptor(target, '__proto__');
  if (failure === undefined && own !== undefined && 'value' in own && own.value === value) return;
  throw new EnvcryptError('UNSUPPORTED', 'the variable __proto__ cannot be set in this environment object', {
    hints: ['rename the key __proto__ in the encrypted file'],
  });
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
