import type { ConfigOptions } from '../api/load.js';
import { envFlag } from '../io/env-flag.js';

/**
 * Preload options from the environment:
 * - `ENVCRYPT_CONFIG_PATH`: comma-separated files, layered in order; a name
 *   ending in `?` may be missing (default `.env.enc`);
 * - `ENVCRYPT_CONFIG_OVERRIDE`: `true`/`1` lets file values beat variables
 *   already set (never an unauthenticated value: see `populate`);
 * - `ENVCRYPT_CONFIG_KEEP_IDENTITY`: `true`/`1` leaves the identity
 *   variables in `process.env` (by default they are deleted once the files
 *   are decrypted, so the app and its children never see the key);
 * - the usual key variables (`ENVCRYPT_AGE_KEY`, `SOPS_AGE_KEY_FILE`, …).
 */
export function preloadOptions(env: NodeJS.ProcessEnv): ConfigOptions {
  const raw = (env.ENVCRYPT_CONFIG_PATH ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const list = raw.length ? raw : ['.env.enc'];
  const optional = list.filter((p) => p.endsWith('?')).map((p) => p.slice(0, -1));
  return {
    path: list.map((p) => (p.endsWith('?') ? p.slice(0, -1) : p)),
    optional,
    override: envFlag(env.ENVCRYPT_CONFIG_OVERRIDE),
    keepIdentity: envFlag(env.ENVCRYPT_CONFIG_KEEP_IDENTITY),
    env,
  };
}
