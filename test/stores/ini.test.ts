// The INI store: sops's stores/ini/store_test.go, sops's INI fixtures byte
// for byte, go-ini's writing, and what an INI file cannot hold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iniStore, stripCommentChar } from '../../src/stores/ini.js';
import { type Branch, comment, int, list, map, pair, str, bool, float } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';

const RES = join(FIXTURES, 'getsops-sops/functional-tests/res');
const emptyDefault = pair('DEFAULT', map([]));

describe('sops stores/ini/store_test.go', () => {
  it('reads sections, comments and values as sops does (ported from TestDecodeIni)', () => {
    const text = `
; last modified 1 April 2001 by John Doe
[owner]
name=John Doe
organization=Acme Widgets Inc.

[database]
; use IP address in case network name resolution is not working
server=192.0.2.62     
port=143
file="payroll.dat"
`;
    expect(iniStore.parsePlain(text)).toEqual([
      map([
        emptyDefault,
        pair('owner', map([comment('last modified 1 April 2001 by John Doe'), pair('name', str('John Doe')), pair('organization', str('Acme Widgets Inc.'))])),
        pair(
          'database',
          map([
            pair('server', str('192.0.2.62')),
            comment('use IP address in case network name resolution is not working'),
            pair('port', str('143')),
            pair('file', str('payroll.dat')),
          ]),
        ),
      ]),
    ]);
  });

  it('a DEFAULT section round trips (ported from TestEncodeSimpleIni)', () => {
    const branches = [map([pair('DEFAULT', map([pair('foo', str('bar')), pair('baz', str('3.0')), pair('qux', str('false'))]))])];
    expect(iniStore.parsePlain(iniStore.emitPlain(branches))).toEqual(branches);
  });

  it('keys with backslashes and quotes round trip (ported from TestEncodeIniWithEscaping)', () => {
    const branches = [map([pair('DEFAULT', map([pair('foo\\bar', str('value')), pair('a_key_with"quotes"', str('4.0')), pair('baz\\\\foo', str('2.0'))]))])];
    expect(iniStore.parsePlain(iniStore.emitPlain(branches))).toEqual(branches);
  });

  it('duplicate sections are written as sops writes them, but refused on reading (TestEncodeIniWithDuplicateSections: sops keeps both)', () => {
    const sec = map([pair('foo', str('bar')), pair('baz', str('3.0')), pair('qux', str('false'))]);
    const text = iniStore.emitPlain([map([emptyDefault, pair('foo', sec), pair('foo', sec)])]);
    expect(text).toBe('[foo]\nfoo = bar\nbaz = 3.0\nqux = false\n\n[foo]\nfoo = bar\nbaz = 3.0\nqux = false\n');
    const e = caught(() => iniStore.parsePlain(text));
    expect([e.code, e.message]).toEqual(['PARSE', 'duplicate key "foo" at 6:1 (first at 1:1)']);
  });

  it('a file without a [sops] section has no metadata (ported from TestUnmarshalMetadataFromNonSOPSFile)', () => {
    expect(iniStore.parseEncrypted('hello=2').metadata).toBeNull();
  });
});

describe("sops's INI fixtures", () => {
  it('format.enc.ini (sops 3.13.2) is written back byte for byte', () => {
    const text = readFileSync(join(RES, 'format.enc.ini'), 'utf8');
    const { branches, metadata } = iniStore.parseEncrypted(text);
    expect(branches[0]!.items.map((i) => (i.kind === 'pair' ? i.key : '#'))).toEqual(['DEFAULT', 'foo']);
    expect(iniStore.emitEncrypted(branches, metadata!)).toBe(text);
  });

  it('format-2.enc.ini (3.13.1, a multi-line """ PGP block) is written back as 3.13.2 writes it, the block as one \\n line', () => {
    const text = readFileSync(join(RES, 'format-2.enc.ini'), 'utf8');
    const { branches, metadata } = iniStore.parseEncrypted(text);
    const out = iniStore.emitEncrypted(branches, metadata!);
    expect(out).toMatch(/^pgp__list_0__map_enc {8}= -----BEGIN PGP MESSAGE-----\\n\\nwcBMAy.*-----END PGP MESSAGE-----$/m);
    expect(iniStore.parseEncrypted(out)).toEqual({ branches, metadata });
  });
});

describe("go-ini's writing", () => {
  it('aligns = in each section by the longest key in bytes, a blank line between sections, comments above', () => {
    const tree = [map([emptyDefault, pair('a', map([comment('about a'), pair('k', str('1')), pair('größe', str('2')), comment('about größe\n# second')])), pair('b', map([]))])];
    expect(iniStore.emitPlain(tree)).toBe('; about a\n[a]\nk       = 1\n; about größe\n# second\ngröße = 2\n\n[b]\n');
    expect(iniStore.parsePlain(iniStore.emitPlain(tree))).toEqual(tree);
  });

  it('DEFAULT first is written without a header; an explicit [DEFAULT] keeps its header', () => {
    expect(iniStore.emitPlain([map([pair('DEFAULT', map([pair('a', str('1'))])), pair('s', map([]))])])).toBe('a = 1\n\n[s]\n');
    const explicit = '[DEFAULT]\na = 1\n\n[s]\nb = 2\n';
    expect(iniStore.emitPlain(iniStore.parsePlain(explicit))).toBe(explicit);
  });

  it.each([
    ['a line break', 'a\nb', '"""a\nb"""'],
    ['a backquote', 'a`b', '"""a`b"""'],
    ['; or #', 'x;y', '`x;y`'],
    ['surrounding spaces', ' x ', '" x "'],
    ['nothing special', 'x y', 'x y'],
  ])('quotes a value holding %s as go-ini does', (_name, value, written) => {
    expect(iniStore.emitPlain([map([pair('s', map([pair('k', str(value))]))])])).toBe(`[s]\nk = ${written}\n`);
  });

  it.each([
    ['surrounding quotes (go-ini would strip them)', '"x"', '`"x"`'],
    ['a final backslash (go-ini would join the next line)', 'C:\\dir\\', '`C:\\dir\\`'],
    ['a leading """ (go-ini would read on to the next """)', '"""abc', '`"""abc`'],
    ['spaces and a quote (go-ini would keep its quotes)', ' a"b ', '` a"b `'],
  ])('quotes a value with %s another way, so that it reads back', (_name, value, written) => {
    const tree = [map([emptyDefault, pair('s', map([pair('k', str(value))]))])];
    expect(iniStore.emitPlain(tree)).toBe(`[s]\nk = ${written}\n`);
    expect(iniStore.parsePlain(iniStore.emitPlain(tree))).toEqual(tree);
  });

  it('any string key and value that can be written reads back the same', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '"', "'", '`', ';', '#', '=', ':', '\\', '\n', 'é', '[', ']', '-') });
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 4 }), (pairs) => {
        const seen = new Set<string>();
        const items = pairs.filter(([k]) => !seen.has(k) && (seen.add(k), true)).map(([k, v]) => pair(k, str(v)));
        const tree: Branch[] = [map([emptyDefault, pair('s', map(items))])];
        let out: string;
        try {
          out = iniStore.emitPlain(tree);
        } catch (e) {
          expect(caught(() => { throw e; }).code).toBe('UNSUPPORTED');
          return;
        }
        expect(iniStore.parsePlain(out)).toEqual(tree);
      }),
      { numRuns: 300 },
    );
  });

  it('non-string scalars are written as sops ValToString writes them', () => {
    const tree = [map([pair('s', map([pair('i', int(42n)), pair('f', float(7)), pair('b', bool(true))]))])];
    expect(iniStore.emitPlain(tree)).toBe('[s]\ni = 42\nf = 7.0\nb = true\n');
  });

  it("sops's comment stripping: every leading ; (or #) and space goes", () => {
    expect([stripCommentChar(';;; a'), stripCommentChar('#  b'), stripCommentChar('; c\n; d')]).toEqual(['a', 'b', 'c\n; d']);
  });
});

describe('what an INI file cannot hold is refused, naming it', () => {
  it.each([
    ['a nested mapping', [map([pair('s', map([pair('db', map([pair('host', str('x'))]))]))])], '"s.db" holds nested values'],
    ['a list', [map([pair('s', map([pair('hosts', list([str('a')]))]))])], '"s.hosts" holds nested values'],
    ['a top-level value', [map([pair('name', str('x'))])], 'the top-level key "name" is not a section'],
    ['two documents', [map([]), map([])], '2 documents'],
    ['a comment after the last section', [map([pair('s', map([])), comment('bye')])], 'a comment after the last section'],
    ['a key with a line break', [map([pair('s', map([pair('a\nb', str('x'))]))])], 'key "a\\nb"'],
  ])('%s', (_name, tree, message) => {
    const e = caught(() => iniStore.emitPlain(tree as Branch[]));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain(message);
  });

  it('plaintext output moves a top-level comment to the next section and joins consecutive comments; encrypted output refuses', () => {
    const tree = [map([comment('top'), pair('s', map([pair('a', str('1')), comment('x'), comment('y')]))])];
    expect(iniStore.emitPlain(tree)).toBe('; top\n[s]\n; x\n; y\na = 1\n');
    expect(caught(() => iniStore.emitEncrypted(tree, map([]))).message).toContain('a comment outside any section');
    const two = [map([pair('s', map([pair('a', str('1')), comment('x'), comment('y')]))])];
    expect(caught(() => iniStore.emitEncrypted(two, map([]))).message).toContain('two comments in a row after "s.a"');
  });

  it('a [sops] section in the data is refused on encryption and means "already encrypted" on input', () => {
    const tree = iniStore.parsePlain('[sops]\na = 1\n');
    expect(iniStore.hasMetadata(tree)).toBe(true);
    expect(caught(() => iniStore.emitEncrypted(tree, map([]))).code).toBe('REFUSED');
  });

  it('--extract of a section gives its key = value lines; of a list, an error', () => {
    expect(iniStore.emitValue(map([pair('a', str('1')), pair('bb', str('2'))]))).toBe('a  = 1\nbb = 2\n');
    expect(caught(() => iniStore.emitValue(list([]))).code).toBe('UNSUPPORTED');
  });
});
