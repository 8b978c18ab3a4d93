import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { emitJson, formatJsonFloat, quoteJson } from '../../src/stores/json-emit.js';
import { parseJsonObject } from '../../src/stores/json-parse.js';
import { bool, comment, float, int, list, map, nul, pair, str } from '../../src/tree/types.js';
import type { Node } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

const sample = map([
  pair('name', str('app')),
  comment(' dropped'),
  pair('n', int(7n)),
  pair('nested', map([pair('f', float(2.5)), pair('empty', map([])), pair('none', list([]))])),
  pair('list', list([bool(true), comment(' also dropped'), nul, list([int(-1n)]), map([pair('k', str('v'))])])),
]);

describe('layout, as json.Indent writes it', () => {
  it('uses one member per line and a tab per level by default', () => {
    expect(emitJson(sample)).toBe(
      [
        '{',
        '\t"name": "app",',
        '\t"n": 7,',
        '\t"nested": {',
        '\t\t"f": 2.5,',
        '\t\t"empty": {},',
        '\t\t"none": []',
        '\t},',
        '\t"list": [',
        '\t\ttrue,',
        '\t\tnull,',
        '\t\t[',
        '\t\t\t-1',
        '\t\t],',
        '\t\t{',
        '\t\t\t"k": "v"',
        '\t\t}',
        '\t]',
        '}',
      ].join('\n'),
    );
  });

  it('uses N spaces with indent N', () => {
    expect(emitJson(map([pair('a', map([pair('b', int(1n))]))]), { indent: 2 })).toBe('{\n  "a": {\n    "b": 1\n  }\n}');
    expect(emitJson(map([pair('a', list([int(1n)]))]), { indent: 4 })).toBe('{\n    "a": [\n        1\n    ]\n}');
  });

  it('keeps the line breaks but no indentation with indent 0', () => {
    expect(emitJson(map([pair('a', map([pair('b', int(1n))])), pair('c', list([]))]), { indent: 0 })).toBe(
      '{\n"a": {\n"b": 1\n},\n"c": []\n}',
    );
  });

  it('writes containers holding only comments as empty', () => {
    expect(emitJson(map([comment(' x')]))).toBe('{}');
    expect(emitJson(map([pair('l', list([comment(' x')]))]))).toBe('{\n\t"l": []\n}');
  });

  it('writes duplicate keys as they are', () => {
    expect(emitJson(map([pair('a', int(1n)), pair('a', int(2n))]))).toBe('{\n\t"a": 1,\n\t"a": 2\n}');
  });

  it.each([
    [str('x'), '"x"'],
    [int(42n), '42'],
    [int(9223372036854775807n), '9223372036854775807'],
    [int(-9223372036854775808n), '-9223372036854775808'],
    [float(3.14), '3.14'],
    [bool(false), 'false'],
    [nul, 'null'],
    [{ kind: 'time', value: '2024-01-02T00:00:00Z' } as Node, '"2024-01-02T00:00:00Z"'],
  ])('writes the scalar %o bare', (node, text) => {
    expect(emitJson(node)).toBe(text);
  });

  it.each([-2, 1.5, 65, Number.NaN])('refuses indent %s', (indent) => {
    expect(() => emitJson(sample, { indent })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('indent -1 is a tab, as sops reads stores.json.indent -1 (its default)', () => {
    expect(emitJson(sample, { indent: -1 })).toBe(emitJson(sample));
  });
});

describe('Go string escapes', () => {
  it.each([
    ['<tag> & co', '"\\u003ctag\\u003e \\u0026 co"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['\u0000\u0001\u001f', '"\\u0000\\u0001\\u001f"'],
    ['\u000b', '"\\u000b"'],
    ['"\\', '"\\"\\\\"'],
    ['a/b\u007f', '"a/b\u007f"'],
    ['é 漢 😀', '"é 漢 😀"'],
    ['\ud800', '"\\ufffd"'],
    ['a\udc00b', '"a\\ufffdb"'],
    ['\udc00\ud800', '"\\ufffd\\ufffd"'],
    ['😀\ud83d', '"😀\\ufffd"'],
    ['ENC[AES256_GCM,data:ab+/=,iv:x,tag:y,type:str]', '"ENC[AES256_GCM,data:ab+/=,iv:x,tag:y,type:str]"'],
  ])('%j', (input, expected) => {
    expect(quoteJson(input)).toBe(expected);
  });

  it('escapes keys the same way', () => {
    expect(emitJson(map([pair('<k>', str('&'))]))).toBe('{\n\t"\\u003ck\\u003e": "\\u0026"\n}');
  });
});

describe('floats, as Go encoding/json writes them', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [100, '100'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e20, '100000000000000000000'],
    [123456789012345680000, '123456789012345680000'],
    [1e21, '1e+21'],
    [-1.5e300, '-1.5e+300'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [1.5e-7, '1.5e-7'],
    [-2.5e-10, '-2.5e-10'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ])('%s → %s', (f, text) => {
    expect(formatJsonFloat(f)).toBe(text);
    expect(emitJson(float(f))).toBe(text);
  });

  it.each([Number.NaN, Infinity, -Infinity])('refuses %s, naming the key but not the value', (f) => {
    const tree = map([pair('db', map([pair('ratio', float(f))]))]);
    const err = caught(() => emitJson(tree));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toBe('the value at db:ratio is a NaN or infinite float, which JSON cannot represent');
    expect(formatJsonFloat(f)).toBeNull();
  });

  it('agrees with JSON.stringify for every finite float except -0', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
        expect(formatJsonFloat(f)).toBe(Object.is(f, -0) ? '-0' : JSON.stringify(f));
      }),
      { numRuns: RUNS },
    );
  });
});

/** JSON strings on which Go and JavaScript agree: no `<>&`, no U+2028/9 (lone surrogates cannot occur with these units). */
const agreeingString = fc
  .oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }), fc.string())
  .filter((s) => !/[<>&\u2028\u2029]/.test(s));

describe('agreement with JSON.stringify(…, null, "\\t")', () => {
  it('gives the same text where Go and JavaScript agree', () => {
    const value = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
    const doc = fc.dictionary(agreeingString, value);
    fc.assert(
      fc.property(doc, (obj) => {
        const text = JSON.stringify(obj);
        fc.pre(!/[<>&\u2028\u2029]/.test(text));
        expect(emitJson(parseJsonObject(text))).toBe(JSON.stringify(JSON.parse(text), null, '\t'));
      }),
      { numRuns: RUNS },
    );
  });

  it('differs only by the Go-specific escapes and -0', () => {
    const text = '{"h":"<a href=\\"x\\">&amp;</a>","s":"\u2028","z":-0.0,"e":"\\b\\f\\u0001"}';
    const ours = emitJson(parseJsonObject(text));
    const js = JSON.stringify(JSON.parse(text), null, '\t');
    expect(ours).toBe('{\n\t"h": "\\u003ca href=\\"x\\"\\u003e\\u0026amp;\\u003c/a\\u003e",\n\t"s": "\\u2028",\n\t"z": -0,\n\t"e": "\\b\\f\\u0001"\n}');
    expect(js).toBe('{\n\t"h": "<a href=\\"x\\">&amp;</a>",\n\t"s": "\u2028",\n\t"z": 0,\n\t"e": "\\b\\f\\u0001"\n}');
  });
});

describe('stability', () => {
  it('emits identical bytes every time', () => {
    const first = emitJson(sample);
    for (let i = 0; i < 10; i++) expect(emitJson(sample)).toBe(first);
  });

  it('is a fixed point after one parse/emit round', () => {
    const doc = fc.dictionary(agreeingString, fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(doc, (obj) => {
        const once = emitJson(parseJsonObject(JSON.stringify(obj)));
        expect(emitJson(parseJsonObject(once))).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });
});
