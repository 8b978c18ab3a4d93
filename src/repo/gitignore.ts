/** Asking git, in one process, which paths `.gitignore` (and friends) ignore. */
import { git, nulFields } from './git.js';

/**
 * The subset of `relPaths` (relative to `top`, `/`-separated) that git
 * ignores. Uses one `git check-ignore --stdin`; tracked files are never
 * reported ignored, as git treats them.
 */
export function ignoredPaths(top: string, relPaths: readonly string[]): Set<string> {
  if (relPaths.length === 0) return new Set();
  // Exit 1 means "none of them is ignored", which is an answer, not a failure.
  const out = git(['check-ignore', '-z', '--stdin'], top, { input: relPaths.map((p) => `${p}\0`).join(''), okStatus: [0, 1] });
  return new Set(nulFields(out));
}
