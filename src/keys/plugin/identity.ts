/**
 * Unwrapping with plugin identities (`AGE-PLUGIN-NAME-1…`) through the
 * `identity-v1` state machine, behind typage's `Identity` interface.
 */
import type { Identity, Stanza } from 'age-encryption';
import { EnvcryptError } from '../../errors.js';
import { converse, NO_TERMINAL } from './client.js';
import { parsePluginIdentity } from './name.js';
import { encodeStanza, ProtocolError } from './protocol.js';

/** The size of an age file key. */
const FILE_KEY_SIZE = 16;

/**
 * One `Identity` per plugin: the identities of the same plugin are sent to
 * one run of it (the specification's amortisation of a PIN across them),
 * in the order given.
 *
 * Every stanza of the file goes to the plugin, which ignores those it does
 * not know. No file key and no error is "not mine" (null). A plugin that is
 * missing, fails, sends `error` or malformed output is an error
 * (`NO_IDENTITY`), never a silent skip: the user named this key.
 *
 * @param identities - plugin identity strings
 * @throws {@link EnvcryptError} `BAD_KEY` for a malformed identity
 */
export function pluginIdentities(identities: readonly string[]): Identity[] {
  const byName = new Map<string, string[]>();
  for (const i of identities) {
    const { name, text } = parsePluginIdentity(i);
    byName.set(name, [...(byName.get(name) ?? []), text]);
  }
  return [...byName].map(([name, texts]) => ({
    async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
      let fileKey: Uint8Array | undefined;
      const phase1 =
        texts.map((t) => encodeStanza('add-identity', [t])).join('') +
        stanzas.map((s) => encodeStanza('recipient-stanza', ['0', ...s.args], s.body)).join('');
      const result = await converse({
        name,
        machine: 'identity-v1',
        code: 'NO_IDENTITY',
        phase1,
        onCommand(s) {
          if (s.type !== 'file-key') return undefined;
          if (s.args.length !== 1 || s.args[0] !== '0') throw new ProtocolError('a malformed file-key command');
          if (fileKey !== undefined) throw new ProtocolError('a second file key for the same file');
          if (s.body.length !== FILE_KEY_SIZE) throw new ProtocolError(`a file key of ${s.body.length} bytes instead of ${FILE_KEY_SIZE}`);
          fileKey = s.body;
          return encodeStanza('ok');
        },
      });
      if (fileKey !== undefined) return fileKey;
      if (result.secretRefused) {
        throw new EnvcryptError('NO_IDENTITY', `age plugin age-plugin-${name} needs a PIN or passphrase that could not be asked for`, { hints: [NO_TERMINAL] });
      }
      return null;
    },
  }));
}
