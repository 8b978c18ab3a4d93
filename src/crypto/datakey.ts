import { randomBytes } from 'node:crypto';
import { EnvcryptError } from '../errors.js';
import { prepareIdentities, unwrapAgeEntry } from '../keys/age-unwrap.js';
import { identitySources, type FoundIdentity, type KeyOptions } from '../keys/discovery.js';
import { shortRecipient } from '../keys/short-recipient.js';
import { ageRecipients, type Metadata } from './metadata.js';

/** A fresh 32-byte data key from the CSPRNG. */
export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/**
 * Find the data key: try each identity source in the documented order against
 * every age stanza, and stop at the first that opens. Sources after that are
 * not read. When none opens, the error lists the recipients and every place
 * searched, with what was found there.
 */
export async function recoverDataKey(md: Metadata, file: string, opts: KeyOptions = {}): Promise<Uint8Array> {
  if (md.groups.length > 1) {
    throw new EnvcryptError('UNSUPPORTED', `${file} uses ${md.groups.length} key groups (Shamir secret sharing), which envcrypt does not read yet`);
  }
  const entries = md.groups[0]!.age;
  // Nothing to search for: say so before reading any key source.
  const others = md.groups[0]!.other.map((p) => p.key);
  if (entries.length === 0) {
    throw new EnvcryptError('NO_IDENTITY', `${file} has no age recipients (only ${others.join(', ')} keys), which envcrypt cannot use`, {
      file,
      hints: [
        'open it with sops and one of those keys',
        'someone who can open it can add an age recipient with "sops updatekeys" (or re-encrypt it with envcrypt)',
      ],
    });
  }
  const searched: string[] = [];
  for (const source of opts.sources ?? identitySources(opts)) {
    let ids: FoundIdentity[] | null;
    try {
      ids = await source.load();
    } catch (e) {
      searched.push(`${source.label} (${e instanceof EnvcryptError ? e.message : 'unreadable'})`);
      continue;
    }
    if (ids === null) {
      searched.push(`${source.label} (${source.absent})`);
      continue;
    }
    const prepared = prepareIdentities(ids, opts.sshPassphrase);
    for (const entry of entries) {
      const key = await unwrapAgeEntry(entry.enc, prepared, entry.recipient);
      if (key === null) continue;
      if (key.length !== 32) {
        throw new EnvcryptError('DECRYPT_FAILED', `the data key wrapped for ${shortRecipient(entry.recipient)} in ${file} is ${key.length} bytes, not 32`);
      }
      return key;
    }
    searched.push(`${source.label || 'ssh key'} (${ids.length} ${ids.length === 1 ? 'identity' : 'identities'}, none matched)`);
  }
  const recipients = ageRecipients(md);
  throw new EnvcryptError('NO_IDENTITY', `no identity matched any of the ${recipients.length} recipient${recipients.length === 1 ? '' : 's'} of ${file}`, {
    file,
    hints: [
      `the file is encrypted to ${recipients.map(shortRecipient).join(', ')}`,
      `searched ${searched.join(', ')}`,
      `send your public key to someone who can decrypt the file and ask them to run "envcrypt recipients add <key> ${file}"`,
    ],
  });
}
