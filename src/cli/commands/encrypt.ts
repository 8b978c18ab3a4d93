import { assertInputFile, encryptWithRules, outputFormat, SELECTOR_FLAGS } from '../../api/encrypt-file.js';
import { EnvcryptError } from '../../errors.js';
import { optString, strings, type Command } from '../command.js';
import { inputFormat, withIdentity, withInputType, withRecipientFiles } from '../shared-options.js';
import { note, warning } from '../output.js';

/** `envcrypt encrypt FILE [-r R…] [-o OUT | --in-place]`. */
export const encryptCommand: Command = {
  command: 'encrypt <file>',
  describe: 'encrypt the values of a .env, YAML or JSON file (to stdout unless -o or --in-place)',
  builder: (y) => {
    let b = withRecipientFiles(withInputType(withIdentity(y)))
      .positional('file', { type: 'string', describe: 'plaintext file to encrypt' })
      .option('recipient', { alias: 'r', type: 'string', array: true, requiresArg: true, describe: 'age recipient (repeatable); default: ENVCRYPT_AGE_RECIPIENTS, SOPS_AGE_RECIPIENTS, then .sops.yaml' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write to OUT; an existing encrypted OUT keeps the ciphertext of unchanged values' })
      .option('in-place', { type: 'boolean', describe: 'replace FILE with its encryption' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing OUT that is not an encrypted file' })
      .option('prune', { type: 'boolean', default: false, describe: 'let the write drop keys an existing encrypted OUT holds and FILE lacks (refused otherwise, exit 9)' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from FILE)' })
      .option('mac-only-encrypted', { type: 'boolean', describe: 'hash only encrypted values into the MAC' })
      .option('output-type', { type: 'string', requiresArg: true, describe: 'write the encrypted file as dotenv, yaml or json (default: the input format); must agree with the name of OUT' })
      .option('indent', { type: 'number', requiresArg: true, describe: 'YAML/JSON indentation' })
      .option('shamir-secret-sharing-threshold', { type: 'number', requiresArg: true, describe: 'with key groups from .sops.yaml: how many groups rebuild the data key (default: the rule\'s shamir_threshold, else every group)' })
      .option('verbose', { type: 'boolean', default: false, describe: 'say where recipients came from' })
      .conflicts('output', 'in-place');
    for (const f of SELECTOR_FLAGS) {
      b = b.option(f.replaceAll('_', '-'), { type: 'string', requiresArg: true, describe: `sops selector ${f}` });
    }
    return b;
  },
  async handler(args, io) {
    const file = String(args.file);
    // A missing file or a directory is said as such, before format or recipients.
    assertInputFile(file);
    const format = inputFormat(args, file);
    const out = args['in-place'] ? file : optString(args.output);
    const selectors = SELECTOR_FLAGS.filter((f) => args[f.replaceAll('_', '-')] !== undefined);
    if (selectors.length > 1) {
      throw new EnvcryptError('USAGE', `only one selector may be given, got ${selectors.map((s) => '--' + s.replaceAll('_', '-')).join(' and ')}`);
    }
    const kind = selectors[0];
    const config = optString(args.config);
    const outputType = optString(args['output-type']);
    const result = await encryptWithRules(file, {
      format,
      recipients: strings(args.recipient),
      recipientFiles: strings(args['recipients-file']),
      ...(kind ? { selector: { kind, value: String(args[kind.replaceAll('_', '-')]) } } : {}),
      ...(args['mac-only-encrypted'] !== undefined ? { macOnlyEncrypted: !!args['mac-only-encrypted'] } : {}),
      ...(args.indent !== undefined ? { indent: Number(args.indent) } : {}),
      ...(args['shamir-secret-sharing-threshold'] !== undefined ? { shamirThreshold: Number(args['shamir-secret-sharing-threshold']) } : {}),
      ...(config !== undefined ? { configPath: config } : {}),
      ...(outputType !== undefined ? { outputFormat: outputFormat(outputType) } : {}),
      ...(out !== undefined ? { output: out } : {}),
      inPlace: !!args['in-place'],
      force: !!args.force,
      prune: !!args.prune,
      identityFiles: strings(args.identity),
      env: io.env,
      onWarning: (m) => warning(io, m),
    });
    if (args.verbose) note(io, `encrypted ${file} to ${result.creation.recipients.length} recipient(s) from ${result.creation.source}`);
    if (out === undefined) io.stdout(result.text);
    else if (result.unchanged) note(io, `${out} is unchanged`);
    return 0;
  },
};
