/**
 * `envcrypt exec --redact`: run the command like {@link runChild}, but with
 * its stdout and stderr passed through a {@link createRedactor} each, so that
 * decrypted values printed by the command show as `[REDACTED:KEY]`.
 *
 * What changes for the command compared with {@link runChild}:
 * - Its stdout and stderr are pipes, not a terminal. Programs that check
 *   for a TTY turn colours off (unless `FORCE_COLOR` says otherwise, see
 *   {@link withForcedColor}), stop drawing progress bars, and may buffer
 *   their output in blocks instead of lines (C stdio, Python: use
 *   `stdbuf -oL` or `PYTHONUNBUFFERED=1`).
 * - Bytes that could be the start of a value are held back until the next
 *   write decides them, or the stream ends; there is no timeout, since
 *   releasing them early would leak a value written in two pieces. So a
 *   prompt that ends with the first characters of a value shows late.
 * - stdin is still inherited, and what the command writes to `/dev/tty` or
 *   to files is not redacted.
 * - envcrypt returns once the command has exited **and** both pipes have
 *   closed, so a background process that keeps them open delays it, as it
 *   would delay `cmd | cat`.
 * Signals are handled exactly as by {@link runChild}.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { EnvcryptError } from '../errors.js';
import { createRedactor, type Redactor } from './redact.js';
import { FORWARDED_SIGNALS, inForegroundGroup, shouldForward, type ChildResult, type reraise, type runChild, type RunChildOptions } from './spawn.js';
import { which } from './which.js';

/** Options for {@link runChildRedacted}. */
export interface RunChildRedactedOptions extends RunChildOptions {
  /** The values to hide (key → value), normally every decrypted value. */
  secrets: Readonly<Record<string, string>>;
  /** Where the command's redacted stdout goes. @defaultValue `process.stdout` */
  stdout?: Writable;
  /** Where the command's redacted stderr goes. @defaultValue `process.stderr` */
  stderr?: Writable;
  /**
   * Set `FORCE_COLOR=1` for the command (see {@link withForcedColor}).
   * @defaultValue true when envcrypt's own stdout and stderr are both
   *   terminals and neither `stdout` nor `stderr` is given
   */
  forceColor?: boolean;
}

/**
 * The command's environment with `FORCE_COLOR=1` added when `force` is set,
 * so that programs using the common `FORCE_COLOR` convention (chalk,
 * supports-color, node, npm…) keep their colours on the pipe. It is never
 * added over the user's choice: not when `FORCE_COLOR` is already set (to
 * anything, `0` included) or `NO_COLOR` is set and not empty. envcrypt asks
 * for it only when its own stdout and stderr are both terminals, so colour
 * codes never end up in a redirected file.
 */
export function withForcedColor(env: NodeJS.ProcessEnv, force: boolean): NodeJS.ProcessEnv {
  if (!force || env.FORCE_COLOR !== undefined || (env.NO_COLOR ?? '') !== '') return env;
  return { ...env, FORCE_COLOR: '1' };
}

/**
 * Run a command with its stdout and stderr redacted (see the module
 * comment) and wait until it has ended and all its output has been written.
 * Pass the result to {@link reraise}, as for {@link runChild}.
 *
 * When envcrypt's own stdout or stderr breaks (the reader went away), the
 * matching pipe from the command is closed too, so the command's next write
 * fails, as it would without envcrypt (with `ECONNRESET` or `EPIPE`/`SIGPIPE`:
 * node's pipes to a child are socket pairs).
 *
 * @returns the command's exit code, or the signal that killed it
 * @throws {@link EnvcryptError} before anything runs, with the codes of {@link runChild}
 */
export async function runChildRedacted(opts: RunChildRedactedOptions): Promise<ChildResult> {
  checkNoNul(opts);
  const file = which(opts.shell === true ? '/bin/sh' : opts.command, opts.env);
  const argv = opts.shell === true ? ['-c', opts.command, 'sh', ...opts.args] : opts.args;
  const argv0 = opts.shell === true ? 'sh' : opts.command;
  const force = opts.forceColor ?? (opts.stdout === undefined && opts.stderr === undefined && isatty(1) && isatty(2));
  const env = withForcedColor(opts.env, force);
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;

  return new Promise<ChildResult>((resolveResult, reject) => {
    let child: ChildProcess | undefined;
    const relay = (signal: NodeJS.Signals): void => {
      if (child === undefined) return;
      if (shouldForward(signal, GROUP_DELIVERED.has(signal) && inForegroundGroup())) child.kill(signal);
    };
    const unlisten = (): void => {
      for (const s of FORWARDED_SIGNALS) process.removeListener(s, relay);
    };
    for (const s of FORWARDED_SIGNALS) process.on(s, relay);

    try {
      child = spawn(file, argv, { stdio: ['inherit', 'pipe', 'pipe'], env, argv0 });
    } catch (e) {
      unlisten();
      reject(spawnError(e, opts.command));
      return;
    }
    const started = child;
    started.on('error', (e) => {
      if (started.pid !== undefined) return;
      unlisten();
      reject(spawnError(e, opts.command));
    });
    if (started.pid === undefined) return;
    const exited = new Promise<ChildResult>((resolve) => {
      started.once('exit', (code, signal) => {
        unlisten();
        resolve(signal !== null ? { signal } : { code: code ?? 1 });
      });
    });
    const copied = [
      forward(started.stdout!, createRedactor(opts.secrets), out),
      forward(started.stderr!, createRedactor(opts.secrets), err),
    ];
    opts.onSpawn?.(started.pid);
    Promise.all([exited, ...copied]).then(([result]) => resolveResult(result), reject);
  });
}

/**
 * Copy `from` through `r` to `to` with backpressure; resolves once `from`
 * has closed and every write to `to` has completed (or failed).
 */
function forward(from: Readable, r: Redactor, to: Writable): Promise<void> {
  return new Promise((resolve) => {
    let broken = false;
    let closed = false;
    let waiting = false;
    let pending = 0;
    const finish = (): void => {
      if (!closed || pending > 0) return;
      to.removeListener('error', onError);
      resolve();
    };
    const onError = (): void => {
      broken = true;
      from.destroy();
    };
    const write = (b: Buffer): void => {
      if (broken || b.length === 0) return;
      pending++;
      const ok = to.write(b, () => {
        pending--;
        finish();
      });
      if (!ok && !waiting) {
        waiting = true;
        from.pause();
        to.once('drain', () => {
          waiting = false;
          from.resume();
        });
      }
    };
    to.on('error', onError);
    from.on('data', (chunk: Buffer) => write(r.push(chunk)));
    from.on('end', () => write(r.flush()));
    from.on('error', () => {
      /* a read error ends the copy; 'close' follows */
    });
    from.on('close', () => {
      closed = true;
      finish();
    });
  });
}

// ---------------------------------------------------------------------------
// Copied from spawn.ts, which keeps them private. They belong there: see the
// report for the small refactor that lets this module reuse them.

const GROUP_DELIVERED: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT', 'SIGWINCH']);

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

// A failed start in the shell's vocabulary; only system errors are kept as the cause.
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
      return new EnvcryptError('CMD_NOT_EXECUTABLE', `could not start ${command}: the arguments and environment are too large`, cause);
    default:
      return new EnvcryptError('IO', `could not start ${command}: ${sysCode ?? 'invalid spawn options'}`, cause);
  }
}
