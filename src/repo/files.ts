/**
 * Finding every encrypted file of a repository that `.sops.yaml` creation
 * rules govern, for repo-wide `recipients add|remove` and `rotate`.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { encryptedFormatOf } from '../stores/index.js';
import { claimsSopsMetadata, MAX_SOPS_FILE_BYTES } from '../stores/sniff.js';
import { gitTopLevel } from './git.js';
import { walkFiles } from './walk.js';
import { CONFIG_NAME, explicitConfig, findConfig } from './sops-config/find.js';
import { loadConfig, matchRule, type SopsConfig } from './sops-config/rules.js';

/** Larger files are not envcrypt files (and reading them would only cost time). */

/** One encrypted file found under the repository. */
export interface RepoFile {
  /** Absolute path. */
  path: string;
  /** The `.sops.yaml` whose rule matched it. */
  configPath: string;
  /** 1-based index of the matching creation rule. */
  rule: number;
}

/** What {@link scanRepo} found. */
export interface RepoScan {
  /** The directory searched. */
  root: string;
  /** Encrypted files matched by a creation rule, sorted by path. */
  files: RepoFile[];
  /** Every config that governs some file under the root, loaded (whether or not a rule matched). */
  configs: Map<string, SopsConfig>;
}

/** Options for {@link repoRoot} and {@link scanRepo}. */
export interface RepoOptions {
  /** `--config PATH`: one config for every file. */
  configPath?: string;
  /** Where `ENVCRYPT_CONFIG` / `SOPS_CONFIG` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The root of the repository `cwd` is in: `git rev-parse --show-toplevel`,
 * else the directory of the nearest `.sops.yaml` (or of the explicit config).
 *
 * @throws EnvcryptError `NOT_FOUND` outside a git work tree with no config
 */
export function repoRoot(cwd: string, opts: RepoOptions = {}): string {
  const top = gitTopLevel(cwd);
  if (top !== null) return top;
  const explicit = explicitConfig({ ...opts, env: opts.env ?? process.env });
  const config = explicit ? explicit.path : findConfig(join(cwd, 'x'), { env: {} });
  if (config !== null) return dirname(resolve(cwd, config));
  throw new EnvcryptError('NOT_FOUND', `no ${CONFIG_NAME} found in ${cwd} or its parent directories, and it is not in a git repository`, {
    hints: ['name the files to change', 'or run "envcrypt init" to set up the repository'],
  });
}

/**
 * True when the file parses as its format's encrypted form and carries sops
 * metadata. Unparseable files are not encrypted files as far as a repo-wide
 * operation is concerned.
 */
export async function hasSopsMetadata(path: string): Promise<boolean> {
  let text: string;
  try {
    if (lstatSync(path).size > MAX_SOPS_FILE_BYTES) return false;
    text = readFileSync(path, 'utf8');
  } catch {
    return false;
  }
  // The name says the format, or the text is in sops's binary layout (a whole file of any name).
  const format = encryptedFormatOf(path, text);
  if (format === null) return false;
  // Cheap filter first: every store writes the word "sops" into its metadata.
  return text.includes('sops') && claimsSopsMetadata(text, format);
}

/**
 * Find every encrypted file under the repository root that a `.sops.yaml`
 * creation rule matches. Each file is governed by the config {@link findConfig}
 * picks for it (so nested configs are honoured); the config files themselves
 * are never candidates. `.git` and `node_modules` are skipped, and symbolic
 * links are not followed, since rewriting one would replace the link.
 *
 * @param root - from {@link repoRoot}
 * @throws EnvcryptError as {@link loadConfig} for a broken config
 */
export async function scanRepo(root: string, opts: RepoOptions = {}): Promise<RepoScan> {
  const env = opts.env ?? process.env;
  const configs = new Map<string, SopsConfig>();
  const configOfDir = new Map<string, string | null>();
  const files: RepoFile[] = [];
  for (const path of walkFiles(root).map((rel) => join(root, rel))) {
    if (basename(path) === CONFIG_NAME) continue;
    const dir = dirname(path);
    if (!configOfDir.has(dir)) {
      const found = findConfig(path, { ...(opts.configPath ? { configPath: opts.configPath } : {}), env });
      configOfDir.set(dir, found === null ? null : resolve(found));
    }
    const configPath = configOfDir.get(dir)!;
    if (configPath === null) continue;
    let config = configs.get(configPath);
    if (!config) {
      config = loadConfig(configPath);
      configs.set(configPath, config);
    }
    const rule = matchRule(config, configPath, path);
    if (rule && (await hasSopsMetadata(path))) files.push({ path, configPath, rule: rule.index });
  }
  return { root, files, configs };
}

/** Options for {@link resolveTargets}. */
export interface TargetOptions extends RepoOptions {
  /** Where relative paths start and the repository is looked for (default `process.cwd()`). */
  cwd?: string;
}

/** The files a command works on, and the scan when they came from the repository. */
export interface Targets {
  /** Paths relative to `cwd` when inside it (as the user would type them), else absolute. */
  files: string[];
  /** Present when no files were named and the repository was searched. */
  scan?: RepoScan;
}

/** A path as shown to the user: relative to `cwd` when inside it. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * The files named, or, when none are, every encrypted file of the repository
 * that a creation rule matches (see {@link scanRepo}).
 *
 * @throws EnvcryptError `NOT_FOUND` when the repository has no `.sops.yaml`
 *   governing any file, or as {@link repoRoot}
 */
export async function resolveTargets(files: readonly string[], opts: TargetOptions = {}): Promise<Targets> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (files.length > 0) return { files: files.map((f) => (opts.cwd === undefined ? f : shownPath(resolve(cwd, f), process.cwd()))) };
  const root = repoRoot(cwd, opts);
  const scan = await scanRepo(root, opts);
  if (scan.configs.size === 0) {
    throw new EnvcryptError('NOT_FOUND', `no ${CONFIG_NAME} governs any file under ${root}`, {
      hints: ['name the files to change', 'or run "envcrypt init" to create one'],
    });
  }
  return { files: scan.files.map((f) => shownPath(f.path, process.cwd())), scan };
}
