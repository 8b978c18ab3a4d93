import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBase64NoPad, decodeCanonicalBase64, encodeBase64NoPad } from '../../src/io/base64.js';

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

describe('decodeBase64NoPad', () => {
  it('decodes canonical unpadded base64 of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(decodeBase64NoPad(Buffer.from(bytes).toString('base64').replace(/=+$/, ''))).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  const rejected: [string, string][] = [
    ['padding', 'QUE='],
    ['spare bits set', 'QUF'],
    ['an impossible length', 'QUFBQ'],
    ['an LF', 'QUFB\nQUFB'],
    ['a CR', 'QUFB\rQUFB'],
    ['a space', 'QUFB QUFB'],
    ['the URL-safe alphabet', 'QU-_'],
  ];
  for (const [what, s] of rejected) {
    it(`rejects ${what}`, () => {
      expect(decodeBase64NoPad(s)).toBeNull();
    });
  }
});

describe('encodeBase64NoPad', () => {
  it("is Node's encoder without the padding, and decodeBase64NoPad reads it back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, offset) => {
        // A view into a larger buffer: only its own bytes are encoded.
        const backing = new Uint8Array(offset + bytes.length + 3).fill(0xff);
        backing.set(bytes, offset);
        const view = backing.subarray(offset, offset + bytes.length);
        const s = encodeBase64NoPad(view);
        expect(s).toBe(Buffer.from(bytes).toString('base64').replace(/=+$/, ''));
        expect(canonicalUnpadded(s)).toBe(true);
        expect(decodeBase64NoPad(s)).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });
});
