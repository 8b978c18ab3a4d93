/** `envcrypt export`: decrypted values in the formats other tools read. */

import { EnvcryptError } from '../errors.js';
import { toDockerEnvFile } from './docker.js';
import { toGithub, type GithubOptions } from './github.js';
import { toJson } from './json.js';
import { secretNameFromPath, toK8sSecret } from './k8s.js';
import { toShellExports } from './shell.js';

/** Every `--format` of `envcrypt export`. */
export const EXPORT_FORMATS = ['k8s', 'docker', 'json', 'shell', 'github'] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Options for {@link exportEnv}. */
export interface ExportOptions extends GithubOptions {
  /** k8s: the Secret name. @defaultValue derived from {@link ExportOptions.source} by {@link secretNameFromPath} */
  name?: string;
  /** k8s: the namespace; left out of the manifest when not given. */
  namespace?: string;
  /** The encrypted file the values came from (only used to name a k8s Secret). */
  source?: string;
}

/** What an export produces. */
export interface Exported {
  /** The document: the manifest, env-file, JSON or script; for `github`, the `$GITHUB_ENV` lines. */
  text: string;
  /** `github` only: the `::add-mask::` commands, which must go to stdout before anything else. */
  masks?: string;
}

/**
 * Validate a `--format` value.
 *
 * @throws {@link EnvcryptError} `USAGE` listing the formats
 */
export function parseExportFormat(s: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(s)) return s as ExportFormat;
  throw new EnvcryptError('USAGE', `unknown export format "${s}"`, { hints: [`valid formats are ${EXPORT_FORMATS.join(', ')}`] });
}

/**
 * The k8s Secret name to use: `opts.name`, else one derived from the source
 * file name.
 *
 * @throws {@link EnvcryptError} `USAGE` when neither gives a name
 */
export function k8sName(opts: ExportOptions): string {
  if (opts.name !== undefined) return opts.name;
  const derived = opts.source === undefined ? '' : secretNameFromPath(opts.source);
  if (derived === '') {
    throw new EnvcryptError('USAGE', 'no kubernetes secret name', {
      hints: ['pass --name NAME (lowercase letters, digits, "-" and ".")'],
    });
  }
  return derived;
}

/**
 * Render flat environment values in `format`. Keys keep their order. Every
 * format refuses, with an error naming the key, what it cannot represent
 * exactly (see each format's module); nothing is dropped or changed silently.
 *
 * @throws {@link EnvcryptError} `USAGE` or `UNSUPPORTED`, never showing a value
 */
export function exportEnv(values: Readonly<Record<string, string>>, format: ExportFormat, opts: ExportOptions = {}): Exported {
  switch (format) {
    case 'k8s':
      return { text: toK8sSecret(values, { name: k8sName(opts), ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) }) };
    case 'docker':
      return { text: toDockerEnvFile(values) };
    case 'json':
      return { text: toJson(values) };
    case 'shell':
      return { text: toShellExports(values) };
    case 'github': {
      const gh = toGithub(values, opts.delimiter ? { delimiter: opts.delimiter } : {});
      return { text: gh.env, masks: gh.masks };
    }
  }
}
