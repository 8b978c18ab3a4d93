/**
 * The preload, for both `node --import envcrypt/config app.js` and
 * `node -r envcrypt/config app.js`: CommonJS and synchronous, so the values
 * are in `process.env` before the app's first line. The work is done by the
 * runtime bundle, loaded from its code cache (see bin/load-runtime.cjs).
 */
interface Loader {
  loadRuntime(): { runtime: typeof import('./runtime-entry.js') };
}
(require('../bin/load-runtime.cjs') as Loader).loadRuntime().runtime.preloadSync();
