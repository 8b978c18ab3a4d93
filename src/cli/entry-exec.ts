import { load } from '../api/load.js';
import { preloadOptions } from '../preload/options.js';
import { runExec } from './exec-cli.js';
import { processIo } from './output.js';
import { renderError } from './render-error.js';

/** Bundle entry for `envcrypt exec` (see bin/envcrypt.js). */
export async function run(argv: readonly string[]): Promise<number> {
  const io = processIo();
  if (argv[0] === '__preload-json') {
    // Internal: the CommonJS preload reads the values from this pipe.
    try {
      io.stdout(JSON.stringify(await load(preloadOptions(io.env))));
      return 0;
    } catch (e) {
      return renderError(io, e);
    }
  }
  return runExec(argv.slice(1), io);
}
