/**
 * Which files `envcrypt check` looks at, and how git sees each one, found
 * with a handful of git processes for the whole run (never one per file).
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { gitTopLevel, listFiles } from '../repo/git.js';
import { ignoredPaths } from '../repo/gitignore.js';
import { stagedEntries } from './staged.js';
import { walkFiles } from '../repo/walk.js';

/** How git sees a file: what decides whether a plaintext `.env` is at risk. */
export type GitState = 'tracked' | 'untracked' | 'ignored' | 'staged' | 'no-git';

/** One file to check. */
export interface Target {
  /** Absolute path in the working tree. */
  abs: string;
  /** Relative to the scan root (the git top level, else the working directory), `/`-separated. */
  rel: string;
  git: GitState;
  /** Staged mode: the blob to read instead of the working tree file. */
  blob?: string;
}

/** The files to check and where they were found. */
export interface TargetSet {
  targets: Target[];
  /** The git top level, or null outside git. */
  top: string | null;
}

/** Options for {@link findTargets}. */
export interface TargetOptions {
  cwd: string;
  /** Files and directories named on the command line. */
  paths?: readonly string[];
  /** Check what is staged for commit (content from the index). */
  staged?: boolean;
}

function slash(p: string): string {
  return sep === '\\' ? p.replaceAll('\\', '/') : p;
}

/** `abs` relative to `top`, or null when it is outside. */
function inside(top: string, abs: string): string | null {
  const rel = relative(top, abs);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return slash(rel);
}

function statPath(abs: string, given: string): Stats {
  try {
    return lstatSync(abs);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EnvcryptError('NOT_FOUND', `no such file or directory: ${given}`, { cause, file: given });
    throw new EnvcryptError('IO', `cannot read ${given}: ${code ?? 'error'}`, { cause, file: given });
  }
}

function stagedTargets(top: string, cwd: string, paths: readonly string[]): Target[] {
  // Only named prefixes, when paths are given; symbolic links and submodules carry no file content.
  const prefixes = paths.map((p) => inside(top, resolve(cwd, p)));
  return stagedEntries(top)
    .filter((e) => e.mode === '100644' || e.mode === '100755')
    .filter((e) => prefixes.length === 0 || prefixes.some((p) => p !== null && (p === '' || e.path === p || e.path.startsWith(`${p}/`))))
    .map((e) => ({ abs: join(top, e.path), rel: e.path, git: 'staged', blob: e.blob }));
}

function repoTargets(top: string): Target[] {
  const tracked = listFiles(top, 'tracked').map((rel): Target => ({ abs: join(top, rel), rel, git: 'tracked' }));
  const untracked = listFiles(top, 'untracked').map((rel): Target => ({ abs: join(top, rel), rel, git: 'untracked' }));
  return [...tracked, ...untracked];
}

function namedTargets(top: string | null, cwd: string, paths: readonly string[]): Target[] {
  const out: Target[] = [];
  const gitFiles: string[] = [];
  const gitDirs: string[] = [];
  for (const given of paths) {
    const abs = resolve(cwd, given);
    const st = statPath(abs, given);
    // Named symbolic links are not followed either: the link itself holds no content to leak.
    if (st.isSymbolicLink()) continue;
    const rel = top === null ? null : inside(top, abs);
    if (rel === null) {
      // Outside git (or outside this repository): paths are relative to the working directory.
      const files = st.isDirectory() ? walkFiles(abs).map((r) => join(abs, r)) : st.isFile() ? [abs] : [];
      for (const f of files) out.push({ abs: f, rel: slash(relative(cwd, f)), git: 'no-git' });
    } else if (st.isDirectory()) gitDirs.push(rel);
    else if (st.isFile()) gitFiles.push(rel);
  }
  if (top === null || gitFiles.length + gitDirs.length === 0) return out;
  const tracked = listFiles(top, 'tracked');
  const trackedSet = new Set(tracked);
  for (const dir of gitDirs) {
    for (const rel of tracked) if (dir === '' || rel.startsWith(`${dir}/`)) out.push({ abs: join(top, rel), rel, git: 'tracked' });
  }
  if (gitDirs.length > 0) {
    for (const rel of listFiles(top, 'untracked', gitDirs.map((d) => (d === '' ? '.' : d)))) out.push({ abs: join(top, rel), rel, git: 'untracked' });
  }
  const untrackedFiles = gitFiles.filter((f) => !trackedSet.has(f));
  const ignored = ignoredPaths(top, untrackedFiles);
  for (const rel of gitFiles) {
    const git: GitState = trackedSet.has(rel) ? 'tracked' : ignored.has(rel) ? 'ignored' : 'untracked';
    out.push({ abs: join(top, rel), rel, git });
  }
  return out;
}

/**
 * Find the files to check:
 * - `staged`: the files staged for commit (added, copied, modified, retyped),
 *   read from the index; limited to `paths` when given;
 * - `paths`: those files, and the files under those directories (in git:
 *   tracked plus untracked-not-ignored; outside git: every file);
 * - neither: the whole repository (tracked plus untracked-not-ignored), or the
 *   working directory tree outside git.
 * `.git` and `node_modules` are never walked; symbolic links are not followed.
 *
 * @throws EnvcryptError `USAGE` for `staged` outside a git repository,
 *   `NOT_FOUND` for a named path that does not exist
 */
export function findTargets(opts: TargetOptions): TargetSet {
  // git reports real paths; compare like with like when the working directory is reached through a link.
  const cwd = realpathSync(resolve(opts.cwd));
  const top = gitTopLevel(cwd);
  const paths = opts.paths ?? [];
  let targets: Target[];
  if (opts.staged) {
    if (top === null) {
      throw new EnvcryptError('USAGE', `--staged needs a git repository, and ${cwd} is not in one`, {
        hints: ['run it from inside the repository (a pre-commit hook does), or name the files to check'],
      });
    }
    targets = stagedTargets(top, cwd, paths);
  } else if (paths.length > 0) targets = namedTargets(top, cwd, paths);
  else if (top !== null) targets = repoTargets(top);
  else targets = walkFiles(cwd).map((rel) => ({ abs: join(cwd, rel), rel, git: 'no-git' }));
  const seen = new Set<string>();
  return { top, targets: targets.filter((t) => (seen.has(t.abs) ? false : (seen.add(t.abs), true))) };
}
