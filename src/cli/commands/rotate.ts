import { changedFiles, planGrants, planRotate } from '../../api/rotate.js';
import { EnvcryptError } from '../../errors.js';
import { strings, type Command } from '../command.js';
import { withIdentity } from '../shared-options.js';
import { finishPlan, rekeyOptions } from './recipients.js';

/** `envcrypt rotate [FILE…]`: a new data key, same recipients. */
export const rotateCommand: Command = {
  command: 'rotate [files..]',
  describe: 'give files a new data key and re-encrypt every value (every encrypted file of the repository when no FILE is given)',
  builder: (y) =>
    withIdentity(y)
      .positional('files', { type: 'string', array: true, describe: 'encrypted files (default: every file a .sops.yaml rule matches, all or nothing)' })
      .option('json', { type: 'boolean', default: false, describe: 'print {files, keys} as JSON on stdout' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'check everything (every file must decrypt) but write nothing' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from each file)' }),
  async handler(args, io) {
    const plan = await planRotate(strings(args.files), rekeyOptions(args, io));
    if (plan.files.length === 0) {
      throw new EnvcryptError('NOT_FOUND', 'no encrypted file in this repository matches a .sops.yaml creation rule', {
        hints: ['name the files to rotate', 'or check the path_regex of the creation rules'],
      });
    }
    finishPlan(plan, io, !!args['dry-run'], (f, dry) => `${dry ? 'would rotate' : 'rotated'} ${f}: new data key, values re-encrypted`);
    if (args.json) {
      const changed = changedFiles(plan);
      io.stdout(`${JSON.stringify({ files: changed.map((f) => f.file), keys: [...new Set(changed.flatMap((f) => f.keys))], grants: planGrants(plan) })}\n`);
    }
    return 0;
  },
};
