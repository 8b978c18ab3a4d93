import { EnvcryptError } from '../errors.js';
import { decodeBech32Recipient } from './bech32-recipient.js';
import { looksLikePluginIdentity, parsePluginRecipient } from './plugin/name.js';
import { parseSshPublicKey } from './ssh/parse.js';

export { recipientKey, shortRecipient } from './short-recipient.js';

/** The kinds of recipient envcrypt encrypts to. */
export type RecipientKind = 'x25519' | 'pq' | 'ssh-ed25519' | 'ssh-rsa' | 'plugin';

/** A validated recipient string and its kind. */
export interface ParsedRecipient {
  kind: RecipientKind;
  /** The normalised text stored in the file's metadata. */
  text: string;
}

const ACCEPTED = 'accepted forms are age1… (X25519), age1pq1… (post-quantum hybrid), age1<plugin>1… (age plugins), "ssh-ed25519 AAAA…" and "ssh-rsa AAAA…"';

function bechOk(s: string, hrp: string): boolean {
  const d = decodeBech32Recipient(s);
  if (d?.prefix !== hrp) return false;
  return hrp === 'age' ? d.bytes.length === 32 : d.bytes.length > 32;
}

/**
 * Validate one recipient string. Prefixes are dispatched longest first
 * (`age1pq1` before `age1`). Throws `BAD_KEY` naming the accepted forms.
 */
export function parseRecipient(input: string): ParsedRecipient {
  const s = input.trim();
  if (s.startsWith('age1pq1')) {
    if (bechOk(s, 'age1pq')) return { kind: 'pq', text: s };
  } else if (s.startsWith('age1')) {
    if (bechOk(s, 'age')) return { kind: 'x25519', text: s };
    // Any other age1<name>1… is a plugin's; the name is checked before it can name a program.
    if (/^age1[^1]*1/.test(s)) return { kind: 'plugin', text: parsePluginRecipient(s).text };
  } else if (/^ssh-(ed25519|rsa)\s/.test(s)) {
    // Full check of the key blob; the text is kept as given (trimmed), as sops stores it.
    const key = parseSshPublicKey(s);
    return { kind: key.type === 'ssh-rsa' ? 'ssh-rsa' : 'ssh-ed25519', text: s };
  } else if (looksLikePluginIdentity(s)) {
    throw new EnvcryptError('BAD_KEY', 'expected a recipient (public key) but got an age plugin identity', {
      hints: ['give the plugin recipient (age1<name>1…), which the plugin prints when it makes the identity'],
    });
  } else if (/^age-secret-key-/i.test(s)) {
    throw new EnvcryptError('BAD_KEY', 'expected a recipient (public key) but got an identity (secret key)', {
      hints: ['give the public key: "age-keygen -y key.txt" prints it', 'never share a secret key'],
    });
  }
  // Echo only a short prefix: a mistyped secret key must not be printed whole.
  throw new EnvcryptError('BAD_KEY', `malformed recipient "${s.slice(0, 8)}…" (${s.length} characters)`, { hints: [ACCEPTED] });
}

/**
 * age's rule: post-quantum and classic recipients are not mixed, since the
 * file would only be as strong as its classic recipients. Throws when mixed.
 */
export function checkPqMix(recipients: readonly ParsedRecipient[]): void {
  const pq = recipients.some((r) => r.kind === 'pq');
  const classic = recipients.some((r) => r.kind !== 'pq');
  if (pq && classic) {
    throw new EnvcryptError('USAGE', 'refusing to mix post-quantum (age1pq1…) and classic recipients in one file', {
      hints: [
        'a quantum computer could recover the data key through any classic recipient, so the mix gives no post-quantum protection; age refuses it for the same reason',
        'give every member an age1pq1 key (envcrypt keygen --pq), or use only classic keys',
      ],
    });
  }
}

/**
 * A recipient's normal form, for comparing what a file lists with what a
 * command or rule names (spacing in an SSH key line does not count). One
 * envcrypt cannot parse is compared as written, trimmed; it fails later if
 * anything is ever wrapped for it.
 */
export function normalRecipient(r: string): string {
  try {
    return parseRecipient(r).text;
  } catch {
    return r.trim();
  }
}
