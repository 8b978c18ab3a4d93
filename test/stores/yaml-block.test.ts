/**
 * Block scalars read as go-yaml v3 reads them. Every expected value below is
 * derived by hand from go-yaml v3.0.4 `scannerc.go`
 * (`yaml_parser_scan_block_scalar`, `yaml_parser_scan_block_scalar_breaks`),
 * the scanner sops 3.13.2 uses (`go.yaml.in/yaml/v3` in its go.mod); the
 * comment on each case names the rule. Where the `yaml` package disagrees the
 * case says so: those are the bytes that used to differ from sops.
 */
import { describe, expect, it } from 'vitest';
import { yamlStore } from '../../src/stores/yaml.js';
import { goBlockScalar } from '../../src/stores/yaml-block.js';
import type { Node, Pair } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

/** The value of top-level key `a` (or `key`) as the YAML store reads it. */
function valueOf(text: string, key = 'a'): Node | undefined {
  const [doc] = yamlStore.parsePlain(text);
  return doc?.items.find((i): i is Pair => i.kind === 'pair' && i.key === key)?.value;
}
const str = (value: string): Node => ({ kind: 'str', value });

describe('block scalars as go-yaml v3 reads them', () => {
  const cases: Array<[string, string, string]> = [
    // The case. The last line's break is read by `read_line`, which reads nothing at the end
    // of the input, so clip chomping (`if chomping != -1 { s = append(s, leading_break...) }`) adds nothing.
    ['literal clip at EOF without a final newline (yaml package: "multi\\nline\\n")', 'multiline: |\n  multi\n  line', 'multi\nline'],
    ['keep at EOF without a final newline: no break to keep (yaml package: "x\\n")', 'a: |+\n  x', 'x'],
    ['folded clip at EOF without a final newline (yaml package: "a b\\n")', 'a: >\n  a\n  b', 'a b'],
    ['strip at EOF: no break either way', 'a: |-\n  x', 'x'],
    // With a final newline both agree: clip keeps one break, keep keeps the trailing empty lines too.
    ['clip with trailing empty lines keeps one break', 'a: |\n  x\n\n\n', 'x\n'],
    ['keep with trailing empty lines keeps them all', 'a: |+\n  x\n\n\n', 'x\n\n\n'],
    ['strip drops every trailing break', 'a: |-\n  x\n\n', 'x'],
    // `parser.mark.column == indent` with a blank next: a line of spaces deeper than the explicit
    // indentation is content (`trailing_blank`), not an empty line (yaml package: "").
    ['a spaces-only line deeper than an explicit indent is content', 'a: |2\n   \nb: 1\n', ' \n'],
    // After content, the scalar_breaks loop eats spaces only up to the indent, then the line's
    // remaining spaces are content with no break after them at EOF (yaml package: "x\\n \\n").
    ['a spaces-only last line at EOF deeper than the indent', 'a: >\n x\n  ', 'x\n '],
    // Folding: one break between two lines that start without blanks becomes a space; an empty line
    // keeps its break; a more-indented line keeps the breaks around it (`leading_blank`).
    ['folding rules, with a final newline (both agree)', 'a: >\n  a\n  b\n\n  c\n   d\n  e\n', 'a b\nc\n d\ne\n'],
    // `read_line` turns CR LF into LF.
    ['CRLF line breaks become LF', 'a: |\r\n  x\r\n  y\r\n', 'x\ny\n'],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      expect(valueOf(text, text.slice(0, text.indexOf(':')))).toEqual(str(want));
    });
  }

  it('nested under a compact mapping in a sequence, ending at EOF without a newline', () => {
    const [doc] = yamlStore.parsePlain('a:\n  - b: |\n      x\n    c: |\n      y');
    const list = (doc!.items[0] as Pair).value;
    expect(list).toEqual({
      kind: 'list',
      items: [{ kind: 'map', items: [{ kind: 'pair', key: 'b', value: str('x\n') }, { kind: 'pair', key: 'c', value: str('y') }] }],
    });
  });

  it('goBlockScalar takes the parent indent as go-yaml\'s parser.indent (explicit indicator is relative to it)', () => {
    // `b: |1` inside a mapping at column 4: the content indent is 4 + 1 = 5.
    const text = 'a:\n    b: |1\n       x\n';
    expect(goBlockScalar(text, { offset: text.indexOf('|'), parentIndent: 4 })).toBe('  x\n');
    expect(valueOf('a:\n    b: |1\n       x\n')).toEqual({ kind: 'map', items: [{ kind: 'pair', key: 'b', value: str('  x\n') }] });
  });

  it('what envcrypt writes (always with a final newline) reads back the same as the last key', () => {
    for (const v of ['multi\nline', 'multi\nline\n', 'a\n\nb\n\n', ' lead\nx', 'x\n ']) {
      const text = yamlStore.emitPlain([{ kind: 'map', items: [{ kind: 'pair', key: 'a', value: str(v) }] }]);
      expect(text.endsWith('\n')).toBe(true);
      expect(valueOf(text)).toEqual(str(v));
    }
  });
});

describe('YAML 1.1 line breaks', () => {
  // go-yaml's `is_break` (yamlprivateh.go) also matches NEL, LS and PS; the yaml package (YAML 1.2) does not.
  for (const [cp, esc] of [[0x85, 'N'], [0x2028, 'L'], [0x2029, 'P']] as const) {
    it(`raw U+${cp.toString(16).toUpperCase().padStart(4, '0')} is refused with its position; the "\\${esc}" escape is read`, () => {
      const e = caught(() => yamlStore.parsePlain(`a: 1\nb: CANARY${String.fromCodePoint(cp)}y\n`));
      expect(e.code).toBe('PARSE');
      expect(e.position).toEqual({ line: 2, column: 10 });
      expect(e.message).not.toContain('CANARY');
      expect(valueOf(`a: "x\\${esc}y"\n`)).toEqual(str(`x${String.fromCodePoint(cp)}y`));
    });
  }
});

describe('other go-yaml v3 readings the YAML store keeps', () => {
  // sops walks yaml.Node trees (stores/yaml/store.go nodeToTreeValue), never go-yaml's map decoding, so
  // a merge key is not merged: `<<` stays a key (resolve.go: the `<<` entry of resolveMap only tags it
  // !!merge, and key.Decode into interface{} gives the string) and its alias is expanded in place.
  it('a merge key `<<` is an ordinary key holding a copy of the anchored mapping', () => {
    expect(valueOf('base: &b\n  x: 1\nd:\n  <<: *b\n  y: 2\n', 'd')).toEqual({
      kind: 'map',
      items: [
        { kind: 'pair', key: '<<', value: { kind: 'map', items: [{ kind: 'pair', key: 'x', value: { kind: 'int', value: 1n } }] } },
        { kind: 'pair', key: 'y', value: { kind: 'int', value: 2n } },
      ],
    });
  });
});
