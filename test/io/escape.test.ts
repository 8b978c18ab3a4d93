import { describe, expect, it } from 'vitest';
import { escapeControls, hasUnsafeControls, quoteName } from '../../src/io/escape.js';

describe('escapeControls', () => {
  it.each([
    ['ESC of a CSI sequence', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
    ['carriage return', 'ok\rFAKE', 'ok\\x0dFAKE'],
    ['backspace', 'pass\bX', 'pass\\x08X'],
    ['BEL and NUL', '\u0007\u0000', '\\x07\\x00'],
    ['OSC 8 hyperlink', '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007', '\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['C1 controls (CSI, NEL)', '\u009b2J\u0085', '\\u009b2J\\u0085'],
    ['bidi override and isolate', 'x\u202ey\u2066z\u2069', 'x\\u202ey\\u2066z\\u2069'],
    ['vertical tab and form feed', '\u000b\u000c', '\\x0b\\x0c'],
  ])('escapes %s', (_name, input, want) => {
    expect(escapeControls(input)).toBe(want);
    expect(hasUnsafeControls(input)).toBe(true);
    expect(hasUnsafeControls(escapeControls(input))).toBe(false);
  });

  it('keeps line feed, tab, printable text and other Unicode as they are', () => {
    const text = 'A=1\n\tB="héllo ✓ 日本 😀 \u00a0\u200f"\n# ok\n';
    expect(escapeControls(text)).toBe(text);
    expect(hasUnsafeControls(text)).toBe(false);
  });

  it('leaves a backslash alone (the view is for reading, not for exact bytes)', () => {
    expect(escapeControls('C:\\path\\x1b')).toBe('C:\\path\\x1b');
  });
});

describe('quoteName', () => {
  it('quotes, and escapes quotes, backslashes, line breaks, tabs and controls', () => {
    expect(quoteName('A')).toBe('"A"');
    expect(quoteName('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteName('x\ny\tz\u001b[31m')).toBe('"x\\ny\\tz\\x1b[31m"');
  });

  it('cuts a long name, never inside a surrogate pair', () => {
    expect(quoteName('k'.repeat(500))).toBe(`"${'k'.repeat(80)}…"`);
    const s = quoteName(`${'k'.repeat(79)}😀${'k'.repeat(10)}`);
    expect(s).toBe(`"${'k'.repeat(79)}…"`);
  });
});
