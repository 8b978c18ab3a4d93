import { installSignalCleanup, main } from '../cli/main.js';

/** Bundle entry for every command but exec (see bin/envcrypt.js). */
export function run(argv: readonly string[]): Promise<number> {
  // exec-file relays signals to its command and removes the plaintext once the command has
  // exited (api/exec-file.ts); exiting at the first SIGTERM would cut that short.
  if (argv[0] !== 'exec-file') installSignalCleanup();
  return main(argv);
}
