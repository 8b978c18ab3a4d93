import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FlatEntry, flattenMetadata, unflattenMetadata } from '../../src/stores/flatten.js';
import { bool, int, list, map, type MapNode, type Node, nul, pair, str, comment } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

const ENC = '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n';

/** sops 3.13 metadata for one age recipient, alphabetical at every level. */
const META_313: MapNode = map([
  pair('age', list([map([pair('enc', str(ENC)), pair('recipient', str('age1abc'))])])),
  pair('lastmodified', str('2026-01-02T03:04:05Z')),
  pair('mac', str('ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]')),
  pair('mac_only_encrypted', bool(true)),
  pair('shamir_threshold', int(2n)),
  pair('unencrypted_suffix', str('_unencrypted')),
  pair('version', str('3.13.2')),
]);

/** The tree with every leaf as the string the flattener writes. */
function stringified(n: Node): Node {
  if (n.kind === 'map') return map(n.items.flatMap((i) => (i.kind === 'pair' ? [pair(i.key, stringified(i.value))] : [])));
  if (n.kind === 'list') return list(n.items.flatMap((i) => (i.kind === 'comment' ? [] : [stringified(i)])));
  if (n.kind === 'bool') return str(n.value ? 'true' : 'false');
  if (n.kind === 'int') return str(n.value.toString());
  if (n.kind === 'str') return n;
  throw new Error(`unexpected ${n.kind}`);
}

describe('flattenMetadata', () => {
  it('writes sops_ keys with __list_ and __map_ steps, in tree order', () => {
    expect(flattenMetadata(META_313)).toEqual([
      { key: 'sops_age__list_0__map_enc', value: ENC },
      { key: 'sops_age__list_0__map_recipient', value: 'age1abc' },
      { key: 'sops_lastmodified', value: '2026-01-02T03:04:05Z' },
      { key: 'sops_mac', value: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]' },
      { key: 'sops_mac_only_encrypted', value: 'true' },
      { key: 'sops_shamir_threshold', value: '2' },
      { key: 'sops_unencrypted_suffix', value: '_unencrypted' },
      { key: 'sops_version', value: '3.13.2' },
    ]);
  });

  it('keeps the order of the given tree instead of sorting', () => {
    const keys = flattenMetadata(map([pair('version', str('1')), pair('age', list([map([pair('recipient', str('r')), pair('enc', str('e'))])]))]))
      .map((e) => e.key);
    expect(keys).toEqual(['sops_version', 'sops_age__list_0__map_recipient', 'sops_age__list_0__map_enc']);
  });

  it('flattens key groups, list indices past 9, and skips null, comments and empty containers', () => {
    const ages = Array.from({ length: 11 }, (_, i) => map([pair('recipient', str(`r${i}`))]));
    const tree = map([
      comment(' ignored'),
      pair('key_groups', list([map([pair('age', list(ages))]), map([pair('pgp', list([]))])])),
      pair('kms', nul),
      pair('empty', map([])),
    ]);
    const keys = flattenMetadata(tree).map((e) => e.key);
    expect(keys).toHaveLength(11);
    expect(keys[0]).toBe('sops_key_groups__list_0__map_age__list_0__map_recipient');
    expect(keys[10]).toBe('sops_key_groups__list_0__map_age__list_10__map_recipient');
  });

  it('refuses keys that would not read back as the same path', () => {
    for (const key of ['a__map_b', 'x__list_0', '__map_']) {
      const e = caught(() => flattenMetadata(map([pair(key, str('v'))])));
      expect(e.code).toBe('BAD_METADATA');
    }
    expect(flattenMetadata(map([pair('a_', map([pair('b', str('v'))]))]))).toEqual([{ key: 'sops_a___map_b', value: 'v' }]);
  });
});

describe('unflattenMetadata', () => {
  it('rebuilds the tree, leaves as strings', () => {
    expect(unflattenMetadata(flattenMetadata(META_313))).toEqual(stringified(META_313));
  });

  it('keeps mappings in first-seen order and lists in index order', () => {
    const entries: FlatEntry[] = [
      { key: 'sops_pgp__list_1__map_enc', value: 'e1' },
      { key: 'sops_mac', value: 'm' },
      { key: 'sops_pgp__list_0__map_fp', value: 'f0' },
      { key: 'sops_pgp__list_1__map_fp', value: 'f1' },
      { key: 'sops_pgp__list_0__map_enc', value: 'e0' },
    ];
    expect(unflattenMetadata(entries)).toEqual(
      map([
        pair('pgp', list([map([pair('fp', str('f0')), pair('enc', str('e0'))]), map([pair('enc', str('e1')), pair('fp', str('f1'))])])),
        pair('mac', str('m')),
      ]),
    );
  });

  it('reads lists of scalars and nested lists', () => {
    const tree = unflattenMetadata([
      { key: 'sops_a__list_1', value: 'y' },
      { key: 'sops_a__list_0', value: 'x' },
      { key: 'sops_b__list_0__list_0', value: 'z' },
    ]);
    expect(tree).toEqual(map([pair('a', list([str('x'), str('y')])), pair('b', list([list([str('z')])]))]));
  });

  it('refuses an incomplete list', () => {
    const e = caught(() =>
      unflattenMetadata([
        { key: 'sops_age__list_0__map_enc', value: 'a' },
        { key: 'sops_age__list_2__map_enc', value: 'b' },
      ]),
    );
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toBe('incomplete list sops_age: element 1 is missing');
  });

  it('refuses a list that does not start at 0', () => {
    expect(caught(() => unflattenMetadata([{ key: 'sops_age__list_1', value: 'a' }])).message).toMatch(/^incomplete list sops_age/);
  });

  it('refuses a key given twice, naming both lines and not the value', () => {
    const e = caught(() =>
      unflattenMetadata([
        { key: 'sops_mac', value: 'secret-one', line: 3 },
        { key: 'sops_mac', value: 'secret-two', line: 9 },
      ]),
    );
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toBe('metadata key sops_mac (line 9) is given twice, first on line 3');
    expect(e.message).not.toContain('secret');
  });

  it('refuses a list index with a leading zero', () => {
    const e = caught(() => unflattenMetadata([{ key: 'sops_a__list_01', value: 'x' }]));
    expect(e.message).toMatch(/list index that is not a decimal number/);
  });

  it('refuses conflicting paths', () => {
    const cases: FlatEntry[][] = [
      [{ key: 'sops_a', value: '1' }, { key: 'sops_a__map_b', value: '2' }],
      [{ key: 'sops_a__map_b', value: '2' }, { key: 'sops_a', value: '1' }],
      [{ key: 'sops_a__map_b', value: '1' }, { key: 'sops_a__list_0', value: '2' }],
      [{ key: 'sops_a__list_x', value: '1' }],
      [{ key: 'mac', value: '1' }],
    ];
    for (const entries of cases) expect(caught(() => unflattenMetadata(entries)).code).toBe('BAD_METADATA');
  });
});

// Metadata-shaped trees: keys without "__", non-empty maps and lists, string/bool/int leaves.
const keyArb = fc.stringMatching(/^[a-z]{1,5}(_[a-z]{1,5}){0,2}$/);
const leafArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }).map(str), fc.boolean().map(bool), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(int));
const { tree: treeArb } = fc.letrec<{ tree: MapNode; node: Node }>((tie) => ({
  tree: fc.uniqueArray(fc.tuple(keyArb, tie('node')), { minLength: 1, maxLength: 4, selector: ([k]) => k }).map((ps) => map(ps.map(([k, v]) => pair(k, v)))),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('tree'), fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((xs) => list(xs))),
}));

describe('flatten/unflatten round trip', () => {
  it('unflatten(flatten(t)) is t with stringified leaves', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        expect(unflattenMetadata(flattenMetadata(t))).toEqual(stringified(t));
      }),
      { numRuns: RUNS },
    );
  });
});
