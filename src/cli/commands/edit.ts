import { editFile } from '../../api/edit.js';
import { recipientsFromFiles } from '../../api/encrypt-file.js';
import { optString, strings, type Command } from '../command.js';
import { askReopen, canPrompt, editorRunner, resolveEditor } from '../editor.js';
import { encryptedInputFormat, withIdentity, withInputType, withRecipientFiles } from '../shared-options.js';
import { note, warning } from '../output.js';

/** `envcrypt edit FILE [-r R…]`. */
export const editCommand: Command = {
  command: 'edit <file>',
  describe: 'change an encrypted file in your editor ($ENVCRYPT_EDITOR, $VISUAL, $EDITOR); creates it if missing',
  builder: (y) =>
    withRecipientFiles(withInputType(withIdentity(y)))
      .positional('file', { type: 'string', describe: 'encrypted file (created when it does not exist)' })
      .option('recipient', { alias: 'r', type: 'string', array: true, requiresArg: true, describe: 'age recipient for a new file (repeatable); default: ENVCRYPT_AGE_RECIPIENTS, SOPS_AGE_RECIPIENTS, then .sops.yaml' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from FILE)' })
      .option('indent', { type: 'number', requiresArg: true, describe: 'YAML/JSON indentation (default: .sops.yaml stores setting, else 4 / tab)' })
      .option('allow-selector-change', { type: 'boolean', default: false, describe: 'store new values as the file\'s selector says even when it differs from its .sops.yaml rule (or the default) and leaves them in plaintext' })
      .epilogue(
        'The plaintext goes to a 0600 file in a private directory (on /dev/shm when available), removed afterwards. ' +
          'Only changed values get new ciphertext. If the file changed on disk meanwhile, nothing is written and your edit is kept (exit 10).',
      ),
  async handler(args, io) {
    const file = String(args.file);
    const format = encryptedInputFormat(args, file);
    // Before decrypting: without an editor there is nothing to do.
    const editor = resolveEditor(io.env);
    const configPath = optString(args.config);
    const result = await editFile(file, {
      format,
      identityFiles: strings(args.identity),
      env: io.env,
      onWarning: (m) => warning(io, m),
      recipients: [...strings(args.recipient), ...(await recipientsFromFiles(strings(args['recipients-file'])))],
      ...(configPath !== undefined ? { configPath } : {}),
      ...(args.indent !== undefined ? { indent: Number(args.indent) } : {}),
      ...(args['allow-selector-change'] ? { allowSelectorChange: true } : {}),
      runEditor: editorRunner(editor, io.env, file),
      confirmReopen: canPrompt(io) ? (e) => askReopen(io, e) : async () => false,
    });
    if (result.status === 'unchanged') note(io, `file has not changed; ${file} was not written`);
    else if (result.created) note(io, `created ${file}`);
    return 0;
  },
};
