/**
 * `assert`'s `strictEqual` and `notStrictEqual`, for yargs's platform shim,
 * which imports them at start-up. Loading `node:assert` also loads util's
 * colour support, which opens stderr: about 3 ms of every CLI start, for
 * checks that pass on every run but a broken one. Each check is made here
 * with `Object.is`, as `node:assert` makes it; only a failing one loads
 * `node:assert`, which throws its own AssertionError with its own message.
 * The build (scripts/build.mjs) points yargs's import here.
 */
import { builtin } from '../io/builtin.js';

// Only the two checks are typed: node's own types declare them as assertion
// signatures, which TypeScript allows to call through a plain name only.
interface Assert {
  strictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
  notStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void;
}

/** Passes when `actual` and `expected` are the same value (`Object.is`); else throws as `node:assert` does. */
export function strictEqual(actual: unknown, expected: unknown, message?: string | Error): void {
  if (Object.is(actual, expected)) return;
  builtin<Assert>('node:assert').strictEqual(actual, expected, message);
}

/** Passes when `actual` and `expected` are different values (`Object.is`); else throws as `node:assert` does. */
export function notStrictEqual(actual: unknown, expected: unknown, message?: string | Error): void {
  if (!Object.is(actual, expected)) return;
  builtin<Assert>('node:assert').notStrictEqual(actual, expected, message);
}
