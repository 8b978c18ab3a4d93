/**
 * The passphrase prompt for protected SSH keys, as a registry of its own so
 * that the CLI can register it at start-up without loading the SSH code
 * (which loads only when a file has an SSH stanza).
 */

/** A passphrase prompt the CLI registers for every SSH identity it opens. */
export interface SshPassphrasePrompt {
  /** Ask for the passphrase of the key in `source`; null when there is no terminal to ask on. */
  ask: (source: string) => Promise<string | null>;
  /** How many wrong passphrases are allowed before giving up. */
  attempts: number;
}

let current: SshPassphrasePrompt | undefined;

/**
 * Register (or, with undefined, remove) the prompt used for a protected key
 * when the caller passed no `passphrase` callback. Only the CLI does this,
 * as age does; the library never prompts.
 */
export function setSshPassphrasePrompt(prompt: SshPassphrasePrompt | undefined): void {
  current = prompt;
}

/** The registered prompt, if any. */
export function sshPassphrasePrompt(): SshPassphrasePrompt | undefined {
  return current;
}
