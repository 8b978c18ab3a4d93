/** Listing files outside git: a directory walk that never follows symbolic links. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories never descended into: git's own data and installed dependencies. */
export const SKIP_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/**
 * Every regular file under `dir`, as paths relative to `dir` with `/`
 * separators, sorted. Symbolic links (to files or directories) are skipped,
 * as are `.git` and `node_modules`; unreadable directories are passed over.
 */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (abs: string, rel: string) => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      // Unreadable (permissions, or removed while walking): nothing to scan there.
      return;
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(join(abs, e.name), r);
      } else if (e.isFile()) out.push(r);
    }
  };
  visit(dir, '');
  return out.sort();
}
