/**
 * In-process openers for the identities that are not X25519: post-quantum
 * (mlkem.ts) and SSH keys without a passphrase (ssh/key.ts), all
 * synchronous, so that `exec` and the preload open their stanzas with no
 * `age-encryption` import and no helper process. A passphrase-protected SSH
 * key stays on the general path, which can ask for its passphrase.
 */
import type { Stanza } from 'age-encryption';
import type { FoundIdentity, SshKeyText } from '../discovery.js';
import { sshIdentityUnprotected } from '../ssh/key.js';
import type { AgeStanza } from './header.js';
import { pqOpeners } from './mlkem.js';
import type { OtherOpeners, PreparedIdentity } from './unwrap.js';

function sshOpener(key: SshKeyText): PreparedIdentity | null {
  let id: ReturnType<typeof sshIdentityUnprotected>;
  try {
    id = sshIdentityUnprotected(key.text, key.source);
  } catch {
    // A key that does not parse fails where the general path tries it, with the same error as before.
    return null;
  }
  if (id === null) return null;
  const sync = id;
  const asAgeStanza = (s: AgeStanza): Stanza => ({ args: [s.type, ...s.args], body: s.body }) as unknown as Stanza;
  return {
    id: { type: 'opener', open: (stanzas) => sync.unwrapFileKey(stanzas.map(asAgeStanza)) },
    recipient: () => sync.publicKey,
  };
}

/**
 * The {@link OtherOpeners} of the full runtime and the CLI.
 *
 * @param id - A post-quantum identity string or an SSH key found by discovery.
 * @returns Its in-process opener, or null to leave it to the general path.
 * @throws {@link EnvcryptError} `BAD_KEY` for a malformed post-quantum identity.
 */
export const otherOpeners: OtherOpeners = (id: FoundIdentity): PreparedIdentity | null => (typeof id === 'string' ? pqOpeners(id) : sshOpener(id));
