import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { shareKeySources, stderrWarning, type KeyOptions } from '../keys/discovery.js';
import { isLoaderSensitive, removeIdentity } from '../exec/sensitive-names.js';
import type { Format } from '../stores/store.js';
import { setOwn, toEnv, type FlattenOptions } from '../tree/env.js';
import { readTextFile } from '../io/read.js';
import { decryptFile, decryptTextsSync, type DecryptedFile, type DecryptOptions, type SyncHost } from './decrypt.js';

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
  /** Called with each file's encrypted tree before it is decrypted (see {@link DecryptOptions.beforeDecrypt}). */
  beforeDecrypt?: DecryptOptions['beforeDecrypt'];
  /** Called with each file's text before it is parsed (see {@link DecryptOptions.beforeParse}). */
  beforeParse?: DecryptOptions['beforeParse'];
}

/** The values of each file in order, and the merged result. */
export interface Loaded {
  values: Record<string, string>;
  /** Which file each variable came from (for `--verbose`). */
  origin: Record<string, string>;
  /**
   * The variables whose value is not authenticated, each with the file it
   * came from. A value is unauthenticated when its file has no verified
   * integrity record (a file sops wrote) and the value was not decrypted:
   * an unencrypted or empty value. The SOPS MAC does not bind key names,
   * leaves out empty values, and with `mac_only_encrypted` unencrypted ones,
   * so anyone who can write the file can add such a value under any name.
   * {@link populate} never lets one replace a variable already set.
   */
  unauthenticated: Record<string, string>;
}

/**
 * Decrypt one or more files into environment values, without touching
 * `process.env`. Nested YAML/JSON values are flattened (see {@link toEnv}).
 * Every file's MAC is verified; any failure throws before anything is returned.
 *
 * Layering: a later file's value replaces an earlier one, except that an
 * unauthenticated value (see {@link Loaded.unauthenticated}) never replaces
 * an authenticated one; that is reported to `onWarning` (default: stderr).
 *
 * @throws {@link EnvcryptError} `UNAUTHENTICATED` (exit 3) when any file
 *   holds an unauthenticated value for a variable that decides what code a
 *   program loads or runs (`PATH`, `NODE_OPTIONS`, `LD_PRELOAD`, … see
 *   src/runtime/sensitive-names.ts), whichever file would win
 */
export async function loadDetailed(options: LoadOptions = {}): Promise<Loaded> {
  const opts = shareKeySources(options);
  const files: [string, DecryptedFile][] = [];
  for (const file of presentPaths(opts)) files.push([file, await decryptFile(file, { ...opts, readOnly: true }).catch((e: unknown) => explainMissing(file, e))]);
  return layer(files, opts);
}

/**
 * {@link loadDetailed} without a promise, for the preloads (see
 * {@link decryptTextsSync}): the files' keys are found together, so what
 * they leave to the general path takes one helper process, not one per file.
 * The first failure in file order is thrown, as file by file.
 */
export function loadDetailedSync(options: LoadOptions, host: SyncHost): Loaded {
  const opts = shareKeySources(options);
  const paths = presentPaths(opts);
  type Read = { name: string; text: string } | { name: string; error: unknown };
  const texts = paths.map((file): Read => {
    try {
      return { name: file, text: readOrExplain(file) };
    } catch (error) {
      return { name: file, error };
    }
  });
  const readable = texts.flatMap((t) => ('text' in t ? [t] : []));
  const results = decryptTextsSync(readable, { ...opts, readOnly: true }, host);
  const files = texts.map((t): [string, DecryptedFile] => {
    if ('error' in t) throw t.error;
    const r = results[readable.indexOf(t)]!;
    if ('error' in r) throw r.error;
    return [t.name, r.file];
  });
  return layer(files, opts);
}

/** The files to load (default `.env.enc`), less the optional ones that do not exist. */
function presentPaths(opts: LoadOptions): string[] {
  const p = opts.path ?? '.env.enc';
  return (typeof p === 'string' ? [p] : p).filter((file) => !(opts.optional?.includes(file) && !existsSync(file)));
}

/**
 * A required file that is missing is an error that says where to look (only
 * then: the start-up path pays nothing for it). Files are never searched for
 * upward, since a parent directory's `.env.enc` may belong to another project.
 */
function explainMissing(file: string, e: unknown): never {
  throw e instanceof EnvcryptError && e.code === 'NOT_FOUND' && e.file === file ? missingFile(file) : e;
}

function readOrExplain(file: string): string {
  try {
    return readTextFile(file);
  } catch (e) {
    return explainMissing(file, e);
  }
}

function missingFile(file: string): EnvcryptError {
  const hints = [
    `name the file: "envcrypt exec -f PATH -- …", or ENVCRYPT_CONFIG_PATH=PATH for the preload (a name ending in "?" may be missing)`,
  ];
  if (!isAbsolute(file)) {
    for (let dir = resolve('..'); ; dir = dirname(dir)) {
      const candidate = join(dir, file);
      if (existsSync(candidate)) {
        hints.unshift(`${relative(process.cwd(), candidate)} exists in a parent directory; envcrypt does not search upward, so run from there or name it`);
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return new EnvcryptError('NOT_FOUND', `no such file: ${file} (looked in ${process.cwd()})`, { file, hints });
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Why a value is not authenticated. */
type Weakness = 'empty' | 'unencrypted';

/**
 * The variables of one file whose value is not authenticated, and why:
 * every value of a file without a verified integrity record that was not
 * decrypted. The encrypted tree flattens to the same names as the plaintext
 * one; a decrypted value is stored there as an `ENC[` string that differs
 * from its plaintext, while a value left as it is (unencrypted by the
 * selector, or empty) is stored as its plaintext, `ENC[` prefix or not.
 */
function weakValues(file: DecryptedFile, values: Readonly<Record<string, string>>, opts: FlattenOptions): Map<string, Weakness> | undefined {
  if (file.integrity === 'verified') return undefined;
  const stored = toEnv(file.encrypted, opts);
  let weak: Map<string, Weakness> | undefined;
  for (const [k, v] of Object.entries(values)) {
    const s = hasOwn(stored, k) ? stored[k]! : '';
    if (s.startsWith('ENC[') && s !== v) continue;
    (weak ??= new Map()).set(k, s === '' ? 'empty' : 'unencrypted');
  }
  return weak;
}

function notAuthenticated(file: string, name: string, why: Weakness): EnvcryptError {
  return new EnvcryptError('UNAUTHENTICATED', `${name} is not authenticated (${why === 'empty' ? 'an empty value' : 'an unencrypted value'} in a file without an integrity record)`, {
    file,
    hints: [
      `${name} decides what code programs load or run, so envcrypt sets it only from an encrypted value or from a file whose integrity record verifies`,
      why === 'empty'
        ? `if you put it there: remove it, or re-write the file with envcrypt (e.g. "envcrypt rotate ${file}") so that an integrity record covers it (an empty value is never encrypted)`
        : `if you put it there: store it encrypted (make the file's selector encrypt it), or re-write the file with envcrypt (e.g. "envcrypt rotate ${file}") so that an integrity record covers it`,
      `if you did not, someone without the key changed the file: check its history with "git log -p ${file}" before you re-write it`,
    ],
  });
}

/** How an unauthenticated value that is not used is reported (never its value). */
function notReplacing(file: string, name: string, what: string): string {
  return `${file}: ${name} is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace ${what}`;
}

/**
 * Flatten each file's tree and layer them in order, the later winning
 * unless its value is unauthenticated and the earlier one is not. A
 * loader-sensitive name with an unauthenticated value in any file is
 * refused before anything is layered.
 */
function layer(files: readonly [string, DecryptedFile][], opts: LoadOptions): Loaded {
  for (const [file, dec] of files) if (dec.format === 'binary') throw binaryNotEnv(file);
  const flat = files.map(([file, dec]) => {
    const env = toEnv(dec.branches, opts);
    return { file, env, weak: weakValues(dec, env, opts) };
  });
  for (const { file, weak } of flat) {
    if (weak) for (const [k, why] of weak) if (isLoaderSensitive(k)) throw notAuthenticated(file, k, why);
  }
  const warn = opts.onWarning ?? stderrWarning;
  const values: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const unauthenticated: Record<string, string> = {};
  for (const { file, env, weak } of flat) {
    for (const [k, v] of Object.entries(env)) {
      const isWeak = weak?.has(k) === true;
      if (isWeak && hasOwn(values, k) && !hasOwn(unauthenticated, k)) {
        warn(notReplacing(file, k, `the value from ${origin[k]!}`));
        continue;
      }
      setOwn(values, k, v);
      setOwn(origin, k, file);
      if (isWeak) setOwn(unauthenticated, k, file);
      else if (hasOwn(unauthenticated, k)) delete unauthenticated[k];
    }
  }
  return { values, origin, unauthenticated };
}

/**
 * A binary file holds one whole file, not variables. sops's `exec-env` would
 * set one variable named `data` to it; a variable of that name holding a
 * private key is never what was meant, so envcrypt refuses (README "Decisions").
 */
function binaryNotEnv(file: string): EnvcryptError {
  return new EnvcryptError('UNSUPPORTED', `${file} is a binary file (one whole file stored as one value), which has no variables`, {
    file,
    hints: [`write it where the program reads it: envcrypt decrypt ${file} -o PATH`, 'keep variables in a .env, YAML, JSON or INI file'],
  });
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
  /**
   * Names whose values are not authenticated ({@link Loaded.unauthenticated},
   * name to file): they never replace a variable already set, even with
   * `override`.
   */
  unauthenticated?: Readonly<Record<string, string>>;
  /** Receives a warning for each value `override` would have used but may not (never the value). @default stderr */
  onWarning?: (message: string) => void;
}

/**
 * Merge values into an environment object. Variables already set win unless
 * `override` (the dotenv convention), and always over a value named in
 * `unauthenticated`. Returns the names that were set.
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
  const weak = opts.unauthenticated;
  // Decided, and warned about, before anything is set.
  const names = Object.keys(values).filter((k) => {
    if (weak !== undefined && hasOwn(weak, k)) {
      if (!alreadySet(target, k, process.platform === 'win32')) return true;
      if (opts.override) (opts.onWarning ?? stderrWarning)(notReplacing(weak[k]!, k, 'the variable already set'));
      return false;
    }
    return opts.override || !hasOwn(target, k);
  });
  for (const k of names) {
    if (k === '__proto__') defineProto(target, values[k]!);
    else target[k] = values[k];
  }
  return names;
}

/**
 * Whether `target` already has the variable `name`; with `caseInsensitive`
 * (Windows, where a child's environment is case-insensitive) in any
 * spelling. `process.env` answers case-insensitively there by itself.
 */
export function alreadySet(target: Readonly<Record<string, string | undefined>>, name: string, caseInsensitive: boolean): boolean {
  if (hasOwn(target, name)) return true;
  if (!caseInsensitive) return false;
  const upper = name.toUpperCase();
  return Object.keys(target).some((k) => k.toUpperCase() === upper);
}

/**
 * Node cuts a `process.env` name or value at a NUL byte without a word,
 * which would hand the app a shortened secret; exec refuses NUL the same
 * way. {@link populate} calls this for `process.env`.
 *
 * @throws {@link EnvcryptError} `USAGE` naming the variable, never the value
 */
export function refuseNul(values: Readonly<Record<string, string>>): void {
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
export interface ConfigOptions extends LoadOptions {
  /** File values win over variables already set (never an unauthenticated one, see {@link populate}). @default false */
  override?: boolean;
  /** The environment object to fill. @default process.env */
  processEnv?: Record<string, string | undefined>;
  /**
   * Keep the identity variables (`ENVCRYPT_AGE_KEY`, `SOPS_AGE_KEY_FILE`, …)
   * in the environment filled. By default, when that environment is the one
   * the keys were read from (`process.env` unless `env` or `processEnv`
   * name other objects), they are deleted from it once the files are
   * decrypted, as the preload does, so that the app's child processes do
   * not inherit the key. @default false
   */
  keepIdentity?: boolean;
}

/**
 * Decrypt the files and populate `process.env` (or `processEnv`) with the
 * same precedence rules as `envcrypt exec`. Unlike dotenv's `config`, a
 * failure throws: an app must not start without its secrets.
 *
 * As safe as the preload: a loader-sensitive variable with an
 * unauthenticated value is refused before anything is set (see
 * {@link loadDetailed}), an unauthenticated value never replaces a variable
 * already set, even with `override` (a warning goes to `onWarning`), and
 * the identity variables are removed (see {@link ConfigOptions.keepIdentity}).
 */
export async function config(opts: ConfigOptions = {}): Promise<{ parsed: Record<string, string>; set: string[] }> {
  const loaded = await loadDetailed(opts);
  const { set } = applyConfig(loaded, opts);
  return { parsed: loaded.values, set };
}

/**
 * The second half of {@link config} (and of the preloads): check the values
 * for the target, remove the identity variables, then populate. Nothing is
 * changed when a check fails.
 *
 * @returns the names set, and the identity variables removed
 */
export function applyConfig(loaded: Loaded, opts: ConfigOptions): { set: string[]; removed: string[] } {
  const target = opts.processEnv ?? process.env;
  if (target === process.env) refuseNul(loaded.values);
  const removed = opts.keepIdentity || target !== (opts.env ?? process.env) ? [] : removeIdentity(target);
  const set = populate(target, loaded.values, {
    override: opts.override ?? false,
    unauthenticated: loaded.unauthenticated,
    onWarning: opts.onWarning ?? stderrWarning,
  });
  return { set, removed };
}
