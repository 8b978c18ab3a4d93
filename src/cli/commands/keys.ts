import { listKeys } from '../../api/keys.js';
import { type Command } from '../command.js';
import { encryptedInputFormat, withInputType } from '../shared-options.js';

/**
 * `envcrypt keys FILE [--json]`: the key names a file holds, one a line,
 * nested paths dotted. Reads no key and decrypts nothing: sops keeps key
 * names in clear, so this never prints a secret.
 */
export const keysCommand: Command = {
  command: 'keys <file>',
  describe: 'list the key names of a file (nested paths dotted); decrypts nothing, prints no value',
  builder: (y) =>
    withInputType(y)
      .positional('file', { type: 'string', describe: 'encrypted (or plaintext) file' })
      .option('json', { type: 'boolean', default: false, describe: 'print {"file", "format", "encrypted", "keys"} as JSON' }),
  async handler(args, io) {
    const file = String(args.file);
    const list = await listKeys(file, { format: encryptedInputFormat(args, file), env: io.env, terminal: io.stdoutIsTTY && !args.json });
    if (args.json) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
    else io.stdout(list.keys.map((k) => `${k}\n`).join(''));
    return 0;
  },
};
