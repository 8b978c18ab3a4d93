import { endLikeChild, execWithFile } from '../../api/exec-file.js';
import { optString, strings, type Command } from '../command.js';
import { inputFormat, withIdentity, withInputType } from '../shared-options.js';
import { warning } from '../output.js';

/**
 * `envcrypt exec-file FILE [options] -- COMMAND {}` (sops's `exec-file`): the
 * decrypted file at a private path, each `{}` of the command replaced by it.
 * Ends exactly as the command ended, as `exec` does.
 */
export const execFileCommand: Command = {
  command: 'exec-file <file> [command..]',
  describe: 'run a command with the decrypted file at a private path: each {} in its arguments is replaced by that path',
  builder: (y) =>
    withInputType(withIdentity(y))
      // Everything after "--" is the command's, options included.
      .parserConfiguration({ 'populate--': true })
      .positional('file', { type: 'string', describe: 'encrypted file' })
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments, after --' })
      .option('fifo', { type: 'boolean', default: true, describe: 'hand the plaintext over through a FIFO, read once (--no-fifo: a 0600 file in a 0700 directory, readable until the command ends)' })
      .option('filename', { type: 'string', requiresArg: true, describe: 'name of the FIFO or file (no "/"; default secrets.<format>)' })
      .option('output-type', { type: 'string', requiresArg: true, describe: 'dotenv, yaml or json (default: the input format)' })
      .option('keep-identity', { type: 'boolean', default: false, describe: 'leave ENVCRYPT_AGE_KEY and the other key variables in the command\'s environment' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (for its stores indent setting)' })
      .epilogue('No shell: for a pipeline, -- sh -c \'… "$1" …\' sh {}. Signals are relayed to the command and its exit status is passed through, as with exec. The FIFO or file is removed when the command ends.'),
  async handler(args, io) {
    const file = String(args.file);
    const outputType = optString(args['output-type']);
    const filename = optString(args.filename);
    const configPath = optString(args.config);
    const result = await execWithFile(file, {
      command: [...strings(args.command), ...strings(args['--'])],
      format: inputFormat(args, file),
      identityFiles: strings(args.identity),
      env: io.env,
      onWarning: (m) => warning(io, m),
      fifo: args.fifo !== false,
      keepIdentity: !!args['keep-identity'],
      ...(outputType !== undefined ? { outputType } : {}),
      ...(filename !== undefined ? { filename } : {}),
      ...(configPath !== undefined ? { configPath } : {}),
    });
    return endLikeChild(result);
  },
};
