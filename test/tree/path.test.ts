import { describe, expect, it } from 'vitest';
import { formatPath, getPath, parsePath } from '../../src/tree/path.js';
import { comment, int, list, map, pair, str } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

describe('parsePath', () => {
  it('reads sops syntax: quoted keys (either quote, no escapes) and indices', () => {
    expect(parsePath('["db"]["hosts"][0]')).toEqual(['db', 'hosts', 0]);
    expect(parsePath(`['a.b']["c'd"][12]`)).toEqual(['a.b', "c'd", 12]);
    expect(parsePath('[""]')).toEqual(['']);
    expect(parsePath('["0"]')).toEqual(['0']);
  });

  it('reads the dotted form, where a purely numeric step is an index', () => {
    expect(parsePath('db.hosts.0')).toEqual(['db', 'hosts', 0]);
    expect(parsePath('KEY')).toEqual(['KEY']);
    expect(parsePath('a.0x1.-1')).toEqual(['a', '0x1', '-1']);
  });

  it.each([
    ['', 'it is empty'],
    ['a..b', 'it has an empty step'],
    ['a.', 'it has an empty step'],
    ['["a"', 'unterminated key at offset 0'],
    ['["a"]x', 'expected "[" at offset 5'],
    ['[a]', 'expected a quoted key or an index at offset 0'],
    ['[-1]', 'expected a quoted key or an index at offset 0'],
    ['["a"][1', 'expected a quoted key or an index at offset 5'],
  ])('refuses %j (USAGE, exit 2): %s', (input, why) => {
    const e = caught(() => parsePath(input));
    expect([e.code, e.exitCode]).toEqual(['USAGE', 2]);
    expect(e.message).toBe(`invalid path ${JSON.stringify(input)}: ${why}`);
    expect(e.hints).toEqual([`use sops syntax '["db"]["hosts"][0]' or the dotted form db.hosts.0`]);
  });
});

describe('formatPath', () => {
  it('writes keys dotted and indices in brackets', () => {
    expect(formatPath(['db', 'hosts', 0, 'name'])).toBe('db.hosts[0].name');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(['KEY'])).toBe('KEY');
    expect(formatPath([])).toBe('');
  });
});

describe('getPath', () => {
  const tree = map([
    pair('db', map([pair('hosts', list([comment(' first'), str('h0'), comment(' second'), map([pair('name', str('h1'))])])), pair('port', int(5432n))])),
    pair('dup', str('first')),
    pair('dup', str('last')),
  ]);

  it('finds values by key and by index, skipping comments in lists', () => {
    expect(getPath(tree, ['db', 'hosts', 0])).toEqual(str('h0'));
    expect(getPath(tree, ['db', 'hosts', 1, 'name'])).toEqual(str('h1'));
    expect(getPath(tree, ['db', 'port'])).toEqual(int(5432n));
    expect(getPath(tree, [])).toBe(tree);
  });

  it('takes the last of two equal keys', () => {
    expect(getPath(tree, ['dup'])).toEqual(str('last'));
  });

  it('returns undefined for a missing step or a step of the wrong kind', () => {
    expect(getPath(tree, ['nope'])).toBeUndefined();
    expect(getPath(tree, ['db', 'hosts', 2])).toBeUndefined();
    expect(getPath(tree, ['db', 0])).toBeUndefined();
    expect(getPath(tree, ['db', 'hosts', 'x'])).toBeUndefined();
    expect(getPath(tree, ['db', 'port', 'x'])).toBeUndefined();
    expect(getPath(tree, ['nope', 'deeper'])).toBeUndefined();
  });

  it('round-trips with parsePath', () => {
    expect(getPath(tree, parsePath('db.hosts.1.name'))).toEqual(str('h1'));
    expect(getPath(tree, parsePath('["db"]["hosts"][1]["name"]'))).toEqual(str('h1'));
  });
});
