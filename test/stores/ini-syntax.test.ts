// INI reading with go-ini's semantics as sops configures it (gopkg.in/ini.v1
// parser.go, LoadOptions{AllowNonUniqueSections: true}); each expectation is
// what go-ini's reader returns for the same text, except the refusals, which
// are where go-ini would silently drop or merge something.
import { describe, expect, it } from 'vitest';
import { goTrimSpace, parseIni } from '../../src/stores/ini-syntax.js';
import { caught } from '../helpers/errors.js';

/** The keys of section `name` (the first section of that name) as [key, value, comment]. */
function keys(text: string, name = 's'): Array<[string, string, string]> {
  const sec = parseIni(text).find((s) => s.name === name);
  if (!sec) throw new Error(`no section ${name}`);
  return sec.keys.map((k) => [k.name, k.value, k.comment]);
}

describe('values, as go-ini reads them', () => {
  it.each([
    ['plain', 'a = x', 'x', ''],
    ['spaces around are trimmed', 'a =   x y   ', 'x y', ''],
    ['":" separates too', 'a: x', 'x', ''],
    ['only the first separator counts', 'a = b = c', 'b = c', ''],
    ['an inline ; comment is cut off and kept as a comment', 'a = x ; note', 'x', '; note'],
    ['so is # anywhere in an unquoted value', 'a = x#y', 'x', '#y'],
    ['one pair of double quotes goes', 'a = "x y"', 'x y', ''],
    ['one pair of single quotes goes', "a = 'x'", 'x', ''],
    ['quotes kept when another quote is inside', 'a = "x"y"', '"x"y"', ''],
    ['backquotes keep ; and #', 'a = `x;y#z`', 'x;y#z', ''],
    ['triple quotes on one line', 'a = """x"""', 'x', ''],
    ['the last closing quote counts', 'a = """x"""y"""', 'x"""y', ''],
    ['empty', 'a =', '', ''],
    ['a lone """ at the end of the file is a value', 'a = """', '"""', ''],
  ])('%s', (_name, line, value, comment) => {
    expect(keys(`[s]\n${line}`)).toEqual([['a', value, comment]]);
  });

  it('a """ value spans lines, line breaks and leading spaces kept, and a comment may follow it', () => {
    expect(keys('[s]\na = """one\n  two\nthree""" ; c\nb = 1\n')).toEqual([['a', 'one\n  two\nthree', '; c'], ['b', '1', '']]);
  });

  it('a value ending in \\ continues on the next lines, each trimmed', () => {
    expect(keys('[s]\na = x \\\n   y\\\n z\nb = 1\n')).toEqual([['a', 'x yz', ''], ['b', '1', '']]);
  });

  it('CRLF line ends are read like LF; a BOM is skipped', () => {
    expect(keys('\ufeff[s]\r\na = x\r\nb = "y "\r\n')).toEqual([['a', 'x', ''], ['b', 'y ', '']]);
  });
});

describe('keys and sections', () => {
  it('keys may be quoted with ` " or """ to hold = : and quotes; they are trimmed', () => {
    expect(keys('[s]\n`a=b` = 1\n"c:d" = 2\n"""e`f""" = 3\n  g h  = 4\n')).toEqual([
      ['a=b', '1', ''],
      ['c:d', '2', ''],
      ['e`f', '3', ''],
      ['g h', '4', ''],
    ]);
  });

  it('keys before any header go to DEFAULT, which always comes first, empty or not', () => {
    expect(parseIni('[s]\na = 1\n').map((s) => [s.name, s.keys.length])).toEqual([['DEFAULT', 0], ['s', 1]]);
    expect(parseIni('x = 1\n[s]\n').map((s) => [s.name, s.keys.length])).toEqual([['DEFAULT', 1], ['s', 0]]);
  });

  it('an explicit [DEFAULT] is a section of its own after the implicit one, as go-ini lists it', () => {
    expect(parseIni('[DEFAULT]\na = 1\n').map((s) => [s.name, s.keys.length, s.position?.line ?? null])).toEqual([
      ['DEFAULT', 0, null],
      ['DEFAULT', 1, 1],
    ]);
    expect(parseIni('[s]\n[DEFAULT]\na = 1\n').map((s) => s.name)).toEqual(['DEFAULT', 's', 'DEFAULT']);
  });

  it('section names are taken as written up to the last ], spaces included; names are case-sensitive', () => {
    expect(parseIni('[ a b ]\n[x]y]\n[S]\n[s]\n').map((s) => s.name)).toEqual(['DEFAULT', ' a b ', 'x]y', 'S', 's']);
  });

  it('comment lines attach to the next key or header, the first ; or # kept until the store strips it', () => {
    const [, s] = parseIni('; about s\n# more\n[s] ; same line\n; about a\na = 1 ; inline\n');
    expect(s!.comment).toBe('; about s\n# more\n; same line');
    expect(s!.keys[0]!.comment).toBe('; about a\n; inline');
  });

  it('goTrimSpace trims what Go trims: U+0085 yes, U+FEFF no', () => {
    expect(goTrimSpace('\u0085 x\u00a0')).toBe('x');
    expect(goTrimSpace('\ufeffx')).toBe('\ufeffx');
  });
});

describe('refused with a position, where go-ini would lose something silently', () => {
  it.each([
    ['a key given twice (go-ini keeps the last value)', '[s]\na = 1\na = 2\n', 3, 'duplicate key "a" at 3:1 (first at 2:1)'],
    ['a section given twice (go-ini keeps both, sops writes both)', '[s]\n[t]\n[s]\n', 3, 'duplicate key "s" at 3:1 (first at 1:1)'],
    ['[DEFAULT] after keys that already form DEFAULT', 'a = 1\n[DEFAULT]\n', 2, 'duplicate key "DEFAULT" at 2:1 (first at 1:1)'],
    ['[DEFAULT] twice', '[DEFAULT]\n[s]\n[DEFAULT]\n', 3, 'duplicate key "DEFAULT" at 3:1 (first at 1:1)'],
    ['a "-" key, which go-ini numbers and sops writes back as a comment', '[s]\n- = x\n', 2, '"-" key'],
    ['text after a header', '[s] junk\n', 1, 'text after a section header'],
    ['text after a closing quote', '[s]\na = `x` y\n', 2, 'text after the closing quote'],
    ['a comment after a one-line quoted value (go-ini drops it)', '[s]\na = """x""" ; c\n', 2, 'text after the closing quote'],
    ['text between a quoted key and "="', '[s]\n`a` b = 1\n', 2, 'text between a quoted key'],
    ['a comment after the last key (sops drops it)', '[s]\na = 1\n; bye\n', 3, 'nowhere to go'],
    ['a line with no "="', '[s]\njust words\n', 2, 'no "=" or ":"'],
    ['an empty key', '[s]\n = 1\n', 2, 'empty key name'],
    ['an unclosed header', '[s\n', 1, 'unclosed section header'],
    ['an empty section name', '[]\n', 1, 'empty section name'],
    ['an unterminated """ value', '[s]\na = """x\ny\n', 2, 'missing closing """'],
  ])('%s', (_name, text, line, message) => {
    const e = caught(() => parseIni(text));
    expect(e.code).toBe('PARSE');
    expect(e.position?.line).toBe(line);
    expect(e.message).toContain(message);
  });

  it('an encrypted file with a duplicate key gets the tampering hints', () => {
    expect(caught(() => parseIni('[s]\na = 1\na = \n', true)).hints.join(' ')).toContain('tampered');
  });
});
