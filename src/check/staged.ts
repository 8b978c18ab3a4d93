/**
 * What is about to be committed: the staged files and their staged content,
 * read from the index (not the working tree) with one `git cat-file --batch`
 * ({@link readBlobs} in `repo/git.ts`).
 */
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
