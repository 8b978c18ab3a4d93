/**
 * The child-process supervisor behind `envcrypt exec -- cmd args…`: start the
 * command with the computed environment, stay out of its way, and end the way
 * it ended. Only node builtins here: this is on the start-up hot path.
 */

import type { ChildProcess, StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtin, childProcess } from '../io/builtin.js';
import { isTerminal } from '../io/terminal.js';
import { EnvcryptError } from '../errors.js';
import { which } from './which.js';

/** How the child ended: its exit code, or the signal that killed it. */
export type ChildResult = { code: number } | { signal: NodeJS.Signals };

/** Options for {@link runChild}. */
export interface RunChildOptions {
  /** The program name or path (searched on `env.PATH` like `execvp`), or the script when {@link RunChildOptions.shell} is set. */
  command: string;
  /** Arguments, passed to the program verbatim: no splitting, quoting, globbing or `$` expansion. */
  args: string[];
  /** The complete environment of the child (nothing is merged in from `process.env`). */
  env: NodeJS.ProcessEnv;
  /**
   * Run `command` as a `/bin/sh` script instead of a program. The shell parses
   * only `command`; `args` stay separate and become `$1`, `$2`… (with `$0`
   * set to `sh`), exactly as in `sh -c 'script' sh arg1 arg2`. So
   * `command: 'echo "$1" $FOO', args: ['a b']` prints `a b` and the value of
   * `FOO`, while `command: 'echo', args: ['hi']` prints an empty line: put the
   * whole command line in `command`.
   * @defaultValue false
   */
  shell?: boolean;
  /** Called once with the child's pid right after it starts; must not throw. */
  onSpawn?: (pid: number) => void;
  /**
   * Take over the child's output: when given, the child's stdout and stderr
   * are pipes (stdin is still inherited), and this is called once, right
   * after the child starts and before {@link RunChildOptions.onSpawn}, to
   * consume `child.stdout` and `child.stderr`. {@link runChild} then resolves
   * only once the child has exited **and** the returned promise has settled;
   * if it rejects (or this throws), {@link runChild} rejects with that error,
   * still only after the child has exited, so signals keep being relayed
   * for as long as the child runs.
   * @defaultValue undefined: stdout and stderr are inherited
   */
  pipeOutput?: (child: ChildProcess) => Promise<void>;
}

/** The signals envcrypt relays to the child while it runs. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH',
];

// The kinds the kernel sends to the whole foreground process group (^C, ^\,
// a window resize); our child is in our group, so it already has them.
const GROUP_DELIVERED: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT', 'SIGWINCH']);

/**
 * True when this process is in the foreground process group of its
 * controlling terminal, so that terminal-generated signals reach it and its
 * child alike. On Linux this compares `pgrp` with `tpgid` in
 * `/proc/self/stat` (node has no `tcgetpgrp`); elsewhere it guesses from
 * whether stdin is a terminal.
 */
export function inForegroundGroup(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // The command name in parentheses may itself hold spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state ppid pgrp session tty_nr tpgid …
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    // isTerminal(0) rather than process.stdin.isTTY: touching process.stdin would
    // put the shared stdin into non-blocking mode under the child's feet.
    return isTerminal(0);
  }
}

/**
 * Whether a signal envcrypt received should be sent on to the child.
 * SIGINT, SIGQUIT and SIGWINCH are not relayed while envcrypt is in the
 * terminal's foreground group, because the terminal delivered them to the
 * child already and a second Ctrl-C often means "stop cleaning up, quit now".
 * Every other case is relayed. The cost: a `kill -INT <envcrypt pid>` from
 * elsewhere while envcrypt runs in the foreground reaches nobody (signal the
 * group with `kill -INT -<pgid>`, or send SIGTERM); and signals sent to the
 * whole group by other means (`kill -TERM -<pgid>`, systemd's
 * `KillMode=control-group`, a shell's SIGHUP to its jobs on hang-up) reach
 * the child twice, since a signal's sender cannot be seen from node.
 *
 * @param signal - the signal envcrypt received
 * @param foreground - the result of {@link inForegroundGroup}
 */
export function shouldForward(signal: NodeJS.Signals, foreground: boolean): boolean {
  return !(foreground && GROUP_DELIVERED.has(signal));
}

/**
 * Run a command as a child process and wait for it to end.
 *
 * - The program is found with {@link which} on the child's `PATH` and run
 *   from an argv array (`argv[0]` is `command` as typed); no shell is
 *   involved unless {@link RunChildOptions.shell} asks for `/bin/sh`.
 * - stdin, stdout and stderr are inherited, so terminals, pipes and
 *   redirections work as if the command ran alone; with
 *   {@link RunChildOptions.pipeOutput}, stdout and stderr are pipes handed
 *   to that callback instead.
 * - While the child runs, envcrypt does not die from
 *   {@link FORWARDED_SIGNALS}: it relays them under the rule of
 *   {@link shouldForward} and keeps waiting, however long the child takes to
 *   shut down (no timeout, no escalation to SIGKILL). The handlers are
 *   removed when the child exits.
 * - Node resets inherited signal dispositions when it starts, so a signal
 *   ignored by envcrypt's parent (`nohup`, a non-interactive `cmd &`) is not
 *   ignored by the child either.
 *
 * Pass the result to {@link reraise} to end envcrypt the same way.
 *
 * @returns the child's exit code, or the signal that killed it
 * @throws {@link EnvcryptError} before anything runs: `CMD_NOT_FOUND` (127),
 *   `CMD_NOT_EXECUTABLE` (126, also for arguments plus environment over the
 *   system's limit), `USAGE` for a NUL byte in the command, an argument or
 *   the environment, `IO` when the system cannot start a process at all
 */
export async function runChild(opts: RunChildOptions): Promise<ChildResult> {
  checkNoNul(opts);
  const file = which(opts.shell === true ? '/bin/sh' : opts.command, opts.env);
  const argv = opts.shell === true ? ['-c', opts.command, 'sh', ...opts.args] : opts.args;
  const argv0 = opts.shell === true ? 'sh' : opts.command;

  return new Promise<ChildResult>((resolveResult, reject) => {
    let child: ChildProcess | undefined;
    const relay = (signal: NodeJS.Signals): void => {
      // child.kill, not process.kill(pid): it is a no-op once the child has
      // been reaped, so a recycled pid can never be hit.
      if (child === undefined) return;
      // /proc is read only for the kinds where the answer matters.
      if (shouldForward(signal, GROUP_DELIVERED.has(signal) && inForegroundGroup())) child.kill(signal);
    };
    const unlisten = (): void => {
      for (const s of FORWARDED_SIGNALS) process.removeListener(s, relay);
    };
    // Listen before spawning: from here on these signals cannot kill envcrypt
    // and orphan the child.
    for (const s of FORWARDED_SIGNALS) process.on(s, relay);

    const { pipeOutput } = opts;
    try {
      const stdio: StdioOptions = pipeOutput === undefined ? 'inherit' : ['inherit', 'pipe', 'pipe'];
      child = childProcess().spawn(file, argv, { stdio, env: opts.env, argv0 });
    } catch (err) {
      unlisten();
      reject(spawnError(err, opts.command));
      return;
    }
    const started = child;
    started.on('error', (err) => {
      // After a successful start, errors can only come from kill(); the exit
      // event still follows, so only a failed start settles here.
      if (started.pid !== undefined) return;
      unlisten();
      reject(spawnError(err, opts.command));
    });
    // Settled with the outcome of pipeOutput; never rejects, so an early
    // failure cannot become an unhandled rejection before the child exits.
    let piped: Promise<{ failed: false } | { failed: true; error: unknown }> | undefined;
    started.once('exit', (code, signal) => {
      unlisten();
      const result: ChildResult = signal !== null ? { signal } : { code: code ?? 1 };
      if (piped === undefined) resolveResult(result);
      else void piped.then((p) => (p.failed ? reject(p.error) : resolveResult(result)));
    });
    if (started.pid === undefined) return;
    if (pipeOutput !== undefined) {
      // The executor runs now, so the streams are consumed before any data
      // event; a synchronous throw becomes a rejection like an async one.
      piped = new Promise<void>((resolve) => resolve(pipeOutput(started))).then(
        () => ({ failed: false }) as const,
        (error: unknown) => ({ failed: true, error }) as const,
      );
    }
    opts.onSpawn?.(started.pid);
  });
}

/** How long {@link reraise} waits to be killed by its own signal. */
const RERAISE_GRACE_MS = 100;

/**
 * The exit status for envcrypt after {@link runChild}: a child killed by
 * signal N makes envcrypt die by the same signal N; where the signal cannot
 * kill envcrypt, the exit code is 128+N. A normal exit returns the child's code.
 *
 * To re-raise, every listener for that one signal is removed (any listener
 * would swallow it) and the signal is sent to envcrypt's own pid. Signals that
 * cannot kill a node process fall back to 128+N after a short wait: those
 * whose default action is to be ignored (SIGWINCH, SIGCHLD…), SIGPIPE (which
 * node ignores), and SIGUSR1, which is never re-raised because node may answer
 * it by opening the inspector port instead of dying.
 *
 * Call it last, once nothing else needs doing; it is not meant for signal
 * handlers.
 *
 * @param result - what {@link runChild} returned
 * @returns the exit code to use, if envcrypt is still alive
 */
export async function reraise(result: ChildResult): Promise<number> {
  if ('code' in result) return result.code;
  const { signal } = result;
  const number = (builtin<typeof import('node:os')>('node:os').constants.signals as Partial<Record<string, number>>)[signal];
  if (number === undefined) return 1;
  if (signal !== 'SIGUSR1') {
    process.removeAllListeners(signal);
    try {
      process.kill(process.pid, signal);
    } catch {
      // Nothing to do: the exit code below says what happened.
    }
    // Delivery to ourselves may land on another thread; give it a moment.
    await new Promise((r) => setTimeout(r, RERAISE_GRACE_MS));
  }
  return 128 + number;
}

// Node rejects NUL bytes with a message that quotes the value; check first so
// that a secret in the environment never ends up in an error.
function checkNoNul(opts: RunChildOptions): void {
  if (opts.command.includes('\0')) throw new EnvcryptError('USAGE', 'the command contains a NUL byte');
  opts.args.forEach((arg, i) => {
    if (arg.includes('\0')) throw new EnvcryptError('USAGE', `argument ${i + 1} of the command contains a NUL byte`);
  });
  for (const [key, value] of Object.entries(opts.env)) {
    if (key.includes('\0') || (value?.includes('\0') ?? false)) {
      throw new EnvcryptError('USAGE', `environment variable ${key.replaceAll('\0', '\\0')} contains a NUL byte`, {
        hints: ['a decrypted value cannot be passed through the environment if it contains a NUL byte'],
      });
    }
  }
}

// Map a failed start to the shell's vocabulary and exit codes. Only system errors (ENOENT,
// E2BIG…) are kept as the cause: their text names the file, not the input.
function spawnError(err: unknown, command: string): EnvcryptError {
  const code = (err as { code?: unknown } | null)?.code;
  const sysCode = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
  const cause = sysCode === undefined ? {} : { cause: err };
  switch (sysCode) {
    case 'ENOENT':
      return new EnvcryptError('CMD_NOT_FOUND', `command not found: ${command}`, cause);
    case 'EACCES':
      return new EnvcryptError('CMD_NOT_EXECUTABLE', `command not executable: ${command}`, cause);
    case 'ENOEXEC':
      return new EnvcryptError('CMD_NOT_EXECUTABLE', `command not executable: ${command}: unknown file format`, {
        ...cause,
        hints: ['a script needs a first line such as "#!/bin/sh"'],
      });
    case 'E2BIG':
      // 126 like a shell: the command was found but exec refused it.
      return new EnvcryptError('CMD_NOT_EXECUTABLE', `could not start ${command}: the arguments and environment are too large`, cause);
    default:
      return new EnvcryptError('IO', `could not start ${command}: ${sysCode ?? 'invalid spawn options'}`, cause);
  }
}
