/**
 * All-or-nothing writes of several files, for repo-wide operations
 * (`recipients add|remove`, `rotate`).
 *
 * The caller prepares every file's new text in memory first, so any failure
 * while preparing writes nothing. {@link writeBatch} then checks that no file
 * changed since it was read, and replaces each file with
 * {@link writeFileAtomic} (temp file, fsync, rename, fsync of the directory).
 *
 * A crash or a failed write can still stop the batch between two files; it
 * cannot tear a file. So afterwards every file is either wholly its old
 * version or wholly its new one, and the error names which files were done.
 */
import { readFileSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/** One file of a batch. */
export interface PlannedWrite {
  /** Where to write. */
  path: string;
  /** The new content. */
  text: string;
  /**
   * The content the new text was computed from. The batch is refused when the
   * file no longer holds exactly this (someone changed it meanwhile).
   * Omit it to skip the check.
   */
  expected?: string;
}

/** Options for {@link writeBatch}. */
export interface BatchOptions {
  /** Called after each file is in place, in order. */
  onWritten?: (path: string) => void;
}

function currentText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // Missing or unreadable: it is not what we read, so it counts as changed.
    return undefined;
  }
}

function changedSinceRead(w: PlannedWrite): boolean {
  return w.expected !== undefined && currentText(w.path) !== w.expected;
}

/**
 * Test-only: `ENVCRYPT_TEST_ONLY_BATCH_PAUSE_MS` makes the batch wait that long
 * before each file, so that the crash-safety test can kill a batch part-way
 * often enough. Nothing else may set it.
 */
function testOnlyPause(): void {
  const ms = Number(process.env.ENVCRYPT_TEST_ONLY_BATCH_PAUSE_MS ?? 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function list(paths: readonly string[]): string {
  return paths.length ? paths.join(', ') : 'none';
}

/**
 * Write every planned file, in order, each atomically.
 *
 * Before anything is written, every `expected` is compared with the file on
 * disk, and each is compared again just before that file's rename.
 *
 * @returns the paths written, in order
 * @throws EnvcryptError `CONFLICT` when a file changed since it was read (before
 *   any write, nothing was written); `IO` (or `CONFLICT`) when a write fails
 *   part-way, with hints naming the files updated and the files left as they
 *   were
 */
export function writeBatch(writes: readonly PlannedWrite[], opts: BatchOptions = {}): string[] {
  const stale = writes.filter(changedSinceRead).map((w) => w.path);
  if (stale.length > 0) {
    throw new EnvcryptError('CONFLICT', `${list(stale)} changed while envcrypt was preparing the update; nothing was written`, {
      hints: ['run the command again'],
    });
  }
  const done: string[] = [];
  for (const [i, w] of writes.entries()) {
    testOnlyPause();
    try {
      if (changedSinceRead(w)) {
        throw new EnvcryptError('CONFLICT', `${w.path} changed while envcrypt was updating it`, { file: w.path });
      }
      writeFileAtomic(w.path, w.text);
    } catch (cause) {
      const rest = writes.slice(i).map((x) => x.path);
      const reason = cause instanceof EnvcryptError ? cause.message : 'unexpected error';
      throw new EnvcryptError(
        cause instanceof EnvcryptError && cause.code === 'CONFLICT' ? 'CONFLICT' : 'IO',
        `stopped after updating ${done.length} of ${writes.length} files: ${reason}`,
        {
          cause,
          file: w.path,
          hints: [
            `updated: ${list(done)}`,
            `not updated (still the old version): ${list(rest)}`,
            'each file is whole, either its old or its new version; fix the cause and run the command again to finish',
          ],
        },
      );
    }
    done.push(w.path);
    opts.onWritten?.(w.path);
  }
  return done;
}
