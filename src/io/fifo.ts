/**
 * Named pipes for `envcrypt exec-file`: plaintext handed to a command through
 * a FIFO never rests in a file, not even in memory-backed `/dev/shm`.
 * Node has no `mkfifo`, so the `mkfifo` program makes one (its argv holds
 * only the path); the parent then writes into it.
 */
import { constants, openSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { EnvcryptError } from '../errors.js';
import { searchPath } from './path-search.js';
import { childProcess } from './builtin.js';

/**
 * Make a FIFO at `path` with mode 0600 (inside a private 0700 directory).
 *
 * @throws EnvcryptError `IO` when `mkfifo` is missing or fails
 */
export function makeFifo(path: string, env: NodeJS.ProcessEnv = process.env): void {
  // Looked up as every program envcrypt starts is (path-search.ts): a `mkfifo` committed to the
  // repository is never run from the current directory through an empty or relative PATH entry.
  const mkfifo = searchPath('mkfifo', env['PATH']).found;
  if (mkfifo === undefined) {
    throw new EnvcryptError('IO', 'could not make a FIFO: no mkfifo program on PATH', { hints: ['--no-fifo hands the command a 0600 file in a private directory instead'] });
  }
  const r = childProcess().spawnSync(mkfifo, ['-m', '600', path], { stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code ?? 'error') : `exit ${r.status ?? r.signal}`;
    throw new EnvcryptError('IO', `could not make a FIFO with mkfifo (${why})`, { hints: ['--no-fifo hands the command a 0600 file in a private directory instead'] });
  }
}

/** A FIFO being served by {@link serveFifoOnce}. */
export interface FifoServer {
  /** True once a reader opened the FIFO and the writing began. */
  readonly opened: boolean;
  /** Stop waiting for a reader, and stop writing to one that has not read everything. Idempotent. */
  stop(): void;
}

/** Polling for a reader: starts fast (a reader blocked in open() waits at most this), backs off to the maximum. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

/**
 * Write `text` to the first reader that opens the FIFO at `path`, then
 * unlink it, so the plaintext is delivered once and a second open fails
 * (ENOENT) instead of blocking forever. The open is polled without blocking
 * (`O_NONBLOCK` fails with ENXIO while there is no reader), so nothing hangs
 * when no reader ever comes: {@link FifoServer.stop} ends the wait. A reader
 * that stops early ends the writing quietly (EPIPE).
 */
export function serveFifoOnce(path: string, text: string | Uint8Array): FifoServer {
  let opened = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let socket: Socket | undefined;
  let delay = FIRST_POLL_MS;
  const attempt = (): void => {
    timer = undefined;
    if (stopped) return;
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENXIO') {
        timer = setTimeout(attempt, delay);
        delay = Math.min(delay * 2, MAX_POLL_MS);
      }
      // Any other error (the FIFO is gone): nothing to serve.
      return;
    }
    opened = true;
    try {
      unlinkSync(path);
    } catch {
      /* already gone: the reader has its descriptor either way */
    }
    // A pipe descriptor wrapped as a stream: writes wait for the reader without blocking the process.
    socket = new Socket({ fd, readable: false, writable: true });
    socket.on('error', () => socket?.destroy());
    socket.end(text);
  };
  attempt();
  return {
    get opened() {
      return opened;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      socket?.destroy();
    },
  };
}
