/**
 * `envcrypt check`: the plaintext-commit guard. Finds the files to look at,
 * reads each one once (capped), and runs every check on it.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, constants as fsc, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { readPrefix } from '../io/read.js';
import { shareKeySources, type KeyOptions } from '../keys/discovery.js';
import { findConfig } from '../repo/sops-config/find.js';
import { loadConfig, matchRule, type SopsConfig } from '../repo/sops-config/rules.js';
import { checkBuildContext, checkDockerfile, isDockerfileName } from './docker.js';
import { isPlainEnvName } from './env-names.js';
import { compareFindings, type Finding } from './finding.js';
import { compileExcludes } from '../repo/glob.js';
import { checkSopsFile, type GoverningRule } from './rules-check.js';
import { isBinary, scanSecrets } from './secret-patterns.js';
import { ENC_MARKER, parseSops } from '../stores/sniff.js';
import { readBlobs } from '../repo/git.js';
import { findTargets, type GitState, type Target } from './targets.js';

/** Content beyond this many bytes of a file is not scanned (default 5 MiB). */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

/** Options for {@link runCheck}. */
export interface CheckOptions extends KeyOptions {
  /** Where relative paths start and git is asked (default `process.cwd()`). */
  cwd?: string;
  /** Files or directories to check; default: the repository (or the working directory outside git). */
  paths?: readonly string[];
  /** Check what is staged for commit, reading the staged content (for a pre-commit hook). */
  staged?: boolean;
  /** `--config PATH`: one `.sops.yaml` for every file (default: searched upward from each file). */
  configPath?: string;
  /** Glob patterns of files to leave out, relative to the repository root; see {@link compileExcludes}. */
  exclude?: readonly string[];
  /** Verify the MAC of encrypted files when a key is available. @defaultValue true */
  verifyMac?: boolean;
  /** Bytes of each file that are read and scanned. @defaultValue {@link DEFAULT_MAX_BYTES} */
  maxBytes?: number;
  /** Receives notes for `--verbose` (MACs skipped for want of a key, files scanned only in part). */
  onInfo?: (message: string) => void;
}

/** What {@link runCheck} found. */
export interface CheckReport {
  /** True when there is no finding of severity `error`. */
  ok: boolean;
  /** Sorted by file, then line. */
  findings: Finding[];
  /** How many files were read and checked. */
  checked: number;
  /** The git top level, or null outside git. */
  gitRoot: string | null;
}

/** The first `cap` bytes of a regular file, without following a symbolic link; null when it is not one. */
function readHead(abs: string, cap: number): { data: Buffer; size: number } | null {
  let fd: number;
  try {
    // O_NOFOLLOW: a link swapped in after listing is still not followed;
    // O_NONBLOCK: a FIFO cannot hang the scan (fstat then rejects it).
    fd = openSync(abs, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0));
  } catch {
    // Gone since it was listed (a tracked file deleted in the working tree), a link, or unreadable.
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    return { data: readPrefix(fd, Math.min(st.size, cap)), size: st.size };
  } finally {
    closeSync(fd);
  }
}

/** Finds the creation rule governing a path, loading each `.sops.yaml` once and looking up each directory once. */
class RuleLookup {
  private readonly byDir = new Map<string, string | null>();
  private readonly configs = new Map<string, SopsConfig>();
  private readonly opts: { configPath?: string; env?: NodeJS.ProcessEnv; show: (abs: string) => string };
  constructor(opts: { configPath?: string; env?: NodeJS.ProcessEnv; show: (abs: string) => string }) {
    this.opts = opts;
  }

  find(abs: string): GoverningRule | null {
    const dir = dirname(abs);
    if (!this.byDir.has(dir)) {
      const found = findConfig(abs, { ...(this.opts.configPath ? { configPath: this.opts.configPath } : {}), env: this.opts.env ?? process.env });
      this.byDir.set(dir, found === null ? null : resolve(found));
    }
    const configPath = this.byDir.get(dir)!;
    if (configPath === null) return null;
    let config = this.configs.get(configPath);
    if (!config) {
      config = loadConfig(configPath);
      this.configs.set(configPath, config);
    }
    const rule = matchRule(config, configPath, abs);
    return rule ? { rule, config: this.opts.show(configPath) } : null;
  }
}

const AT_RISK: Partial<Record<GitState, string>> = {
  staged: 'is staged for commit',
  tracked: 'is tracked by git',
  untracked: 'is not ignored by git (add it to .gitignore)',
};

interface Ctx {
  opts: CheckOptions;
  rules: RuleLookup;
  show: (abs: string) => string;
  cap: number;
  findings: Finding[];
  /** Every target's path relative to the scan root, for the Docker build-context check. */
  all: readonly Target[];
  /** Build contexts (directories) already checked. */
  contexts: Set<string>;
}

/** Plaintext `.env` files in a build context: the files checked under it, and those at its top (git-ignored ones included, which `docker build` still sends). */
function envFilesIn(dir: string, targets: readonly Target[]): string[] {
  const found = new Set<string>();
  for (const t of targets) {
    const rel = relative(dir, t.abs);
    if (!rel.startsWith('..') && !isAbsolute(rel) && isPlainEnvName(rel)) found.add(rel.split('\\').join('/'));
  }
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile() && isPlainEnvName(e.name)) found.add(e.name);
  } catch {
    // An unreadable directory: the targets under it are all we know.
  }
  return [...found].sort();
}

function readDockerIgnore(dir: string): string | null {
  try {
    return readFileSync(join(dir, '.dockerignore'), 'utf8');
  } catch {
    // None (or unreadable): Docker then sends the whole directory.
    return null;
  }
}

function inspectDockerfile(t: Target, data: Buffer, file: string, ctx: Ctx): void {
  ctx.findings.push(...checkDockerfile(file, data.toString('utf8')));
  const dir = dirname(t.abs);
  if (ctx.contexts.has(dir)) return;
  ctx.contexts.add(dir);
  ctx.findings.push(...checkBuildContext(file, readDockerIgnore(dir), envFilesIn(dir, ctx.all)));
}

async function inspect(t: Target, data: Buffer, size: number, ctx: Ctx): Promise<void> {
  const file = ctx.show(t.abs);
  const binary = isBinary(data);
  const truncated = size > data.length;
  if (truncated) ctx.opts.onInfo?.(`${file}: only the first ${Math.round(ctx.cap / 1024)} KiB of ${Math.round(size / 1024)} KiB were scanned`);
  if (!binary && isDockerfileName(t.abs)) inspectDockerfile(t, data, file, ctx);
  if (!binary) for (const hit of scanSecrets(data)) ctx.findings.push({ file, line: hit.line, rule: hit.rule, severity: 'error', message: `looks like ${hit.what}` });
  // Only a file with the word "sops" (or an ENC[…] value: a damaged one) in it can be a sops file (see parseSops); skip decoding the rest.
  const text = binary || truncated ? null : data.includes('sops') || data.includes(ENC_MARKER) ? data.toString('utf8') : '';
  const parsed = text === null ? undefined : await parseSops(t.abs, text);
  const risk = AT_RISK[t.git];
  if (risk && isPlainEnvName(t.abs) && parsed?.kind !== 'encrypted') {
    ctx.findings.push({ file, rule: 'plaintext-env', severity: 'error', message: `plaintext .env file ${risk}` });
  }
  const governing = ctx.rules.find(t.abs);
  const found = await checkSopsFile({ file, path: t.abs, text, truncated, governing, ...(parsed ? { parsed } : {}) }, ctx.opts);
  ctx.findings.push(...found);
}

/**
 * Check files for secrets about to be (or already) committed in plaintext:
 * 1. files a `.sops.yaml` creation rule with a `path_regex` covers but that
 *    are not encrypted (a catch-all rule without `path_regex` does not make
 *    every file a secret);
 * 2. encrypted files holding plaintext where their selector says ciphertext
 *    (a plaintext comment is a warning);
 * 3. encrypted files whose MAC does not verify, when a key is available;
 * 4. plaintext `.env` / `.env.*` files that are staged, tracked, or not
 *    ignored (in git only: outside git nothing can be committed);
 * 5. age secret keys and private key blocks, reported by line;
 * 6. Dockerfiles with secret-like `ARG`/`ENV` names or a `COPY`/`ADD` of a
 *    plaintext `.env`, and build contexts whose `.dockerignore` lets `.env` in.
 * Binary files (a NUL byte in the first 8 KiB) get no content checks; only
 * the first `maxBytes` of a file are read.
 *
 * @throws EnvcryptError `USAGE` for `staged` outside git, `NOT_FOUND` for a
 *   missing path, config errors as `loadConfig`, `IO` when git fails
 */
export async function runCheck(options: CheckOptions = {}): Promise<CheckReport> {
  const opts = shareKeySources(options);
  const cwd = realpathSync(resolve(opts.cwd ?? process.cwd()));
  const cap = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(cap) || cap < 1) throw new EnvcryptError('USAGE', 'the scan limit must be a positive whole number of bytes');
  const { top, targets: all } = findTargets({ cwd, ...(opts.paths ? { paths: opts.paths } : {}), ...(opts.staged ? { staged: true } : {}) });
  const excluded = compileExcludes(opts.exclude ?? []);
  const targets = all.filter((t) => !excluded(t.rel));
  const show = (abs: string) => {
    const rel = relative(cwd, abs);
    return rel === '' || isAbsolute(rel) ? abs : rel;
  };
  if (top === null && !opts.paths?.length) opts.onInfo?.('not in a git repository: plaintext .env files are not checked against git');
  const ctx: Ctx = { opts, rules: new RuleLookup({ ...opts, show }), show, cap, findings: [], all: targets, contexts: new Set() };
  let checked = 0;
  if (opts.staged && top !== null) {
    const byBlob = targets.map((t) => t.blob!);
    let i = 0;
    for await (const blob of readBlobs(top, byBlob, cap)) {
      const t = targets[i++]!;
      if (blob.data === null) continue;
      checked++;
      await inspect(t, blob.data, blob.size, ctx);
    }
  } else {
    for (const t of targets) {
      const head = readHead(t.abs, cap);
      if (head === null) continue;
      checked++;
      await inspect(t, head.data, head.size, ctx);
    }
  }
  const findings = ctx.findings.sort(compareFindings);
  return { ok: !findings.some((f) => f.severity === 'error'), findings, checked, gitRoot: top };
}
