/**
 * The last step of every write: turn an encrypted tree into file text and
 * prove that the text reads back before anyone writes it. A file envcrypt
 * cannot open again (a store quirk, a bug) is never written.
 */
import { writeMetadata } from '../stores/metadata.js';
import { EnvcryptError } from '../errors.js';
import type { EmitOptions, Store } from '../stores/store.js';
import { nodesEqual } from '../tree/equal.js';
import type { Branch } from '../tree/types.js';
import { decryptTextSync } from './decrypt.js';
import type { EncryptedTree } from './encrypt.js';

/**
 * Emit `enc` with `store`, then parse the text again and decrypt it with the
 * data key, checking the integrity record and the MAC; with `plain`, also
 * check that it decrypts to exactly that tree.
 *
 * @throws EnvcryptError `INTERNAL` when the text does not read back; errors
 *   of the store's emitter (a key or value the format cannot hold)
 */
export function emitChecked(store: Store, enc: EncryptedTree, plain: readonly Branch[] | null, name: string, emit: EmitOptions = {}): string {
  const text = store.emitEncrypted(enc.branches, writeMetadata(enc.metadata), emit);
  let back: Branch[];
  try {
    back = decryptTextSync(text, name, { format: store.format, dataKey: enc.dataKey, readOnly: true, requireIntegrity: true }, {
      storeFor: () => store,
      unwrapGeneral: () => [],
    }).branches;
  } catch (cause) {
    throw unreadable(name, cause instanceof EnvcryptError ? cause.message : 'it does not parse', cause);
  }
  if (plain && !(back.length === plain.length && back.every((b, i) => nodesEqual(b, plain[i]!)))) {
    throw unreadable(name, 'it decrypts to different values', undefined);
  }
  return text;
}

function unreadable(name: string, why: string, cause: unknown): EnvcryptError {
  return new EnvcryptError('INTERNAL', `refusing to write ${name}: the encrypted text does not read back (${why})`, {
    file: name,
    ...(cause !== undefined ? { cause } : {}),
    hints: ['nothing was written; this is a bug in envcrypt, please report it with the file layout (never the values)'],
  });
}
