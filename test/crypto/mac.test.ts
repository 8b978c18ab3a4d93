import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMac, macEquals } from '../../src/crypto/mac.js';
import { compileSelector, DEFAULT_SELECTOR } from '../../src/crypto/selector.js';
import { bool, float, int, list, map, nul, pair, str, comment } from '../../src/tree/types.js';
import { FIXTURES } from '../helpers/paths.js';

const kat = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'known-answer-tests.json'), 'utf8'));
const all = compileSelector(DEFAULT_SELECTOR);

describe('MAC (SHA-512 over canonical values)', () => {
  it('matches the known answer for bar, 42, True, 3.14', () => {
    const tree = map([pair('foo', str('bar')), pair('a', map([pair('b', int(42n))])), pair('flags', bool(true)), pair('pi', float(3.14))]);
    expect(computeMac([tree], all, false)).toBe(kat.macOverBar42True3_14);
  });

  it('prefixes SHA-256("sops") with mac_only_encrypted (known answer)', () => {
    expect(computeMac([map([pair('foo', str('bar'))])], all, true)).toBe(kat.macOnlyEncrypted_over_bar);
  });

  it('matches SOPS-FORMAT §16.2: nulls and comments skipped, empty string adds nothing', () => {
    const tree = map([
      comment(' top comment'),
      pair('db', map([
        pair('user', str('admin')),
        pair('port', int(5432n)),
        pair('replicas', list([str('host-a'), str('host-b')])),
        pair('enabled', bool(true)),
        pair('ratio', float(0.5)),
        pair('note_unencrypted', str('visible')),
      ])),
      pair('empty', str('')),
      pair('nothing', nul),
    ]);
    expect(computeMac([tree], all, false)).toBe(
      '08B3E5E2BD7C70C90970737DBA753B1BCAAD9539185890886CEE766D5C7702B33B2DDC3D222076051ED1BEE4A13DE78CEDC651BE0412F1329CCCA6AED9521815',
    );
  });

  it('changes when two values swap places', () => {
    const a = map([pair('x', str('1')), pair('y', str('2'))]);
    const b = map([pair('x', str('2')), pair('y', str('1'))]);
    expect(computeMac([a], all, false)).not.toBe(computeMac([b], all, false));
  });

  it('with mac_only_encrypted, ignores unencrypted values', () => {
    const a = map([pair('k', str('v')), pair('x_unencrypted', str('1'))]);
    const b = map([pair('k', str('v')), pair('x_unencrypted', str('2'))]);
    expect(computeMac([a], all, true)).toBe(computeMac([b], all, true));
    expect(computeMac([a], all, false)).not.toBe(computeMac([b], all, false));
  });

  it('compares in constant time and exactly', () => {
    expect(macEquals('ABC', 'ABC')).toBe(true);
    expect(macEquals('ABC', 'ABD')).toBe(false);
    expect(macEquals('ABC', 'ABCD')).toBe(false);
  });
});
