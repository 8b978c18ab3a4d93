import { describe, expect, it } from 'vitest';
import { keyPaths } from '../../src/api/keys.js';
import { comment, list, map, pair, str } from '../../src/tree/types.js';

describe('keyPaths', () => {
  it('dots nested keys and list indices, skips comments, keeps empty containers, each path once', () => {
    const doc = map([
      comment(' top'),
      pair('A', str('1')),
      pair('db', map([pair('password', str('x')), pair('hosts', list([str('a'), comment(' c'), str('b')]))])),
      pair('empty', map([])),
      pair('none', list([])),
    ]);
    expect(keyPaths([doc, map([pair('A', str('2'))])])).toEqual(['A', 'db.password', 'db.hosts.0', 'db.hosts.1', 'empty', 'none']);
  });
});
