/** The preload's fast path (dist/fast-preload.cjs); see ./host.ts for the rule it keeps. */
import { applyConfig, loadDetailedSync, refuseNul } from '../api/load.js';
import { stderrWarning } from '../keys/discovery.js';
import { preloadOptions } from './preload-options.js';
import { fastHost, keyCommandSet } from './fast-host.js';

/**
 * Fill `process.env` for a dotenv file and X25519 or post-quantum keys. Returns false, having
 * done nothing, when the full runtime's `preloadSync` must run instead.
 */
export function preloadFast(): boolean {
  if (keyCommandSet(process.env)) return false;
  try {
    const opts = preloadOptions(process.env);
    const warnings: string[] = [];
    const loaded = loadDetailedSync({ ...opts, onWarning: (m) => warnings.push(m) }, fastHost);
    // applyConfig throws only for a NUL byte (checked before it changes
    // anything) and a `__proto__` key: both are checked before anything is
    // printed, removed or set.
    if (Object.prototype.hasOwnProperty.call(loaded.values, '__proto__')) return false;
    refuseNul(loaded.values);
    for (const w of warnings) stderrWarning(w);
    applyConfig(loaded, opts);
    return true;
  } catch {
    return false;
  }
}
