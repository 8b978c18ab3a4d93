/** The preload's fast path (dist/fast-preload.cjs); see ./host.ts for the rule it keeps. */
import { loadDetailedSync, populate } from '../api/load.js';
import { stderrWarning } from '../keys/discovery.js';
import { preloadOptions } from '../preload/options.js';
import { fastHost, keyCommandSet } from './host.js';

/**
 * Fill `process.env` for a dotenv file and X25519 keys. Returns false, having
 * done nothing, when the full runtime's `preloadSync` must run instead.
 */
export function preloadFast(): boolean {
  if (keyCommandSet(process.env)) return false;
  try {
    const opts = preloadOptions(process.env);
    const warnings: string[] = [];
    const { values } = loadDetailedSync({ ...opts, onWarning: (m) => warnings.push(m) }, fastHost);
    // populate throws only for a `__proto__` key: checked before any variable is set.
    if (Object.prototype.hasOwnProperty.call(values, '__proto__')) return false;
    for (const w of warnings) stderrWarning(w);
    populate(process.env, values, { override: opts.override ?? false });
    return true;
  } catch {
    return false;
  }
}
