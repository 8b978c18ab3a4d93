import { EnvcryptError } from '../../errors.js';
import type { ParsedRecipient } from '../recipient.js';
import { sshRecipient } from '../ssh/key.js';
import { loadAgeLib } from './lib.js';

/**
 * Wrap the data key for one recipient: a complete age file with that single
 * recipient whose payload is the raw key, ASCII-armored (SOPS-FORMAT §7).
 * `age-encryption` is imported lazily: the exec path never encrypts.
 */
export async function wrapDataKey(dataKey: Uint8Array, recipient: ParsedRecipient): Promise<string> {
  const age = await loadAgeLib();
  const e = new age.Encrypter();
  e.addRecipient(recipient.kind === 'ssh-ed25519' || recipient.kind === 'ssh-rsa' ? sshRecipient(recipient.text) : recipient.text);
  try {
    return age.armor.encode(await e.encrypt(dataKey));
  } catch (cause) {
    throw new EnvcryptError('BAD_KEY', `could not encrypt the data key to ${recipient.text.slice(0, 24)}…`, { cause });
  }
}
