import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setOwn, toEnv } from '../../src/tree/env.js';
import { list, map, pair, str } from '../../src/tree/types.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

describe('toEnv and names that are Object.prototype properties', () => {
  it('keeps a top-level key __proto__ as an own variable and leaves the prototype alone', () => {
    const env = toEnv([map([pair('__proto__', str('proto-value')), pair('A', str('a'))])]);
    expect(Object.keys(env)).toEqual(['__proto__', 'A']);
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('proto-value');
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.entries(env)).toEqual([['__proto__', 'proto-value'], ['A', 'a']]);
  });

  it('keeps constructor, toString and hasOwnProperty as ordinary variables', () => {
    const env = toEnv([map([pair('constructor', str('c')), pair('toString', str('t')), pair('hasOwnProperty', str('h'))])]);
    expect(Object.entries(env)).toEqual([['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h']]);
  });

  it('flattens nested __proto__ keys under their parent', () => {
    const env = toEnv([map([pair('n', map([pair('__proto__', str('x'))])), pair('l', list([str('y')]))])], { case: 'preserve' });
    expect(Object.entries(env)).toEqual([['n___proto__', 'x'], ['l_0', 'y']]);
  });

  it('reports a clash with __proto__ like any other', () => {
    // `_` joined to `proto__` by the separator `_` is `__proto__` too.
    expect(() => toEnv([map([pair('_', map([pair('proto__', str('a'))])), pair('__proto__', str('b'))])], { case: 'preserve' })).toThrow(
      expect.objectContaining({ code: 'CONFLICT' }),
    );
  });

  it('every top-level string key comes back as an own property with its value', () => {
    const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', '__defineGetter__'), fc.string({ minLength: 1 }).filter((k) => !k.includes('=') && !k.includes('\0')));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, fc.string()), { selector: ([k]) => k, maxLength: 8 }), (pairs) => {
        const env = toEnv([map(pairs.map(([k, v]) => pair(k, str(v))))]);
        // Sorted: integer-like names come first in any object's key order.
        const sorted = (e: [string, string][]) => [...e].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        expect(sorted(Object.entries(env))).toEqual(sorted(pairs));
        expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('setOwn', () => {
  it('defines __proto__ as data and assigns other keys', () => {
    const r: Record<string, string | undefined> = {};
    setOwn(r, '__proto__', 'p');
    setOwn(r, 'K', 'k');
    expect(Object.getOwnPropertyDescriptor(r, '__proto__')).toEqual({ value: 'p', writable: true, enumerable: true, configurable: true });
    expect(r.K).toBe('k');
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    // A spread copy keeps it as a variable too.
    expect(Object.keys({ ...r })).toEqual(['__proto__', 'K']);
  });
});
