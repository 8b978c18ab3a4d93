import { EnvcryptError } from '../errors.js';
import { parsePluginIdentity } from './plugin/name.js';

/**
 * Parse key-file text in the `age-keygen` format: one identity per line
 * (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`, or an age plugin's `AGE-PLUGIN-NAME-1…`)
 * (several on one line, separated by whitespace, as sops 3.13 allows),
 * `#` comments and blank lines skipped, a trailing CR dropped. Errors name
 * the line number only, since the line may hold a secret.
 */
export function parseIdentityText(text: string, source: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // trim() also drops a CRLF file's CR.
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '-----BEGIN AGE ENCRYPTED FILE-----' || line === 'age-encryption.org/v1') {
      // sops 3.10+ asks for the passphrase of such a file; envcrypt does not read it itself.
      throw new EnvcryptError('UNSUPPORTED', `${source} is a passphrase-protected (age-encrypted) identity file, which envcrypt cannot open itself`, {
        hints: [`let age ask for the passphrase: SOPS_AGE_KEY_CMD="age -d <file>" (or ENVCRYPT_AGE_KEY_CMD) runs it when a file needs the key`],
      });
    }
    for (const tok of words(line)) {
      if (isSecretKeyWord(tok)) {
        out.push(tok);
        continue;
      }
      if (tok.startsWith('AGE-PLUGIN-')) {
        try {
          out.push(parsePluginIdentity(tok).text);
          continue;
        } catch {
          /* reported below by line number, never quoted */
        }
      }
      const hints = tok.startsWith('age1')
        ? ['this looks like a recipient (public key); an identity file holds AGE-SECRET-KEY-1… lines']
        : tok.startsWith('AGE-PLUGIN-')
          ? ['an age plugin identity is one AGE-PLUGIN-<NAME>-1… word with a valid bech32 checksum, NAME being letters, digits, "-", "_", "." and "+"']
          : ['each line must be an AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1… or AGE-PLUGIN-<NAME>-1… identity, or a # comment'];
      throw new EnvcryptError('BAD_KEY', `invalid identity on line ${i + 1} of ${source}`, { hints });
    }
  }
  return out;
}

/** The words of a trimmed line, as `line.split(/\s+/)` gives them (without a regex: this runs at every app launch). */
function words(line: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i < line.length && !isJsSpace(line.charCodeAt(i))) continue;
    if (i > start) out.push(line.slice(start, i));
    start = i + 1;
  }
  return out;
}

/** JavaScript's `\s`: white space and line terminators. */
function isJsSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`, then upper-case letters and digits (the bech32 is checked when parsed). */
function isSecretKeyWord(tok: string): boolean {
  const at = tok.startsWith('AGE-SECRET-KEY-1') ? 16 : tok.startsWith('AGE-SECRET-KEY-PQ-1') ? 19 : -1;
  if (at < 0 || at === tok.length) return false;
  for (let i = at; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90))) return false;
  }
  return true;
}
