/**
 * INI text as sops writes it: go-ini's `WriteTo` (`file.go`) with its
 * defaults (`PrettyFormat`, `PrettySection`, no `DEFAULT` header when that
 * section comes first): `key = value` with the `=` signs of a section
 * aligned, a blank line between sections, comments as `; text` lines above
 * what they belong to.
 *
 * go-ini quotes a value holding a line break or a backquote in `"""`, one
 * holding `;` or `#` in backquotes and one with surrounding spaces in `"`,
 * and writes everything else as it is, even where its own reader then reads
 * something else (`"x"` loses its quotes, `C:\` swallows the next line).
 * Every key and value written here is read back with `ini-syntax.ts` first:
 * go-ini's form is used whenever it reads back the same, which is what keeps
 * the bytes equal to sops's; otherwise another quoting that does, and if
 * none does the write is refused, naming the key.
 */
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import { DEFAULT_SECTION, goTrimSpace, parseIni, readKeyName } from './ini-syntax.js';

/** One key to write: its comment lines go above it. */
export interface WriteKey {
  name: string;
  value: string;
  /** null for none; `''` is written as a bare `;` (go-ini would drop it). */
  comment: string | null;
}

/** One section to write. */
export interface WriteSection {
  name: string;
  comment: string | null;
  keys: WriteKey[];
}

function refuse(what: string, hint: string): EnvcryptError {
  return new EnvcryptError('UNSUPPORTED', `${what}, which an INI file cannot hold`, { hints: [hint, 'use YAML or JSON for this data'] });
}

/** The comment lines for `text` (go-ini's multi-line comment writing; `trim` for key comments). */
function commentLines(text: string, trim: boolean): string {
  let out = '';
  for (const line of text.split('\n')) {
    if (line === '') out += ';\n';
    else if (line[0] === '#' || line[0] === ';') out += `${line[0]} ${goTrimSpace(line.slice(1))}\n`;
    else out += `; ${trim ? goTrimSpace(line) : line}\n`;
  }
  return out;
}

/** go-ini's quoting of a key name. */
function goKey(k: string): string {
  if (k.includes('"') || /[=:]/.test(k)) return '`' + k + '`';
  if (k.includes('`')) return '"""' + k + '"""';
  return k;
}

/** go-ini's quoting of a value (with inline comments on, as sops reads). */
function goValue(v: string): string {
  if (/[\n`]/.test(v)) return '"""' + v + '"""';
  if (/[#;]/.test(v)) return '`' + v + '`';
  if (goTrimSpace(v).length !== v.length) return '"' + v + '"';
  return v;
}

/** The written form of a key name that reads back as `k`, or null. */
function keyForm(k: string): string | null {
  if (k === '' || /[\r\n]/.test(k)) return null;
  for (const cand of [goKey(k), '`' + k + '`', '"' + k + '"', '"""' + k + '"""']) {
    if (/^[#;[]/.test(cand) || goTrimSpace(cand) !== cand) continue;
    try {
      if (readKeyName(`${cand} = x\n`, { line: 1, column: 1 }).name === k) return cand;
    } catch {
      // This quoting does not read back; try the next.
    }
  }
  return null;
}

const SAFE_VALUE = /^[^\s"'`#;\\]*$/;

/** The written form of a value that reads back as `v`, or null. */
function valueForm(v: string): string | null {
  if (SAFE_VALUE.test(v)) return v;
  for (const cand of [goValue(v), '`' + v + '`', '"""' + v + '"""', '"' + v + '"']) {
    try {
      const [, s] = parseIni(`[s]\nk = ${cand}\nz = z\n`);
      if (s?.keys.length === 2 && s.keys[0]!.value === v && s.keys[0]!.comment === '' && s.keys[1]!.comment === '') return cand;
    } catch {
      // This quoting does not read back; try the next.
    }
  }
  return null;
}

/**
 * Write sections as go-ini does for sops. A first section named `DEFAULT`
 * gets no header (keys before any header belong to it); any other gets one.
 *
 * @throws EnvcryptError `UNSUPPORTED` naming the key or section that no
 *   quoting can write so that it reads back the same
 */
export function writeIni(sections: readonly WriteSection[]): string {
  let out = '';
  sections.forEach((sec, i) => {
    const where = `section ${escapeControls(JSON.stringify(sec.name))}`;
    if (sec.comment !== null) out += commentLines(sec.comment, false);
    if (i > 0 || sec.name !== DEFAULT_SECTION) {
      if (sec.name === '' || /[\r\n]/.test(sec.name)) {
        throw refuse(`the ${where} has an empty name or a line break`, 'rename the section');
      }
      out += `[${sec.name}]\n`;
    } else if (sec.keys.length === 0) {
      return;
    }
    const forms = sec.keys.map((k) => {
      const key = keyForm(k.name);
      if (key === null) throw refuse(`key ${escapeControls(JSON.stringify(k.name))} in the ${where} cannot be written so that it reads back the same`, 'rename the key');
      const value = valueForm(k.value);
      if (value === null) throw refuse(`the value of ${escapeControls(k.name)} in the ${where} has a mix of quotes and line breaks`, 'change the value');
      return { key, value, comment: k.comment };
    });
    const width = Math.max(0, ...forms.map((f) => Buffer.byteLength(f.key)));
    for (const f of forms) {
      if (f.comment !== null) out += commentLines(f.comment, true);
      out += `${f.key}${' '.repeat(width - Buffer.byteLength(f.key))} = ${f.value}\n`;
    }
    if (i < sections.length - 1) out += '\n';
  });
  return out;
}
