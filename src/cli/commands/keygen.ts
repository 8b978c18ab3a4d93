import { constants, openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { EnvcryptError } from '../../errors.js';
import { identityFileText, newIdentity, publicKeyOf } from '../../keys/keygen.js';
import { readTextFile } from '../../io/read.js';
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
      for (const r of await publicKeyOf(readTextFile(fromFile), fromFile)) io.stdout(`${r}\n`);
      return 0;
    }
    const id = await newIdentity(!!args.pq);
    const text = identityFileText(id);
    const out = optString(args.output);
    if (out === undefined) {
      io.stdout(text);
      return 0;
    }
    writeNewSecretFile(out, text);
    note(io, `wrote ${out}`);
    io.stdout(`${id.recipient}\n`);
    return 0;
  },
};

/** Create a file that must not exist yet, with mode 0600. */
function writeNewSecretFile(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EnvcryptError('REFUSED', `refusing to overwrite ${path}, which already exists`, {
        hints: ['keygen never replaces a key; choose another path with -o/--output, or move the old key away first'],
      });
    }
    throw new EnvcryptError('IO', `cannot create ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
