/**
 * Catching the EnvcryptError a call is expected to throw, so that a test can
 * assert on its code, message and hints. Anything else that is thrown fails
 * the test as it is; returning normally fails it too.
 */
import { EnvcryptError } from '../../src/errors.js';

/** Run `fn`, which must throw an EnvcryptError, and return that error. */
export function caught(fn: () => unknown): EnvcryptError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvcryptError) return e;
    throw e;
  }
  throw new Error('expected an EnvcryptError, nothing was thrown');
}

/** Await `p` (or the promise `p()` returns), which must reject with an EnvcryptError, and return that error. */
export async function rejected(p: Promise<unknown> | (() => unknown)): Promise<EnvcryptError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof EnvcryptError) return e;
    throw e;
  }
  throw new Error('expected an EnvcryptError, nothing was thrown');
}
