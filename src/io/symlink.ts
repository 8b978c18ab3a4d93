import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';

let followOutside = false;

/** `--follow-symlinks`: allow writing through a symlink that leads out of the repository. */
export function allowSymlinksOutsideRepo(allow: boolean): void {
  followOutside = allow;
}

/** The repository a path belongs to: the nearest ancestor of `dir` holding `.git`, else `dir`. */
export function repoRootOf(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return resolve(dir);
  }
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Where a write to `path` should land. A plain path is returned as is. A
 * symlink is followed (so the link survives the atomic rename) when its
 * target stays inside the repository of the current directory; a target
 * outside it is refused unless {@link allowSymlinksOutsideRepo} was called,
 * since a planted link could otherwise redirect a write (even of plaintext)
 * anywhere the user can write.
 */
export function resolveWriteTarget(path: string): string {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return path;
  }
  if (!isLink) return path;
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    // A link to a file that does not exist yet: resolve its directory instead.
    const dest = resolve(dirname(path), readlinkSync(path));
    try {
      target = join(realpathSync(dirname(dest)), basename(dest));
    } catch {
      throw new EnvcryptError('REFUSED', `${path} is a symbolic link into a directory that does not exist`, { hints: ['remove the link or point it at a file'] });
    }
  }
  const root = repoRootOf(process.cwd());
  if (!followOutside && !inside(root, target)) {
    throw new EnvcryptError('REFUSED', `refusing to write through the symbolic link ${path}, which leads out of the repository`, {
      hints: ['pass --follow-symlinks if the link is meant to point there'],
    });
  }
  return target;
}
