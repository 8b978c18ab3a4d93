/**
 * The one error for a key given twice in the same mapping, shared by every
 * store and by both the plaintext and the encrypted readers.
 *
 * Why it is an error everywhere: readers disagree on which of two equal keys
 * wins (dotenv and `JSON.parse` keep the last, a path lookup may take the
 * first), so a file with a duplicate can show one value to `get` and another
 * to `exec`. In an encrypted file it is worse: an unencrypted empty value
 * adds nothing to the MAC, so an attacker without the key can put `A=` next
 * to `A=ENC[…]` and the file still verifies. envcrypt and sops never write
 * a duplicate, so refusing one costs nothing.
 */
import { EnvcryptError, type Position } from '../errors.js';
import { quoteName } from '../io/escape.js';

const PLAIN_HINTS = ['each key may appear once per mapping: remove or rename one of the two'];
const ENCRYPTED_HINTS = [
  'envcrypt and sops never write a key twice, so the file was edited by hand or tampered with',
  'restore it from git ("git log -p FILE" shows who changed it), or remove the line you did not write',
];

/**
 * `duplicate key "A" at 3:1 (first at 1:1)`, a `PARSE` error (exit 5) at the
 * second occurrence. The key is quoted with controls escaped; no value is
 * ever part of the message.
 *
 * @param key - the key as read
 * @param at - where the second occurrence starts
 * @param first - where the first one starts
 * @param encrypted - true when reading an encrypted file (changes the hints)
 * @param hints - replace the plaintext hints (a format's own advice)
 */
export function duplicateKeyError(key: string, at: Position, first: Position, encrypted: boolean, hints?: string[]): EnvcryptError {
  return new EnvcryptError('PARSE', `duplicate key ${quoteName(key)} at ${at.line}:${at.column} (first at ${first.line}:${first.column})`, {
    position: at,
    hints: encrypted ? ENCRYPTED_HINTS : (hints ?? PLAIN_HINTS),
  });
}
