/**
 * The git history of files, for `envcrypt audit`: every version of each file
 * along the first-parent history of a revision, renames followed, with the
 * commit, date and author of each, and the blobs read through one
 * `git cat-file --batch`.
 *
 * Why first-parent: the question audit answers is "what did this branch hold,
 * and since when". On the first-parent line a merge commit is one step, and
 * its change to a file (against its first parent) is what the merge brought
 * in, so a file rewritten by a merge (including one resolved by hand or by the
 * merge driver) is a version like any other. Plain `git log --name-status`
 * shows no change at all for merges, which would miss exactly those. The side
 * branch's own intermediate commits are not walked (see the README).
 */
import { git, readBlobs } from './git.js';

/** A commit as audit reports it. */
export interface CommitInfo {
  sha: string;
  /** Author date, seconds since the epoch. */
  date: number;
  author: string;
  email: string;
  /** True for a merge commit (more than one parent). */
  merge: boolean;
}

/** One version of a file: the commit that wrote it, the path it had then, and its blob. */
export interface FileVersion {
  commit: CommitInfo;
  path: string;
  blob: string;
  /** How the commit changed the file: `A` added, `M` modified, `R` renamed (maybe modified too), `T` retyped. */
  status: 'A' | 'M' | 'R' | 'T';
  /** For `R`: the path before. */
  from?: string;
}

/** The versions of one file, oldest first. */
export interface FileHistory {
  /** Path at the revision walked, relative to the top, `/`-separated. */
  path: string;
  versions: FileVersion[];
}

interface RawChange {
  status: string;
  blob: string;
  path: string;
  from?: string;
}

/** Parse `git log -z --raw --format=%x01%H%x00%at%x00%an%x00%ae%x00%P` output, newest first. */
export function parseLog(out: string): { commit: CommitInfo; changes: RawChange[] }[] {
  const commits: { commit: CommitInfo; changes: RawChange[] }[] = [];
  for (const record of out.split('\x01')) {
    if (record === '') continue;
    const f = record.split('\0');
    const [sha, at, author, email, parents] = f;
    const commit: CommitInfo = { sha: sha!, date: Number(at), author: author!, email: email!, merge: (parents ?? '').trim().split(' ').filter(Boolean).length > 1 };
    const changes: RawChange[] = [];
    for (let i = 5; i < f.length; i++) {
      const meta = f[i]!.replace(/^\n/, '');
      if (!meta.startsWith(':')) continue;
      const parts = meta.split(' ');
      const status = parts[4] ?? '';
      const blob = parts[3] ?? '';
      if (status.startsWith('R') || status.startsWith('C')) {
        changes.push({ status: status[0]!, blob, from: f[i + 1]!, path: f[i + 2]! });
        i += 2;
      } else {
        changes.push({ status: status[0]!, blob, path: f[i + 1]! });
        i += 1;
      }
    }
    commits.push({ commit, changes });
  }
  return commits;
}

/**
 * The history of each of `paths` (relative to `top`, as they are at `rev`)
 * along the first-parent history of `rev`: one `git log` for all of them,
 * renames followed (`-M`), merge commits diffed against their first parent.
 * A file's history starts at the commit that added it (under its first name).
 */
export function fileHistories(top: string, paths: readonly string[], rev = 'HEAD'): FileHistory[] {
  const out = git(['log', '--first-parent', '--diff-merges=first-parent', '-M', '--raw', '-z', '--no-abbrev', '--format=%x01%H%x00%at%x00%an%x00%ae%x00%P', rev, '--'], top);
  const histories = paths.map((path): FileHistory => ({ path, versions: [] }));
  // Walking back in time: the name each file had at the commit being looked at.
  const byName = new Map<string, FileHistory>(histories.map((h) => [h.path, h]));
  for (const { commit, changes } of parseLog(out)) {
    if (byName.size === 0) break;
    const renames: [string, string, FileHistory][] = [];
    for (const c of changes) {
      const h = byName.get(c.path);
      if (!h || c.status === 'D' || c.status === 'C') continue;
      const status = c.status as FileVersion['status'];
      h.versions.push({ commit, path: c.path, blob: c.blob, status, ...(c.from !== undefined ? { from: c.from } : {}) });
      if (status === 'A') byName.delete(c.path);
      else if (status === 'R') renames.push([c.path, c.from!, h]);
    }
    // After the whole commit: a rename a→b and a new a in one commit must not mix up.
    for (const [to] of renames) byName.delete(to);
    for (const [, from, h] of renames) byName.set(from, h);
  }
  for (const h of histories) h.versions.reverse();
  return histories;
}

/**
 * The content of every version, in order, read with one `git cat-file
 * --batch` for all of them; a blob larger than `cap` bytes (or missing, in a
 * shallow clone) is null.
 */
export async function readVersions(top: string, versions: readonly FileVersion[], cap: number): Promise<(Buffer | null)[]> {
  const out: (Buffer | null)[] = [];
  for await (const b of readBlobs(top, versions.map((v) => v.blob), cap)) out.push(b.data === null || b.size > cap ? null : b.data);
  return out;
}
