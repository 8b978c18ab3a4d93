/**
 * The start-up-critical entry points, bundled into one CommonJS file
 * (dist/runtime.cjs) with no yargs, no YAML parser and no age-encryption
 * loaded unless a file needs them: `envcrypt exec`, the ESM preload and the
 * helper behind the CommonJS preload.
 */
import { config, load } from './api/load.js';
import { processIo } from './cli/output.js';
import { renderError } from './cli/render-error.js';
import { failPreload } from './preload/fail.js';
import { preloadOptions } from './preload/options.js';

/** `envcrypt exec …` (argv without the word `exec`). */
export async function execMain(argv: readonly string[]): Promise<number> {
  // Loaded on demand: the preloads never spawn, so they skip child_process.
  const { runExec } = await import('./cli/exec-cli.js');
  return runExec(argv, processIo());
}

/** `node --import envcrypt/config`: fill process.env or stop the process. */
export async function preloadConfig(): Promise<void> {
  try {
    await config({ ...preloadOptions(process.env), processEnv: process.env });
  } catch (e) {
    failPreload(e);
  }
}

/** Internal `envcrypt __preload-json`: the values on stdout for the CommonJS preload. */
export async function preloadJson(): Promise<number> {
  const io = processIo();
  try {
    io.stdout(JSON.stringify(await load(preloadOptions(io.env))));
    return 0;
  } catch (e) {
    return renderError(io, e);
  }
}
