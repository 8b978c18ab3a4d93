/**
 * Shamir secret sharing over GF(2^8), byte-compatible with the `shamir`
 * package of sops 3.13.2 (`shamir/shamir.go`, HashiCorp Vault's scheme):
 *
 * - the field is Rijndael's, GF(2)[X]/(X^8+X^4+X^3+X+1) (reduction 0x1B);
 * - every secret byte has its own random polynomial of degree threshold-1
 *   whose constant term is the byte;
 * - a share is the polynomial values for every secret byte followed by ONE
 *   byte, the x-coordinate: `{y1, …, yN, x}`, so it is one byte longer than
 *   the secret;
 * - sops 3.10+ writes x = part index + 1 (1, 2, 3, …); sops before 3.10 (and
 *   Vault) used random distinct x-coordinates. Reading accepts any distinct
 *   non-zero x, as sops's `Combine` does.
 *
 * Written from the definitions (Horner's rule, Lagrange interpolation at 0),
 * not copied: a data key split here opens in sops, and one sops split opens
 * here (test/crypto/shamir.test.ts, test/helpers/sops-shamir-encoder.ts).
 */
import { randomBytes } from 'node:crypto';
import { EnvcryptError } from '../errors.js';

/** Bytes a share adds to the secret: its x-coordinate. */
export const SHARE_OVERHEAD = 1;

/**
 * Multiply in GF(2^8). Branch-free over the bits of `b` (double-and-add with a
 * mask instead of a test), as sops's `mult` is, so its timing does not depend
 * on the secret bytes.
 */
export function gfMul(a: number, b: number): number {
  let acc = 0;
  for (let i = 7; i >= 0; i--) {
    const bit = (b >> i) & 1;
    const reduce = -(acc >> 7) & 0x1b;
    acc = (((acc << 1) & 0xff) ^ reduce) ^ (-bit & a);
  }
  return acc & 0xff;
}

/** The multiplicative inverse in GF(2^8): a^254 (Fermat); 0 for 0. */
export function gfInv(a: number): number {
  // Square-and-multiply over the fixed exponent 254 = 0b11111110.
  let result = 1;
  let base = a;
  for (let e = 254; e > 0; e >>= 1) {
    if (e & 1) result = gfMul(result, base);
    base = gfMul(base, base);
  }
  return result;
}

// The polynomial with these coefficients (constant term first) at x, by Horner's rule.
function evaluate(coefficients: Uint8Array, x: number): number {
  if (x === 0) return coefficients[0]!;
  let out = coefficients[coefficients.length - 1]!;
  for (let i = coefficients.length - 2; i >= 0; i--) out = gfMul(out, x) ^ coefficients[i]!;
  return out;
}

// Lagrange interpolation of the points (xs[i], ys[i]) at x; sums and differences are XOR.
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  let result = 0;
  for (let i = 0; i < xs.length; i++) {
    let basis = 1;
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue;
      basis = gfMul(basis, gfMul(x ^ xs[j]!, gfInv(xs[i]! ^ xs[j]!)));
    }
    result ^= gfMul(ys[i]!, basis);
  }
  return result;
}

function invalid(message: string): EnvcryptError {
  return new EnvcryptError('DECRYPT_FAILED', message);
}

/**
 * Split `secret` into `parts` shares, any `threshold` of which rebuild it.
 * Part i (0-based) gets x-coordinate i + 1, as sops 3.13.2 writes.
 *
 * @param random - the source of the polynomials' coefficients (tests only; default the CSPRNG)
 * @throws EnvcryptError `USAGE` for parts or threshold out of range (2 ≤ threshold ≤ parts ≤ 255), or an empty secret
 */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number, random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): Uint8Array[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new EnvcryptError('USAGE', 'the number of parts and the threshold must be whole numbers');
  if (parts < threshold) throw new EnvcryptError('USAGE', `the threshold (${threshold}) cannot exceed the number of key groups (${parts})`);
  if (parts > 255) throw new EnvcryptError('USAGE', `at most 255 key groups are possible, not ${parts}`);
  if (threshold < 2) throw new EnvcryptError('USAGE', `the Shamir threshold must be at least 2, not ${threshold}`);
  if (secret.length === 0) throw new EnvcryptError('USAGE', 'cannot split an empty secret');
  const out = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + SHARE_OVERHEAD);
    share[secret.length] = i + 1;
    return share;
  });
  const coefficients = new Uint8Array(threshold);
  for (let b = 0; b < secret.length; b++) {
    coefficients[0] = secret[b]!;
    coefficients.set(random(threshold - 1), 1);
    for (let i = 0; i < parts; i++) out[i]![b] = evaluate(coefficients, i + 1);
  }
  coefficients.fill(0);
  return out;
}

/** The x-coordinate of a share (its last byte). */
export function shareX(share: Uint8Array): number {
  return share[share.length - 1]!;
}

/**
 * Rebuild a secret from shares made by {@link shamirSplit} or sops. With
 * fewer shares than the split's threshold the result is a wrong secret, not
 * an error (Shamir cannot tell): callers check the data key against the MAC.
 *
 * @throws EnvcryptError `DECRYPT_FAILED` for fewer than two shares, shares of
 *   different lengths, or two shares with the same x-coordinate (sops's
 *   "duplicate part detected")
 */
export function shamirCombine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw invalid('less than two key-group shares cannot rebuild the data key');
  const len = shares[0]!.length;
  if (len < 2) throw invalid('a key-group share must be at least two bytes');
  if (shares.some((s) => s.length !== len)) throw invalid('the key-group shares have different lengths');
  const xs = shares.map(shareX);
  if (new Set(xs).size !== xs.length) throw invalid('two key groups hold the same share (duplicate x-coordinate)');
  // x = 0 would be the secret itself; sops never makes one, and Lagrange at 0 would just return its y.
  if (xs.includes(0)) throw invalid('a key-group share has x-coordinate 0');
  const secret = new Uint8Array(len - SHARE_OVERHEAD);
  const ys = new Array<number>(shares.length);
  for (let b = 0; b < secret.length; b++) {
    for (let i = 0; i < shares.length; i++) ys[i] = shares[i]![b]!;
    secret[b] = interpolate(xs, ys, 0);
  }
  return secret;
}
