import { processIo } from '../cli/output.js';
import { renderError } from '../cli/render-error.js';

/**
 * The preload must never let the app start without its secrets: print the
 * error in envcrypt's voice and end the process with envcrypt's exit code.
 */
export function failPreload(e: unknown): never {
  const code = renderError(processIo(), e);
  process.exit(code);
}
