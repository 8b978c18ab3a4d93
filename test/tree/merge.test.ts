import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeBranches } from '../../src/tree/merge.js';
import { nodesEqual } from '../../src/tree/equal.js';
import { comment, int, list, map, pair, str, type Branch, type Comment, type MapNode, type Node, type Pair } from '../../src/tree/types.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

type Spec = string | number | Spec[] | { [k: string]: Spec };

/** A tree from a plain object: strings are str leaves, numbers ints, arrays lists; keys starting with "#" are comments. */
function node(v: Spec): Node {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number') return int(BigInt(v));
  if (Array.isArray(v)) return list(v.map(node));
  return map(Object.entries(v).map(([k, x]): Pair | Comment => (k.startsWith('#') ? comment(k.slice(1)) : pair(k, node(x)))));
}
const doc = (v: { [k: string]: Spec }): Branch => node(v) as MapNode;

/** Key order of a map, comments shown as "#text". */
function keys(m: Node | undefined): string[] {
  if (!m || m.kind !== 'map') return [];
  return m.items.map((i) => (i.kind === 'comment' ? `#${i.text}` : i.key));
}

describe('mergeBranches: one document, table', () => {
  const cases: Array<{ name: string; base: { [k: string]: Spec } | null; ours: { [k: string]: Spec }; theirs: { [k: string]: Spec }; want: { [k: string]: Spec }; conflicts?: string[][] }> = [
    { name: 'different keys changed', base: { A: '1', B: '2' }, ours: { A: 'x', B: '2' }, theirs: { A: '1', B: 'y' }, want: { A: 'x', B: 'y' } },
    { name: 'same change on both sides', base: { A: '1' }, ours: { A: 'x' }, theirs: { A: 'x' }, want: { A: 'x' } },
    { name: 'deletion by theirs', base: { A: '1', B: '2' }, ours: { A: 'x', B: '2' }, theirs: { A: '1' }, want: { A: 'x' } },
    { name: 'deletion by ours', base: { A: '1', B: '2' }, ours: { B: '2' }, theirs: { A: '1', B: 'y' }, want: { B: 'y' } },
    { name: 'deletion on both sides', base: { A: '1', B: '2' }, ours: { B: 'o' }, theirs: { B: '2' }, want: { B: 'o' } },
    { name: 'additions on both sides', base: { A: '1' }, ours: { A: '1', O: 'o' }, theirs: { A: '1', T: 't' }, want: { A: '1', T: 't', O: 'o' } },
    {
      name: 'conflict keeps ours',
      base: { A: '1', B: '2' },
      ours: { A: 'ours', B: '2', C: 'c' },
      theirs: { A: 'theirs', B: 'b' },
      want: { A: 'ours', B: 'b', C: 'c' },
      conflicts: [['A']],
    },
    { name: 'delete vs modify is a conflict, ours kept (deleted)', base: { A: '1', K: 'k' }, ours: { K: 'k2' }, theirs: { A: '2', K: 'k' }, want: { K: 'k2' }, conflicts: [['A']] },
    { name: 'modify vs delete is a conflict, ours kept', base: { A: '1', K: 'k' }, ours: { A: '2', K: 'k' }, theirs: { K: 'k3' }, want: { A: '2', K: 'k3' }, conflicts: [['A']] },
    { name: 'added on both sides differently', base: { A: '1' }, ours: { A: '1', N: 'o' }, theirs: { A: '1', N: 't' }, want: { A: '1', N: 'o' }, conflicts: [['N']] },
    {
      name: 'nested maps merge by key',
      base: { db: { user: 'u', pass: 'p' }, x: '1' },
      ours: { db: { user: 'U', pass: 'p' }, x: '1' },
      theirs: { db: { user: 'u', pass: 'P', host: 'h' }, x: '2' },
      want: { db: { user: 'U', pass: 'P', host: 'h' }, x: '2' },
    },
    {
      name: 'nested conflict is named by its dotted path',
      base: { api: { token: 't0', url: 'u' } },
      ours: { api: { token: 't1', url: 'u' } },
      theirs: { api: { token: 't2', url: 'U' } },
      want: { api: { token: 't1', url: 'U' } },
      conflicts: [['api', 'token']],
    },
    { name: 'lists are atomic: one side', base: { l: ['a', 'b'] }, ours: { l: ['a', 'b'], o: '1' }, theirs: { l: ['a', 'b', 'c'] }, want: { l: ['a', 'b', 'c'], o: '1' } },
    { name: 'lists are atomic: both sides conflict', base: { l: ['a', 'b'] }, ours: { l: ['x', 'b'] }, theirs: { l: ['a', 'y'] }, want: { l: ['x', 'b'] }, conflicts: [['l']] },
    { name: 'scalar vs map is a conflict', base: { k: 'v' }, ours: { k: { a: '1' } }, theirs: { k: 'w' }, want: { k: { a: '1' } }, conflicts: [['k']] },
    { name: 'type change counts: "1" vs 1', base: { n: '0' }, ours: { n: '1' }, theirs: { n: 1 }, want: { n: '1' }, conflicts: [['n']] },
    { name: 'no base: added on both sides', base: null, ours: { A: '1', B: 'b' }, theirs: { A: '1', C: 'c' }, want: { A: '1', C: 'c', B: 'b' } },
    { name: 'no base: same key, different values', base: null, ours: { A: '1' }, theirs: { A: '2' }, want: { A: '1' }, conflicts: [['A']] },
    {
      name: 'two conflicts in ours order',
      base: { DB_PASSWORD: 'a', X: '1', api: { token: 'b' } },
      ours: { X: '1', DB_PASSWORD: 'o', api: { token: 'o' } },
      theirs: { DB_PASSWORD: 't', X: '1', api: { token: 't' } },
      want: { X: '1', DB_PASSWORD: 'o', api: { token: 'o' } },
      conflicts: [['DB_PASSWORD'], ['api', 'token']],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = mergeBranches(c.base ? [doc(c.base)] : [], [doc(c.ours)], [doc(c.theirs)]);
      expect(r.branches).toHaveLength(1);
      expect(nodesEqual(r.branches[0]!, doc(c.want)), JSON.stringify(r.branches[0], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(true);
      expect(r.conflicts).toEqual(c.conflicts ?? []);
    });
  }
});

describe('mergeBranches: order and comments', () => {
  it("keeps ours' order and puts theirs' additions after their predecessor in theirs", () => {
    const base = doc({ A: '1', B: '2', C: '3' });
    const ours = doc({ C: '3', A: '1', B: '2', O: 'o' });
    const theirs = doc({ T0: 't', A: '1', T1: 't', T2: 't', B: '2', C: '3', T3: 't' });
    const r = mergeBranches([base], [ours], [theirs]);
    // T0 has no predecessor in theirs: at the end; T1, T2 after A; T3 after C.
    expect(keys(r.branches[0])).toEqual(['C', 'T3', 'A', 'T1', 'T2', 'B', 'O', 'T0']);
  });

  it("skips a predecessor that the merge deleted and uses the one before it", () => {
    const base = doc({ A: '1', B: '2', C: '3' });
    const ours = doc({ A: '1', C: '3', O: 'o' });
    const theirs = doc({ A: '1', B: '2', N: 'n', C: '3' });
    expect(keys(mergeBranches([base], [ours], [theirs]).branches[0])).toEqual(['A', 'N', 'C', 'O']);
  });

  it("keeps ours' comments and brings the comment right above a key theirs added", () => {
    const base = doc({ '#head': '', A: '1', B: '2' });
    const ours = doc({ '#head': '', '#about A': '', A: 'x', B: '2' });
    const theirs = doc({ '#head changed': '', A: '1', B: 'y', '#new key': '', N: 'n' });
    const r = mergeBranches([base], [ours], [theirs]);
    expect(keys(r.branches[0])).toEqual(['#head', '#about A', 'A', 'B', '#new key', 'N']);
  });

  it('does not duplicate a comment ours already has', () => {
    const base = doc({ '#c': '', A: '1' });
    const ours = doc({ '#c': '', A: '2' });
    const theirs = doc({ '#c': '', N: 'n', A: '1' });
    expect(keys(mergeBranches([base], [ours], [theirs]).branches[0])).toEqual(['#c', 'A', 'N']);
  });

  it("takes theirs' document whole (order, comments) when ours did not change it", () => {
    const base = doc({ A: '1', B: '2' });
    const theirs = doc({ '#x': '', B: '3', A: '1' });
    const r = mergeBranches([base], [base], [theirs]);
    expect(r.branches[0]).toBe(theirs);
  });

  it('merges a map with a repeated key as one value', () => {
    const dup = (v: string): Branch => map([pair('A', str('1')), pair('A', str(v))]);
    const r = mergeBranches([dup('0')], [dup('1')], [dup('2')]);
    expect(r.conflicts).toEqual([[]]);
    expect(r.branches[0]).toEqual(dup('1'));
  });
});

describe('mergeBranches: several documents', () => {
  const a = doc({ A: '1' });
  const b = doc({ B: '1' });
  it('merges documents by position', () => {
    const r = mergeBranches([a, b], [doc({ A: '2' }), b], [a, doc({ B: '2' })]);
    expect(r.branches).toEqual([doc({ A: '2' }), doc({ B: '2' })]);
    expect(r.conflicts).toEqual([]);
  });
  it('takes the side that changed the number of documents', () => {
    const r = mergeBranches([a], [a], [a, b]);
    expect(r.branches).toEqual([a, b]);
    expect(r.conflicts).toEqual([]);
  });
  it('reports a conflict when both sides changed the documents differently', () => {
    const r = mergeBranches([a], [doc({ A: '2' })], [a, b]);
    expect(r.conflicts).toEqual([[]]);
    expect(r.branches).toEqual([doc({ A: '2' })]);
  });
});

describe('mergeBranches: properties', () => {
  const flat = fc.dictionary(fc.constantFrom('A', 'B', 'C', 'D', 'E'), fc.constantFrom('1', '2', '3'), { maxKeys: 5 }).map((o) => doc(o));
  it('merging with an unchanged side gives the other side', () => {
    fc.assert(
      fc.property(flat, flat, (base, other) => {
        expect(mergeBranches([base], [base], [other])).toEqual({ branches: [other], conflicts: [] });
        expect(mergeBranches([base], [other], [base])).toEqual({ branches: [other], conflicts: [] });
      }),
      { numRuns: RUNS },
    );
  });
  it('every key changed by one side only ends up with that side; conflicts keep ours', () => {
    fc.assert(
      fc.property(flat, flat, flat, (base, ours, theirs) => {
        const r = mergeBranches([base], [ours], [theirs]);
        const get = (m: MapNode, k: string) => (m.items.find((i) => i.kind === 'pair' && i.key === k) as Pair | undefined)?.value;
        const out = r.branches[0]!;
        const conflicted = new Set(r.conflicts.map((p) => p.join('.')));
        for (const k of ['A', 'B', 'C', 'D', 'E']) {
          const [b, o, t, m] = [get(base, k), get(ours, k), get(theirs, k), get(out, k)];
          const eq = (x?: Node, y?: Node) => (x && y ? nodesEqual(x, y) : x === y);
          if (eq(b, o)) expect(eq(m, t)).toBe(true);
          else if (eq(b, t) || eq(o, t)) expect(eq(m, o)).toBe(true);
          else {
            expect(conflicted.has(k)).toBe(true);
            expect(eq(m, o)).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
