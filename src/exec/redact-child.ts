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

import type { Readable, Writable } from 'node:stream';
import { isTerminal } from '../io/terminal.js';
import { createRedactor, type Redactor } from './redact.js';
import { runChild, type ChildResult, type reraise, type RunChildOptions } from './spawn.js';

/** Options for {@link runChildRedacted}. */
export interface RunChildRedactedOptions extends Omit<RunChildOptions, 'pipeOutput'> {
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
  const force = opts.forceColor ?? (opts.stdout === undefined && opts.stderr === undefined && isTerminal(1) && isTerminal(2));
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  // Built before anything starts: one redactor per stream, as each keeps the
  // bytes it holds back between writes.
  const outRedactor = createRedactor(opts.secrets);
  const errRedactor = createRedactor(opts.secrets);
  return runChild({
    command: opts.command,
    args: opts.args,
    env: withForcedColor(opts.env, force),
    shell: opts.shell,
    onSpawn: opts.onSpawn,
    pipeOutput: async (child) => {
      // stdio is ['inherit', 'pipe', 'pipe'] when pipeOutput is given.
      await Promise.all([forward(child.stdout!, outRedactor, out), forward(child.stderr!, errRedactor, err)]);
    },
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
