import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { toJson } from '../../src/export/json.js';
import { MULTILINE, SAMPLE } from './samples.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

describe('toJson', () => {
  it('writes a 2-space indented object with a trailing newline', () => {
    expect(toJson({ B: 'x', A: 'y\n' })).toBe('{\n  "B": "x",\n  "A": "y\\n"\n}\n');
    expect(toJson({})).toBe('{}\n');
  });

  it('parses back to the values, keys in order', () => {
    const values = { ...SAMPLE, ...MULTILINE, NUL: 'a\0b' };
    const back = JSON.parse(toJson(values)) as Record<string, string>;
    expect(back).toEqual(values);
    expect(Object.keys(back)).toEqual(Object.keys(values));
  });

  it('parses back to any values (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string({ unit: 'grapheme' })), (values) => {
        expect(JSON.parse(toJson(values))).toEqual(values);
      }),
      { numRuns: RUNS },
    );
  });
});
