import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCanonicalBase64 } from '../../src/io/base64.js';

// The oracle is Node's encoder: a string is canonical exactly when encoding
// the bytes Node's lenient decoder makes of it gives the string back.
const canonicalPadded = (s: string): boolean => Buffer.from(s, 'base64').toString('base64') === s;
const canonicalUnpadded = (s: string): boolean => !s.includes('=') && Buffer.from(s, 'base64').toString('base64').replace(/=+$/, '') === s;
// Mostly the alphabet, with the characters a lenient decoder would skip or map.
const text = fc.string({ unit: fc.constantFrom(...'AQgw+/09az=', ' ', '\n', '-', '_', 'é'), maxLength: 14 });
const RUNS = process.env.ENVCRYPT_TEST_LONG ? 20_000 : 1_000;

describe('decodeCanonicalBase64', () => {
  it('round-trips every byte string, padded and unpadded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const padded = Buffer.from(bytes).toString('base64');
        expect(decodeCanonicalBase64(padded, true)).toEqual(Buffer.from(bytes));
        expect(decodeCanonicalBase64(padded.replace(/=+$/, ''), false)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts a string exactly when re-encoding gives it back', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(decodeCanonicalBase64(s, true) !== null).toBe(canonicalPadded(s));
        expect(decodeCanonicalBase64(s, false) !== null).toBe(canonicalUnpadded(s));
      }),
      { numRuns: RUNS },
    );
  });

  it.each([
    ['spare bits after 2 characters', 'QR==', true],
    ['spare bits after 3 characters', 'QUF=', true],
    ['missing padding', 'QQ', true],
    ['three padding characters', 'Q===', true],
    ['padding in the middle', 'QQ==QUFB', true],
    ['padding when unpadded', 'QQ==', false],
    ['an impossible length', 'QUFBQ', false],
    ['the URL-safe alphabet', 'QU-_', false],
  ])('rejects %s', (_what, s, padded) => {
    expect(decodeCanonicalBase64(s, padded)).toBeNull();
  });
});
