/** Writers for the CLI's one voice: `envcrypt: error|hint|warning: …` on stderr. */
import { isTerminal } from '../io/terminal.js';

/** Where CLI text goes; injected so tests and the library can capture it. */
export interface Io {
  stdout: (s: string | Uint8Array) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
}

/** The real process streams. */
export function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    env: process.env,
    // isatty(fd), not process.stdin.isTTY: creating the stdin stream would put
    // a piped stdin into non-blocking mode, and an exec child shares it.
    // Getters: exec never asks, so it never loads node:tty.
    get stdoutIsTTY() {
      return isTerminal(1);
    },
    get stdinIsTTY() {
      return isTerminal(0);
    },
  };
}

/** Print an error line. */
export function error(io: Io, msg: string): void {
  io.stderr(`envcrypt: error: ${msg}\n`);
}

/** Print a hint line. */
export function hint(io: Io, msg: string): void {
  io.stderr(`envcrypt: hint: ${msg}\n`);
}

/** Print a warning line. */
export function warning(io: Io, msg: string): void {
  io.stderr(`envcrypt: warning: ${msg}\n`);
}

/** Print a neutral note (progress, "file has not changed"). */
export function note(io: Io, msg: string): void {
  io.stderr(`envcrypt: ${msg}\n`);
}
