/**
 * Random bytes from node's CSPRNG, read 8 KiB at a time. Each `randomBytes`
 * call is a trip into OpenSSL; a file's values took one IV each, and a data
 * key wrapped for 100 recipients three reads per recipient (its file key,
 * payload nonce and ephemeral X25519 key). The bytes handed out are copied
 * and then zeroed in the pool, so a secret taken from it (a file key, an
 * ephemeral scalar) is not left behind there.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 8192;
let pool = Buffer.alloc(0);
let next = 0;

/** `n` fresh random bytes, as `crypto.randomBytes(n)` gives them. */
export function pooledRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES) return randomBytes(n);
  if (next + n > pool.length) {
    pool.fill(0);
    pool = randomBytes(POOL_BYTES);
    next = 0;
  }
  const out = Buffer.from(pool.subarray(next, next + n));
  pool.fill(0, next, next + n);
  next += n;
  return out;
}
