import dotenv from 'dotenv';
import { describe, expect, it } from 'vitest';
import { formatDotenvValue } from '../../src/stores/dotenv-format.js';
import { caught } from '../helpers/errors.js';

describe('formatDotenvValue', () => {
  const table: Array<[string, string]> = [
    ['', ''],
    ['plain', 'plain'],
    ['a=b c', 'a=b c'],
    ["it's", "it's"],
    ['C:\\dir\\', 'C:\\dir\\'],
    [' lead', "' lead'"],
    ['trail ', "'trail '"],
    ['a#b', "'a#b'"],
    ["'quoted'", `"'quoted'"`],
    ['"x', `'"x'`],
    ["it's #1", `"it's #1"`],
    ['line1\nline2', '"line1\\nline2"'],
    ['a\rb', '"a\\rb"'],
    ['lit\\n\nreal', "'lit\\n\nreal'"],
    [`it's "#"\n`, '`it\'s "#"\n`'],
    ['x\u2028y', "'x\u2028y'"],
  ];
  for (const [value, want] of table) {
    it(`writes ${JSON.stringify(value)} as ${want}`, () => {
      const out = formatDotenvValue(value);
      expect(out).toBe(want);
      expect(dotenv.parse(`K=${out}\nNEXT="n"\n`)).toEqual({ K: value, NEXT: 'n' });
    });
  }

  it('refuses what no dotenv form can hold, naming the key and not the value', () => {
    for (const value of [' secret\\', `a'b"c\`d secret\n`, '#secret\\']) {
      const e = caught(() => formatDotenvValue(value, 'API_TOKEN'));
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toBe('the value of key API_TOKEN cannot be written to a dotenv file');
      expect(e.message).not.toContain('secret');
    }
  });
});
