/**
 * The few git queries `envcrypt check` needs, each one process for the whole
 * repository (never one per file), with NUL-separated output so that any
 * file name survives.
 */
import { spawnSync } from 'node:child_process';
import { EnvcryptError } from '../errors.js';

/** Output of a git listing can be large in a big repository; allow plenty. */
const MAX_LIST_BYTES = 512 * 1024 * 1024;

/**
 * Run git in `cwd` and return stdout. `okStatus` lists exit statuses that are
 * not failures (`check-ignore` exits 1 when nothing is ignored).
 *
 * @throws EnvcryptError `IO` when git cannot run or fails
 */
export function runGit(cwd: string, args: readonly string[], input?: string, okStatus: readonly number[] = [0]): Buffer {
  const r = spawnSync('git', args, { cwd, input: input ?? '', maxBuffer: MAX_LIST_BYTES, stdio: ['pipe', 'pipe', 'pipe'] });
  if (r.error || r.status === null || !okStatus.includes(r.status)) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? 'error' : `exit ${r.status ?? r.signal}`;
    // git's stderr names paths only, but keep it out of the message all the same.
    throw new EnvcryptError('IO', `git ${args.find((a) => !a.startsWith('-')) ?? ''} failed in ${cwd} (${why})`, {
      hints: ['run the same command with git directly to see why'],
    });
  }
  return r.stdout;
}

/** Split NUL-terminated output into its non-empty fields. */
export function nulFields(buf: Buffer): string[] {
  return buf.toString('utf8').split('\0').filter((s) => s !== '');
}

/**
 * The top directory of the git work tree containing `cwd`, or null when git is
 * missing or `cwd` is not inside a work tree.
 */
export function gitTopLevel(cwd: string): string | null {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.error || r.status !== 0) return null;
  const top = r.stdout.trim();
  return top === '' ? null : top;
}

/** Which files {@link listFiles} returns. */
export type FileSet = 'tracked' | 'untracked';

/**
 * Files in the index (`tracked`) or untracked files not ignored by
 * `.gitignore` and friends (`untracked`), relative to `top`, `/`-separated.
 * Pathspecs are taken literally (no glob magic).
 */
export function listFiles(top: string, set: FileSet, pathspecs: readonly string[] = []): string[] {
  const which = set === 'tracked' ? ['-c'] : ['-o', '--exclude-standard'];
  return nulFields(runGit(top, ['--literal-pathspecs', 'ls-files', '-z', '--full-name', ...which, '--', ...pathspecs]));
}
