// The shim the CLI bundle gives yargs for `assert` (src/cli/lazy-assert.ts):
// it must pass and fail exactly as node:assert does, with node's own error.
import assert from 'node:assert';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notStrictEqual, strictEqual } from '../../src/cli/lazy-assert.js';

/** What a check did: passed, or the class, code and message of what it threw. */
function outcome(check: () => void): string {
  try {
    check();
    return 'passed';
  } catch (e) {
    const err = e as Error & { code?: string };
    return `${err.constructor.name} ${err.code} ${err.message}`;
  }
}

const shared = { list: [1] };
// Values where Object.is, === and == disagree, and some that are equal.
const values = fc.oneof(
  fc.constantFrom<unknown>(0, -0, NaN, '', '0', null, undefined, false, shared, shared.list, 1, '1'),
  fc.anything({ maxDepth: 1 }),
);

describe('lazy assert shim', () => {
  it('strictEqual and notStrictEqual pass and throw exactly as node:assert does', () => {
    fc.assert(
      fc.property(values, fc.oneof(values, fc.constant(shared)), fc.option(fc.string(), { nil: undefined }), (a, b, message) => {
        expect(outcome(() => strictEqual(a, b, message))).toBe(outcome(() => assert.strictEqual(a, b, message)));
        expect(outcome(() => notStrictEqual(a, b, message))).toBe(outcome(() => assert.notStrictEqual(a, b, message)));
        // Each value against itself: strictEqual passes, notStrictEqual throws node's error.
        expect(outcome(() => strictEqual(a, a))).toBe('passed');
        expect(outcome(() => notStrictEqual(a, a, message))).toBe(outcome(() => assert.notStrictEqual(a, a, message)));
      }),
      { numRuns: 300 },
    );
  });

  it('NaN equals NaN and 0 differs from -0, as Object.is has it', () => {
    expect(outcome(() => strictEqual(NaN, NaN))).toBe('passed');
    expect(outcome(() => strictEqual(0, -0))).toMatch(/^AssertionError ERR_ASSERTION/);
    expect(outcome(() => notStrictEqual(0, -0))).toBe('passed');
  });
});
