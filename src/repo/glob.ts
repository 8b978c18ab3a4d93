/**
 * Path globs: `envcrypt check --exclude` and the `files:` of an audit policy.
 * A small dialect matched against paths relative to the repository root (or
 * scan root), with `/` separators.
 */

/** A compiled set of exclude patterns. */
export type PathFilter = (relPath: string) => boolean;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories; a bare `**` anything at all.
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Compile exclude patterns. A pattern without `/` matches a file name at any
 * depth (`*.pem`, `.env.local`); one with `/` matches the path from the root
 * (`test/fixtures/**`); a trailing `/` excludes a whole directory
 * (`vendor/`). `*` stays within one directory, `**` crosses directories.
 *
 * @returns a predicate that is true for excluded paths
 */
export function compileExcludes(patterns: readonly string[]): PathFilter {
  const tests: RegExp[] = [];
  for (const raw of patterns) {
    let p = raw.trim().replaceAll('\\', '/');
    if (p === '') continue;
    if (p.startsWith('./')) p = p.slice(2);
    if (p.endsWith('/')) p += '**';
    tests.push(globToRegExp(p.includes('/') ? p : `**/${p}`));
    // A directory named without a trailing slash excludes what is under it too.
    if (!p.endsWith('**')) tests.push(globToRegExp(`${p.includes('/') ? p : `**/${p}`}/**`));
  }
  return (rel) => tests.some((t) => t.test(rel));
}
