import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Leaf } from '../../src/tree/types.js';
import {
  formatYamlFloat,
  OUT_OF_RANGE,
  parseYamlTimestamp,
  resolveScalar,
  resolvesToString,
} from '../../src/stores/yaml-resolve.js';
import type { ResolveResult } from '../../src/stores/yaml-resolve.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

const str = (value: string): Leaf => ({ kind: 'str', value });
const int = (value: bigint): Leaf => ({ kind: 'int', value });
const float = (value: number): Leaf => ({ kind: 'float', value });
const bool = (value: boolean): Leaf => ({ kind: 'bool', value });
const time = (value: string): Leaf => ({ kind: 'time', value });
const nul: Leaf = { kind: 'null' };

const plain = (text: string): ResolveResult => resolveScalar(text, { quoted: false });

/** Every row of the SOPS-FORMAT §10.2 plain-scalar table, plus the edges go-yaml v3 has. */
const PLAIN_ROWS: Array<[string, Leaf | string]> = [
  // null
  ['', nul], ['~', nul], ['null', nul], ['Null', nul], ['NULL', nul], ['nULL', str('nULL')],
  // bool: only true/false spellings; YAML 1.1 bools stay strings
  ['true', bool(true)], ['True', bool(true)], ['TRUE', bool(true)],
  ['false', bool(false)], ['False', bool(false)], ['FALSE', bool(false)],
  ['yes', str('yes')], ['no', str('no')], ['on', str('on')], ['off', str('off')], ['y', str('y')], ['n', str('n')],
  ['Yes', str('Yes')], ['tRUE', str('tRUE')],
  // infinities and NaN
  ['.inf', float(Infinity)], ['.Inf', float(Infinity)], ['.INF', float(Infinity)],
  ['+.inf', float(Infinity)], ['+.Inf', float(Infinity)], ['+.INF', float(Infinity)],
  ['-.inf', float(-Infinity)], ['-.Inf', float(-Infinity)], ['-.INF', float(-Infinity)],
  ['.nan', float(NaN)], ['.NaN', float(NaN)], ['.NAN', float(NaN)], ['.iNf', str('.iNf')], ['nan', str('nan')],
  // merge key: an ordinary string
  ['<<', str('<<')],
  // timestamps
  ['2024-01-02T00:00:00Z', time('2024-01-02T00:00:00Z')],
  ['2024-01-02', time('2024-01-02T00:00:00Z')],
  ['2024-1-2', time('2024-01-02T00:00:00Z')],
  ['2001-12-14t21:59:43.10-05:00', time('2001-12-14T21:59:43.1-05:00')],
  ['2001-12-14 21:59:43.10', time('2001-12-14T21:59:43.1Z')],
  ['2001-12-14   21:59:43', time('2001-12-14T21:59:43Z')],
  ['2024-01-02T03:04:05.123456789123Z', time('2024-01-02T03:04:05.123456789Z')],
  ['2024-01-02T03:04:05,5Z', time('2024-01-02T03:04:05.5Z')],
  ['2024-01-02T03:04:05.000Z', time('2024-01-02T03:04:05Z')],
  ['2024-01-02T03:04:05+00:00', time('2024-01-02T03:04:05Z')],
  ['2024-01-02T03:04:05-00:00', time('2024-01-02T03:04:05Z')],
  ['2024-01-02T03:04:05+01:60', time('2024-01-02T03:04:05+02:00')],
  ['2024-02-29', time('2024-02-29T00:00:00Z')],
  ['2023-02-29', str('2023-02-29')],
  ['2024-13-01', str('2024-13-01')],
  ['2024-01-02T24:00:00Z', str('2024-01-02T24:00:00Z')],
  ['2024-01-02T03:04:05', str('2024-01-02T03:04:05')],
  ['2024-01-02T03:04Z', str('2024-01-02T03:04Z')],
  ['2024-01-02T03:04:05z', str('2024-01-02T03:04:05z')],
  ['2024-01-02T03:04:05+0200', str('2024-01-02T03:04:05+0200')],
  ['2024-01-02T03:04:05+25:00', str('2024-01-02T03:04:05+25:00')],
  ['2001-12-14 21:59:43.10 -5', str('2001-12-14 21:59:43.10 -5')],
  ['12024-01-02', str('12024-01-02')],
  // integers: drop `_`, Go base-0 parse, int64 range
  ['0', int(0n)], ['-0', int(0n)], ['42', int(42n)], ['+12', int(12n)], ['-7', int(-7n)],
  ['0x1F', int(31n)], ['0X1f', int(31n)], ['-0x10', int(-16n)], ['0o17', int(15n)], ['0O17', int(15n)],
  ['0b101', int(5n)], ['+0b11', int(3n)], ['017', int(15n)], ['-017', int(-15n)], ['00', int(0n)],
  ['1_000', int(1000n)], ['1__0', int(10n)], ['1_', int(1n)], ['0x_1f', int(31n)],
  ['9223372036854775807', int(9223372036854775807n)], ['-9223372036854775808', int(-9223372036854775808n)],
  ['0x', str('0x')], ['0b', str('0b')], ['_1', str('_1')], ['1_000_x', str('1_000_x')],
  ['0xFFFFFFFFFFFFFFFFF', str('0xFFFFFFFFFFFFFFFFF')],
  // beyond uint64, or signed beyond int64: Go falls through to ParseFloat
  ['18446744073709551616', float(18446744073709551616)],
  ['+9223372036854775808', float(9223372036854775808)],
  ['-9223372036854775809', float(-9223372036854775809)],
  // floats
  ['1e3', float(1000)], ['1E3', float(1000)], ['08', float(8)], ['09.5', float(9.5)], ['.5', float(0.5)],
  ['+.5', float(0.5)], ['-1.5e-3', float(-0.0015)], ['1.', float(1)], ['3.14', float(3.14)], ['1_0.5', float(10.5)],
  ['.5e2', float(50)], ['1e400', str('1e400')], ['1e-400', float(0)], ['-0.0', float(-0)],
  // strings
  ['.', str('.')], ['._5', str('._5')], ['-', str('-')], ['+', str('+')], ['abc', str('abc')], ['1.2.3', str('1.2.3')],
  ['3.13.2', str('3.13.2')], ['12:30', str('12:30')], ['0x1.8p1', str('0x1.8p1')], ['1e', str('1e')],
  ['ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]', str('ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]')],
  ['é', str('é')],
];

describe('resolveScalar on plain scalars (go-yaml v3 table)', () => {
  it.each(PLAIN_ROWS)('%j', (text, want) => {
    const r = plain(text);
    if (typeof want === 'string') {
      expect(r).toEqual({ ok: false, reason: want });
      return;
    }
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.leaf).toEqual(want);
    if (want.kind === 'float') expect(Object.is((r.leaf as { value: number }).value, want.value)).toBe(true);
  });

  it('refuses integers between int64 max and uint64 max, as sops cannot encrypt uint64', () => {
    expect(plain('9223372036854775808')).toEqual({ ok: false, reason: 'uint64' });
    expect(plain('18446744073709551615')).toEqual({ ok: false, reason: 'uint64' });
    expect(plain('0xFFFFFFFFFFFFFFFF')).toEqual({ ok: false, reason: 'uint64' });
  });

  it('refuses a timestamp whose offset Go cannot serialize', () => {
    expect(plain('2024-01-02T03:04:05+24:00')).toEqual({ ok: false, reason: 'time-range' });
  });
});

describe('resolveScalar on quoted and tagged scalars', () => {
  const cases: Array<[string, { quoted: boolean; tag?: string }, Leaf | string]> = [
    ['123', { quoted: true }, str('123')],
    ['true', { quoted: true }, str('true')],
    ['2024-01-02', { quoted: true }, str('2024-01-02')],
    ['', { quoted: true }, str('')],
    ['123', { quoted: false, tag: '!!str' }, str('123')],
    ['123', { quoted: false, tag: 'tag:yaml.org,2002:str' }, str('123')],
    ['12', { quoted: true, tag: '!!int' }, int(12n)],
    ['0x10', { quoted: false, tag: 'tag:yaml.org,2002:int' }, int(16n)],
    ['1', { quoted: false, tag: '!!float' }, float(1)],
    ['.inf', { quoted: false, tag: '!!float' }, float(Infinity)],
    ['true', { quoted: false, tag: '!!bool' }, bool(true)],
    ['', { quoted: true, tag: '!!null' }, nul],
    ['~', { quoted: false, tag: '!!null' }, nul],
    ['2024-01-02', { quoted: false, tag: '!!timestamp' }, time('2024-01-02T00:00:00Z')],
    ['aGVsbG8=', { quoted: false, tag: '!!binary' }, str('hello')],
    ['aGVs\nbG8=\n', { quoted: true, tag: 'tag:yaml.org,2002:binary' }, str('hello')],
    ['123', { quoted: false, tag: '!foo' }, str('123')],
    ['true', { quoted: false, tag: '!!set' }, str('true')],
    // a bare `!` does not force a string on a plain scalar in go-yaml, but does on a quoted one
    ['123', { quoted: false, tag: '!' }, int(123n)],
    ['123', { quoted: true, tag: '!' }, str('123')],
    ['yes', { quoted: false, tag: '!!bool' }, 'tag-mismatch'],
    ['abc', { quoted: false, tag: '!!int' }, 'tag-mismatch'],
    ['1.5', { quoted: false, tag: '!!int' }, 'tag-mismatch'],
    ['2024-01-02', { quoted: false, tag: '!!int' }, 'tag-mismatch'],
    ['x', { quoted: false, tag: '!!null' }, 'tag-mismatch'],
    ['18446744073709551615', { quoted: false, tag: '!!float' }, 'tag-mismatch'],
    ['not base64!', { quoted: false, tag: '!!binary' }, 'bad-binary'],
    ['aGVsbG8', { quoted: false, tag: '!!binary' }, 'bad-binary'],
    ['/w==', { quoted: false, tag: '!!binary' }, 'bad-binary'],
  ];
  it.each(cases)('%j %j', (text, syntax, want) => {
    const r = resolveScalar(text, syntax);
    if (typeof want === 'string') expect(r).toEqual({ ok: false, reason: want });
    else expect(r).toEqual({ ok: true, leaf: want });
  });
});

describe('parseYamlTimestamp', () => {
  it('returns the marker for an unserializable offset and null for non-timestamps', () => {
    expect(parseYamlTimestamp('2024-01-02T00:00:00+24:00')).toBe(OUT_OF_RANGE);
    expect(parseYamlTimestamp('2024-01-02T00:00:00+24:00x')).toBeNull();
    expect(parseYamlTimestamp('hello')).toBeNull();
  });

  it('matches Date for every valid UTC instant in years 1000-9999 (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString();
          const want = iso.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
          expect(parseYamlTimestamp(iso)).toBe(want);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('resolvesToString (go-yaml canUsePlain)', () => {
  it.each([
    ['hello', true], ['ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]', true], ['<<', true], ['3.13.2', true],
    ['yes', false], ['No', false], ['off', false], ['y', false], ['12:30', false], ['1:2:3.5', false],
    ['1e3', false], ['017', false], ['', false], ['~', false], ['2024-01-02', false], ['true', false], ['.inf', false],
  ])('%j → %s', (s, want) => {
    expect(resolvesToString(s as string)).toBe(want);
  });
});

describe('formatYamlFloat (Go %g)', () => {
  it.each([
    [1, '1'], [0.5, '0.5'], [3.14, '3.14'], [1e21, '1e+21'], [1e6, '1e+06'], [123456, '123456'],
    [1234567, '1.234567e+06'], [1e-5, '1e-05'], [1.5e-7, '1.5e-07'], [0.0001, '0.0001'], [-2.5, '-2.5'],
    [1.5e300, '1.5e+300'], [5e-324, '5e-324'], [0, '0'], [-0, '-0'], [Infinity, '.inf'], [-Infinity, '-.inf'],
    [NaN, '.nan'],
  ])('%d → %s', (f, want) => {
    expect(formatYamlFloat(f)).toBe(want);
  });

  it('reads back as the same float (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
        const r = plain(formatYamlFloat(f));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        // Integral values come back as ints, as in sops (§10.2 "Emitting").
        const v = r.leaf.kind === 'int' ? Number(r.leaf.value) : (r.leaf as { value: number }).value;
        expect(v === f || (f === 0 && v === 0)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
