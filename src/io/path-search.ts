/**
 * Searching `PATH` for a program, the one way envcrypt does it: for the
 * child of `envcrypt exec` (`exec/which.ts`) and for age plugins
 * (`keys/plugin/`). Only absolute entries are searched, so a file in the
 * current directory (a checked-out repository, say) is never run in place
 * of a program, as Go's `exec.LookPath` refuses since Go 1.19 and the age
 * plugin specification requires.
 */

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The search path used when the environment has no `PATH`: the
 * `_PATH_DEFPATH` of BSD and glibc, which is also what libuv falls back to.
 */
export const DEFAULT_PATH = '/usr/bin:/bin';

/** What one candidate file turned out to be. */
export type Probe = 'missing' | 'directory' | 'not-executable' | 'executable';

/**
 * What `file` is, following symlinks (a link to a program counts as the
 * program and a dangling link as missing, as for exec itself).
 *
 * @param file - a path
 */
export function probe(file: string): Probe {
  let stat;
  try {
    // No exception for a missing file: most PATH entries miss, and this runs on every exec.
    stat = statSync(file, { throwIfNoEntry: false });
  } catch {
    return 'missing';
  }
  if (stat === undefined) return 'missing';
  if (stat.isDirectory()) return 'directory';
  try {
    // access(2) answers for our real uid and honours ACLs and noexec mounts
    // better than decoding st_mode ourselves.
    accessSync(file, constants.X_OK);
    return 'executable';
  } catch {
    return 'not-executable';
  }
}

/**
 * The directories of a `PATH` value that are searched: the absolute ones.
 * POSIX reads an empty entry as the current directory, and a relative entry
 * is relative to it; neither is searched.
 *
 * @param pathValue - a `PATH` value
 * @returns the absolute entries in order, and how many entries were skipped
 */
export function pathDirs(pathValue: string): { dirs: string[]; skipped: number } {
  const dirs: string[] = [];
  let skipped = 0;
  for (const d of pathValue.split(delimiter)) {
    if (isAbsolute(d)) dirs.push(d);
    else skipped++;
  }
  return { dirs, skipped };
}

/** The result of {@link searchPath}. */
export interface PathSearch {
  /** The first executable regular file named `name`, if any. */
  found?: string;
  /** The first file of that name that is not executable, if any. */
  unusable?: string;
  /** The directories searched. */
  dirs: string[];
  /** How many empty or relative entries were not searched. */
  skipped: number;
}

/**
 * Look `name` (which must not contain `/`) up in the absolute entries of
 * `pathValue`: the first executable regular file wins; directories and
 * files without execute permission are skipped (the first of the latter is
 * reported, as execvp would).
 *
 * @param name - a program name without a slash
 * @param pathValue - the `PATH` to search; undefined means {@link DEFAULT_PATH}
 */
export function searchPath(name: string, pathValue: string | undefined): PathSearch {
  const { dirs, skipped } = pathDirs(pathValue ?? DEFAULT_PATH);
  let unusable: string | undefined;
  for (const dir of dirs) {
    const candidate = join(dir, name);
    const kind = probe(candidate);
    if (kind === 'executable') return { found: candidate, dirs, skipped };
    if (kind === 'not-executable') unusable ??= candidate;
  }
  return { ...(unusable !== undefined ? { unusable } : {}), dirs, skipped };
}
