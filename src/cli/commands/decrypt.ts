import { decryptFile } from '../../api/decrypt.js';
import { EnvcryptError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { escapeControls } from '../../io/escape.js';
import { formatFromName, parseFormat, storeFor } from '../../stores/index.js';
import { formatPath, getPath, parsePath } from '../../tree/path.js';
import { optString, strings, type Command } from '../command.js';
import { inputFormat, withIdentity, withInputType } from '../shared-options.js';
import { warning } from '../output.js';
import { checkOutputPath } from '../paths.js';

/**
 * `envcrypt decrypt FILE [-o OUT] [--extract PATH] [--output-type T]`.
 *
 * When stdout is a terminal, control characters other than line feed and tab
 * (and bidi overrides) in the output are shown as escapes such as `\x1b`
 * (`io/escape.ts`), `--extract` included; to a pipe or `-o OUT` the output
 * is byte-exact.
 */
export const decryptCommand: Command = {
  command: 'decrypt <file>',
  describe: 'decrypt a file to stdout (or to -o OUT, mode 0600); the MAC is always verified',
  builder: (y) =>
    withInputType(withIdentity(y))
      .positional('file', { type: 'string', describe: 'encrypted file' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write the plaintext to OUT with mode 0600 (refuses to overwrite without --force)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing OUT' })
      .option('extract', { type: 'string', requiresArg: true, describe: `print one value: '["db"]["password"]' or db.password` })
      .option('output-type', { type: 'string', requiresArg: true, describe: 'dotenv, yaml or json (default: the input format, or from OUT)' })
      .option('ignore-mac', { type: 'boolean', default: false, describe: 'skip the MAC check (recovery only: accepts forged values)' }),
  async handler(args, io) {
    const file = String(args.file);
    const out = optString(args.output);
    if (out !== undefined) checkOutputPath(out, file, !!args.force);
    const inFormat = inputFormat(args, file);
    const outType = optString(args['output-type']);
    const outFormat = outType ? parseFormat(outType, '--output-type') : (out && formatFromName(out)) || inFormat;
    const dec = await decryptFile(file, {
      format: inFormat,
      identityFiles: strings(args.identity),
      env: io.env,
      ignoreMac: !!args['ignore-mac'],
      readOnly: true,
      onWarning: (m) => warning(io, m),
    });
    if (args['ignore-mac']) warning(io, `the MAC of ${file} was not checked; values may have been forged`);
    const store = await storeFor(outFormat);
    let text: string;
    const extract = optString(args.extract);
    if (extract !== undefined) {
      const steps = parsePath(extract);
      const node = dec.branches[0] ? getPath(dec.branches[0], steps) : undefined;
      if (!node) throw new EnvcryptError('USAGE', `${file} has no value at ${formatPath(steps)}`);
      // A string is printed raw with no newline added, as sops does, so it can be piped.
      text = node.kind === 'str' ? node.value : node.kind === 'map' ? store.emitPlain([node]) : store.emitValue(node);
    } else {
      text = store.emitPlain(dec.branches);
    }
    // On a terminal, keys, values and comments could hold escape sequences that
    // draw what is not in the file: show them escaped. A pipe gets exact bytes.
    if (out === undefined) io.stdout(io.stdoutIsTTY ? escapeControls(text) : text);
    else writeFileAtomic(out, text, { forceMode: 0o600 });
    return 0;
  },
};
