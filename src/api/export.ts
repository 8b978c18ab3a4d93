/**
 * `envcrypt export`: a file's values in another tool's format (a Kubernetes
 * Secret, a docker env-file, JSON, sh exports, GitHub Actions env).
 */
import { EnvcryptError, isEnvcryptError } from '../errors.js';
import { EXPORT_FORMATS, exportEnv, parseExportFormat, type ExportFormat, type Exported } from '../export/index.js';
import { checkNamespace, checkSecretName } from '../export/k8s.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseFormat } from '../stores/index.js';
import { loadDetailed, type LoadOptions } from './load.js';

export { EXPORT_FORMATS, parseExportFormat, type ExportFormat, type Exported };

/** Options for {@link exportFile}. */
export interface ExportOptions extends Omit<LoadOptions, 'path' | 'format'> {
  format: ExportFormat;
  /** `--input-type` of the encrypted file. */
  inputType?: string;
  /** k8s: the Secret's name and namespace. */
  name?: string;
  namespace?: string;
}

/**
 * Check every option that needs no key, before anything is decrypted.
 *
 * @throws EnvcryptError `USAGE` for k8s options with another format or invalid k8s names
 */
export function checkExportOptions(opts: Pick<ExportOptions, 'format' | 'name' | 'namespace'>): void {
  if ((opts.name !== undefined || opts.namespace !== undefined) && opts.format !== 'k8s') {
    throw new EnvcryptError('USAGE', `--name and --namespace apply only to --format k8s, not ${opts.format}`);
  }
  if (opts.name !== undefined) checkSecretName(opts.name);
  if (opts.namespace !== undefined) checkNamespace(opts.namespace);
}

/** Where the plaintext of an export would go, for {@link checkExportDestination}. */
export interface ExportDestination {
  format: ExportFormat;
  /** `-o OUT`. */
  output?: string;
  /** `$GITHUB_ENV`, as set (github only). */
  githubEnv?: string;
  /** Standard output is a terminal. */
  terminal: boolean;
  /** `--stdout`: the user asked for plaintext on standard output. */
  stdout?: boolean;
}

/**
 * Refuse to print `github`'s `KEY=VALUE` lines on a terminal, which happens
 * outside Actions (no `$GITHUB_ENV`) without `-o`: there they only land in the
 * scrollback (and the masks protect nothing). `--stdout` asks for it.
 *
 * @throws EnvcryptError `REFUSED` (exit 9)
 */
export function checkExportDestination(d: ExportDestination): void {
  if (d.format !== 'github' || d.output !== undefined || (d.githubEnv ?? '') !== '' || !d.terminal || d.stdout) return;
  throw new EnvcryptError('REFUSED', 'refusing to print plaintext values to the terminal: GITHUB_ENV is not set, so this is not a GitHub Actions step', {
    hints: ['in a workflow step, GITHUB_ENV is set and the values go there; to try it locally, write them with -o FILE, or pass --stdout to print them anyway'],
  });
}

/** Decrypt `file` (every check of `load` included) and render its values in `opts.format`. */
export async function exportFile(file: string, opts: ExportOptions): Promise<Exported> {
  checkExportOptions(opts);
  const { format, inputType, name, namespace, ...load } = opts;
  const { values } = await loadDetailed({ ...load, path: file, ...(inputType !== undefined ? { format: parseFormat(inputType, '--input-type') } : {}) });
  try {
    return exportEnv(values, format, { source: file, ...(name !== undefined ? { name } : {}), ...(namespace !== undefined ? { namespace } : {}) });
  } catch (e) {
    throw isEnvcryptError(e) ? e.inFile(file) : e;
  }
}

/** Write exported plaintext to a file, atomically, with mode 0600. */
export function writeExport(path: string, text: string): void {
  writeFileAtomic(path, text, { forceMode: 0o600 });
}
