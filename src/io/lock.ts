/**
 * An advisory lock per encrypted file, so that concurrent `envcrypt set`,
 * `unset` and `edit` runs never lose each other's changes: each holds
 * `FILE.envcrypt-lock` for its whole read-modify-write.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, linkSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { EnvcryptError } from '../errors.js';

/** The suffix of lock files: `.env.enc` is locked by `.env.enc.envcrypt-lock`. */
export const LOCK_SUFFIX = '.envcrypt-lock';

/** Default time to wait for a lock held by someone else. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/**
 * A lock file that cannot be read as ours (being written right now, or left
 * empty by a crash) counts as held until it is this old.
 */
const UNREADABLE_GRACE_MS = 5_000;

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** Random, so that a release never removes someone else's lock. */
  nonce: string;
}

/** Options for {@link acquireLock} and {@link withLock}. */
export interface LockOptions {
  /**
   * How long to wait for another holder, in milliseconds.
   * @defaultValue `ENVCRYPT_LOCK_TIMEOUT_MS` from `env`, else 10000
   */
  timeoutMs?: number;
  /** Where `ENVCRYPT_LOCK_TIMEOUT_MS` is read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A held lock. */
export interface FileLock {
  /** The lock file's path. */
  readonly path: string;
  /** Remove the lock file if it is still ours; safe to call twice. */
  release(): void;
}

/** Locks held by this process, released if it exits without doing so. */
const held = new Map<string, string>();
let exitHookInstalled = false;

function releaseAll(): void {
  for (const [path, nonce] of held) releaseIfOurs(path, nonce);
  held.clear();
}

/**
 * The lock file guarding `file`: next to the file itself, after following
 * symbolic links, so that two names for one file share one lock (the
 * writes follow the links too).
 */
export function lockPathFor(file: string): string {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    // Not there (yet): lock the name as given.
    real = file;
  }
  return real + LOCK_SUFFIX;
}

/** Parse a lock file's text; null when it is not (yet) a complete lock record. */
export function parseLockText(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.hostname === 'string' && typeof v.nonce === 'string') {
      return { pid: v.pid, hostname: v.hostname, nonce: v.nonce };
    }
  } catch {
    /* partial or foreign content */
  }
  return null;
}

/** True when `pid` names a running process on this host. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function timeoutFrom(opts: LockOptions): number {
  if (opts.timeoutMs !== undefined) return opts.timeoutMs;
  const raw = (opts.env ?? process.env).ENVCRYPT_LOCK_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_LOCK_TIMEOUT_MS;
  if (!/^\d+$/.test(raw)) {
    throw new EnvcryptError('USAGE', 'ENVCRYPT_LOCK_TIMEOUT_MS must be a whole number of milliseconds');
  }
  return Number(raw);
}

function ioError(what: string, path: string, cause: unknown): EnvcryptError {
  return new EnvcryptError('IO', `cannot ${what} lock file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, {
    cause,
    file: path,
    hints: ['envcrypt needs to create a file next to the one it changes; check the directory is writable'],
  });
}

/** Try once to create the lock file with our record; false when it exists. */
function tryCreate(path: string, record: string): boolean {
  let fd: number;
  try {
    // O_EXCL: creation is the atomic test-and-set.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError('create', path, e);
  }
  try {
    writeSync(fd, record);
  } finally {
    closeSync(fd);
  }
  return true;
}

type Inspection = { kind: 'gone' } | { kind: 'held'; holder: LockHolder | null } | { kind: 'stale'; ino: number; dev: number };

/** Look at an existing lock file and decide whether its holder is gone. */
function inspect(path: string, now: number): Inspection {
  let st;
  let text: string;
  try {
    st = statSync(path);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw ioError('read', path, e);
  }
  const holder = parseLockText(text);
  if (holder === null) {
    return now - st.mtimeMs > UNREADABLE_GRACE_MS ? { kind: 'stale', ino: st.ino, dev: st.dev } : { kind: 'held', holder };
  }
  // A pid on another host cannot be checked from here; only its owner or a human may break it.
  // Our own pid in a lock we do not hold is a leftover of a dead process whose pid was reused.
  const ours = holder.pid === process.pid && held.get(path) !== holder.nonce;
  if (holder.hostname === hostname() && (ours || !pidAlive(holder.pid))) return { kind: 'stale', ino: st.ino, dev: st.dev };
  return { kind: 'held', holder };
}

/**
 * Remove a stale lock without racing another breaker: move it aside under a
 * unique name, and delete it only if it is the very file judged stale. If
 * someone replaced it in between (a fresh lock), put that one back.
 */
function breakStale(path: string, ino: number, dev: number): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError('remove stale', path, e);
  }
  const st = statSync(aside);
  if (st.ino !== ino || st.dev !== dev) {
    try {
      linkSync(aside, path);
    } catch {
      /* a third process holds the lock now; the moved one is orphaned either way */
    }
  }
  unlinkSync(aside);
}

function releaseIfOurs(path: string, nonce: string): void {
  try {
    if (parseLockText(readFileSync(path, 'utf8'))?.nonce === nonce) unlinkSync(path);
  } catch {
    /* already gone */
  }
}

function lockedError(file: string, path: string, holder: LockHolder | null, timeoutMs: number): EnvcryptError {
  const by = holder ? `pid ${holder.pid}${holder.hostname === hostname() ? '' : ` on ${holder.hostname}`}` : 'another process';
  return new EnvcryptError('CONFLICT', `${file} is locked by ${by} (waited ${timeoutMs} ms)`, {
    file,
    hints: [
      'another envcrypt set, unset or edit is writing it; try again when it is done',
      `if no envcrypt is running, remove ${path}`,
      'wait longer with ENVCRYPT_LOCK_TIMEOUT_MS=<milliseconds>',
    ],
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Take the exclusive lock of `file` (the file need not exist). The lock file
 * holds `{"pid","hostname","nonce"}`. A lock whose pid is dead on this host,
 * or which stays unreadable for 5 s, is stale and broken. Otherwise waits
 * with backoff (10 ms growing to 250 ms, with jitter) up to the timeout. The
 * lock is released by {@link FileLock.release}, or when the process exits.
 *
 * @throws EnvcryptError `CONFLICT` (exit 10) naming the holder's pid on
 *   timeout; `IO` when the lock file cannot be created (read-only directory)
 */
export async function acquireLock(file: string, opts: LockOptions = {}): Promise<FileLock> {
  const timeoutMs = timeoutFrom(opts);
  const path = lockPathFor(file);
  const nonce = randomBytes(12).toString('hex');
  const record = JSON.stringify({ pid: process.pid, hostname: hostname(), nonce }) + '\n';
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  let last: LockHolder | null = null;
  for (;;) {
    if (tryCreate(path, record)) break;
    const seen = inspect(path, Date.now());
    if (seen.kind === 'stale') {
      breakStale(path, seen.ino, seen.dev);
      continue;
    }
    if (seen.kind === 'gone') continue;
    last = seen.holder;
    const left = deadline - Date.now();
    if (left <= 0) throw lockedError(file, path, last, timeoutMs);
    // Jitter keeps many waiters from retrying in lockstep.
    await sleep(Math.min(left, delay * (0.5 + Math.random())));
    delay = Math.min(250, delay * 1.5);
  }
  held.set(path, nonce);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseAll);
  }
  return {
    path,
    release() {
      if (held.get(path) !== nonce) return;
      held.delete(path);
      releaseIfOurs(path, nonce);
    },
  };
}

/**
 * Run `fn` while holding the lock of `file`, releasing it afterwards
 * whatever happens. See {@link acquireLock}.
 */
export async function withLock<T>(file: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(file, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
