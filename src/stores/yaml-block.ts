/**
 * Block scalars (`|`, `>`) read the way go-yaml v3 reads them (SOPS-FORMAT
 * §10.2). go-yaml v3 is libyaml's scanner ported to Go
 * (`yaml_parser_scan_block_scalar` and `yaml_parser_scan_block_scalar_breaks`
 * in `scannerc.go`); sops 3.13.2 uses `go.yaml.in/yaml/v3` v3.0.4. The `yaml`
 * package follows the YAML 1.2 spec instead, and the two disagree on value
 * bytes in a few places, which changes ciphertext and MAC:
 *
 * - the last line of a clip (`|`) or keep (`|+`) block at the end of the file
 *   with no final line break: go-yaml has no line break to keep, so
 *   `a: |\n  x` is `x`; the `yaml` package adds one (`x\n`);
 * - a keep block at the end of the file whose last line holds only
 *   indentation (`a: |+\n  x\n  `): go-yaml keeps no break after the spaces.
 *
 * So the value of every block scalar is recomputed here from the source text,
 * following go-yaml's rules step by step; the `yaml` package only tells where
 * the scalar starts and which block holds it.
 */

/** YAML line breaks that go-yaml (YAML 1.1) knows and the `yaml` package (YAML 1.2) does not. */
export const YAML11_BREAKS = /[\u0085\u2028\u2029]/;

const isBreak = (c: string | undefined): boolean => c === '\n' || c === '\r';

/** Where one scalar's scan starts. */
export interface BlockStart {
  /** Offset of the `|` or `>` indicator in the text. */
  offset: number;
  /**
   * go-yaml's `parser.indent` at the scalar: the column (0-based) of the
   * innermost block collection that holds it. The `yaml` package's CST
   * `block-scalar` token has the same number in its `indent` field.
   */
  parentIndent: number;
}

/**
 * The value go-yaml v3 gives the block scalar whose indicator is at
 * `start.offset`. The text must already have been accepted by the `yaml`
 * package (the header is well formed); tabs in indentation, which both
 * refuse, are not re-checked.
 */
export function goBlockScalar(text: string, start: BlockStart): string {
  let p = start.offset;
  const literal = text[p] === '|';
  p++;
  // Chomping (`+` keep, `-` strip, else clip) and an indentation digit, in either order.
  let chomp = 0;
  let increment = 0;
  for (let k = 0; k < 2; k++) {
    const c = text[p];
    if (c === '+' || c === '-') chomp = c === '+' ? 1 : -1;
    else if (c !== undefined && c >= '1' && c <= '9') increment = Number(c);
    else break;
    p++;
  }
  // The rest of the header line (blanks, a comment) and its line break.
  while (p < text.length && !isBreak(text[p])) p++;
  p += text.startsWith('\r\n', p) ? 2 : p < text.length ? 1 : 0;

  let lineStart = p;
  const column = (): number => p - lineStart;
  /** go-yaml's `read_line`: one line break, normalised to `\n`; nothing at the end of the text. */
  const readLine = (): string => {
    if (!isBreak(text[p])) return '';
    p += text.startsWith('\r\n', p) ? 2 : 1;
    lineStart = p;
    return '\n';
  };

  let indent = increment > 0 ? (start.parentIndent >= 0 ? start.parentIndent + increment : increment) : 0;
  let trailing = '';
  /** `yaml_parser_scan_block_scalar_breaks`: indentation and empty lines; fixes the indent if still unknown. */
  const breaks = (): void => {
    let maxIndent = 0;
    for (;;) {
      while ((indent === 0 || column() < indent) && text[p] === ' ') p++;
      maxIndent = Math.max(maxIndent, column());
      if (!isBreak(text[p])) break;
      trailing += readLine();
    }
    if (indent === 0) indent = Math.max(maxIndent, start.parentIndent + 1, 1);
  };

  let s = '';
  let leadingBreak = '';
  let leadingBlank = false;
  breaks();
  while (column() === indent && p < text.length) {
    const trailingBlank = text[p] === ' ' || text[p] === '\t';
    // Folding: a single line break between two lines that start without blanks becomes a space.
    if (!literal && !leadingBlank && !trailingBlank && leadingBreak === '\n') {
      if (trailing === '') s += ' ';
    } else {
      s += leadingBreak;
    }
    leadingBreak = '';
    s += trailing;
    trailing = '';
    leadingBlank = trailingBlank;
    const from = p;
    while (p < text.length && !isBreak(text[p])) p++;
    s += text.slice(from, p);
    leadingBreak = readLine();
    breaks();
  }
  if (chomp !== -1) s += leadingBreak;
  if (chomp === 1) s += trailing;
  return s;
}
