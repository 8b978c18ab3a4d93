/**
 * Running git: argv only (never a shell), with failures turned into
 * envcrypt errors. Also the quoting of commands that git itself runs through
 * the shell (textconv and merge drivers).
 */
import { spawnSync } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';

/** What one git run produced. */
export interface GitRun {
  /** Exit status; null when git was killed by a signal. */
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `git ARGS…` in `cwd` and return what it produced, whatever its status.
 *
 * @throws EnvcryptError `NOT_FOUND` when git cannot be started
 */
export function runGit(args: readonly string[], cwd: string): GitRun {
  const r = spawnSync('git', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new EnvcryptError('NOT_FOUND', code === 'ENOENT' ? 'git is not installed or not on PATH' : `cannot run git: ${code ?? 'error'}`, {
      cause: r.error,
      hints: ['install git, or add it to PATH'],
    });
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run `git ARGS…` and return its stdout; a non-zero status is an error whose
 * message carries git's first line of stderr (git's messages name paths and
 * options, not file contents).
 *
 * @throws EnvcryptError `IO` when git fails, `NOT_FOUND` when it cannot start
 */
export function git(args: readonly string[], cwd: string): string {
  const r = runGit(args, cwd);
  if (r.status !== 0) {
    const why = r.stderr.split('\n').find((l) => l.trim() !== '')?.replace(/^(fatal|error): /, '') ?? `exit status ${r.status}`;
    throw new EnvcryptError('IO', `git ${args[0] ?? ''} failed: ${why}`);
  }
  return r.stdout;
}

/**
 * The top directory of the work tree `cwd` is in.
 *
 * @throws EnvcryptError `NOT_FOUND` outside a git work tree
 */
export function repoTop(cwd: string): string {
  const r = runGit(['rev-parse', '--show-toplevel'], cwd);
  const top = r.stdout.trim();
  if (r.status !== 0 || top === '') {
    throw new EnvcryptError('NOT_FOUND', `${cwd} is not inside a git work tree`, {
      hints: ['run this in a git repository, or create one with "git init"'],
    });
  }
  return top;
}

/**
 * Where git keeps `name` inside its directory (`hooks/pre-commit`, …), as an
 * absolute path. Honours `core.hooksPath` and linked work trees.
 */
export function gitPath(cwd: string, name: string): string {
  const p = git(['rev-parse', '--git-path', name], cwd).trim();
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/**
 * Files of the work tree: tracked ones and untracked ones git does not
 * ignore, relative to `top`, with `/` separators, sorted, each once.
 */
export function listFiles(top: string): string[] {
  const out = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], top);
  return [...new Set(out.split('\0').filter((p) => p !== ''))].sort();
}

/**
 * Git's own line-based three-way merge of `ours` (rewritten in place) with
 * `theirs` over `base`; the fallback for files that turn out not to be
 * encrypted.
 *
 * @returns the number of conflicts (0 for a clean merge)
 * @throws EnvcryptError `IO` when git merge-file fails outright
 */
export function gitMergeFile(ours: string, base: string, theirs: string, labels: readonly [string, string, string], cwd: string): number {
  const r = runGit(['merge-file', '-L', labels[0], '-L', labels[1], '-L', labels[2], ours, base, theirs], cwd);
  // merge-file exits with the number of conflicts, and with a negative value (255 here) on error.
  if (r.status === null || r.status > 127) throw new EnvcryptError('IO', `git merge-file failed on ${labels[0]}`);
  return r.status;
}

/**
 * Quote one word for the POSIX shell that git runs textconv and merge-driver
 * commands with: single quotes, each `'` written as `'\''`.
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
