import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gfInv, gfMul, shamirCombine, shamirSplit, shareX } from '../../src/crypto/shamir.js';
import { EnvcryptError } from '../../src/errors.js';
import { randomXs, referenceCombine, referenceSplit, tableDiv, tableMul } from '../helpers/sops-shamir-encoder.js';
import { RUNS } from '../helpers/paths.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof EnvcryptError) return e.code;
    throw e;
  }
  return 'no error';
}

// ported from getsops/sops shamir/shamir_test.go
describe('shamir (ported from getsops/sops shamir/shamir_test.go)', () => {
  it('TestSplit_invalid', () => {
    const secret = enc('test');
    expect(usage(() => shamirSplit(secret, 0, 0))).toBe('USAGE');
    expect(usage(() => shamirSplit(secret, 2, 3))).toBe('USAGE');
    expect(usage(() => shamirSplit(secret, 1000, 3))).toBe('USAGE');
    expect(usage(() => shamirSplit(secret, 10, 1))).toBe('USAGE');
    expect(usage(() => shamirSplit(new Uint8Array(0), 3, 2))).toBe('USAGE');
  });

  it('TestSplit: 5 shares, each one byte longer than the secret, x = 1…5 as sops 3.13.2 writes', () => {
    const out = shamirSplit(enc('test'), 5, 3);
    expect(out).toHaveLength(5);
    for (const s of out) expect(s).toHaveLength(5);
    expect(out.map(shareX)).toEqual([1, 2, 3, 4, 5]);
  });

  it('TestCombine_invalid', () => {
    expect(usage(() => shamirCombine([]))).toBe('DECRYPT_FAILED');
    expect(usage(() => shamirCombine([enc('foo'), enc('ba')]))).toBe('DECRYPT_FAILED');
    expect(usage(() => shamirCombine([enc('f'), enc('b')]))).toBe('DECRYPT_FAILED');
    expect(usage(() => shamirCombine([enc('foo'), enc('foo')]))).toBe('DECRYPT_FAILED');
  });

  it('TestCombine: every ordered choice of 3 of the 5 shares rebuilds the secret', () => {
    const secret = enc('test');
    const out = shamirSplit(secret, 5, 3);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        for (let k = 0; k < 5; k++) {
          if (new Set([i, j, k]).size !== 3) continue;
          expect(hex(shamirCombine([out[i]!, out[j]!, out[k]!]))).toBe(hex(secret));
        }
      }
    }
  });

  it('TestField_MulDivSmoke: (a·b)/b = a for every a and b ≠ 0, and a·0 = 0', () => {
    const bad: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const ok = b === 0 ? gfMul(a, b) === 0 : gfMul(gfMul(a, b), gfInv(b)) === a;
        if (!ok) bad.push(`${a},${b}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('TestField_Mult and TestField_Divide', () => {
    expect(gfMul(3, 7)).toBe(9);
    expect(gfMul(3, 0)).toBe(0);
    expect(gfMul(0, 3)).toBe(0);
    expect(gfMul(0, gfInv(7))).toBe(0);
    expect(gfMul(3, gfInv(3))).toBe(1);
    expect(gfMul(6, gfInv(3))).toBe(2);
  });
});

describe('shamir against the independent encoder (test/helpers/sops-shamir-encoder.ts)', () => {
  it('multiplies exactly as the log/exp tables do, for all 65,536 pairs', () => {
    const bad: string[] = [];
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (gfMul(a, b) !== tableMul(a, b)) bad.push(`${a}·${b}`);
    for (let b = 1; b < 256; b++) if (gfInv(b) !== tableDiv(1, b)) bad.push(`1/${b}`);
    expect(bad).toEqual([]);
  });

  it('splits with the same polynomials as the reference when given its coefficients', () => {
    // The same coefficient stream in both: the shares must be byte-identical.
    const coefficients = [...Buffer.from('00112233445566778899aabbccddeeff', 'hex')];
    let at = 0;
    const shares = shamirSplit(enc('ab'), 3, 3, (n) => new Uint8Array(coefficients.slice(at, (at += n))));
    // Reference evaluation of the same polynomials (constant term first).
    const polys = [[0x61, 0x00, 0x11], [0x62, 0x22, 0x33]];
    const want = [1, 2, 3].map((x) => [...polys.map((p) => p.reduce((y, c, k) => y ^ tableMul(c, [1, x, tableMul(x, x)][k]!), 0)), x]);
    expect(shares.map((s) => [...s])).toEqual(want);
  });

  it('property: split/combine round trip, any threshold-sized subset, both implementations agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), (secret, t, extra, sopsOld) => {
        const n = t + extra;
        const mine = shamirSplit(secret, n, t);
        const theirs = referenceSplit(secret, n, t, sopsOld ? randomXs(n) : undefined);
        const pick = (xs: Uint8Array[]) => xs.slice(extra).slice(0, t);
        expect(hex(shamirCombine(pick(mine)))).toBe(hex(secret));
        expect(hex(referenceCombine(pick(mine)))).toBe(hex(secret));
        expect(hex(shamirCombine(pick(theirs)))).toBe(hex(secret));
        expect(hex(shamirCombine(theirs))).toBe(hex(secret));
      }),
      { numRuns: RUNS },
    );
  });

  it('fewer shares than the threshold give a wrong secret, not the secret', () => {
    const secret = new Uint8Array(32).fill(7);
    const shares = shamirSplit(secret, 3, 3);
    expect(hex(shamirCombine(shares.slice(0, 2)))).not.toBe(hex(secret));
  });

  it('refuses a share with x-coordinate 0 (it would be the secret itself; sops never writes one)', () => {
    const [a, b] = shamirSplit(enc('key'), 2, 2);
    const zero = new Uint8Array(a!);
    zero[zero.length - 1] = 0;
    expect(usage(() => shamirCombine([zero, b!]))).toBe('DECRYPT_FAILED');
  });
});
