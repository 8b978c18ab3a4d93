/**
 * The terminal side of age plugins (`keys/plugin/ui.ts`), as age's CLI does
 * it: messages on stderr, PINs and passphrases asked on the controlling
 * terminal without echo, public values with echo, confirmations as a key
 * press. Registered by every command that may decrypt or encrypt, except
 * `git textconv`, which never asks; without a terminal every question is
 * answered `fail`, and the plugin decides what that means.
 */
import { setPluginUi } from '../keys/plugin/ui.js';
import type { Io } from './output.js';

/** Let age plugins show messages and ask questions on the terminal. */
export function askPluginsOnTerminal(io: Io): void {
  setPluginUi({
    async message(name, text) {
      io.stderr(`envcrypt: age-plugin-${name}: ${text}\n`);
      return true;
    },
    async requestValue(name, prompt, secret) {
      const { canAskPassphrase, readHidden, readRaw } = await import('./editor.js');
      if (!canAskPassphrase()) return null;
      const p = `envcrypt: age-plugin-${name}: ${prompt} `;
      if (secret) return readHidden(io, p);
      const bytes: number[] = [];
      const done = await readRaw((chunk) => {
        for (const b of chunk) {
          if (b === 0x0d || b === 0x0a) return true;
          if (b === 0x03) return false;
          if (b === 0x7f || b === 0x08) {
            if (bytes.pop() !== undefined) io.stderr('\b \b');
          } else if (b >= 0x20) {
            bytes.push(b);
            io.stderr(String.fromCharCode(b));
          }
        }
        return undefined;
      }, () => io.stderr(p));
      io.stderr('\n');
      return done ? Buffer.from(bytes).toString('utf8') : null;
    },
    async confirm(name, prompt, yes, no) {
      const { canAskPassphrase, readRaw } = await import('./editor.js');
      if (!canAskPassphrase()) return null;
      const choices = no === undefined ? `[Enter: ${yes}]` : `[y: ${yes}, n: ${no}]`;
      const answer = await readRaw<boolean | null>((chunk) => {
        for (const b of chunk) {
          if (b === 0x03) return null;
          if (no === undefined ? b === 0x0d || b === 0x0a : b === 0x79 || b === 0x59) return true;
          if (no !== undefined && (b === 0x6e || b === 0x4e)) return false;
        }
        return undefined;
      }, () => io.stderr(`envcrypt: age-plugin-${name}: ${prompt} ${choices} `));
      io.stderr('\n');
      return answer;
    },
  });
}
