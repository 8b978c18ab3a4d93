import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { EnvcryptError } from '../errors.js';

/**
 * The largest input file read by default: 64 MiB. Far above any secrets file
 * (a big Kubernetes manifest is a few hundred KiB; an encrypted file is
 * 1.4–2.5× its plaintext), and low enough that a command holding the file
 * several times over (bytes, text, trees, output) stays well inside node's
 * default heap. `ENVCRYPT_MAX_INPUT_BYTES` raises (or lowers) it.
 */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** The variable that sets the input cap, in bytes. */
export const MAX_INPUT_VAR = 'ENVCRYPT_MAX_INPUT_BYTES';

/** The explicit name of standard input, the one non-regular file read (still capped). */
const STDIN = '/dev/stdin';

/**
 * The input cap in force: `ENVCRYPT_MAX_INPUT_BYTES` when set, else
 * {@link DEFAULT_MAX_INPUT_BYTES}.
 *
 * @throws EnvcryptError `USAGE` when the variable is not a whole number of bytes above 0
 */
export function maxInputBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_INPUT_VAR];
  if (raw === undefined || raw === '') return DEFAULT_MAX_INPUT_BYTES;
  const n = /^[0-9]{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new EnvcryptError('USAGE', `${MAX_INPUT_VAR} must be a whole number of bytes above 0`, {
      hints: [`unset it for the default of ${DEFAULT_MAX_INPUT_BYTES} bytes (64 MiB), or set e.g. ${MAX_INPUT_VAR}=${2 * DEFAULT_MAX_INPUT_BYTES}`],
    });
  }
  return n;
}

/** What a file that is not a regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(path: string, st: Stats): EnvcryptError {
  const kind = kindOf(st);
  if (st.isDirectory()) return new EnvcryptError('USAGE', `${path} is a directory`, { file: path });
  return new EnvcryptError('USAGE', `${path} is ${kind}, not a regular file`, {
    file: path,
    hints: [`envcrypt reads regular files only; if ${path} is a symbolic link, check where it points ("ls -l ${path}"): a committed link can point at a device that never ends`],
  });
}

function readError(path: string, cause: unknown): EnvcryptError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new EnvcryptError('NOT_FOUND', `no such file: ${path}`, { cause, file: path });
  if (code === 'EISDIR') return new EnvcryptError('USAGE', `${path} is a directory`, { cause, file: path });
  return new EnvcryptError('IO', `cannot read ${path}: ${code ?? 'error'}`, { cause, file: path });
}

function tooBig(path: string, size: string, cap: number): EnvcryptError {
  return new EnvcryptError('UNSUPPORTED', `${path} is ${size} bytes, over the input limit of ${cap} bytes`, {
    file: path,
    hints: [`if the file really is this large, raise the limit: ${MAX_INPUT_VAR}=<bytes> (the default is ${DEFAULT_MAX_INPUT_BYTES}, 64 MiB)`],
  });
}

/** An input file opened for reading; the caller calls `close()`. */
export interface OpenInput {
  fd: number;
  /** fstat of the descriptor: what is read, whatever the path points at now. */
  stats: Stats;
  /** Close the descriptor (standard input, read through fd 0 itself, stays open). */
  close(): void;
}

/**
 * Standard input when `/dev/stdin` cannot be opened because it is a socket
 * (ENXIO on Linux), which is what a Node.js parent's piped stdin is: fd 0
 * is read as it is, and never closed.
 */
function stdinItself(cause: unknown): OpenInput | null {
  if ((cause as NodeJS.ErrnoException)?.code !== 'ENXIO') return null;
  return { fd: 0, stats: fstatSync(0), close: () => undefined };
}

/**
 * Open an input file: a regular file (a symbolic link to one is followed),
 * or standard input when named `/dev/stdin` explicitly.
 *
 * A FIFO, device or socket is refused before it is opened (opening one can
 * block, or act on a device) and again on the opened descriptor, which is
 * what the caller reads: one swapped in between is refused, never read.
 *
 * @throws EnvcryptError `NOT_FOUND`; `USAGE` for a directory, FIFO, device
 *   or socket; `IO` for other failures
 */
export function openInput(path: string): OpenInput {
  const stdin = path === STDIN;
  if (!stdin) {
    let st: Stats;
    try {
      st = statSync(path);
    } catch (cause) {
      throw readError(path, cause);
    }
    if (!st.isFile()) throw notRegular(path, st);
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in after the check opens at once instead of
    // waiting for a writer, and is then refused below. Not for stdin, which
    // is read as it is. O_NOCTTY: a terminal never becomes ours.
    fd = openSync(path, constants.O_RDONLY | (stdin ? 0 : (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)));
  } catch (cause) {
    const itself = stdin ? stdinItself(cause) : null;
    if (itself) return itself;
    throw readError(path, cause);
  }
  try {
    const stats = fstatSync(fd);
    if (!stdin && !stats.isFile()) throw notRegular(path, stats);
    const opened = fd;
    return { fd, stats, close: () => closeSync(opened) };
  } catch (e) {
    closeSync(fd);
    throw e instanceof EnvcryptError ? e : readError(path, e);
  }
}

/**
 * Read an input file's bytes (see {@link openInput} for which files): at
 * most {@link maxInputBytes} of them. No more than cap + 1 bytes are ever
 * read, so neither a file that grows nor one whose size says nothing (a
 * pipe on stdin) can make the read go on.
 *
 * @throws EnvcryptError as {@link openInput}; `UNSUPPORTED` over the cap
 */
export function readInputFile(path: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const cap = maxInputBytes(env);
  const { fd, stats, close } = openInput(path);
  try {
    const regular = stats.isFile();
    if (regular && stats.size > cap) throw tooBig(path, String(stats.size), cap);
    const buf = readUpTo(fd, cap + 1, regular ? stats.size : 64 * 1024, path);
    if (buf.length > cap) throw tooBig(path, regular ? `at least ${cap + 1}` : `more than ${cap}`, cap);
    return buf;
  } finally {
    close();
  }
}

/**
 * Read from the descriptor's offset until end of file or `limit` bytes,
 * whichever comes first. `expected` (the size fstat gave) sizes the first
 * read, so a regular file takes one buffer and a read that finds its end.
 */
function readUpTo(fd: number, limit: number, expected: number, path: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let size = Math.min(limit, expected + 1);
  while (total < limit) {
    const chunk = Buffer.allocUnsafe(Math.min(limit - total, size));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (cause) {
      throw readError(path, cause);
    }
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
    // A short read usually means the end: probe it with a small (pooled) buffer.
    size = n === chunk.length ? 64 * 1024 : 4095;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * Read a text input file (see {@link readInputFile} for what is read and
 * refused), turning I/O failures into envcrypt errors that name the file.
 *
 * @throws EnvcryptError as {@link readInputFile}; `PARSE` for a file with a NUL byte
 */
export function readTextFile(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const buf = readInputFile(path, env);
  if (buf.includes(0)) {
    throw new EnvcryptError('PARSE', `${path} is a binary file`, { file: path, hints: ['envcrypt reads .env, YAML and JSON text files'] });
  }
  return buf.toString('utf8');
}

/**
 * Read an input file that must come back byte for byte as text (the binary
 * store's whole-file value): any UTF-8, NUL bytes included; other bytes are
 * refused, since decoding them would replace them silently.
 *
 * @throws EnvcryptError as {@link readInputFile}; `UNSUPPORTED` for bytes that are not UTF-8
 */
export function readExactText(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const buf = readInputFile(path, env);
  if (!isUtf8(buf)) {
    throw new EnvcryptError('UNSUPPORTED', `${path} is not UTF-8 text, so envcrypt cannot store it byte for byte`, {
      file: path,
      hints: ['envcrypt values are UTF-8 text (PEM keys, kubeconfigs and JSON are); encode other bytes first, e.g. base64 FILE > FILE.b64'],
    });
  }
  return buf.toString('utf8');
}

/**
 * Read the first `want` bytes of an open file: fewer when the file ends
 * sooner (it may have shrunk since it was measured).
 */
export function readPrefix(fd: number, want: number): Buffer {
  const buf = Buffer.allocUnsafe(want);
  let got = 0;
  while (got < want) {
    // Positional reads: the result does not depend on the descriptor's offset.
    const n = readSync(fd, buf, got, want - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The first `want` bytes of the file at `path` as text, for telling its
 * format from its content; null when it cannot be read (the command's own
 * read then reports why).
 */
export function readPrefixOf(path: string, want: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readPrefix(fd, want).toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** How much of a file {@link isBinary} looks at, as git does. */
export const BINARY_SNIFF_BYTES = 8192;

/** True when the buffer looks binary: a NUL byte in its first {@link BINARY_SNIFF_BYTES} bytes (git's test). */
export function isBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}
