import { escapeLine } from '../io/escape.js';

/**
 * A recipient as compared with another: the type and key of an SSH public
 * key without its comment; any other recipient as written, trimmed.
 */
export function recipientKey(text: string): string {
  const t = text.trim();
  return /^ssh-(ed25519|rsa)\s/.test(t) ? t.split(/\s+/).slice(0, 2).join(' ') : t;
}

/**
 * Shorten a recipient for messages: `age1je6k…9dqvr`, `ssh-ed25519 AAAAC3…Qz comment`.
 * Kept to one line with its control characters escaped: a recipient read
 * from a file's metadata or `.sops.yaml` is written by whoever can push.
 */
export function shortRecipient(r: string): string {
  if (r.startsWith('ssh-')) {
    const [t, b = '', ...c] = r.split(/\s+/);
    return escapeLine(`${t} ${b.slice(0, 6)}…${b.slice(-2)}${c.length ? ' ' + c.join(' ') : ''}`);
  }
  return escapeLine(r.length > 20 ? `${r.slice(0, r.startsWith('age1pq1') ? 7 : 8)}…${r.slice(-5)}` : r);
}
