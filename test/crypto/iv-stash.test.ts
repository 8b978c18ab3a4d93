import { describe, expect, it } from 'vitest';
import { IvStash } from '../../src/crypto/iv-stash.js';

const iv = (n: number) => new Uint8Array(32).fill(n);

describe('IvStash', () => {
  it('returns the IV remembered for the same text under the same AAD, and nothing otherwise', () => {
    const s = new IvStash();
    s.remember('secret', 'db:password:', iv(1));
    expect(s.lookup('secret', 'db:password:')).toEqual(iv(1));
    expect(s.lookup('secret', 'db:user:')).toBeUndefined();
    expect(s.lookup('other', 'db:password:')).toBeUndefined();
    expect(s.size).toBe(1);
  });

  it('keeps text and AAD apart: no two (text, AAD) pairs share an entry by concatenation', () => {
    const s = new IvStash();
    s.remember('b:c', 'a:', iv(1));
    s.remember('c', 'a:b:', iv(2));
    expect(s.lookup('b:c', 'a:')).toEqual(iv(1));
    expect(s.lookup('c', 'a:b:')).toEqual(iv(2));
    expect(s.size).toBe(2);
  });

  it('the last IV remembered for a pair wins', () => {
    const s = new IvStash();
    s.remember('x', 'k:', iv(1));
    s.remember('x', 'k:', iv(2));
    expect(s.lookup('x', 'k:')).toEqual(iv(2));
    expect(s.size).toBe(1);
  });

  it('a disabled stash (read-only callers) remembers nothing', () => {
    const s = new IvStash(false);
    s.remember('x', 'k:', iv(1));
    expect(s.lookup('x', 'k:')).toBeUndefined();
    expect(s.size).toBe(0);
  });
});
