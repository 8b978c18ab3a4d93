/**
 * Refuse, before decrypting every value, an environment the OS would refuse
 * to start the command with (`execve` fails with E2BIG): 100,000 variables
 * decrypt in seconds only to end in exit 126. The size is known from the
 * encrypted file: AES-GCM ciphertext is exactly as long as its plaintext, so
 * each `ENC[…]` value's `data` field gives the byte length of the value it
 * holds, and names are in the clear.
 *
 * Limits (Linux, fs/exec.c): every argument and environment string with its
 * NUL, plus a pointer for each, must fit in a quarter of the stack size
 * limit, clamped to 128 KiB…6 MiB (`getconf ARG_MAX` shows the quarter); one
 * string may hold at most 32 pages with its NUL (MAX_ARG_STRLEN, 128 KiB).
 * Elsewhere `getconf ARG_MAX` is asked, and only for an environment over
 * 128 KiB, so the common launch reads no limit at all.
 */

import { readFileSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import { builtin } from '../io/builtin.js';
import { quoteName } from '../io/escape.js';
import { searchPath } from '../io/path-search.js';
import { SOPS_PREFIX } from '../stores/flatten.js';

/** The size limits of `execve` on this system. */
export interface ExecLimits {
  /** Bytes for every argument and environment string (with NULs) and their pointers. */
  total: number;
  /** Bytes for one string with its NUL, where the OS has such a limit. */
  perString?: number;
  /** How the limit is named in messages. */
  name: string;
  /** Where it comes from, for a hint. */
  origin?: string;
}

const FLOOR = 128 * 1024; // Linux's ARG_MAX floor; every system allows at least this much
const LINUX_CAP = 6 * 1024 * 1024; // _STK_LIM / 4 * 3
const MAX_ARG_STRLEN = 32 * 4096;
const POINTER = 8;

/** Linux: from the stack size limit in /proc/self/limits, as the kernel computes it. */
function linuxLimits(): ExecLimits | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'latin1');
  } catch {
    return null;
  }
  const m = /^Max stack size\s+(\S+)/m.exec(text);
  if (!m) return null;
  const soft = m[1] === 'unlimited' ? Infinity : Number(m[1]);
  if (!Number.isFinite(soft) && m[1] !== 'unlimited') return null;
  return { total: Math.max(FLOOR, Math.min(LINUX_CAP, Math.floor(soft / 4))), perString: MAX_ARG_STRLEN, name: 'ARG_MAX', origin: 'on Linux it is a quarter of the stack size limit ("ulimit -s"), at most 6 MiB' };
}

function getconfLimits(): ExecLimits | null {
  const { spawnSync } = builtin<typeof import('node:child_process')>('node:child_process');
  // Looked up as every program envcrypt starts is: never from the current directory.
  const getconf = searchPath('getconf', process.env['PATH']).found;
  if (getconf === undefined) return null;
  const r = spawnSync(getconf, ['ARG_MAX'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && Number.isSafeInteger(n) && n > 0 ? { total: n, name: 'ARG_MAX', origin: 'as "getconf ARG_MAX" reports it' } : null;
}

let cached: ExecLimits | null | undefined;
/** This system's limits, read once; null when they cannot be known (then nothing is refused early). */
export function execLimits(): ExecLimits | null {
  if (cached === undefined) cached = process.platform === 'linux' ? linuxLimits() : process.platform === 'win32' ? null : getconfLimits();
  return cached;
}

const ENC_DATA = 'ENC[AES256_GCM,data:';

/** Bytes the value at text[from, to) holds once decrypted (see {@link plainBytes}), without copying it. */
function plainBytesAt(text: string, from: number, to: number): number {
  if (!text.startsWith(ENC_DATA, from)) return Buffer.byteLength(from === 0 && to === text.length ? text : text.slice(from, to));
  const end = text.lastIndexOf(',iv:', to);
  const b64 = end - from - ENC_DATA.length;
  // A malformed value fails when it is decrypted; here it only counts as small.
  if (end < 0 || b64 <= 0) return 0;
  const pad = text.charCodeAt(end - 1) === 0x3d ? (text.charCodeAt(end - 2) === 0x3d ? 2 : 1) : 0;
  return Math.floor((b64 * 3) / 4) - pad;
}

/** Bytes of a value once decrypted: an `ENC[…]` value's data length, else its own UTF-8 length. */
export function plainBytes(stored: string): number {
  return plainBytesAt(stored, 0, stored.length);
}

/** What the command's environment starts from, and how file values join it (see `populate`). */
export interface EnvPlan {
  /** The environment before any file value is added (identity variables already removed). */
  base: Readonly<Record<string, string | undefined>>;
  /** File values replace variables already set. */
  override: boolean;
  /** The program and its arguments, as they will be passed. */
  argv: readonly string[];
}

const entryBytes = (name: string, valueBytes: number): number => Buffer.byteLength(name) + valueBytes + 2 + POINTER;

/** Checks one file's values against the budget (see {@link envBudget}). */
export interface EnvBudget {
  /** Adds a parsed file's values, as `toEnv` names them (still encrypted); throws when the total cannot fit. */
  add(stored: Readonly<Record<string, string>>): void;
  /**
   * Throws when the values of a sops dotenv file, read straight from its
   * text (no parse), cannot fit; adds nothing (the parsed file is added by
   * {@link EnvBudget.add}). An oversized file is refused without being parsed.
   */
  peekDotenv(text: string): void;
}

/**
 * A running estimate of the command's argument and environment size, fed
 * one file at a time (still encrypted) as `exec` loads them; it throws as
 * soon as the total cannot fit, before that file is decrypted.
 *
 * @param plan - The environment the values join.
 * @param limits - The limits to hold to (default: this system's, read only when the estimate passes 128 KiB).
 */
export function envBudget(plan: EnvPlan, limits: () => ExecLimits | null = execLimits): EnvBudget {
  const command = plan.argv[0] ?? '';
  const hasOwn = Object.prototype.hasOwnProperty;
  let baseTotal = 0;
  for (const [k, v] of Object.entries(plan.base)) if (v !== undefined) baseTotal += entryBytes(k, Buffer.byteLength(v));
  for (const a of plan.argv) baseTotal += Buffer.byteLength(a) + 1 + POINTER;
  baseTotal += Buffer.byteLength(command) + 1; // the kernel copies the program's path too
  // Each name's size once all files so far are layered (a later file's value wins).
  const fromFiles = new Map<string, number>();
  let extra = 0;
  /** What adding a variable of `size` bytes (see entryBytes) changes in the total; with `commit`, recorded. */
  const delta = (k: string, size: number, commit: boolean): number => {
    const had = hasOwn.call(plan.base, k) && plan.base[k] !== undefined;
    if (had && !plan.override) return 0;
    const d = size - (fromFiles.get(k) ?? (had ? entryBytes(k, Buffer.byteLength(plan.base[k]!)) : 0));
    if (commit) fromFiles.set(k, size);
    return d;
  };
  const judge = (total: number, count: number, biggest: () => [string, number] | undefined): void => {
    // Under the floor every system allows, so is every single string: the common launch stops here.
    if (total <= FLOOR) return;
    const lim = limits();
    if (lim === null) return;
    const big = lim.perString === undefined ? undefined : biggest();
    if (big !== undefined && lim.perString !== undefined && big[1] - POINTER > lim.perString) throw tooLongVariable(command, big[0], big[1] - POINTER, lim.perString);
    if (total > lim.total) throw tooLarge(command, total, lim, count);
  };
  return {
    add(stored) {
      for (const k in stored) if (hasOwn.call(stored, k)) extra += delta(k, entryBytes(k, plainBytes(stored[k]!)), true);
      judge(baseTotal + extra, fromFiles.size, () => largest(fromFiles));
    },
    peekDotenv(text) {
      // The sops dotenv dialect (stores/dotenv.ts): one KEY=VALUE or #comment per line, metadata as sops_ keys.
      let d = 0;
      let count = 0;
      let big: [string, number] | undefined;
      // The next "=" at or after `at` (-1: none left), searched again only once passed, so the
      // scan stays linear in the file's size however many lines hold no "=".
      let eq = -2;
      for (let at = 0; at < text.length; ) {
        let nl = text.indexOf('\n', at);
        if (nl < 0) nl = text.length;
        if (eq !== -1 && eq < at) eq = text.indexOf('=', at);
        if (eq > at && eq < nl && text.charCodeAt(at) !== 0x23 && !text.startsWith(SOPS_PREFIX, at)) {
          const k = text.slice(at, eq);
          const size = entryBytes(k, plainBytesAt(text, eq + 1, nl));
          d += delta(k, size, false);
          count++;
          if (big === undefined || size > big[1]) big = [k, size];
        }
        at = nl + 1;
      }
      judge(baseTotal + extra + d, count, () => big);
    },
  };
}

function largest(sizes: ReadonlyMap<string, number>): [string, number] | undefined {
  let big: [string, number] | undefined;
  for (const [k, s] of sizes) if (big === undefined || s > big[1]) big = [k, s];
  return big;
}

// No toLocaleString: its first call loads ICU, which costs more than the whole check.
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');
const kib = (n: number): string => `${grouped(Math.ceil(n / 1024))} KiB`;

function tooLarge(command: string, total: number, lim: ExecLimits, count: number): EnvcryptError {
  return new EnvcryptError('CMD_NOT_EXECUTABLE', `cannot start ${command}: its arguments and environment would take ${kib(total)} (${grouped(count)} variables from the files), over the system's limit of ${kib(lim.total)} (${lim.name})`, {
    hints: [
      'the system refuses to start a program with more than that; nothing was started, and the values were not decrypted',
      ...(lim.origin ? [`${lim.name}: ${lim.origin}`] : []),
      'load fewer files or keys (-f), or start from an empty environment (--pristine --keep VAR); a large value is better read from a file ("envcrypt decrypt FILE --extract KEY -o PATH")',
    ],
  });
}

function tooLongVariable(command: string, name: string, bytes: number, limit: number): EnvcryptError {
  // The name comes from the file: a plain variable name is shown as it is, anything else quoted
  // and escaped (quoteName), so no control character or line break reaches the terminal.
  const shown = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteName(name);
  return new EnvcryptError('CMD_NOT_EXECUTABLE', `cannot start ${command}: the variable ${shown} would take ${kib(bytes)}, over the system's limit of ${kib(limit)} for one variable (MAX_ARG_STRLEN)`, {
    hints: [
      'the system refuses to start a program with a longer variable; nothing was started, and the values were not decrypted',
      `read the value from a file instead ("envcrypt decrypt FILE --extract ${shown} -o PATH")`,
    ],
  });
}
