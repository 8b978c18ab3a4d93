/**
 * Ported from getsops/sops 3.13.2 stores/flatten_test.go, in process, against envcrypt's metadata
 * flattening (`src/stores/flatten.ts`). envcrypt flattens only the metadata, always with the `sops_`
 * prefix, so sops's prefix-free inputs get `sops_` in front (and its "prefix" prefix becomes `sops_`);
 * sops's private `tokenize` is observed through `unflattenMetadata`, which uses it.
 *
 * Differences asserted as envcrypt's, on purpose:
 * - unflattened mappings keep the order in which their keys first appear (so an older sops file keeps
 *   its order); sops sorts them. No output depends on it: envcrypt writes metadata in sops 3.13's
 *   alphabetical order (`writeMetadata`).
 * - the error texts are envcrypt's (each names the key and its line), not sops's.
 *
 * Not ported: nothing.
 */
import { describe, expect, it } from 'vitest';
import { flattenMetadata, unflattenMetadata, type FlatEntry } from '../../../src/stores/flatten.js';
import { list, map, pair, str } from '../../../src/tree/types.js';
import { caught } from '../../helpers/errors.js';

const entries = (...kv: Array<[string, string]>): FlatEntry[] => kv.map(([key, value]) => ({ key: `sops_${key}`, value }));
const numbered = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`bar__list_${i}`, `v${i}`]);

describe('sops stores/flatten_test.go', () => {
  it('TestTokenizeFlat: "bar" is one mapping step', () => {
    expect(unflattenMetadata(entries(['bar', 'x']))).toEqual(map([pair('bar', str('x'))]));
  });

  it('TestTokenizeMap: "bar__map_foo" is two mapping steps', () => {
    expect(unflattenMetadata(entries(['bar__map_foo', 'x']))).toEqual(map([pair('bar', map([pair('foo', str('x'))]))]));
  });

  it('TestTokenizeList: "bar__list_10" is a mapping step then list index 10', () => {
    const out = unflattenMetadata(entries(...numbered(11)));
    const items = (out.items[0] as { value: { items: readonly unknown[] } }).value.items;
    expect(items).toHaveLength(11);
    expect(items[10]).toEqual(str('v10'));
  });

  it('TestTokenizeNested: "bar__list_10__map_baz" is mapping, list index 10, mapping', () => {
    const kv: Array<[string, string]> = [...numbered(10), ['bar__list_10__map_baz', 'z']];
    const out = unflattenMetadata(entries(...kv));
    const items = (out.items[0] as { value: { items: readonly unknown[] } }).value.items;
    expect(items[10]).toEqual(map([pair('baz', str('z'))]));
  });

  it('TestUnflattenTreeBranch: lists and mappings are rebuilt', () => {
    const input = entries(
      ['key1__list_0', 'foo'],
      ['key2__list_0', 'foo'],
      ['key2__list_1__map_foo', 'bar'],
      ['key2__list_1__map_baz', 'bam'],
      ['key3__map_foo', 'bar'],
      ['key3__map_baz', 'bam'],
      ['key4__map_foo', 'bar'],
      ['key4__map_baz', 'bam'],
    );
    // sops sorts each mapping (baz before foo); envcrypt keeps first-seen order (see the header).
    const fooBaz = map([pair('foo', str('bar')), pair('baz', str('bam'))]);
    expect(unflattenMetadata(input)).toEqual(map([
      pair('key1', list([str('foo')])),
      pair('key2', list([str('foo'), fooBaz])),
      pair('key3', fooBaz),
      pair('key4', fooBaz),
    ]));
  });

  it('TestUnflattenTreeBranch: a duplicate, an incomplete list and a list/mapping or value/container clash are refused', () => {
    // sops: "Duplicate value", "Incomplete list" (twice), "Type mismatch" (twice).
    const cases: Array<[FlatEntry[], RegExp]> = [
      [entries(['key1__list_0', 'foo'], ['key1__list_0', 'bar']), /is given twice/],
      [entries(['key1__list_0', 'foo'], ['key1__list_999999999999', 'bar']), /list index that is not a decimal number/],
      [entries(['key1__list_1', 'foo']), /incomplete list/],
      [entries(['key1__list_0', 'foo'], ['key1__map_foo', 'bar']), /mixes a list and a mapping/],
      [entries(['key1', 'foo'], ['key1__list_0', 'bar']), /is nested under sops_key1, which is a value/],
    ];
    for (const [input, message] of cases) {
      const e = caught(() => unflattenMetadata(input));
      expect(e.code).toBe('BAD_METADATA');
      expect(e.message).toMatch(message);
    }
    expect(unflattenMetadata([])).toEqual(map([]));
  });

  it('TestFlattenTreeBranch: paths get __list_ and __map_ steps, in tree order', () => {
    const fooBaz = map([pair('foo', str('bar')), pair('baz', str('bam'))]);
    const input = map([pair('key1', list([str('foo')])), pair('key2', list([str('foo'), fooBaz])), pair('key3', fooBaz), pair('key4', fooBaz)]);
    expect(flattenMetadata(input)).toEqual(entries(
      ['key1__list_0', 'foo'],
      ['key2__list_0', 'foo'],
      ['key2__list_1__map_foo', 'bar'],
      ['key2__list_1__map_baz', 'bam'],
      ['key3__map_foo', 'bar'],
      ['key3__map_baz', 'bam'],
      ['key4__map_foo', 'bar'],
      ['key4__map_baz', 'bam'],
    ));
  });

  it('TestFlattenTreeBranch: a key given twice is a collision (sops: "Found key collision")', () => {
    const e = caught(() => flattenMetadata(map([pair('key1', str('foo')), pair('key1', str('bar'))])));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toContain('sops_key1');
  });
});
