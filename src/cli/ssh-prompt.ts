/**
 * Asking for a protected SSH key's passphrase on the terminal, as age does:
 * registered by every command that may decrypt (`exec` included), used
 * lazily (only a file with a stanza for that key asks), and loaded only then.
 */
import { setSshPassphrasePrompt } from '../keys/ssh/prompt.js';
import type { Io } from './output.js';

/** Let protected SSH keys ask for their passphrase on the terminal (3 tries). */
export function askSshPassphrasesOnTerminal(io: Io): void {
  setSshPassphrasePrompt({
    ask: async (source) => {
      const { askSshPassphrase, canAskPassphrase } = await import('./editor.js');
      return canAskPassphrase() ? askSshPassphrase(io, source) : null;
    },
    attempts: 3,
  });
}
