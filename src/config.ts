/**
 * ESM preload: `node --import envcrypt/config app.js`. Decrypts the files
 * named by `ENVCRYPT_CONFIG_PATH` (default `.env.enc`) into `process.env`
 * before the app runs, or stops the process with envcrypt's error.
 */
import { config } from './api/load.js';
import { preloadOptions } from './preload/options.js';
import { failPreload } from './preload/fail.js';

try {
  await config({ ...preloadOptions(process.env), processEnv: process.env });
} catch (e) {
  failPreload(e);
}
