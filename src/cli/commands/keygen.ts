import { generateKey, publicKeysOfFile } from '../../api/keygen.js';
import { optString, type Command } from '../command.js';
import { note } from '../output.js';
/** `envcrypt keygen [-o FILE] [--pq]` and `envcrypt keygen -y FILE`. */
export const keygenCommand: Command = {
  command: 'keygen',
  describe: 'generate an age identity (private key) in age-keygen format',
  builder: (y) =>
    y
      .option('output', { alias: 'o', type: 'string', describe: 'write the identity to FILE (mode 0600; never overwrites)', requiresArg: true })
      .option('pq', { type: 'boolean', describe: 'generate a post-quantum hybrid identity (age1pq1… recipient)' })
      .option('y', { type: 'string', describe: 'print the public key(s) of an existing identity FILE', requiresArg: true })
      .conflicts('y', ['output', 'pq']),
  async handler(args, io) {
    const fromFile = optString(args.y);
    if (fromFile !== undefined) {
      for (const r of await publicKeysOfFile(fromFile)) io.stdout(`${r}\n`);
      return 0;
    }
    const out = optString(args.output);
    const key = await generateKey({ pq: !!args.pq, ...(out !== undefined ? { output: out } : {}) });
    if (out === undefined) {
      io.stdout(key.text);
      return 0;
    }
    note(io, `wrote ${out}`);
    io.stdout(`${key.recipient}\n`);
    return 0;
  },
};
