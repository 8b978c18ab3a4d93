/**
 * ESM preload: `node --import envcrypt/config app.js`. Decrypts the files
 * named by `ENVCRYPT_CONFIG_PATH` (default `.env.enc`) into `process.env`
 * before the app runs, or stops the process with envcrypt's error. The work
 * is done by the CommonJS runtime bundle, which loads faster than ESM chunks.
 */
import { createRequire } from 'node:module';

const runtime = createRequire(import.meta.url)('./runtime.cjs') as typeof import('./runtime-entry.js');
await runtime.preloadConfig();
