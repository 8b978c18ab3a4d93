// Random bytes read from the CSPRNG in batches (src/io/random-pool.ts).
import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from '../../src/io/random-pool.js';

describe('pooledRandomBytes', () => {
  it('gives the length asked, fresh bytes each time across many pool refills, and copies no one else holds', () => {
    const seen = new Set<string>();
    const taken: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = [16, 32, 12][i % 3]!;
      const b = pooledRandomBytes(n);
      expect(b).toHaveLength(n);
      seen.add(b.toString('hex'));
      taken.push(b);
    }
    // 3,000 draws of 12 to 32 bytes: a repeat would mean bytes handed out twice.
    expect(seen.size).toBe(3000);
    // Each is its own copy: zeroing one changes no other, and later draws do not write into earlier ones.
    const before = taken.map((b) => b.toString('hex'));
    taken[0]!.fill(0);
    pooledRandomBytes(8000);
    expect(taken.slice(1).map((b) => b.toString('hex'))).toEqual(before.slice(1));
  });

  it('asks the CSPRNG directly for more than a pool holds', () => {
    const big = pooledRandomBytes(20000);
    expect(big).toHaveLength(20000);
    // Not all zeros, and not one byte repeated (a failed read would look like that).
    expect(new Set(big).size).toBeGreaterThan(200);
  });

  it('an empty request is an empty buffer', () => {
    expect(pooledRandomBytes(0)).toHaveLength(0);
  });
});
