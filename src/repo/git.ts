/**
 * Running git: argv only (never a shell), with failures turned into
 * envcrypt errors. Also the quoting of commands that git itself runs through
 * the shell (textconv and merge drivers).
 */
import { isAbsolute, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { childProcess } from '../io/builtin.js';

/** What one git run produced. */
export interface GitRun {
  /** Exit status; null when git was killed by a signal. */
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runGit} and {@link git}. */
export interface GitOptions {
  /** Text for git's stdin (e.g. paths for `check-ignore --stdin`). */
  input?: string;
  /** Exit statuses that are not failures for {@link git} (`check-ignore` exits 1 when nothing is ignored). */
  okStatus?: readonly number[];
}

/** Listings of a big repository can be large: allow plenty. */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/**
 * The one way envcrypt runs git: `git ARGS…` in `cwd`, argv only (never a
 * shell), returning what it produced whatever its status.
 *
 * @throws EnvcryptError `NOT_FOUND` when git cannot be started
 */
export function runGit(args: readonly string[], cwd: string, opts: GitOptions = {}): GitRun {
  const r = childProcess().spawnSync('git', [...args], { cwd, input: opts.input ?? '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: MAX_OUTPUT_BYTES });
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
 * True if `ref` names a commit in the repository at `top`. A ref that starts
 * with `-` is never one: git would read it as an option (`--output=FILE`).
 */
export function isCommit(top: string, ref: string): boolean {
  return !ref.startsWith('-') && runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top).status === 0;
}

/**
 * Run `git ARGS…` and return its stdout; a status outside `okStatus` (default
 * 0) is an error whose message carries git's first line of stderr (git's
 * messages name paths and options, not file contents).
 *
 * @throws EnvcryptError `IO` when git fails, `NOT_FOUND` when it cannot start
 */
export function git(args: readonly string[], cwd: string, opts: GitOptions = {}): string {
  const r = runGit(args, cwd, opts);
  if (r.status === null || !(opts.okStatus ?? [0]).includes(r.status)) {
    const why = r.stderr.split('\n').find((l) => l.trim() !== '')?.replace(/^(fatal|error): /, '') ?? `exit status ${r.status ?? 'by a signal'}`;
    throw new EnvcryptError('IO', `git ${args.find((a) => !a.startsWith('-')) ?? ''} failed: ${why}`, {
      hints: ['run the same command with git directly to see why'],
    });
  }
  return r.stdout;
}

/** Split NUL-terminated git output into its non-empty fields (any file name survives). */
export function nulFields(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}

/**
 * The top directory of the git work tree containing `cwd`, or null when git
 * is missing or `cwd` is not inside a work tree.
 */
export function gitTopLevel(cwd: string): string | null {
  let r: GitRun;
  try {
    r = runGit(['rev-parse', '--show-toplevel'], cwd);
  } catch {
    return null;
  }
  const top = r.stdout.trim();
  return r.status === 0 && top !== '' ? top : null;
}

/**
 * The top directory of the work tree `cwd` is in.
 *
 * @throws EnvcryptError `NOT_FOUND` outside a git work tree
 */
export function repoTop(cwd: string): string {
  const top = gitTopLevel(cwd);
  if (top === null) {
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

/** Which files {@link listFiles} returns. */
export type FileSet = 'tracked' | 'untracked' | 'all';

/**
 * Files of the work tree, relative to `top`, `/`-separated: those in the
 * index (`tracked`), untracked ones git does not ignore (`untracked`), or
 * both (`all`, sorted, each once). Pathspecs are taken literally.
 */
export function listFiles(top: string, set: FileSet = 'all', pathspecs: readonly string[] = []): string[] {
  const which = set === 'tracked' ? ['-c'] : set === 'untracked' ? ['-o', '--exclude-standard'] : ['--cached', '--others', '--exclude-standard'];
  const files = nulFields(git(['--literal-pathspecs', 'ls-files', '-z', '--full-name', ...which, '--', ...pathspecs], top));
  return set === 'all' ? [...new Set(files)].sort() : files;
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

/** One blob as read: its first `cap` bytes and its full size. */
export interface BlobContent {
  blob: string;
  /** The first bytes, at most the cap; null when git does not have the object. */
  data: Buffer | null;
  size: number;
}

/**
 * Stream blobs out of one `git cat-file --batch`, in the order given. Each
 * blob is kept only up to `cap` bytes and the rest is read and dropped, so a
 * huge staged file never sits in memory. The consumer's pace drives the read
 * (async iteration applies back-pressure to git's output).
 */
export async function* readBlobs(top: string, blobs: readonly string[], cap: number): AsyncGenerator<BlobContent> {
  if (blobs.length === 0) return;
  const child = childProcess().spawn('git', ['cat-file', '--batch'], { cwd: top, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((res, rej) => {
    child.once('error', rej);
    child.once('close', (code) => res(code));
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(blobs.map((b) => `${b}\n`).join(''));
  let pending: Buffer = Buffer.alloc(0);
  let current: { blob: string; size: number; parts: Buffer[]; kept: number; left: number } | null = null;
  let index = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (current === null) {
          const nl = pending.indexOf(0x0a);
          if (nl < 0) break;
          const header = pending.subarray(0, nl).toString('utf8').split(' ');
          pending = pending.subarray(nl + 1);
          const blob = blobs[index++] ?? header[0]!;
          if (header[1] === 'missing' || header.length < 3) {
            yield { blob, data: null, size: 0 };
            continue;
          }
          const size = Number(header[2]);
          // The content is followed by one LF, consumed with it.
          current = { blob, size, parts: [], kept: 0, left: size + 1 };
        }
        if (pending.length === 0) break;
        const take = Math.min(current.left, pending.length);
        const room = Math.max(0, Math.min(take, cap - current.kept, current.size - current.kept));
        if (room > 0) {
          current.parts.push(Buffer.from(pending.subarray(0, room)));
          current.kept += room;
        }
        pending = pending.subarray(take);
        current.left -= take;
        if (current.left > 0) break;
        const done = current;
        current = null;
        yield { blob: done.blob, data: Buffer.concat(done.parts), size: done.size };
      }
    }
    finished = true;
  } finally {
    // The consumer stopped early (or threw): do not leave git running.
    if (!finished) child.kill();
  }
  const code = await exited;
  if (code !== 0 || index < blobs.length) {
    throw new EnvcryptError('IO', `git cat-file failed in ${top} (exit ${code ?? 'signal'})`, { hints: ['run "git status" to check the repository'] });
  }
}
