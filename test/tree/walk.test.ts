import { describe, expect, it } from 'vitest';
import { aadFor, forEachLeaf, mapLeaves, type VisitContext } from '../../src/tree/walk.js';
import { bool, comment, int, list, map, nul, pair, str, type Branch, type Comment, type Leaf } from '../../src/tree/types.js';

/** Every visit as `what @ path [comment stack]`. */
function visits(branches: readonly Branch[]): string[] {
  const out: string[] = [];
  forEachLeaf(branches, (node: Leaf | Comment, ctx: VisitContext) => {
    const what = node.kind === 'comment' ? `#${node.text}` : node.kind === 'null' ? 'null' : `${node.kind}:${String(node.value)}`;
    out.push(`${what} @ ${ctx.path.join('.')} [${ctx.comments.join('|')}]`);
  });
  return out;
}

describe('mapLeaves / forEachLeaf: the traversal the cipher and the MAC share', () => {
  it('visits documents in order, then depth-first, pre-order, in item order; list indices are not in the path', () => {
    const doc1 = map([
      pair('a', str('1')),
      pair('b', map([pair('c', int(2n)), pair('d', list([str('x'), map([pair('e', bool(true))]), list([str('y')])]))])),
      pair('f', nul),
    ]);
    const doc2 = map([pair('g', str('2'))]);
    expect(visits([doc1, doc2])).toEqual([
      'str:1 @ a []',
      'int:2 @ b.c []',
      'str:x @ b.d []',
      'bool:true @ b.d.e []',
      'str:y @ b.d []',
      'null @ f []',
      'str:2 @ g []',
    ]);
  });

  it('gives each item the comments directly before it at every level (the comment stack)', () => {
    const tree = map([
      comment(' top'),
      pair('a', str('1')),
      pair('b', str('2')),
      comment(' before c'),
      comment(' second'),
      pair('c', map([comment(' inner'), pair('d', str('3')), pair('e', str('4'))])),
      pair('l', list([comment(' el'), str('x'), str('y')])),
    ]);
    expect(visits([tree])).toEqual([
      '# top @  []',
      'str:1 @ a [ top]',
      // the run of comments ends at the pair that follows it
      'str:2 @ b []',
      '# before c @  []',
      '# second @  [ before c]',
      '# inner @ c [ before c| second]',
      'str:3 @ c.d [ before c| second| inner]',
      'str:4 @ c.e [ before c| second]',
      '# el @ l []',
      'str:x @ l [ el]',
      'str:y @ l []',
    ]);
  });

  it('returns new branches without mutating the input; untouched subtrees keep their identity', () => {
    const keep = map([pair('k', str('same'))]);
    const tree = map([pair('keep', keep), pair('change', map([pair('v', str('old'))])), comment(' c')]);
    const frozen = JSON.stringify(tree);
    const [out] = mapLeaves([tree], (n) => (n.kind === 'str' && n.value === 'old' ? str('new') : n));
    expect(JSON.stringify(tree)).toBe(frozen);
    expect(out).not.toBe(tree);
    expect(out!.items[0]).toBe(tree.items[0]);
    expect((out!.items[0] as { value: unknown }).value).toBe(keep);
    expect(out!.items[2]).toBe(tree.items[2]);
    expect(out).toEqual(map([pair('keep', keep), pair('change', map([pair('v', str('new'))])), comment(' c')]));
  });

  it('returns the very same branch when the visitor changes nothing', () => {
    const tree = map([pair('a', list([str('x'), comment(' c')])), comment(' d')]);
    expect(mapLeaves([tree], (n) => n)[0]).toBe(tree);
  });

  it('replaces comments too, in maps and in lists', () => {
    const tree = map([comment(' a'), pair('l', list([comment(' b', true), str('x')]))]);
    const [out] = mapLeaves([tree], (n) => (n.kind === 'comment' ? comment(n.text.toUpperCase(), n.inline) : n));
    expect(out).toEqual(map([comment(' A'), pair('l', list([comment(' B', true), str('x')]))]));
  });
});

describe('aadFor', () => {
  it('joins the keys with ":" and adds a trailing ":" (the sops AAD)', () => {
    expect(aadFor(['foo'])).toBe('foo:');
    expect(aadFor(['a', 'b', 'c'])).toBe('a:b:c:');
    expect(aadFor([])).toBe(':');
    expect(aadFor(['with:colon', ''])).toBe('with:colon::');
  });
});
