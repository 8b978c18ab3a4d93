/**
 * The terminal side of `envcrypt edit` and `envcrypt set`: which editor to
 * run and how, the "reopen the editor?" question, and hidden input. The
 * decisions live in `api/edit.ts`; this file only talks to processes and
 * the terminal.
 */
import { closeSync, openSync } from 'node:fs';
import { isatty, ReadStream } from 'node:tty';
import { EnvcryptError } from '../errors.js';
import { splitCommand } from '../keys/shell-split.js';
import { runChild } from '../exec/spawn.js';
import { which } from '../exec/which.js';
import type { Io } from './output.js';
import { renderError } from './render-error.js';

/** The variables naming an editor, in the order they are read. */
export const EDITOR_VARIABLES = ['ENVCRYPT_EDITOR', 'VISUAL', 'EDITOR'] as const;

/** Editors tried, in order, when none of {@link EDITOR_VARIABLES} is set. */
export const FALLBACK_EDITORS = ['vim', 'nano', 'vi'] as const;

/** An editor to run: the program, its arguments, and where it came from. */
export interface EditorCommand {
  command: string;
  args: string[];
  /** `ENVCRYPT_EDITOR`, `VISUAL`, `EDITOR` or `PATH`. */
  source: string;
}

function found(command: string, env: NodeJS.ProcessEnv): boolean {
  try {
    which(command, env);
    return true;
  } catch {
    return false;
  }
}

/**
 * Choose the editor: `$ENVCRYPT_EDITOR`, else `$VISUAL`, else `$EDITOR`
 * (the first that is set and not blank, split like a shell would split it,
 * so `code --wait` works), else the first of vim, nano, vi on `PATH`. A set
 * variable naming a missing program is an error, not a reason to try the next.
 *
 * @throws EnvcryptError `IO` (exit 1) listing what was tried
 */
export function resolveEditor(env: NodeJS.ProcessEnv): EditorCommand {
  const tried: string[] = [];
  for (const name of EDITOR_VARIABLES) {
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      tried.push(`${name} (unset)`);
      continue;
    }
    const [command, ...args] = splitCommand(value);
    if (command !== undefined && found(command, env)) return { command, args, source: name };
    throw new EnvcryptError('IO', `editor not found: ${command ?? value} (from ${name})`, {
      hints: [`tried ${[...tried, `${name}=${value}`].join(', ')}`, `install it, or point ${name} at an installed editor, e.g. ${name}="code --wait"`],
    });
  }
  for (const command of FALLBACK_EDITORS) if (found(command, env)) return { command, args: [], source: 'PATH' };
  throw new EnvcryptError('IO', 'no editor found', {
    hints: [`tried ${tried.join(', ')}, then ${FALLBACK_EDITORS.join(', ')} on PATH (none found)`, 'set ENVCRYPT_EDITOR, VISUAL or EDITOR, e.g. ENVCRYPT_EDITOR="code --wait"'],
  });
}

/**
 * A `runEditor` for `editFile`: runs the editor with the temp file as its
 * last argument and inherited stdio; resolves when it exits with status 0.
 * If envcrypt exits while the editor runs (a signal), the editor is sent
 * SIGTERM rather than left behind.
 *
 * @param file - the encrypted file, named in errors
 */
export function editorRunner(editor: EditorCommand, env: NodeJS.ProcessEnv, file: string): (path: string) => Promise<void> {
  return async (path) => {
    let pid: number | undefined;
    const stop = (): void => {
      if (pid === undefined) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    process.on('exit', stop);
    let result;
    try {
      result = await runChild({ command: editor.command, args: [...editor.args, path], env, onSpawn: (p) => void (pid = p) });
    } finally {
      pid = undefined;
      process.removeListener('exit', stop);
    }
    if ('signal' in result) throw new EnvcryptError('IO', `the editor was killed by ${result.signal}; ${file} was not changed`, { file });
    if (result.code !== 0) {
      throw new EnvcryptError('IO', `the editor exited with status ${result.code}; ${file} was not changed`, {
        file,
        hints: ['an editor exits with an error to abandon an edit (":cq" in vim)'],
      });
    }
  };
}

/** True when questions can be asked: stdin and stderr are terminals. */
export function canPrompt(io: Io): boolean {
  return io.stdinIsTTY && isatty(2);
}

/**
 * Read keys from the controlling terminal in raw mode (so nothing is echoed
 * and Ctrl-C arrives as a byte), one chunk at a time, until `onData` returns
 * a result. The terminal is restored, also if the process exits meanwhile.
 */
export function readRaw<T>(onData: (chunk: Buffer) => T | undefined, prompt: () => void): Promise<T> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch (cause) {
    return Promise.reject(new EnvcryptError('IO', 'cannot open the terminal to ask', { cause }));
  }
  const input = new ReadStream(fd);
  const restore = (): void => {
    if (input.isRaw) input.setRawMode(false);
  };
  process.once('exit', restore);
  input.setRawMode(true);
  // Only now: a key typed as soon as the prompt shows must not be echoed.
  prompt();
  return new Promise<T>((resolve) => {
    input.on('data', (chunk: Buffer) => {
      const result = onData(chunk);
      if (result === undefined) return;
      restore();
      process.removeListener('exit', restore);
      input.destroy();
      resolve(result);
    });
  });
}

/**
 * A `confirmReopen` for `editFile`: print the error, then wait for Enter
 * (reopen) or Ctrl-C / Ctrl-D / q (give up).
 */
export async function askReopen(io: Io, err: EnvcryptError): Promise<boolean> {
  renderError(io, err);
  const answer = await readRaw((chunk) => {
    for (const b of chunk) {
      if (b === 0x0d || b === 0x0a) return true;
      if (b === 0x03 || b === 0x04 || b === 0x71) return false;
    }
    return undefined;
  }, () => io.stderr('envcrypt: press Enter to reopen the editor, Ctrl-C to abort '));
  io.stderr('\n');
  return answer;
}

/** Line-editing state for {@link readHidden}. */
interface Hidden {
  bytes: number[];
  /** Inside an escape sequence (arrow keys…), which is dropped. */
  escape: boolean;
}

/** Handle one byte of hidden input; returns 'done', 'cancel' or undefined to go on. */
function hiddenByte(st: Hidden, b: number): 'done' | 'cancel' | undefined {
  if (st.escape) {
    // A CSI sequence ends with a byte in @–~; ESC + one other byte is a short sequence.
    if (b >= 0x40 && b <= 0x7e && b !== 0x5b) st.escape = false;
    return undefined;
  }
  if (b === 0x0d || b === 0x0a || (b === 0x04 && st.bytes.length === 0)) return 'done';
  if (b === 0x03) return 'cancel';
  if (b === 0x1b) st.escape = true;
  else if (b === 0x7f || b === 0x08) {
    // Drop one whole UTF-8 character: continuation bytes, then the lead byte.
    while (st.bytes.length > 0 && ((st.bytes[st.bytes.length - 1]! & 0xc0) === 0x80)) st.bytes.pop();
    st.bytes.pop();
  } else if (b === 0x15) st.bytes.length = 0;
  else if (b >= 0x20 || b === 0x09) st.bytes.push(b);
  return undefined;
}

/**
 * Ask for a secret on the terminal without echoing it. Backspace and Ctrl-U
 * edit, Enter ends, Ctrl-C cancels.
 *
 * @param prompt - written to stderr as is
 * @throws EnvcryptError `REFUSED` when cancelled with Ctrl-C; `IO` without a terminal
 */
export async function readHidden(io: Io, prompt: string): Promise<string> {
  const st: Hidden = { bytes: [], escape: false };
  const how = await readRaw(
    (chunk) => {
      for (const b of chunk) {
        const r = hiddenByte(st, b);
        if (r !== undefined) return r;
      }
      return undefined;
    },
    () => io.stderr(prompt),
  );
  io.stderr('\n');
  if (how === 'cancel') throw new EnvcryptError('REFUSED', 'cancelled; nothing was written');
  return Buffer.from(st.bytes).toString('utf8');
}


/**
 * True when a passphrase can be asked for as age asks it: on the
 * controlling terminal (`/dev/tty`), with stderr a terminal to show the
 * prompt on. stdin may be a pipe.
 */
export function canAskPassphrase(): boolean {
  if (!isatty(2)) return false;
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

/** Ask for an SSH key's passphrase on the terminal, without echo. */
export function askSshPassphrase(io: Io, source: string): Promise<string> {
  return readHidden(io, `envcrypt: passphrase for ssh key ${source}: `);
}
