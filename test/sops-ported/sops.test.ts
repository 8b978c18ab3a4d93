/**
 * sops's tree tests, ported: getsops/sops 3.13.2 `sops_test.go` (commit
 * 15e36f97a8641769712da76b64aec4ea566be81e, MPL-2.0). Each `it` names the Go
 * test it ports.
 *
 * How they map: sops's `Tree.Encrypt/Decrypt` is envcrypt's `encryptTree` /
 * `decryptTree` (src/crypto/tree-cipher.ts), its `TreeBranch.Set/Unset` is
 * `setAt`/`deleteAt` (src/tree/mutate.ts), its `Truncate` (`--extract`) is
 * `getPath` (src/tree/path.ts). The Go tests use fake ciphers (a string
 * reversal, a constant "a", an "ENC:" prefix) so that they can compare trees
 * literally; here the real AES-256-GCM cipher runs, and a port compares
 * *which* leaves came out encrypted (an `ENC[…]` string of the right type)
 * and that decryption gives back the original tree.
 *
 * Not ported:
 * - TestEncryptWrongType: a Go value of a type sops does not know; envcrypt's
 *   tree types make such a leaf impossible to build.
 * - TestEmitAsMap: a Go-internal helper of `sops publish` (Vault), which
 *   envcrypt does not have (README, SOPS compatibility).
 * - TestSortKeyGroupIndices (8 subtests): the decryption order between PGP, KMS,
 *   Vault and age keys of one key group; envcrypt has age keys only.
 */
import { describe, expect, it } from 'vitest';
import { looksEncrypted, parseEnc } from '../../src/crypto/cipher.js';
import { computeMac } from '../../src/crypto/mac.js';
import { compileSelector, DEFAULT_SELECTOR, type Selector } from '../../src/crypto/selector.js';
import { decryptTree, encryptTree } from '../../src/crypto/tree-cipher.js';
import { nodesEqual } from '../../src/tree/equal.js';
import { deleteAt, setAt } from '../../src/tree/mutate.js';
import { formatPath, getPath } from '../../src/tree/path.js';
import { caught } from '../helpers/errors.js';
import { bool, comment, float, int, list, map, nul, pair, str, type Branch, type Comment, type MapNode, type Node, type Pair } from '../../src/tree/types.js';

const KEY = new Uint8Array(Buffer.from('f'.repeat(32)));
const LM = '2024-01-01T00:00:00Z';

function encrypt(branches: Branch[], selector: Selector = DEFAULT_SELECTOR, macOnlyEncrypted = false) {
  const opts = { selector, macOnlyEncrypted, lastmodified: LM };
  const enc = encryptTree(branches, KEY, opts);
  return { ...enc, decrypt: () => decryptTree(enc.branches, { ...opts, mac: enc.mac }, KEY) };
}

/**
 * The shape of an encrypted tree, for comparing with the Go test's expected
 * tree: every encrypted string or comment becomes `ENC:<type>`; everything
 * else stays as it is.
 */
function shape(n: Node | Pair | Comment): unknown {
  switch (n.kind) {
    case 'map':
    case 'list':
      return n.items.map(shape);
    case 'pair':
      return [n.key, shape(n.value)];
    case 'comment':
      return looksEncrypted(n.text) ? `#ENC:${parseEnc(n.text, 'x')!.type}` : `#${n.text}`;
    case 'str':
      return looksEncrypted(n.value) ? `ENC:${parseEnc(n.value, 'x')!.type}` : n.value;
    case 'null':
      return null;
    default:
      return n.value;
  }
}

describe('getsops/sops sops_test.go: selectors', () => {
  it('TestUnencryptedSuffix: keys ending in _unencrypted, and everything under them, stay plain', () => {
    const tree = [map([pair('foo_unencrypted', str('bar')), pair('bar_unencrypted', map([pair('foo', str('bar'))]))])];
    const enc = encrypt(tree, { kind: 'unencrypted_suffix', value: '_unencrypted' });
    expect(enc.branches).toEqual(tree);
    expect(enc.decrypt()).toEqual(tree);
  });

  it('TestEncryptedSuffix: only keys ending in _encrypted are encrypted', () => {
    const tree = [map([pair('foo_encrypted', str('bar')), pair('bar', map([pair('foo', str('bar'))]))])];
    const enc = encrypt(tree, { kind: 'encrypted_suffix', value: '_encrypted' });
    expect(shape(enc.branches[0]!)).toEqual([['foo_encrypted', 'ENC:str'], ['bar', [['foo', 'bar']]]]);
    expect(enc.decrypt()).toEqual(tree);
  });

  it('TestEncryptedRegex: only keys matching ^enc: are encrypted', () => {
    const tree = [map([pair('enc:foo', str('bar')), pair('bar', map([pair('foo', str('bar'))]))])];
    const enc = encrypt(tree, { kind: 'encrypted_regex', value: '^enc:' });
    expect(shape(enc.branches[0]!)).toEqual([['enc:foo', 'ENC:str'], ['bar', [['foo', 'bar']]]]);
    expect(enc.decrypt()).toEqual(tree);
  });

  it('TestUnencryptedRegex: keys matching ^dec:, and everything under them, stay plain', () => {
    const tree = [map([pair('dec:foo', str('bar')), pair('dec:bar', map([pair('foo', str('bar'))]))])];
    const enc = encrypt(tree, { kind: 'unencrypted_regex', value: '^dec:' });
    expect(enc.branches).toEqual(tree);
    expect(enc.decrypt()).toEqual(tree);
  });

  it('TestMACOnlyEncrypted: with mac_only_encrypted the MAC covers only the encrypted values', () => {
    const sel: Selector = { kind: 'encrypted_suffix', value: '_encrypted' };
    const full = [map([pair('foo_encrypted', str('bar')), pair('bar', map([pair('foo', str('bar'))]))])];
    const onlyEncrypted = [map([pair('foo_encrypted', str('bar'))])];
    expect(computeMac(full, compileSelector(sel), true)).toBe(computeMac(onlyEncrypted, compileSelector(sel), true));
  });

  it('TestMACOnlyEncryptedNoConfusion: the same values hashed with and without mac_only_encrypted give different MACs', () => {
    const sel: Selector = { kind: 'encrypted_suffix', value: '_encrypted' };
    const full = [map([pair('foo_encrypted', str('bar')), pair('bar', map([pair('foo', str('bar'))]))])];
    const onlyEncrypted = [map([pair('foo_encrypted', str('bar'))])];
    expect(computeMac(full, compileSelector(sel), true)).not.toBe(computeMac(onlyEncrypted, compileSelector(sel), false));
  });

  it('TestEncryptedCommentRegex: a matching comment encrypts what follows it (and the comments after it), and stays plain itself', () => {
    const tree = [
      map([
        comment('sops:enc'),
        pair('foo', str('bar')),
        pair('bar', map([pair('foo', str('bar')), comment('before'), comment('sops:enc'), pair('encrypted', str('bar'))])),
        pair('array', list([str('bar'), comment('sops:enc'), str('baz')])),
        comment('sops:enc'),
        comment('after'),
        pair('encarray', list([str('bar'), str('baz')])),
      ]),
    ];
    const enc = encrypt(tree, { kind: 'encrypted_comment_regex', value: 'sops:enc' });
    expect(shape(enc.branches[0]!)).toEqual([
      '#sops:enc',
      ['foo', 'ENC:str'],
      ['bar', [['foo', 'bar'], '#before', '#sops:enc', ['encrypted', 'ENC:str']]],
      ['array', ['bar', '#sops:enc', 'ENC:str']],
      '#sops:enc',
      '#ENC:comment',
      ['encarray', ['ENC:str', 'ENC:str']],
    ]);
    expect(enc.decrypt()).toEqual(tree);
  });

  it('TestUnencryptedCommentRegex: a matching comment keeps what follows it (and the comments after it) plain', () => {
    const tree = [
      map([
        comment('sops:noenc'),
        pair('foo', str('bar')),
        pair('bar', map([pair('foo', str('bar')), comment('before'), comment('sops:noenc'), pair('notencrypted', str('bar'))])),
        pair('array', list([str('bar'), comment('sops:noenc'), str('baz')])),
        comment('sops:noenc'),
        comment('after'),
        pair('notencarray', list([str('bar'), str('baz')])),
      ]),
    ];
    const enc = encrypt(tree, { kind: 'unencrypted_comment_regex', value: 'sops:noenc' });
    expect(shape(enc.branches[0]!)).toEqual([
      '#sops:noenc',
      ['foo', 'bar'],
      ['bar', [['foo', 'ENC:str'], '#ENC:comment', '#sops:noenc', ['notencrypted', 'bar']]],
      ['array', ['ENC:str', '#sops:noenc', 'baz']],
      '#sops:noenc',
      '#after',
      ['notencarray', ['bar', 'baz']],
    ]);
    expect(enc.decrypt()).toEqual(tree);
  });

  it('TestUnencryptedCommentRegexFail: an encrypted comment that the regex matches is refused at encrypt time', () => {
    const tree = [map([comment('sops:noenc'), pair('foo', str('bar'))])];
    expect(() => encrypt(tree, { kind: 'unencrypted_comment_regex', value: 'ENC' })).toThrow(/unencrypted_comment_regex/);
  });
});

describe('getsops/sops sops_test.go: encrypt and decrypt walks', () => {
  const branches = (): Branch[] => [
    map([pair('foo', str('bar')), pair('baz', map([pair('bar', int(5n))])), pair('bar', bool(false)), pair('foobar', float(2.12)), pair('barfoo', nul)]),
    map([pair('foo2', str('bar'))]),
    map([pair('foo3', str('bar'))]),
  ];

  it('TestEncrypt: every non-null value of every document is encrypted, with its type; null stays null', () => {
    const enc = encrypt(branches());
    expect(enc.branches.map(shape)).toEqual([
      [['foo', 'ENC:str'], ['baz', [['bar', 'ENC:int']]], ['bar', 'ENC:bool'], ['foobar', 'ENC:float'], ['barfoo', null]],
      [['foo2', 'ENC:str']],
      [['foo3', 'ENC:str']],
    ]);
  });

  it('TestDecrypt: every encrypted value of every document decrypts; null stays null', () => {
    expect(encrypt(branches()).decrypt()).toEqual(branches());
  });

  it('TestEncryptComments: comments are encrypted, at the top level and inside lists', () => {
    const enc = encrypt([map([comment('foo'), pair('list', list([str('1'), comment('bar'), str('2')]))])]);
    expect(shape(enc.branches[0]!)).toEqual(['#ENC:comment', ['list', ['ENC:str', '#ENC:comment', 'ENC:str']]]);
  });

  it('TestDecryptComments: encrypted comments decrypt, at the top level and inside lists', () => {
    const tree = [map([comment('foo'), pair('list', list([str('1'), comment('bar'), str('2')])), pair('list2', nul)])];
    expect(encrypt(tree).decrypt()).toEqual(tree);
  });

  it('TestDecryptUnencryptedComments: a comment that does not decrypt is kept as it is', () => {
    const tree = [map([comment('error'), pair('a', str('b'))])];
    const enc = encrypt(tree);
    // A plain comment in an encrypted file, and an encrypted one made under another key.
    const other = encryptTree([map([comment('x')])], new Uint8Array(32), { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, lastmodified: LM });
    const alien = other.branches[0]!.items[0] as Comment;
    const tampered = [map([comment('error'), alien, enc.branches[0]!.items[1]!])];
    const warnings: string[] = [];
    const plain = decryptTree(tampered, { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, mac: enc.mac, lastmodified: LM }, KEY, { onWarning: (m) => warnings.push(m) });
    expect(plain[0]!.items[0]).toEqual(comment('error'));
    expect(plain[0]!.items[1]).toEqual(alien);
    expect(warnings).toHaveLength(1);
  });
});

describe('getsops/sops sops_test.go: Truncate (--extract)', () => {
  const tree = map([pair('foo', int(2n)), pair('bar', map([pair('foobar', list([int(1n), int(2n), int(3n), int(4n)]))]))]);

  it('TestTruncateTree: a path through mappings and a list index', () => {
    expect(getPath(tree, ['bar', 'foobar', 2])).toEqual(int(3n));
  });

  it('TestTruncateTreeNotFound: a missing key gives nothing, and the message names it', () => {
    expect(getPath(map([pair('foo', int(2n))]), ['baz'])).toBeUndefined();
    expect(formatPath(['baz'])).toContain('baz');
  });

  it('TestTruncateTreeNotArray: an index into a scalar gives nothing', () => {
    expect(getPath(map([pair('foo', int(2n))]), ['foo', 99])).toBeUndefined();
    expect(formatPath(['foo', 99])).toContain('99');
  });

  it('TestTruncateTreeArrayOutOfBounds: an index past the end gives nothing', () => {
    expect(getPath(map([pair('foo', list([str('one'), str('two')]))]), ['foo', 99])).toBeUndefined();
  });
});

describe('getsops/sops sops_test.go: Set', () => {
  const at = (n: Node, ...steps: Array<string | number>) => getPath(n, steps);

  it('TestSetNewKey: a new key in an existing nested mapping', () => {
    const branch = map([pair('foo', map([pair('bar', map([pair('baz', str('foobar'))]))]))]);
    const set = setAt(branch, ['foo', 'bar', 'foo'], str('hello'));
    expect(nodesEqual(set, branch)).toBe(false);
    expect((at(set, 'foo', 'bar') as MapNode).items[1]).toEqual(pair('foo', str('hello')));
  });

  it('TestSetNewKeyUnchanged: setting a value to itself changes nothing', () => {
    const branch = map([pair('foo', map([pair('bar', map([pair('baz', str('foobar'))]))]))]);
    const set = setAt(branch, ['foo', 'bar', 'baz'], str('foobar'));
    expect(nodesEqual(set, branch)).toBe(true);
    expect(at(set, 'foo', 'bar', 'baz')).toEqual(str('foobar'));
  });

  it('TestSetNewBranch: missing intermediate mappings are created, after the existing keys', () => {
    const set = setAt(map([pair('key', str('value'))]), ['foo', 'bar', 'baz'], str('hello'));
    expect(set).toEqual(map([pair('key', str('value')), pair('foo', map([pair('bar', map([pair('baz', str('hello'))]))]))]));
  });

  it('TestSetArrayDeepNew: index N of an N-element list appends a new mapping', () => {
    const set = setAt(map([pair('foo', list([str('one'), str('two')]))]), ['foo', 2, 'bar'], str('hello'));
    expect(at(set, 'foo', 2)).toEqual(map([pair('bar', str('hello'))]));
  });

  it('TestSetNewKeyDeep: a path through a scalar replaces it with a mapping (with force: README Decisions, set paths)', () => {
    const branch = map([pair('foo', str('bar'))]);
    expect(caught(() => setAt(branch, ['foo', 'bar', 'baz'], str('hello'))).code).toBe('REFUSED');
    const set = setAt(branch, ['foo', 'bar', 'baz'], str('hello'), { force: true });
    expect(set).toEqual(map([pair('foo', map([pair('bar', map([pair('baz', str('hello'))]))]))]));
  });

  it('TestSetNewKeyOnEmptyBranch: a path into an empty document', () => {
    const set = setAt(map([]), ['foo', 'bar', 'baz'], str('hello'));
    expect(at(set, 'foo', 'bar', 'baz')).toEqual(str('hello'));
  });

  it('TestSetArray: an existing list element is replaced', () => {
    const set = setAt(map([pair('foo', list([str('one'), str('two'), str('three')]))]), ['foo', 0], str('uno'));
    expect(at(set, 'foo')).toEqual(list([str('uno'), str('two'), str('three')]));
  });

  it('TestSetArrayNew: missing lists are created for index steps', () => {
    const set = setAt(map([]), ['foo', 0, 0], str('uno'));
    expect(set).toEqual(map([pair('foo', list([list([str('uno')])]))]));
  });

  it('TestSetExisting: an existing top-level value is replaced', () => {
    const set = setAt(map([pair('foo', str('foobar'))]), ['foo'], str('bar'));
    expect(set).toEqual(map([pair('foo', str('bar'))]));
  });

  it('TestSetArrayLeafNewItem: an index past the end of a list is refused, naming the index that appends (sops appends; README Decisions, set paths)', () => {
    const e = caught(() => setAt(map([pair('array', list([]))]), ['array', 2], str('hello')));
    expect(e.code).toBe('USAGE');
    expect(e.hints.join(' ')).toContain('0');
    expect(setAt(map([pair('array', list([]))]), ['array', 0], str('hello'))).toEqual(map([pair('array', list([str('hello')]))]));
  });

  it('TestSetArrayNonLeaf: a path through a scalar list element replaces it with a mapping (with force: README Decisions, set paths)', () => {
    expect(caught(() => setAt(map([pair('array', list([int(1n)]))]), ['array', 0, 'hello'], str('hello'))).code).toBe('REFUSED');
    const set = setAt(map([pair('array', list([int(1n)]))]), ['array', 0, 'hello'], str('hello'), { force: true });
    expect(set).toEqual(map([pair('array', list([map([pair('hello', str('hello'))])]))]));
  });
});

describe('getsops/sops sops_test.go: Unset', () => {
  it('TestUnsetKeyRootLeaf: a top-level key', () => {
    expect(deleteAt(map([pair('foo', str('foo')), pair('foofoo', str('foofoo'))]), ['foofoo'])).toEqual(map([pair('foo', str('foo'))]));
  });

  it('TestUnsetKeyBranchLeaf: a nested key', () => {
    const branch = map([pair('foo', map([pair('bar', str('bar')), pair('barbar', str('barbar'))]))]);
    expect(deleteAt(branch, ['foo', 'barbar'])).toEqual(map([pair('foo', map([pair('bar', str('bar'))]))]));
  });

  it('TestUnsetKeyBranch: a key holding a mapping', () => {
    const branch = map([pair('foo', str('foo')), pair('foofoo', map([pair('bar', str('bar'))]))]);
    expect(deleteAt(branch, ['foofoo'])).toEqual(map([pair('foo', str('foo'))]));
  });

  it('TestUnsetKeyRootLastLeaf: the last top-level key leaves an empty document', () => {
    expect(deleteAt(map([pair('foo', str('foo'))]), ['foo'])).toEqual(map([]));
  });

  it('TestUnsetKeyBranchLastLeaf: the last nested key leaves an empty mapping', () => {
    expect(deleteAt(map([pair('foo', map([pair('bar', str('bar'))]))]), ['foo', 'bar'])).toEqual(map([pair('foo', map([]))]));
  });

  it('TestUnsetKeyArray: a key holding a list', () => {
    const branch = map([pair('foo', map([pair('bar', list([map([pair('baz', str('baz'))])]))]))]);
    expect(deleteAt(branch, ['foo', 'bar'])).toEqual(map([pair('foo', map([]))]));
  });

  it('TestUnsetArrayItem: a list element', () => {
    const branch = map([pair('foo', list([map([pair('bar', str('bar'))]), map([pair('barbar', str('barbar'))])]))]);
    expect(deleteAt(branch, ['foo', 1])).toEqual(map([pair('foo', list([map([pair('bar', str('bar'))])]))]));
  });

  it('TestUnsetKeyInArrayItem: a key inside a list element', () => {
    const branch = map([pair('foo', list([map([pair('bar', str('bar')), pair('barbar', str('barbar'))])]))]);
    expect(deleteAt(branch, ['foo', 0, 'barbar'])).toEqual(map([pair('foo', list([map([pair('bar', str('bar'))])]))]));
  });

  it('TestUnsetArrayLastItem: the last list element leaves an empty list', () => {
    expect(deleteAt(map([pair('foo', list([map([pair('bar', str('bar'))])]))]), ['foo', 0])).toEqual(map([pair('foo', list([]))]));
  });

  it('TestUnsetKeyNotFound: a missing nested key is "not found"', () => {
    expect(deleteAt(map([pair('foo', map([pair('bar', str('bar'))]))]), ['foo', 'unknown-value'])).toBeUndefined();
  });

  it('TestUnsetKeyInArrayNotFound: a missing key inside a list element is "not found"', () => {
    expect(deleteAt(map([pair('foo', list([map([pair('bar', str('bar'))])]))]), ['foo', 0, 'unknown'])).toBeUndefined();
  });

  it('TestUnsetArrayItemOutOfBounds: an index past the end is "not found"', () => {
    expect(deleteAt(map([pair('foo', list([map([pair('bar', str('bar'))])]))]), ['foo', 99])).toBeUndefined();
  });

  it('TestUnsetKeyNotABranch: a path through a scalar is refused (sops: "Unsupported type"; envcrypt: not found)', () => {
    expect(deleteAt(map([pair('foo', int(99n))]), ['foo', 'bar'])).toBeUndefined();
  });
});
