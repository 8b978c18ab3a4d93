/**
 * Wrapping a file key for a plugin recipient (`age1name1…`) with the
 * `recipient-v1` state machine, behind typage's `Recipient` interface.
 */
import type { Recipient, Stanza } from 'age-encryption';
import { EnvcryptError } from '../../errors.js';
import { converse } from './client.js';
import { parsePluginRecipient } from './name.js';
import { encodeStanza, ProtocolError } from './protocol.js';

/**
 * A plugin recipient for `Encrypter.addRecipient`. Each call of
 * `wrapFileKey` runs the plugin once.
 *
 * envcrypt wraps the data key to one recipient per age file (as sops does),
 * so the `labels` extension, which constrains recipients sharing one file,
 * is not offered.
 *
 * @param recipient - the `age1name1…` text
 * @throws {@link EnvcryptError} `BAD_KEY` for a malformed recipient; from
 *   `wrapFileKey`, `PLUGIN` when the plugin is missing or fails
 */
export function pluginRecipient(recipient: string): Recipient {
  const { name, text } = parsePluginRecipient(recipient);
  return {
    async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
      const stanzas: Stanza[] = [];
      await converse({
        name,
        machine: 'recipient-v1',
        code: 'PLUGIN',
        phase1: encodeStanza('add-recipient', [text]) + encodeStanza('wrap-file-key', [], fileKey),
        onCommand(s) {
          if (s.type !== 'recipient-stanza') return s.type === 'labels' ? encodeStanza('ok') : undefined;
          // One file key was sent, so its index is 0; the rest is the stanza itself.
          if (s.args.length < 2 || s.args[0] !== '0') throw new ProtocolError('a malformed recipient-stanza command');
          stanzas.push({ args: s.args.slice(1), body: s.body } as Stanza);
          return encodeStanza('ok');
        },
      });
      if (stanzas.length === 0) throw new EnvcryptError('PLUGIN', `age plugin age-plugin-${name} failed: it sent no recipient stanza`);
      return stanzas;
    },
  };
}
