/**
 * When the general path has nothing to try. It exists for keys that the
 * in-process openers cannot use: a passphrase-protected SSH key, an age
 * plugin. For the SSH keys, which stanzas are theirs is known without the
 * passphrase: an SSH stanza names the key's type and tag, and the key file
 * shows its public half. So a request where every identity is such a key
 * and no stanza carries one of their tags can only come back empty, as in
 * age, which asks for a passphrase only for a stanza with the key's tag.
 * Answering it here saves the preload a helper process and a command
 * loading `age-encryption`, on what is an error path: no key opens the file.
 */
import { sshStanzaTag } from '../ssh/key.js';
import { parseAgeFile } from './header.js';
import type { GeneralUnwrap } from './unwrap.js';

/**
 * True when no identity of `req` can open any of its stanzas: each is an
 * SSH key whose tag is known and no stanza carries it. Anything else (a
 * plugin identity, a key that does not show its public half, an age file
 * that does not parse) is left to the general path, which says why.
 */
export function generalCannotOpen(req: GeneralUnwrap): boolean {
  const tags = new Set<string>();
  for (const id of req.ids.general) {
    if (typeof id === 'string') return false;
    const t = sshStanzaTag(id.text, id.source);
    if (t === null) return false;
    tags.add(`${t.type} ${t.tag}`);
  }
  for (const group of req.groups) {
    for (const { file } of group) {
      let stanzas;
      try {
        stanzas = parseAgeFile(file).stanzas;
      } catch {
        return false;
      }
      if (stanzas.some((s) => tags.has(`${s.type} ${s.args[0] ?? ''}`))) return false;
    }
  }
  return true;
}
