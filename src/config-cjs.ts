/**
 * CommonJS preload: `node -r envcrypt/config app.js`. A `-r` module must
 * finish synchronously, and decryption is asynchronous, so the values are
 * computed by a short-lived envcrypt child process and read from its stdout
 * pipe (never from disk or argv).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { populate } from './api/load.js';
import { preloadOptions } from './preload/options.js';

const bin = join(__dirname, '..', 'bin', 'envcrypt.js');
const r = spawnSync(process.execPath, [bin, '__preload-json'], {
  stdio: ['inherit', 'pipe', 'inherit'],
  env: process.env,
  maxBuffer: 256 * 1024 * 1024,
});
if (r.status !== 0 || r.error) {
  // The child already printed the envcrypt error on the inherited stderr.
  process.exit(r.status ?? 1);
}
const values = JSON.parse(r.stdout.toString('utf8')) as Record<string, string>;
populate(process.env, values, { override: preloadOptions(process.env).override ?? false });
