/**
 * What is about to be committed: the staged files and their staged content,
 * read from the index (not the working tree) with one `git cat-file --batch`.
 */
import { spawn } from 'node:child_process';
import { EnvcryptError } from '../errors.js';
import { git } from '../repo/git.js';

/** One staged file: its path (relative to the top, `/`-separated), mode and blob id. */
export interface StagedEntry {
  path: string;
  /** Octal mode as git prints it: `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  mode: string;
  blob: string;
}

/**
 * Files added, copied, modified or retyped in the index relative to HEAD
 * (every staged file before the first commit). Deletions are left out: they
 * add no content. Renames count as additions of the new path.
 */
export function stagedEntries(top: string): StagedEntry[] {
  const out = git(['diff', '--cached', '--raw', '-z', '--no-renames', '--no-abbrev', '--diff-filter=ACMRT'], top);
  const fields = out.split('\0');
  const entries: StagedEntry[] = [];
  // With -z each entry is ":oldmode newmode oldsha newsha status" then the path.
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!.split(' ');
    const path = fields[i + 1]!;
    if (meta.length < 5 || path === '') continue;
    entries.push({ path, mode: meta[1]!, blob: meta[3]! });
  }
  return entries;
}

/** One blob as read: its first `cap` bytes and its full size. */
export interface BlobContent {
  blob: string;
  /** The first bytes, at most the cap; null when git does not have the object. */
  data: Buffer | null;
  size: number;
}

/**
 * Stream blobs out of one `git cat-file --batch`, in the order given. Each
 * blob is kept only up to `cap` bytes and the rest is read and dropped, so a
 * huge staged file never sits in memory. The consumer's pace drives the read
 * (async iteration applies back-pressure to git's output).
 */
export async function* readBlobs(top: string, blobs: readonly string[], cap: number): AsyncGenerator<BlobContent> {
  if (blobs.length === 0) return;
  const child = spawn('git', ['cat-file', '--batch'], { cwd: top, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((res, rej) => {
    child.once('error', rej);
    child.once('close', (code) => res(code));
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(blobs.map((b) => `${b}\n`).join(''));
  let pending: Buffer = Buffer.alloc(0);
  let current: { blob: string; size: number; parts: Buffer[]; kept: number; left: number } | null = null;
  let index = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (current === null) {
          const nl = pending.indexOf(0x0a);
          if (nl < 0) break;
          const header = pending.subarray(0, nl).toString('utf8').split(' ');
          pending = pending.subarray(nl + 1);
          const blob = blobs[index++] ?? header[0]!;
          if (header[1] === 'missing' || header.length < 3) {
            yield { blob, data: null, size: 0 };
            continue;
          }
          const size = Number(header[2]);
          // The content is followed by one LF, consumed with it.
          current = { blob, size, parts: [], kept: 0, left: size + 1 };
        }
        if (pending.length === 0) break;
        const take = Math.min(current.left, pending.length);
        const room = Math.max(0, Math.min(take, cap - current.kept, current.size - current.kept));
        if (room > 0) {
          current.parts.push(Buffer.from(pending.subarray(0, room)));
          current.kept += room;
        }
        pending = pending.subarray(take);
        current.left -= take;
        if (current.left > 0) break;
        const done = current;
        current = null;
        yield { blob: done.blob, data: Buffer.concat(done.parts), size: done.size };
      }
    }
    finished = true;
  } finally {
    // The consumer stopped early (or threw): do not leave git running.
    if (!finished) child.kill();
  }
  const code = await exited;
  if (code !== 0 || index < blobs.length) {
    throw new EnvcryptError('IO', `git cat-file failed in ${top} (exit ${code ?? 'signal'})`, { hints: ['run "git status" to check the repository'] });
  }
}
