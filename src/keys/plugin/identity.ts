/**
 * Unwrapping with plugin identities (`AGE-PLUGIN-NAME-1…`) through the
 * `identity-v1` state machine.
 */
import { EnvcryptError } from '../../errors.js';
import type { AgeStanza } from '../age/header.js';
import { converse, NO_TERMINAL } from './client.js';
import { parsePluginIdentity } from './name.js';
import { encodeStanza, ProtocolError } from './protocol.js';

/** The size of an age file key. */
const FILE_KEY_SIZE = 16;

/**
 * The file keys of many age files, each plugin run once for all of them (the
 * specification's file indexes): for each file, the key a plugin gave, or
 * null. A sops file holds one age file per recipient, and a plugin identity
 * cannot say which is its own without the plugin, so one run per file was
 * up to one program start (and PIN or touch) per recipient of the file.
 *
 * The identities of one plugin go to one run of it, in the order given;
 * plugins run in the order first named, each for the files still without a
 * key. Every stanza of a file goes to the plugin, which ignores those it does
 * not know. A file the plugin gives no key for is "not mine" (null). A
 * plugin that is missing, fails, sends `error` or malformed output is an
 * error (`NO_IDENTITY`), never a silent skip: the user named this key.
 *
 * @param identities - plugin identity strings
 * @param files - the stanzas of each age file
 * @throws {@link EnvcryptError} `BAD_KEY` for a malformed identity
 */
export async function pluginFileKeys(identities: readonly string[], files: readonly (readonly AgeStanza[])[]): Promise<(Uint8Array | null)[]> {
  const byName = new Map<string, string[]>();
  for (const i of identities) {
    const { name, text } = parsePluginIdentity(i);
    byName.set(name, [...(byName.get(name) ?? []), text]);
  }
  const keys: (Uint8Array | null)[] = files.map(() => null);
  for (const [name, texts] of byName) {
    // The files still closed, numbered 0… for this run.
    const open = files.flatMap((_, i) => (keys[i] === null ? [i] : []));
    if (open.length === 0) break;
    const given = new Map<number, Uint8Array>();
    const phase1 =
      texts.map((t) => encodeStanza('add-identity', [t])).join('') +
      open.flatMap((f, n) => files[f]!.map((st) => encodeStanza('recipient-stanza', [String(n), st.type, ...st.args], st.body))).join('');
    const result = await converse({
      name,
      machine: 'identity-v1',
      code: 'NO_IDENTITY',
      phase1,
      onCommand(st) {
        if (st.type !== 'file-key') return undefined;
        const n = st.args.length === 1 && /^(0|[1-9][0-9]*)$/.test(st.args[0]!) ? Number(st.args[0]) : -1;
        if (n < 0 || n >= open.length) throw new ProtocolError('a malformed file-key command');
        if (given.has(n)) throw new ProtocolError('a second file key for the same file');
        if (st.body.length !== FILE_KEY_SIZE) throw new ProtocolError(`a file key of ${st.body.length} bytes instead of ${FILE_KEY_SIZE}`);
        given.set(n, st.body);
        return encodeStanza('ok');
      },
    });
    if (given.size === 0 && result.secretRefused) {
      throw new EnvcryptError('NO_IDENTITY', `age plugin age-plugin-${name} needs a PIN or passphrase that could not be asked for`, { hints: [NO_TERMINAL] });
    }
    for (const [n, key] of given) keys[open[n]!] = key;
  }
  return keys;
}
