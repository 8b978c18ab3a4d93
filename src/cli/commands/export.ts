import { appendFileSync } from 'node:fs';
import { checkExportDestination, checkExportOptions, EXPORT_FORMATS, exportFile, parseExportFormat, writeExport } from '../../api/export.js';
import { EnvcryptError } from '../../errors.js';
import { optString, strings, type Command } from '../command.js';
import { withIdentity, withInputType } from '../shared-options.js';
import { note, warning, type Io } from '../output.js';
import { checkOutputPath } from '../paths.js';

/**
 * `envcrypt export FILE --format k8s|docker|json|shell|github [-o OUT]`.
 *
 * The plaintext goes to stdout, or with `-o OUT` to a new file of mode 0600
 * (an existing OUT only with `--force`, never the input). `github` is the
 * exception, because its output has two destinations (see
 * `src/export/github.ts`): the `::add-mask::` lines always go to stdout, and
 * the `$GITHUB_ENV` lines go to `-o OUT` when given, else are appended to the
 * file named by `$GITHUB_ENV` when it is set, else printed to stdout after
 * the masks (for trying it out locally), but not to a terminal unless
 * `--stdout` says so.
 */
export const exportCommand: Command = {
  command: 'export <file>',
  describe: 'print the decrypted values as a kubernetes secret, docker env-file, JSON, sh exports or GitHub Actions env',
  builder: (y) =>
    withInputType(withIdentity(y))
      .positional('file', { type: 'string', describe: 'encrypted file' })
      .option('format', { alias: 'F', type: 'string', choices: EXPORT_FORMATS, demandOption: true, requiresArg: true, describe: 'output format' })
      .option('name', { type: 'string', requiresArg: true, describe: 'k8s: secret name (default: from the file name, e.g. .env.production.enc → env-production)' })
      .option('namespace', { type: 'string', requiresArg: true, describe: 'k8s: namespace (default: none, kubectl\'s current one)' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write to OUT with mode 0600 (refuses to overwrite without --force); github: the GITHUB_ENV lines' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing OUT' })
      .option('stdout', { type: 'boolean', default: false, describe: 'github: print the GITHUB_ENV lines on stdout even when it is a terminal (refused otherwise outside Actions)' })
      .option('flatten-separator', { type: 'string', requiresArg: true, describe: 'joins nested YAML/JSON names (default _)' })
      .option('flatten-case', { type: 'string', choices: ['upper', 'preserve'], requiresArg: true, describe: 'upper (default) or preserve, for nested names' }),
  async handler(args, io) {
    const file = String(args.file);
    const format = parseExportFormat(String(args.format));
    const name = optString(args.name);
    const namespace = optString(args.namespace);
    const out = optString(args.output);
    // Every check that needs no key runs before decryption.
    checkExportOptions({ format, ...(name !== undefined ? { name } : {}), ...(namespace !== undefined ? { namespace } : {}) });
    if (out !== undefined) checkOutputPath(out, file, !!args.force);
    checkExportDestination({ format, terminal: io.stdoutIsTTY, stdout: !!args.stdout, ...(out !== undefined ? { output: out } : {}), ...(io.env.GITHUB_ENV !== undefined ? { githubEnv: io.env.GITHUB_ENV } : {}) });
    const inputType = optString(args['input-type']);
    const separator = optString(args['flatten-separator']);
    const flattenCase = optString(args['flatten-case']);
    const result = await exportFile(file, {
      format,
      identityFiles: strings(args.identity),
      env: io.env,
      onWarning: (m) => warning(io, m),
      ...(name !== undefined ? { name } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(inputType !== undefined ? { inputType } : {}),
      ...(separator !== undefined ? { separator } : {}),
      ...(flattenCase === 'upper' || flattenCase === 'preserve' ? { case: flattenCase } : {}),
    });
    if (result.masks !== undefined) {
      writeGithub(result.text, result.masks, out, io);
      return 0;
    }
    if (out === undefined) io.stdout(result.text);
    else writeExport(out, result.text);
    return 0;
  },
};

// Masks first, so the runner knows them before any value can reach the log.
function writeGithub(env: string, masks: string, out: string | undefined, io: Io): void {
  io.stdout(masks);
  if (out !== undefined) {
    writeExport(out, env);
    return;
  }
  const target = io.env.GITHUB_ENV;
  if (target === undefined || target === '') {
    io.stdout(env);
    note(io, 'GITHUB_ENV is not set, so the environment lines were printed to stdout');
    return;
  }
  try {
    // The runner creates this file and reads it after the step; appending
    // keeps what earlier commands of the same step wrote.
    appendFileSync(target, env, { mode: 0o600 });
  } catch (cause) {
    throw new EnvcryptError('IO', `cannot append to ${target} (GITHUB_ENV): ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause, file: target });
  }
}
