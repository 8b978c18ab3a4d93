import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalText, leafFromPlaintext, parseGoBool, parseGoFloat, parseGoInt } from '../../src/crypto/values.js';
import { formatGoFloat } from '../../src/tree/scalar-text.js';
import { EnvcryptError } from '../../src/errors.js';
import { RUNS } from '../helpers/paths.js';

describe('Go-compatible value text', () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [100, '100'],
    [-0, '-0'],
    [0.5, '0.5'],
    [3.14, '3.14'],
    [1.5e300, '15' + '0'.repeat(299)],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
    [123456789.125, '123456789.125'],
  ])('formats %s as Go FormatFloat(f, f, -1) does: %s', (f, s) => {
    expect(formatGoFloat(f)).toBe(s);
  });

  it('float text parses back to the same number (shortest round trip)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (f) => {
        expect(Object.is(parseGoFloat(formatGoFloat(f)), f)).toBe(true);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('parses ints like Atoi: signs, int64 range', () => {
    expect(parseGoInt('+5')).toBe(5n);
    expect(parseGoInt('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseGoInt('9223372036854775808')).toBeNull();
    expect(parseGoInt('0x10')).toBeNull();
    expect(parseGoInt('')).toBeNull();
  });

  it('parses bools like ParseBool', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(f)).toBe(false);
    expect(parseGoBool('yes')).toBeNull();
  });

  it('hashes a bool written as "true" by another tool as True', () => {
    const leaf = leafFromPlaintext('bool', 'true', 'k');
    expect(canonicalText(leaf as never)).toBe('True');
    expect(canonicalText(leafFromPlaintext('int', '+5', 'k') as never)).toBe('5');
  });

  it('rejects unknown types and bad numbers with DECRYPT_FAILED, naming the key not the value', () => {
    for (const [type, text] of [['int', 'abc-secret'], ['float', 'xyz-secret'], ['bool', 'maybe-secret'], ['weird', 'v-secret']]) {
      try {
        leafFromPlaintext(type!, text!, '"db.port"');
        expect.unreachable();
      } catch (e) {
        expect((e as EnvcryptError).code).toBe('DECRYPT_FAILED');
        expect((e as Error).message).toContain('db.port');
        expect((e as Error).message).not.toContain('secret');
      }
    }
  });
});
