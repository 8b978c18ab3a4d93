import { EnvcryptError } from '../errors.js';
import { parseIdentityText } from './identity-text.js';
import { loadAgeLib } from './age/lib.js';

/** A new identity and its recipient. */
export interface NewIdentity {
  identity: string;
  recipient: string;
}

/** Generate an X25519 (or, with `pq`, a hybrid post-quantum) identity. */
export async function newIdentity(pq: boolean): Promise<NewIdentity> {
  const age = await loadAgeLib();
  const identity = pq ? await age.generateHybridIdentity() : await age.generateX25519Identity();
  return { identity, recipient: await age.identityToRecipient(identity) };
}

/** Key-file text in the `age-keygen` layout: created date, public key, identity. */
export function identityFileText(id: NewIdentity, now: Date = new Date()): string {
  return `# created: ${createdTime(now)}\n# public key: ${id.recipient}\n${id.identity}\n`;
}

/** The recipients of every identity in a key file (`age-keygen -y`). */
export async function publicKeyOf(text: string, source: string): Promise<string[]> {
  const ids = parseIdentityText(text, source);
  if (ids.length === 0) throw new EnvcryptError('BAD_KEY', `${source} holds no identity`);
  if (ids.some((i) => i.startsWith('AGE-PLUGIN-'))) {
    throw new EnvcryptError('BAD_KEY', `${source} holds an age plugin identity, whose recipient only its plugin knows`, {
      hints: ['the plugin printed the recipient (age1<name>1…) when it made the identity; give that instead'],
    });
  }
  const age = await loadAgeLib();
  return Promise.all(ids.map((i) => age.identityToRecipient(i)));
}

// age-keygen's "# created:" line is Go's time.RFC3339 in UTC, whole seconds.
function createdTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
