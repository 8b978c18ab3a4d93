import { describe, expect, it } from 'vitest';
import { nodesEqual } from '../../src/tree/equal.js';
import { bool, comment, float, int, list, map, nul, pair, str } from '../../src/tree/types.js';

describe('nodesEqual', () => {
  const tree = () => map([comment(' c'), pair('a', list([str('x'), int(1n), float(0.5), bool(true), nul, comment(' in', true)])), pair('b', map([]))]);

  it('is true for structurally equal trees built separately', () => {
    expect(nodesEqual(tree(), tree())).toBe(true);
  });

  it.each([
    ['a different key', map([pair('A', str('x'))]), map([pair('a', str('x'))])],
    ['a different order', map([pair('a', str('1')), pair('b', str('2'))]), map([pair('b', str('2')), pair('a', str('1'))])],
    ['an extra item', list([str('x')]), list([str('x'), str('x')])],
    ['a different kind with the same text', str('1'), int(1n)],
    ['a string vs a bool', str('true'), bool(true)],
    ['an inline vs an own-line comment', comment(' c', true), comment(' c')],
    ['a different comment', comment(' a'), comment(' b')],
    ['-0 vs 0', float(-0), float(0)],
    ['a map vs a list', map([]), list([])],
  ])('is false for %s', (_what, a, b) => {
    expect(nodesEqual(a, b)).toBe(false);
    expect(nodesEqual(b, a)).toBe(false);
  });

  it('treats NaN as equal to NaN, nulls as equal, and big integers exactly', () => {
    expect(nodesEqual(float(NaN), float(NaN))).toBe(true);
    expect(nodesEqual(nul, { kind: 'null' })).toBe(true);
    expect(nodesEqual(int(9007199254740993n), int(9007199254740993n))).toBe(true);
    expect(nodesEqual(int(9007199254740993n), int(9007199254740992n))).toBe(false);
    expect(nodesEqual(comment(' c', false), comment(' c'))).toBe(true);
  });

  it('compares pairs by key and value', () => {
    expect(nodesEqual(pair('k', str('v')), pair('k', str('v')))).toBe(true);
    expect(nodesEqual(pair('k', str('v')), pair('k', str('w')))).toBe(false);
  });
});
