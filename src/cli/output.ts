/**
 * Writers for the CLI's one voice: `envcrypt: error|hint|warning: …` on
 * stderr, and human-readable reports on stdout. Both show names a pusher
 * wrote (recipients from a file's metadata, file names, rule paths), so
 * every line goes out with its control characters escaped: one writer here,
 * rather than a guard at each message that quotes such a name.
 */
import { escapeControls } from '../io/escape.js';
import { isTerminal } from '../io/terminal.js';

/** One-line escaping of a name read from a file, for a report's item (command handlers reach io/ only through here). */
export { escapeLine } from '../io/escape.js';

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
  io.stderr(`envcrypt: error: ${escapeControls(msg)}\n`);
}

/** Print a hint line. */
export function hint(io: Io, msg: string): void {
  io.stderr(`envcrypt: hint: ${escapeControls(msg)}\n`);
}

/** Print a warning line. */
export function warning(io: Io, msg: string): void {
  io.stderr(`envcrypt: warning: ${escapeControls(msg)}\n`);
}

/** Print a neutral note (progress, "file has not changed"). */
export function note(io: Io, msg: string): void {
  io.stderr(`envcrypt: ${escapeControls(msg)}\n`);
}

/**
 * Print a human-readable report (`status`, `recipients list`, `check`) on
 * stdout, its control characters escaped whether or not stdout is a
 * terminal: a report is read, not processed (`--json` gives the exact text).
 */
export function report(io: Io, text: string): void {
  io.stdout(escapeControls(text));
}
