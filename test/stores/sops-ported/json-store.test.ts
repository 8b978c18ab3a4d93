/**
 * Ported from getsops/sops 3.13.2 stores/json/store_test.go: every table test of the JSON store, in
 * process. sops's `treeBranchFromJSON` is `parsePlain` here, `jsonFromTreeBranch` is `emitValue`
 * (no trailing newline) and `EmitPlainFile` is `emitPlain`; sops's `Indent: -1` is a tab.
 *
 * Not ported, and why:
 * - TestLoadJSONFormattedBinaryFile, TestEmitBinaryFile, TestEmitBinaryFileWrongBranches,
 *   TestEmitBinaryFileNoData, TestEmitBinaryFileWrongDataType: they test sops's BinaryStore, which
 *   another part of issue 13 adds to envcrypt (and ports these with it).
 */
import { describe, expect, it } from 'vitest';
import { jsonStore } from '../../../src/stores/json.js';
import { bool, comment, float, int, list, map, pair, str, type Branch, type MapNode } from '../../../src/tree/types.js';
import { caught } from '../../helpers/errors.js';

const parse = (text: string): MapNode => {
  const [b] = jsonStore.parsePlain(text);
  return b!;
};

/** The tree of TestEncodeJSONArrayOfObjects, TestIndentTwoSpaces, TestIndentDefault and TestNoIndent. */
const FOO_TREE: Branch[] = [map([pair('foo', list([map([pair('foo', int(3n)), pair('bar', bool(false))]), int(2n)]))])];

describe('sops stores/json/store_test.go', () => {
  it('TestDecodeJSON: nested objects and arrays keep their order', () => {
    const input = `
{
   "glossary":{
      "title":"example glossary",
      "GlossDiv":{
         "title":"S",
         "GlossList":{
            "GlossEntry":{
               "ID":"SGML",
               "SortAs":"SGML",
               "GlossTerm":"Standard Generalized Markup Language",
               "Acronym":"SGML",
               "Abbrev":"ISO 8879:1986",
               "GlossDef":{
                  "para":"A meta-markup language, used to create markup languages such as DocBook.",
                  "GlossSeeAlso":[
                     "GML",
                     "XML"
                  ]
               },
               "GlossSee":"markup"
            }
         }
      }
   }
}
`;
    const entry = map([
      pair('ID', str('SGML')),
      pair('SortAs', str('SGML')),
      pair('GlossTerm', str('Standard Generalized Markup Language')),
      pair('Acronym', str('SGML')),
      pair('Abbrev', str('ISO 8879:1986')),
      pair('GlossDef', map([
        pair('para', str('A meta-markup language, used to create markup languages such as DocBook.')),
        pair('GlossSeeAlso', list([str('GML'), str('XML')])),
      ])),
      pair('GlossSee', str('markup')),
    ]);
    expect(parse(input)).toEqual(map([
      pair('glossary', map([
        pair('title', str('example glossary')),
        pair('GlossDiv', map([pair('title', str('S')), pair('GlossList', map([pair('GlossEntry', entry)]))])),
      ])),
    ]));
  });

  it('TestDecodeSimpleJSONObject: a string and an int', () => {
    expect(parse('{"foo": "bar", "baz": 2}')).toEqual(map([pair('foo', str('bar')), pair('baz', int(2n))]));
  });

  it('TestLargeIntegerRoundtrip: an integer beyond 2^53 is exact and round-trips', () => {
    const input = '{\n\t"id": 1234567890123456789\n}';
    const branch = parse(input);
    expect(branch).toEqual(map([pair('id', int(1234567890123456789n))]));
    expect(jsonStore.emitValue(branch, { indent: -1 })).toBe(input);
  });

  it('TestIntegerBoundaries: the int64 limits, a negative and zero decode to exact ints and round-trip', () => {
    for (const lit of ['-1234567890123456789', '-9223372036854775808', '9223372036854775807', '0']) {
      const input = `{\n\t"v": ${lit}\n}`;
      const branch = parse(input);
      expect(branch.items[0]).toEqual(pair('v', int(BigInt(lit))));
      expect(jsonStore.emitValue(branch, { indent: -1 })).toBe(input);
    }
  });

  // sops: "SOPS only supports JSON files with a top-level object (starting with '{'), …"; envcrypt says the same
  // with a position (exit 5).
  it('TestDecodeNumber: a top-level number is refused', () => {
    const e = caught(() => parse('42'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/object/);
  });

  it('TestDecodeArray: a top-level array is refused', () => {
    const e = caught(() => parse(' [42] '));
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/object/);
  });

  it('TestDecodeEmpty: empty input is refused (sops: "EOF")', () => {
    expect(caught(() => parse('')).code).toBe('PARSE');
  });

  it('TestDecodeNestedJSONObject', () => {
    expect(parse('{"foo": {"foo": "bar"}}')).toEqual(map([pair('foo', map([pair('foo', str('bar'))]))]));
  });

  it('TestDecodeJSONWithArray', () => {
    expect(parse('{"foo": {"foo": [1, 2, 3]}, "bar": "baz"}')).toEqual(
      map([pair('foo', map([pair('foo', list([int(1n), int(2n), int(3n)]))])), pair('bar', str('baz'))]),
    );
  });

  it('TestDecodeJSONArrayOfObjects', () => {
    expect(parse('{"foo": [{"bar": "foo"}, {"foo": "bar"}]}')).toEqual(
      map([pair('foo', list([map([pair('bar', str('foo'))]), map([pair('foo', str('bar'))])]))]),
    );
  });

  it('TestDecodeJSONArrayOfArrays', () => {
    expect(parse('{"foo": [[["foo", {"bar": "foo"}]]]}')).toEqual(
      map([pair('foo', list([list([list([str('foo'), map([pair('bar', str('foo'))])])])]))]),
    );
  });

  it('TestEncodeSimpleJSON: what is emitted parses back; a key given twice is refused when read (README Decisions)', () => {
    const unique = map([pair('foo', str('bar')), pair('baz', int(3n)), pair('bar', bool(false))]);
    expect(parse(jsonStore.emitValue(unique))).toEqual(unique);
    // sops's table has "foo" twice and reads both back; envcrypt refuses duplicate keys in every store
    // ("Duplicate keys" under README "Decisions"), so the same branch does not read back.
    const twice = map([pair('foo', str('bar')), pair('foo', int(3n)), pair('bar', bool(false))]);
    expect(caught(() => parse(jsonStore.emitValue(twice))).code).toBe('PARSE');
  });

  it('TestEncodeJSONWithEscaping: backslashes and quotes in keys round-trip', () => {
    const branch = map([pair('foo\\bar', str('value')), pair('a_key_with"quotes"', int(4n)), pair('baz\\\\foo', int(2n))]);
    expect(parse(jsonStore.emitValue(branch))).toEqual(branch);
  });

  it('TestEncodeJSONArrayOfObjects: Indent -1 is a tab per level', () => {
    expect(jsonStore.emitPlain(FOO_TREE, { indent: -1 })).toBe('{\n\t"foo": [\n\t\t{\n\t\t\t"foo": 3,\n\t\t\t"bar": false\n\t\t},\n\t\t2\n\t]\n}\n');
  });

  it('TestUnmarshalMetadataFromNonSOPSFile: no `sops` member, no metadata (sops: MetadataNotFound)', () => {
    expect(jsonStore.parseEncrypted('{"hello": 2}').metadata).toBeNull();
  });

  it('TestEmitValueString: a string value is a JSON string', () => {
    expect(jsonStore.emitValue(str('hello'))).toBe('"hello"');
  });

  it('TestIndentTwoSpaces', () => {
    expect(jsonStore.emitPlain(FOO_TREE, { indent: 2 })).toBe('{\n  "foo": [\n    {\n      "foo": 3,\n      "bar": false\n    },\n    2\n  ]\n}\n');
  });

  it('TestIndentDefault: -1 and unset are both a tab', () => {
    const tab = '{\n\t"foo": [\n\t\t{\n\t\t\t"foo": 3,\n\t\t\t"bar": false\n\t\t},\n\t\t2\n\t]\n}\n';
    expect(jsonStore.emitPlain(FOO_TREE, { indent: -1 })).toBe(tab);
    expect(jsonStore.emitPlain(FOO_TREE)).toBe(tab);
  });

  it('TestNoIndent: 0 keeps the line breaks, no indentation', () => {
    expect(jsonStore.emitPlain(FOO_TREE, { indent: 0 })).toBe('{\n"foo": [\n{\n"foo": 3,\n"bar": false\n},\n2\n]\n}\n');
  });

  it('TestConflictingAttributes: sops accepts a key given four times; envcrypt refuses it with both positions (README Decisions)', () => {
    const data = `
{
  "hello": "Sops config file", 
  "hello": "Doubles are ok", 
  "hello": ["repeatedly"],
  "hello": 3.14
}
`;
    const e = caught(() => parse(data));
    expect(e.code).toBe('PARSE');
    expect(e.position).toEqual({ line: 4, column: 3 });
    expect(e.message).toContain('"hello"');
  });

  it('TestComments: JSON has no comments, so the emitter drops them', () => {
    const branch = map([
      pair('foo', list([
        comment(' comment 0'),
        map([comment(' comment 1'), pair('foo', int(3n)), comment(' comment 2'), comment(' comment 3'), pair('bar', bool(false)), comment(' comment 4'), comment(' comment 5')]),
        comment(' comment 6'),
        comment(' comment 7'),
        int(2n),
        comment(' comment 8'),
        comment(' comment 9'),
      ])),
    ]);
    expect(jsonStore.emitPlain([branch], { indent: 2 })).toBe('{\n  "foo": [\n    {\n      "foo": 3,\n      "bar": false\n    },\n    2\n  ]\n}\n');
  });

  it('a float keeps Go\'s formatting (the 3.14 of TestConflictingAttributes, read alone)', () => {
    expect(parse('{"hello": 3.14}')).toEqual(map([pair('hello', float(3.14))]));
  });
});
