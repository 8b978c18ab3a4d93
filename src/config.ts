/**
 * ESM preload: `node --import envcrypt/config app.js`. Decrypts the files
 * named by `ENVCRYPT_CONFIG_PATH` (default `.env.enc`) into `process.env`
 * before the app runs, or stops the process with envcrypt's error. The work
 * is done by the CommonJS runtime bundle, loaded from its code cache.
 */
import { createRequire } from 'node:module';

interface Loader {
  loadRuntime(): { runtime: typeof import('./runtime-entry.js') };
}
const loader = createRequire(import.meta.url)('../bin/load-runtime.cjs') as Loader;
await loader.loadRuntime().runtime.preloadConfig();
