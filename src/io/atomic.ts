import { closeSync, constants, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { resolveWriteTarget } from './symlink.js';

/** Temp files not yet renamed into place; removed if the process exits early. */
const pending = new Set<string>();

/** Remove temp files left by an interrupted write (called on exit and on signals). */
export function cleanupPendingWrites(): void {
  for (const p of pending) {
    try {
      unlinkSync(p);
    } catch {
      /* already gone */
    }
  }
  pending.clear();
}
process.once('exit', cleanupPendingWrites);

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Mode for a new file (an existing file keeps its own mode). */
  mode?: number;
  /** Mode even when the file exists (plaintext outputs force 0600). */
  forceMode?: number;
}

/**
 * Write `data` to `path` so that a crash leaves either the old or the new
 * file, never a torn one: a temp file in the same directory, fsync, rename,
 * then fsync of the directory.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const path = resolveWriteTarget(target);
  let mode = opts.forceMode ?? opts.mode ?? 0o666;
  if (opts.forceMode === undefined) {
    try {
      mode = statSync(path).mode & 0o7777;
    } catch {
      /* a new file */
    }
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.envcrypt-${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    // O_EXCL: never write through a file an attacker pre-created at that name.
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    pending.add(tmp);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    pending.delete(tmp);
    syncDir(dir);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    if (pending.delete(tmp)) {
      try {
        unlinkSync(tmp);
      } catch {
        /* best effort */
      }
    }
    throw new EnvcryptError('IO', `cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause, file: path });
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    /* some filesystems refuse to fsync a directory; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
