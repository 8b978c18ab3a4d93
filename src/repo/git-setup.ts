/**
 * `envcrypt git setup`: wire envcrypt into a repository as git's textconv
 * (decrypted `git diff`) and merge driver (merge by key), and optionally
 * install a pre-commit hook. Every step is idempotent.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { isEncryptedText, MAX_SOPS_FILE_BYTES } from '../stores/sniff.js';
import { readPrefixOf } from '../io/read.js';
import { encryptedFormatOf, formatFromName, looksBinarySops } from '../stores/index.js';
import { git, gitPath, listFiles, repoTop, runGit, shellQuote } from './git.js';
import { globMatches, regexToGlobs } from './regex-glob.js';
import { CONFIG_NAME } from './sops-config/find.js';
import { loadConfig } from './sops-config/load.js';

/**
 * Name patterns that always get the attributes, so that encrypted files
 * created later are covered without running setup again. They are the names
 * envcrypt and sops users give encrypted files; a plain `*.enc` is left out
 * on purpose, since such files are often binary and not envcrypt's. Files
 * with other names are listed one by one (found by their sops metadata).
 */
export const ATTRIBUTE_PATTERNS: readonly string[] = ['*.env.enc', '.env.*.enc', '*.enc.env', '*.enc.yaml', '*.enc.yml', '*.enc.json', '*.enc.ini'];

/** The attributes every pattern gets. */
export const ATTRIBUTES = 'diff=envcrypt merge=envcrypt';

/** Marks a pre-commit hook as ours, so that setup may update it. */
export const HOOK_MARKER = 'envcrypt-pre-commit-hook';

const HEADER = '# envcrypt: decrypted "git diff" and merge by key for encrypted files (written by "envcrypt git setup")';
/** Bigger files are not envcrypt files; reading them would only cost time. */

/** Options for {@link setupGit}. */
export interface SetupOptions {
  /** A directory inside the work tree (default `process.cwd()`). */
  cwd?: string;
  /** The words that run envcrypt, e.g. {@link cliInvocation}'s. */
  cli: readonly string[];
  /** Install `.git/hooks/pre-commit` running `envcrypt check --staged`. */
  hook?: boolean;
  /**
   * Globs the hook passes to `check` as `--exclude` (throwaway test keys,
   * e.g. `test/fixtures/**`). The hook is written from these each time, so
   * running setup again without them takes them out.
   */
  exclude?: readonly string[];
  /** Replace a pre-commit hook that is not envcrypt's. */
  force?: boolean;
}

/** What {@link setupGit} did. */
export interface SetupResult {
  /** The work tree's top directory. */
  root: string;
  /** Encrypted files found, relative to `root`. */
  files: string[];
  /** Globs derived from the `.sops.yaml` creation rules (besides the fixed {@link ATTRIBUTE_PATTERNS}). */
  patterns: string[];
  /** Lines added to `.gitattributes` (empty when every line was there already). */
  added: string[];
  /** `git config --local` entries that were set because they were missing or different. */
  config: Array<[string, string]>;
  /** The hook, when asked for. */
  hook?: { path: string; action: 'installed' | 'updated' | 'unchanged' | 'replaced' };
}

/** How {@link cliInvocation} found a way to run envcrypt that outlives a node upgrade or a new prefix. */
export type InvocationKind = 'path' | 'repo' | 'absolute';

/** The words git and the hook run envcrypt with, and how they were chosen. */
export interface Invocation {
  words: string[];
  kind: InvocationKind;
}

/** Options for {@link cliInvocation}. */
export interface InvocationOptions {
  /** The running package's `bin/envcrypt.js` (default: found next to this module, else `process.argv[1]`). */
  script?: string;
  /** The `PATH` git will search (default `process.env.PATH`). */
  path?: string;
}

/** Where a repo-local install puts the command, relative to the top of the work tree. */
export const REPO_LOCAL_BIN = 'node_modules/.bin/envcrypt';

function runningBin(script: string | undefined): string {
  const here = typeof import.meta.url === 'string' ? fileURLToPath(import.meta.url) : undefined;
  // From dist/cli.js, dist/chunks/*.js or src/repo/git-setup.ts, the bin is one or two levels up.
  const candidates = here ? [join(dirname(here), '..', 'bin', 'envcrypt.js'), join(dirname(here), '..', '..', 'bin', 'envcrypt.js')] : [];
  if (script) candidates.unshift(script);
  else if (process.argv[1]) candidates.push(process.argv[1]);
  const bin = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  if (!bin) throw new EnvcryptError('NOT_FOUND', 'cannot find the envcrypt script to point git at');
  return bin;
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The first `envcrypt` the shell would find on `path`. Relative entries are
 * skipped (git runs drivers from the top of the work tree, hooks too), and
 * so are `node_modules/.bin` directories, which `npm run` and `npx` put on
 * `PATH` only for their own child processes.
 */
function onPath(path: string): string | null {
  for (const dir of path.split(':')) {
    if (!isAbsolute(dir) || /(^|\/)node_modules\/\.bin\/?$/.test(dir)) continue;
    const p = join(dir, 'envcrypt');
    if (executable(p)) return p;
  }
  return null;
}

/**
 * The words that run this envcrypt from git (textconv, merge driver) and the
 * pre-commit hook, chosen to survive a node upgrade or a move of node's prefix:
 *
 * 1. `envcrypt`, when the first `envcrypt` on `PATH` is this very package
 *    (a global install);
 * 2. `node_modules/.bin/envcrypt`, relative to the top of the work tree
 *    (where git runs drivers and hooks), when that is this package (a
 *    repo-local install, `npm install -D envcrypt` / `npx envcrypt`);
 * 3. otherwise `node /abs/path/bin/envcrypt.js`: node from `PATH`, the
 *    package by its absolute path (a checkout, an npx cache). Running setup
 *    again after moving the package updates it.
 *
 * No case writes node's own absolute path.
 */
export function cliInvocation(root: string, opts: InvocationOptions = {}): Invocation {
  const bin = runningBin(opts.script);
  const found = onPath(opts.path ?? process.env.PATH ?? '');
  if (found && sameFile(found, bin)) return { words: ['envcrypt'], kind: 'path' };
  const local = join(root, REPO_LOCAL_BIN);
  if (executable(local) && sameFile(local, bin)) return { words: [REPO_LOCAL_BIN], kind: 'repo' };
  return { words: ['node', resolve(bin)], kind: 'absolute' };
}

/** The git config entries that define the `envcrypt` diff and merge drivers. */
export function driverConfig(cli: readonly string[]): Array<[string, string]> {
  const run = cli.map(shellQuote).join(' ');
  return [
    ['diff.envcrypt.textconv', `${run} git textconv`],
    // Cached textconv output would store plaintext in git's notes (refs/notes/textconv/…).
    ['diff.envcrypt.cachetextconv', 'false'],
    ['merge.envcrypt.name', 'envcrypt: merge encrypted files by key'],
    // git substitutes %O %A %B with temp file names and %P with the shell-quoted path.
    ['merge.envcrypt.driver', `${run} git merge-driver %O %A %B %P`],
  ];
}

/** A `.gitattributes` pattern matching exactly one path (relative to the top, `/` separators). */
export function exactPattern(path: string): string {
  const glob = '/' + path.replace(/[\\*?[\]!]/g, (c) => `\\${c}`);
  if (!/[\s"]/.test(glob)) return glob;
  // git reads a pattern that begins with a double quote C-style, then as a glob.
  const c = glob.replace(/[\\"]/g, (ch) => `\\${ch}`).replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  return `"${c}"`;
}

/**
 * The globs the `.sops.yaml` creation rules of the work tree translate to
 * (see {@link regexToGlobs}), in rule order, each once; rules without a
 * `path_regex`, with a shape that does not translate, or in a config that
 * does not load give none (their files get lines of their own).
 */
function ruleGlobs(root: string, files: readonly string[]): string[] {
  const out: string[] = [];
  for (const rel of files) {
    if (basename(rel) !== CONFIG_NAME) continue;
    let rules;
    try {
      rules = loadConfig(join(root, rel)).creationRules ?? [];
    } catch {
      // A broken .sops.yaml is reported by the commands that use it; here it only means no patterns.
      continue;
    }
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    for (const rule of rules) {
      if (rule.pathRegex === undefined) continue;
      for (const g of regexToGlobs(rule.pathRegex, dir) ?? []) if (!out.includes(g) && !ATTRIBUTE_PATTERNS.includes(g)) out.push(g);
    }
  }
  return out;
}

/** Encrypted files among `files`: names envcrypt reads, carrying sops metadata. */
async function encryptedFiles(root: string, files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rel of files) {
    // A name envcrypt knows, or (binary files) any name: only those read as one.
    const named = formatFromName(rel);
    const abs = join(root, rel);
    let text: string;
    try {
      const st = statSync(abs);
      if (!st.isFile() || st.size > MAX_SOPS_FILE_BYTES) continue;
      // For other names, a look at the first bytes first: most files of a repository are not sops files.
      if (named === null && !looksBinarySops(readPrefixOf(abs, 4096) ?? '')) continue;
      text = readFileSync(abs, 'utf8');
    } catch {
      // Listed by git but gone or unreadable: not a file we could diff anyway.
      continue;
    }
    const format = named ?? encryptedFormatOf(rel, text);
    if (format !== null && text.includes('sops') && (await isEncryptedText(text, format))) out.push(rel);
  }
  return out;
}

function hasLine(existing: readonly string[], pattern: string): boolean {
  return existing.some((l) => {
    const t = l.trim();
    if (!t.startsWith(pattern) || !/^\s/.test(t.slice(pattern.length))) return false;
    const words = t.slice(pattern.length).trim().split(/\s+/);
    return words.includes('diff=envcrypt') && words.includes('merge=envcrypt');
  });
}

/**
 * Add the missing lines to `.gitattributes`: the fixed patterns, the rules'
 * globs, then one line for each encrypted file none of those covers.
 * Returns the lines added.
 */
function updateAttributes(root: string, files: readonly string[], globs: readonly string[]): string[] {
  const path = join(root, '.gitattributes');
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = before.split(/\r?\n/);
  const covering = [...ATTRIBUTE_PATTERNS, ...globs];
  const patterns = [...covering, ...files.filter((f) => !covering.some((g) => globMatches(g, f))).map(exactPattern)];
  const added = patterns.filter((p) => !hasLine(lines, p)).map((p) => `${p} ${ATTRIBUTES}`);
  if (added.length === 0) return [];
  let text = before;
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  if (!lines.includes(HEADER)) text += `${text === '' ? '' : '\n'}${HEADER}\n`;
  writeFileAtomic(path, text + added.map((l) => `${l}\n`).join(''));
  return added;
}

/** Set the driver entries that are missing or different; returns those set. */
function updateConfig(root: string, cli: readonly string[]): Array<[string, string]> {
  const set: Array<[string, string]> = [];
  for (const [name, value] of driverConfig(cli)) {
    const cur = runGit(['config', '--local', '--get', name], root);
    if (cur.status === 0 && cur.stdout.replace(/\n$/, '') === value) continue;
    git(['config', '--local', name, value], root);
    set.push([name, value]);
  }
  return set;
}

/** The shell command the hook runs: `envcrypt check --staged`, with one `--exclude GLOB` per glob. */
function checkCommandLine(cli: readonly string[], exclude: readonly string[]): string {
  return [...cli, 'check', '--staged', ...exclude.flatMap((g) => ['--exclude', g])].map(shellQuote).join(' ');
}

/** The pre-commit hook text; `exclude` globs are passed on to `check` (quoted for the shell). */
export function hookText(cli: readonly string[], exclude: readonly string[] = []): string {
  return [
    '#!/bin/sh',
    `# ${HOOK_MARKER}: installed by "envcrypt git setup --hook"; running it again updates this file.`,
    '# Stops a commit that would add plaintext secrets or a broken encrypted file.',
    `exec ${checkCommandLine(cli, exclude)}`,
    '',
  ].join('\n');
}

function installHook(root: string, cli: readonly string[], exclude: readonly string[], force: boolean): NonNullable<SetupResult['hook']> {
  const path = gitPath(root, 'hooks/pre-commit');
  const text = hookText(cli, exclude);
  let action: NonNullable<SetupResult['hook']>['action'] = 'installed';
  if (existsSync(path)) {
    const cur = readFileSync(path, 'utf8');
    if (cur === text) return { path, action: 'unchanged' };
    if (cur.includes(HOOK_MARKER)) action = 'updated';
    else if (force) action = 'replaced';
    else {
      throw new EnvcryptError('REFUSED', `refusing to replace ${path}, which is not envcrypt's pre-commit hook`, {
        file: path,
        hints: [`add this line to it instead: ${checkCommandLine(cli, exclude)}`, 'or pass --force to replace it'],
      });
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, text, { forceMode: 0o755 });
  // The umask may have cleared the execute bits of a new file; git skips hooks that are not executable.
  chmodSync(path, 0o755);
  return { path, action };
}

/**
 * Set up a repository for envcrypt: `.gitattributes` lines giving encrypted
 * files `diff=envcrypt merge=envcrypt` (the {@link ATTRIBUTE_PATTERNS}, the
 * globs the `.sops.yaml` rules' `path_regex` translate to, plus one line per
 * encrypted file none of those covers), the `diff.envcrypt.*` and
 * `merge.envcrypt.*` entries in `.git/config`, and, with `hook`, a
 * pre-commit hook (running `check` with the `exclude` globs). Running it
 * again with the same options changes nothing; existing
 * `.gitattributes` content is kept.
 *
 * @throws EnvcryptError `NOT_FOUND` outside a git work tree; `REFUSED` when
 *   a pre-commit hook that is not envcrypt's exists and `force` is not set
 *   (checked before anything is written)
 */
export async function setupGit(opts: SetupOptions): Promise<SetupResult> {
  const root = repoTop(opts.cwd ?? process.cwd());
  if (opts.hook && !opts.force) {
    const path = gitPath(root, 'hooks/pre-commit');
    if (existsSync(path) && !readFileSync(path, 'utf8').includes(HOOK_MARKER)) installHook(root, opts.cli, opts.exclude ?? [], false);
  }
  const all = listFiles(root);
  const files = await encryptedFiles(root, all);
  const globs = ruleGlobs(root, all);
  const added = updateAttributes(root, files, globs);
  const config = updateConfig(root, opts.cli);
  const result: SetupResult = { root, files, patterns: globs, added, config };
  if (opts.hook) result.hook = installHook(root, opts.cli, opts.exclude ?? [], !!opts.force);
  return result;
}
