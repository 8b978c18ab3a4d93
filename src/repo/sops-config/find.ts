import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The name sops and envcrypt look for. */
export const CONFIG_NAME = '.sops.yaml';

/** sops looks this many directories up, and so do we. */
const MAX_DEPTH = 100;

/** Options for {@link findConfig}. */
export interface FindConfigOptions {
  /** `--config PATH`: used as is, without searching. */
  configPath?: string;
  /** Where `ENVCRYPT_CONFIG` / `SOPS_CONFIG` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Receives a warning for each ignored `.sops.yml` met on the way up. */
  onWarning?: (message: string) => void;
}

/** A config path that was given rather than searched for, and who gave it. */
export interface ExplicitConfig {
  path: string;
  /** `--config`, `ENVCRYPT_CONFIG` or `SOPS_CONFIG`. */
  from: string;
}

/**
 * The config path named by `--config`, `ENVCRYPT_CONFIG` or `SOPS_CONFIG`
 * (first non-empty wins), or null when none is set.
 */
export function explicitConfig(opts: Pick<FindConfigOptions, 'configPath' | 'env'>): ExplicitConfig | null {
  if (opts.configPath !== undefined && opts.configPath !== '') return { path: opts.configPath, from: '--config' };
  const env = opts.env ?? process.env;
  for (const name of ['ENVCRYPT_CONFIG', 'SOPS_CONFIG']) {
    const v = env[name];
    if (v !== undefined && v !== '') return { path: v, from: name };
  }
  return null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    // Missing or unreadable: either way there is no config here to use.
    return false;
  }
}

/**
 * Find the `.sops.yaml` that governs `targetPath`.
 *
 * Order: `opts.configPath` (`--config`), then `ENVCRYPT_CONFIG`, then
 * `SOPS_CONFIG`; those are returned without checking that the file exists, so
 * reading it reports the error. Otherwise `.sops.yaml` is searched for in the
 * target's directory and its ancestors, at most 100 levels, stopping at the
 * filesystem root.
 *
 * Unlike sops, which starts from the current working directory, the search
 * starts from the **target file's directory**, so `envcrypt encrypt sub/dir/.env`
 * picks the same rules whichever directory it is run from.
 *
 * A `.sops.yml` (sops ignores that spelling too) is never used; when one is
 * met at a level without a `.sops.yaml`, `opts.onWarning` is told.
 *
 * @param targetPath - the file to be encrypted; need not exist yet
 * @returns the config path, or null when there is none
 */
export function findConfig(targetPath: string, opts: FindConfigOptions = {}): string | null {
  const given = explicitConfig(opts);
  if (given) return given.path;
  let dir = dirname(resolve(targetPath));
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, CONFIG_NAME);
    if (isFile(candidate)) return candidate;
    const misspelled = join(dir, '.sops.yml');
    if (isFile(misspelled)) {
      opts.onWarning?.(`ignoring ${misspelled}: the config file must be named ${CONFIG_NAME} (as for sops); rename it to use it`);
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}
