/**
 * The common case of every app launch, in the smallest bundles
 * (dist/fast-exec.cjs, dist/fast-preload.cjs): dotenv files opened with
 * X25519 or post-quantum identities from files or the environment. Anything
 * else — a YAML or JSON file, an SSH key, a key command, `--redact`, any error —
 * answers "not here", and the caller runs the full runtime
 * (dist/runtime.cjs) from the start.
 *
 * The rule that keeps the two paths one: a fast path either ends exactly as
 * the full path would (it is built from the same modules), or it has done
 * nothing anyone can see — no output, no command run, no variable set.
 */
import type { SyncHost } from '../api/decrypt.js';
import { pqOpeners } from '../keys/age/mlkem.js';
import { dotenvStore } from '../stores/dotenv.js';
import type { Format, Store } from '../stores/store.js';

/** Thrown inside a fast path when the full runtime is needed; never escapes it. */
class NotHere extends Error {}

/** Dotenv files, X25519 and post-quantum keys only; anything else is {@link NotHere}. */
export const fastHost: SyncHost = {
  otherOpeners: pqOpeners,
  storeFor(format: Format): Store {
    if (format !== 'dotenv') throw new NotHere();
    return dotenvStore;
  },
  unwrapGeneral(): never {
    throw new NotHere();
  },
};

/** A key command may prompt or count its runs: only the full path runs it, once. */
export function keyCommandSet(env: NodeJS.ProcessEnv): boolean {
  return !!env.ENVCRYPT_AGE_KEY_CMD || !!env.SOPS_AGE_KEY_CMD || !!env.SOPS_AGE_SSH_PRIVATE_KEY_CMD;
}
