/**
 * Private temporary directories for plaintext that must touch a disk (the
 * file `envcrypt edit` hands to an editor), removed on every way out.
 */
import { accessSync, constants, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Directories to remove when the process exits, however it exits. */
const live = new Set<string>();
let exitHookInstalled = false;

function removeLive(): void {
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort: the process is ending */
    }
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // `exit` also runs when a signal handler elsewhere calls process.exit(),
  // which is how the CLI ends on SIGINT/SIGTERM (cli/main.ts).
  process.on('exit', removeLive);
}

function writableDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where private temp directories go: `$ENVCRYPT_TMPDIR` when set, else
 * `/dev/shm` (memory, never written to a disk) when it exists and is
 * writable, else `os.tmpdir()`.
 */
export function tempRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENVCRYPT_TMPDIR) return env.ENVCRYPT_TMPDIR;
  return writableDir('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** A directory from {@link makePrivateTempDir}. */
export interface PrivateTempDir {
  /** Absolute path of the directory (mode 0700). */
  readonly path: string;
  /** Remove the directory and everything in it; safe to call twice. */
  remove(): void;
  /**
   * Keep the directory past the end of the process (to save an edit that
   * could not be written); it is no longer removed on exit.
   */
  keep(): void;
}

/**
 * Create a fresh directory only the current user can enter (mode 0700, from
 * `mkdtemp`, so its name cannot be predicted), removed when the process
 * exits unless {@link PrivateTempDir.keep} is called.
 *
 * @param root - where to create it; default {@link tempRoot}
 * @throws Error from `mkdtemp` when the root is not writable
 */
export function makePrivateTempDir(root: string = tempRoot()): PrivateTempDir {
  sweepStale(root);
  const path = mkdtempSync(join(root, `envcrypt-${process.pid}-`));
  installExitHook();
  live.add(path);
  return {
    path,
    remove() {
      live.delete(path);
      rmSync(path, { recursive: true, force: true });
    },
    keep() {
      live.delete(path);
      // A kept directory holds a saved edit: the sweep must leave it alone.
      writeFileSync(join(path, KEPT_MARKER), '', { mode: 0o600 });
    },
  };
}

const KEPT_MARKER = '.envcrypt-kept';
const OURS = /^envcrypt-(\d+)-[A-Za-z0-9]{6}$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove private temp directories left by envcrypt processes that died
 * without cleaning up (SIGKILL, power loss), so their plaintext does not
 * linger. Only this user's directories whose process is gone are removed,
 * and never one kept on purpose to save an edit.
 */
export function sweepStale(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = OURS.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const dir = join(root, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.() || existsSync(join(dir, KEPT_MARKER))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* raced with another sweep or the owner: leave it */
    }
  }
}

/**
 * {@link sweepStale} on the temp root `env` selects ({@link tempRoot}), for
 * the start of every CLI command but `exec` and the preloads (whose start-up
 * is measured): so a directory a SIGKILLed `edit` left behind goes with the
 * next envcrypt command the same user runs with the same `ENVCRYPT_TMPDIR`.
 * Costs one directory listing; never throws.
 *
 * @param env - the environment that picks the root (`ENVCRYPT_TMPDIR`)
 */
export function sweepStaleTempDirs(env: NodeJS.ProcessEnv = process.env): void {
  try {
    sweepStale(tempRoot(env));
  } catch {
    /* a sweep must never stop a command */
  }
}

/** The signals after which an edit session cleans up. */
export const CLEANUP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What {@link guardSignals} returns. */
export interface SignalGuard {
  /** The first cleanup signal received while the guard was installed, if any. */
  readonly received: NodeJS.Signals | undefined;
  /**
   * Remove the handlers. If a signal arrived and nothing else handles it any
   * more, it is raised again so that the process ends as it would have.
   */
  dispose(): void;
}

/**
 * Run `cleanup` on SIGINT, SIGTERM or SIGHUP. When no other listener for
 * the signal exists, the signal is then raised again, so the process dies as
 * it would have without the guard. When another listener exists (the editor
 * runner relays signals to the editor; the CLI's own handler exits), the
 * decision is theirs, and {@link SignalGuard.dispose} re-raises once they
 * are gone.
 *
 * @param cleanup - synchronous and idempotent; it may run twice
 */
export function guardSignals(cleanup: () => void): SignalGuard {
  let received: NodeJS.Signals | undefined;
  let disposed = false;
  const handlers = new Map<NodeJS.Signals, () => void>();
  const uninstall = (): void => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    handlers.clear();
  };
  const reraise = (sig: NodeJS.Signals): void => {
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  for (const sig of CLEANUP_SIGNALS) {
    const h = (): void => {
      received ??= sig;
      cleanup();
      uninstall();
      reraise(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return {
    get received() {
      return received;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      uninstall();
      if (received !== undefined) reraise(received);
    },
  };
}
