import { EnvcryptError } from '../../errors.js';
import type { ParsedRecipient } from '../recipient.js';
import { sshRecipient } from '../ssh/key.js';
import { encodeArmor } from './armor.js';
import { loadAgeLib } from './lib.js';
import { newFileKey, writeAgeFile, type OutStanza } from './write.js';
import { x25519PublicKey, x25519Stanza } from './x25519-wrap.js';

/** The stanza of an X25519 or SSH recipient, made with node:crypto alone; null for other kinds. */
function nativeStanza(fileKey: Uint8Array, recipient: ParsedRecipient): OutStanza | null {
  if (recipient.kind === 'x25519') return x25519Stanza(fileKey, x25519PublicKey(recipient.text));
  if (recipient.kind !== 'ssh-ed25519' && recipient.kind !== 'ssh-rsa') return null;
  const [s] = sshRecipient(recipient.text).wrapFileKey(fileKey) as { args: string[]; body: Uint8Array }[];
  return { type: s!.args[0]!, args: s!.args.slice(1), body: s!.body };
}

/**
 * Wrap the data key for one recipient: a complete age file with that single
 * recipient whose payload is the raw key, ASCII-armored (SOPS-FORMAT §7).
 * X25519 and SSH recipients are wrapped with `node:crypto` alone (about
 * 0.1 ms each); `age-encryption` is imported, lazily, only for the others
 * (post-quantum; age plugins, which it drives through `plugin/recipient.ts`).
 */
export async function wrapDataKey(dataKey: Uint8Array, recipient: ParsedRecipient): Promise<string> {
  try {
    const fileKey = newFileKey();
    try {
      const stanza = nativeStanza(fileKey, recipient);
      if (stanza !== null) return encodeArmor(writeAgeFile(fileKey, [stanza], dataKey));
    } finally {
      fileKey.fill(0);
    }
    const age = await loadAgeLib();
    const e = new age.Encrypter();
    e.addRecipient(recipient.kind === 'plugin' ? (await import('../plugin/recipient.js')).pluginRecipient(recipient.text) : recipient.text);
    return age.armor.encode(await e.encrypt(dataKey));
  } catch (cause) {
    // A plugin's own failure (and any other of ours) says what went wrong, and how.
    if (cause instanceof EnvcryptError) throw cause;
    throw new EnvcryptError('BAD_KEY', `could not encrypt the data key to ${recipient.text.slice(0, 24)}…`, { cause });
  }
}
