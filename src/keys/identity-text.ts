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
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '-----BEGIN AGE ENCRYPTED FILE-----' || line === 'age-encryption.org/v1') {
      // sops 3.10+ asks for the passphrase of such a file; envcrypt does not read it itself.
      throw new EnvcryptError('UNSUPPORTED', `${source} is a passphrase-protected (age-encrypted) identity file, which envcrypt cannot open itself`, {
        hints: [`let age ask for the passphrase: SOPS_AGE_KEY_CMD="age -d <file>" (or ENVCRYPT_AGE_KEY_CMD) runs it when a file needs the key`],
      });
    }
    for (const tok of line.split(/\s+/)) {
      if (/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(tok)) {
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
