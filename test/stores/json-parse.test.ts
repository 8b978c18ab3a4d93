import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { EnvcryptError } from '../../src/errors.js';
import { MAX_JSON_DEPTH, parseJsonObject, positionAt } from '../../src/stores/json-parse.js';
import type { MapNode, Node } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** The value of the single top-level member of `{"v": <literal>}`. */
function valueOf(literal: string): Node {
  const root = parseJsonObject(`{"v": ${literal}}`);
  expect(root.items).toHaveLength(1);
  const item = root.items[0]!;
  if (item.kind !== 'pair') throw new Error('expected a pair');
  return item.value;
}

/** Parse `text`, which must fail, and return the EnvcryptError. */
const parseFailure = (text: string) => caught(() => parseJsonObject(text));

describe('order and duplicates', () => {
  it('keeps key order and integer-like keys', () => {
    const root = parseJsonObject('{"b":1,"1":2,"a":3}');
    expect(root).toEqual({
      kind: 'map',
      items: [
        { kind: 'pair', key: 'b', value: { kind: 'int', value: 1n } },
        { kind: 'pair', key: '1', value: { kind: 'int', value: 2n } },
        { kind: 'pair', key: 'a', value: { kind: 'int', value: 3n } },
      ],
    });
  });

  it('refuses a key given twice in one object, at any depth, naming both positions', () => {
    const top = parseFailure('{"b":1,"a":3,\n  "a":4}');
    expect(top.code).toBe('PARSE');
    expect(top.exitCode).toBe(5);
    expect(top.message).toBe('duplicate key "a" at 2:3 (first at 1:8)');
    expect(top.position).toEqual({ line: 2, column: 3 });
    const deep = parseFailure('{"x": [{"y": {"k": 1, "z": 2, "k": 3}}]}');
    expect(deep.message).toBe('duplicate key "k" at 1:31 (first at 1:15)');
  });

  it('compares keys after unescaping: "\\u0061" is "a"', () => {
    expect(parseFailure('{"a": 1, "\\u0061": 2}').message).toBe('duplicate key "a" at 1:10 (first at 1:2)');
  });

  it('allows the same key in different objects', () => {
    const root = parseJsonObject('{"a": {"a": 1}, "b": {"a": 2}, "l": [{"a": 1}, {"a": 2}]}');
    expect(root.items).toHaveLength(3);
  });

  it('escapes control characters of a duplicated key in the message', () => {
    const e = parseFailure('{"\\u001b[2Jk\\r": 1, "\\u001b[2Jk\\r": 2}');
    expect(e.message).toBe('duplicate key "\\x1b[2Jk\\x0d" at 1:21 (first at 1:2)');
    expect(e.message).not.toContain('\u001b');
  });

  it('builds nested maps and lists, with every kind of whitespace', () => {
    const root = parseJsonObject(' \t\r\n{ "m" : { "x" : [ 1 , [ ] , { } , "s" , true , false , null ] } , "e" : { } }\n');
    expect(root).toEqual({
      kind: 'map',
      items: [
        {
          kind: 'pair',
          key: 'm',
          value: {
            kind: 'map',
            items: [
              {
                kind: 'pair',
                key: 'x',
                value: {
                  kind: 'list',
                  items: [
                    { kind: 'int', value: 1n },
                    { kind: 'list', items: [] },
                    { kind: 'map', items: [] },
                    { kind: 'str', value: 's' },
                    { kind: 'bool', value: true },
                    { kind: 'bool', value: false },
                    { kind: 'null' },
                  ],
                },
              },
            ],
          },
        },
        { kind: 'pair', key: 'e', value: { kind: 'map', items: [] } },
      ],
    });
  });

  it('accepts an empty object', () => {
    expect(parseJsonObject('{}')).toEqual({ kind: 'map', items: [] });
  });
});

describe('numbers', () => {
  it.each([
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['0', 0n],
    ['-0', 0n], // Go's ParseInt reads -0 as 0
    ['7', 7n],
    ['-42', -42n],
    ['12345678901234567890'.slice(0, 19), 1234567890123456789n],
  ])('%s is an exact int', (literal, expected) => {
    expect(valueOf(literal)).toEqual({ kind: 'int', value: expected });
  });

  it.each([
    ['9223372036854775808', 9223372036854775808],
    ['1.0', 1],
    ['1e3', 1000],
    ['1E+2', 100],
    ['2.5', 2.5],
    ['-0.5', -0.5],
    ['1.5e-7', 1.5e-7],
    ['1e-400', 0],
  ])('%s is a float', (literal, expected) => {
    expect(valueOf(literal)).toEqual({ kind: 'float', value: expected });
  });

  it.each([
    ['12345678901234567890', 12345678901234567000],
    ['-9223372036854775809', -9223372036854775808],
    ['123456789012345678901234567890', 1.2345678901234568e29],
  ])('%s: an integer a float cannot hold is an error with its position in plaintext, and sops\'s rounded float in an encrypted file', (literal, rounded) => {
    let e: unknown;
    try {
      parseJsonObject(`{\n  "v": ${literal}}`);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(EnvcryptError);
    expect((e as EnvcryptError).exitCode).toBe(5);
    expect((e as EnvcryptError).message).toContain('integer beyond 64 bits: as a float (how sops reads it) it would lose digits');
    expect((e as EnvcryptError).position).toEqual({ line: 2, column: 8 });
    expect((e as EnvcryptError).message).not.toContain(literal.slice(0, 10));
    const enc = parseJsonObject(`{"v": ${literal}}`, { encrypted: true });
    expect(enc.items[0]).toEqual({ kind: 'pair', key: 'v', value: { kind: 'float', value: rounded } });
  });

  it('keeps negative zero as a float', () => {
    const v = valueOf('-0.0');
    expect(v.kind).toBe('float');
    expect(Object.is((v as { value: number }).value, -0)).toBe(true);
  });
});

describe('strings', () => {
  it.each([
    ['"plain"', 'plain'],
    ['""', ''],
    ['"😀 emoji"', '😀 emoji'],
    ['"漢字とかな"', '漢字とかな'],
    ['"caf\\u00e9"', 'café'],
    ['"caf\\u00E9"', 'café'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"\\" \\\\ \\/ \\b \\f \\n \\r \\t"', '" \\ / \b \f \n \r \t'],
    ['"\\u0000\\u001f"', '\u0000\u001f'],
    ['"<>&\u2028\u007f"', '<>&\u2028\u007f'],
    // Lone surrogates decode to U+FFFD, as Go's decoder does.
    ['"\\ud800"', '\ufffd'],
    ['"\\udc00x"', '\ufffdx'],
    ['"\\ud800\\u0041"', '\ufffdA'],
    ['"\\ud800\\ud800\\udc00"', '\ufffd\u{10000}'],
    ['"a\ud800b"', 'a\ufffdb'],
    ['"\udc00"', '\ufffd'],
  ])('%s decodes', (literal, expected) => {
    expect(valueOf(literal)).toEqual({ kind: 'str', value: expected });
  });

  it('decodes escapes in keys too', () => {
    const root = parseJsonObject('{"k\\u00e9\\n": 1}');
    expect(root.items[0]).toMatchObject({ key: 'ké\n' });
  });
});

describe('trailing content', () => {
  it('is ignored by default, as sops does', () => {
    expect(parseJsonObject('{"a":1} trailing {"b":2}')).toEqual(parseJsonObject('{"a":1}'));
  });

  it('is an error with trailing: error', () => {
    expect(parseJsonObject('{"a":1} \n\t', { trailing: 'error' }).items).toHaveLength(1);
    const e = (() => {
      try {
        parseJsonObject('{"a":1}\n x', { trailing: 'error' });
      } catch (err) {
        return err as EnvcryptError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('PARSE');
    expect(e?.message).toBe('invalid JSON: unexpected content after the top-level object at 2:2');
  });
});

describe('bad input', () => {
  const CANARY = 'CANARY-s3cr3t-value';
  // Each case is put after a member holding a canary secret, which must never show up in the error.
  // The last column is the 0-based index, inside the case's own text, where the error must point.
  const cases: Array<[string, string, RegExp, number]> = [
    ['trailing comma in an object', `"x": 1,}`, /trailing comma before '}'/, 6],
    ['trailing comma in an array', `"x": [1,]}`, /trailing comma before ']'/, 7],
    ['unterminated string', `"x": "${CANARY}`, /unterminated string/, 5],
    ['line break in a string', `"x": "${CANARY}\n"}`, /line break in a string/, 25],
    ['control character in a string', `"x": "\u0001"}`, /unescaped control character/, 6],
    ['bad escape', `"x": "ab\\x"}`, /invalid escape sequence/, 8],
    ['bad unicode escape', `"x": "\\u12G4"}`, /invalid \\u escape/, 6],
    ['short unicode escape', `"x": "\\u12"}`, /invalid \\u escape/, 6],
    ['leading zero', `"x": 01}`, /leading zeros/, 5],
    ['missing fraction digits', `"x": 1.}`, /after the decimal point/, 5],
    ['missing exponent digits', `"x": 1e}`, /in the exponent/, 5],
    ['lone minus', `"x": -}`, /expected a digit/, 5],
    ['plus sign', `"x": +1}`, /expected a value/, 5],
    ['leading dot', `"x": .5}`, /expected a value/, 5],
    ['hex number', `"x": 0x10}`, /invalid number/, 5],
    ['two dots', `"x": 1.2.3}`, /invalid number/, 5],
    ['NaN', `"x": NaN}`, /expected a value/, 5],
    ['Infinity', `"x": Infinity}`, /expected a value/, 5],
    ['float overflow', `"x": 1e400}`, /out of range/, 5],
    ['bad literal', `"x": tru}`, /invalid literal/, 5],
    ['capitalised literal', `"x": True}`, /expected a value/, 5],
    ['single quotes', `"x": 'a'}`, /expected a value/, 5],
    ['line comment', `// c\n"x": 1}`, /comments are not allowed/, 0],
    ['block comment', `"x": /* c */ 1}`, /comments are not allowed/, 5],
    ['missing colon', `"x" 1}`, /expected ':'/, 4],
    ['missing comma', `"x": 1 "y": 2}`, /expected ',' or '}'/, 7],
    ['missing comma in an array', `"x": [1 2]}`, /expected ',' or ']'/, 8],
    ['non-string key', `1: 2}`, /expected a string key/, 0],
    ['unexpected end in an object', `"x": 1`, /unexpected end of input/, 6],
    ['unexpected end after a key', `"x"`, /unexpected end of input, expected ':'/, 3],
    ['unexpected end in a value', `"x": `, /unexpected end of input, expected a value/, 5],
    ['mismatched bracket', `"x": [1}`, /expected ',' or ']'/, 7],
  ];

  const prefix = `{"password": "${CANARY}", `;
  it.each(cases)('%s', (_name, rest, what, index) => {
    const e = parseFailure(prefix + rest);
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/^invalid JSON: .+ at \d+:\d+$/);
    expect(e.message).toMatch(what);
    const column = prefix.length + index + 1;
    expect(e.message.endsWith(` at 1:${column}`)).toBe(true);
    expect(e.position).toEqual({ line: 1, column });
    expect(e.message).not.toContain(CANARY);
    expect(e.hints.join('\n')).not.toContain(CANARY);
  });

  it.each([
    ['an array', '[1, 2]'],
    ['a string', '"just a string"'],
    ['a number', '42'],
    ['a number', '-1'],
    ['a boolean', 'true'],
    ['null', 'null'],
  ])('a top level that is %s is refused with a hint', (kind, text) => {
    const e = parseFailure(`\n  ${text}`);
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe(`invalid JSON: the top-level value must be an object, not ${kind} at 2:3`);
    expect(e.hints.join(' ')).toMatch(/wrap/);
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t '],
  ])('an %s file is a parse error', (_name, text) => {
    const e = parseFailure(text);
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/^invalid JSON: the document is empty at \d+:\d+$/);
    expect(e.position).toBeDefined();
  });

  it('refuses a byte order mark, as Go does', () => {
    const e = parseFailure('\ufeff{}');
    expect(e.message).toBe('invalid JSON: byte order mark at the start of the file at 1:1');
    expect(e.hints[0]).toMatch(/without a BOM/);
  });

  it('reports binary garbage without quoting it', () => {
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]).toString('latin1');
    const e = parseFailure(garbage);
    expect(e.message).toBe("invalid JSON: unexpected character, expected '{' at the start of the document at 1:1");
    const e2 = parseFailure('{' + garbage);
    expect(e2.message).toBe("invalid JSON: unexpected character, expected a string key or '}' at 1:2");
  });

  it('counts lines and columns in code points across CRLF lines', () => {
    const e = parseFailure('{\r\n  "😀a": 1,\r\n  "b": tru\r\n}');
    expect(e.position).toEqual({ line: 3, column: 8 });
    const e2 = parseFailure('{"😀": x}');
    expect(e2.position).toEqual({ line: 1, column: 7 });
  });

  it.each([
    ['objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), 5 * MAX_JSON_DEPTH + 1],
    ['arrays', '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}', 5 + MAX_JSON_DEPTH],
  ])('10,000-deep %s give a clean PARSE error', (_name, text, column) => {
    const e = parseFailure(text);
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe(`invalid JSON: nesting deeper than ${MAX_JSON_DEPTH} levels at 1:${column}`);
  });

  it(`accepts nesting of exactly ${MAX_JSON_DEPTH} levels`, () => {
    const n = MAX_JSON_DEPTH - 1;
    let node: MapNode = parseJsonObject('{"a":'.repeat(n) + '{}' + '}'.repeat(n));
    let depth = 1;
    while (node.items.length > 0) {
      node = (node.items[0] as { value: MapNode }).value;
      depth++;
    }
    expect(depth).toBe(MAX_JSON_DEPTH);
  });

  it('never throws anything but a PARSE error on random input', () => {
    const alphabet = fc.constantFrom(...'{}[]:,"\\ -+.0123456789eEtrufalsn/\n\u0000\ud800é'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet }), fc.string({ unit: 'binary' })), (s) => {
        for (const text of [s, '{' + s, '{"k":' + s]) {
          try {
            parseJsonObject(text);
          } catch (e) {
            expect(e).toBeInstanceOf(EnvcryptError);
            expect((e as EnvcryptError).code).toBe('PARSE');
            expect((e as EnvcryptError).message).toMatch(/^invalid JSON: [^\n]* at \d+:\d+$/);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  // JSON.parse keeps the last of two equal keys; envcrypt refuses them (README
  // Decisions: no silent loss). The yaml library, which also refuses them,
  // says independently which texts have one.
  it('accepts exactly the JSON texts that JSON.parse accepts, when the top level is an object and no key repeats', () => {
    const text = fc.oneof(
      fc.json({ stringUnit: 'binary' }),
      fc.json().map((s) => s.slice(0, -1)),
      fc.json().map((s) => s.replace(/[,:\]}]/, '')),
    );
    fc.assert(
      fc.property(text, (s) => {
        let expected: unknown;
        try {
          expected = JSON.parse(s);
        } catch {
          expected = undefined;
        }
        const isObject = typeof expected === 'object' && expected !== null && !Array.isArray(expected);
        const repeats = isObject && parseDocument(s, { uniqueKeys: true }).errors.some((e) => e.code === 'DUPLICATE_KEY');
        if (isObject && !repeats) expect(() => parseJsonObject(s, { trailing: 'error' })).not.toThrow();
        else expect(() => parseJsonObject(s, { trailing: 'error' })).toThrow(repeats ? /^duplicate key / : EnvcryptError);
      }),
      // The case test:long found, and a nested repeat spelled with an escape.
      { numRuns: RUNS, examples: [['{"":"","":[]}'], ['{"a":{"b":1,"\\u0062":2}}']] },
    );
  });
});

describe('positionAt', () => {
  it('is 1-based and counts surrogate pairs as one column', () => {
    expect(positionAt('abc', 0)).toEqual({ line: 1, column: 1 });
    expect(positionAt('a\nbc', 3)).toEqual({ line: 2, column: 2 });
    expect(positionAt('😀x', 2)).toEqual({ line: 1, column: 2 });
    expect(positionAt('a\n\n', 3)).toEqual({ line: 3, column: 1 });
  });
});

// Parsing must stay linear: a quadratic step would take minutes on 10 MB, far
// past this timeout. How fast it is is not asserted here (npm run bench).
describe('big input', () => {
  it('parses a 10 MB file', { timeout: 20_000 }, () => {
    const member = (i: number) => `"key${i}": {"s": "value \\n \\"quoted\\" é ${i}", "f": ${i}.5, "i": ${i}, "b": true, "l": [1, null, "x"]}`;
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 10_000_000; i++) {
      const m = member(i);
      parts.push(m);
      size += m.length + 2;
    }
    const text = '{\n' + parts.join(',\n') + '\n}';
    const root = parseJsonObject(text);
    expect(root.items).toHaveLength(parts.length);
  });
});
