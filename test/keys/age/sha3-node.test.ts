// The node:crypto SHA-3 that the build gives the vendored ML-KEM
// (src/keys/age/sha3-node.ts): byte for byte what @noble/hashes computes,
// and the built dist/vendor/ml-kem.cjs agrees with @noble/post-quantum's own.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sha3_256 as nobleSha3_256, sha3_512 as nobleSha3_512, shake128 as nobleShake128, shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import { ml_kem768 as nobleMlKem } from '@noble/post-quantum/ml-kem.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha3_256, sha3_512, shake128, shake256 } from '../../../src/keys/age/sha3-node.js';
import { ROOT } from '../../helpers/paths.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

describe('sha3-node: the shape of @noble/hashes/sha3.js, with node:crypto', () => {
  it('one-shot SHA3-256 and SHA3-512, and create().update().update().digest(), equal noble', () => {
    fc.assert(
      fc.property(bytes(400), bytes(200), (a, b) => {
        expect(hex(sha3_256(a))).toBe(hex(nobleSha3_256(a)));
        expect(hex(sha3_512(a))).toBe(hex(nobleSha3_512(a)));
        expect(hex(sha3_512.create().update(a).update(b).digest())).toBe(hex(nobleSha3_512.create().update(a).update(b).digest()));
      }),
      { numRuns: 60 },
    );
  });

  it('SHAKE256 with and without dkLen equals noble, and its block and output lengths are noble\'s', () => {
    fc.assert(
      fc.property(bytes(300), bytes(40), fc.integer({ min: 1, max: 700 }), (a, b, dkLen) => {
        expect(hex(shake256(a))).toBe(hex(nobleShake256(a)));
        expect(hex(shake256.create({ dkLen }).update(a).update(b).digest())).toBe(hex(nobleShake256.create({ dkLen }).update(a).update(b).digest()));
      }),
      { numRuns: 60 },
    );
    for (const [ours, theirs] of [[shake128, nobleShake128], [shake256, nobleShake256], [sha3_256, nobleSha3_256], [sha3_512, nobleSha3_512]] as const) {
      expect([ours.blockLen, ours.outputLen]).toEqual([theirs.blockLen, theirs.outputLen]);
    }
  });

  it('SHAKE128 squeezed block by block with xofInto gives noble\'s stream', () => {
    fc.assert(
      fc.property(bytes(64), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }), (seed, sizes) => {
        const ours = shake128.create({}).update(seed);
        const theirs = nobleShake128.create({}).update(seed);
        for (const n of sizes) expect(hex(ours.xofInto(new Uint8Array(n)))).toBe(hex(theirs.xofInto(new Uint8Array(n))));
      }),
      { numRuns: 60 },
    );
  });

  it('a finished or destroyed hash refuses more work', () => {
    const h = sha3_256.create();
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow();
    const x = shake128.create({});
    x.destroy();
    expect(() => x.xofInto(new Uint8Array(16))).toThrow();
  });
});

describe('the built ML-KEM-768 (dist/vendor/ml-kem.cjs, hashing with node:crypto)', () => {
  const built = createRequire(import.meta.url)(join(ROOT, 'dist', 'vendor', 'ml-kem.cjs')) as { ml_kem768: typeof nobleMlKem };

  it('keygen, encapsulate and decapsulate equal @noble/post-quantum, a tampered ciphertext included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(1087), (seed, msg, flip) => {
        const ours = built.ml_kem768.keygen(seed);
        const theirs = nobleMlKem.keygen(seed);
        expect(hex(ours.publicKey)).toBe(hex(theirs.publicKey));
        expect(hex(ours.secretKey)).toBe(hex(theirs.secretKey));
        const enc = built.ml_kem768.encapsulate(ours.publicKey, msg);
        const ref = nobleMlKem.encapsulate(theirs.publicKey, msg);
        expect(hex(enc.cipherText)).toBe(hex(ref.cipherText));
        expect(hex(enc.sharedSecret)).toBe(hex(ref.sharedSecret));
        expect(hex(built.ml_kem768.decapsulate(enc.cipherText, ours.secretKey))).toBe(hex(ref.sharedSecret));
        // Implicit rejection: a changed ciphertext gives the same pseudo-random secret as noble's.
        const bad = Uint8Array.from(enc.cipherText);
        bad[flip] = bad[flip]! ^ 1;
        expect(hex(built.ml_kem768.decapsulate(bad, ours.secretKey))).toBe(hex(nobleMlKem.decapsulate(bad, theirs.secretKey)));
      }),
      { numRuns: 12 },
    );
  });

  it('carries no JavaScript Keccak of its own', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(ROOT, 'dist', 'vendor', 'ml-kem.cjs'), 'utf8');
    expect(text).toContain('require("node:crypto")');
    expect(text).not.toMatch(/keccakP/);
  });
});
