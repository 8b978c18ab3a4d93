import { assertInputFile, revealFile } from '../../api/reveal.js';
import { optString, strings, type Command } from '../command.js';
import { encryptedInputFormat, withIdentity, withInputType } from '../shared-options.js';
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
      .option('output-type', { type: 'string', requiresArg: true, describe: 'dotenv, yaml, json, ini or binary (default: the input format, or from OUT)' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (for its stores indent setting; default: searched upward from FILE)' })
      .option('ignore-mac', { type: 'boolean', default: false, describe: 'skip the MAC check (recovery only: accepts forged values)' }),
  async handler(args, io) {
    const file = String(args.file);
    // A missing file or a directory is said as such, before any question of format.
    assertInputFile(file);
    const out = optString(args.output);
    if (out !== undefined) checkOutputPath(out, file, !!args.force);
    const outputType = optString(args['output-type']);
    const extract = optString(args.extract);
    const configPath = optString(args.config);
    const text = await revealFile(file, {
      format: encryptedInputFormat(args, file),
      identityFiles: strings(args.identity),
      env: io.env,
      ignoreMac: !!args['ignore-mac'],
      onWarning: (m) => warning(io, m),
      terminal: io.stdoutIsTTY,
      ...(outputType !== undefined ? { outputType } : {}),
      ...(extract !== undefined ? { extract } : {}),
      ...(out !== undefined ? { output: out } : {}),
      ...(configPath !== undefined ? { configPath } : {}),
    });
    if (args['ignore-mac']) warning(io, `the MAC of ${file} was not checked; values may have been forged`);
    if (text !== null) io.stdout(text);
    return 0;
  },
};
