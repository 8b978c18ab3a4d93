import { installSignalCleanup, main } from '../cli/main.js';

/** Bundle entry for every command but exec (see bin/envcrypt.js). */
export function run(argv: readonly string[]): Promise<number> {
  installSignalCleanup();
  return main(argv);
}
