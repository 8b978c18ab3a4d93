/**
 * Writes the tree as JSON the way sops does (SOPS-FORMAT §10.3): sops builds
 * compact JSON with Go's `encoding/json` for the scalars and re-indents it
 * with `json.Indent`. So: one member per line, `"key": value`, a tab (or N
 * spaces) per level, empty `{}` and `[]` compact, and Go's string escapes.
 * Comments have no JSON form and are dropped. No trailing newline here; the
 * store adds it to whole files.
 */
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import type { Node } from '../tree/types.js';

/** Options for {@link emitJson}. */
export interface JsonEmitOptions {
  /**
   * Spaces per nesting level, from 0 to {@link MAX_JSON_INDENT}; 0 keeps the
   * line breaks but no indentation (as sops's `--indent 0`); -1 is a tab, as
   * sops's `stores.json.indent: -1` (its default).
   * @defaultValue a tab per level
   */
  indent?: number;
}

/** The largest accepted {@link JsonEmitOptions.indent}. */
export const MAX_JSON_INDENT = 64;

/**
 * Emit one value as indented JSON, without a trailing newline. A scalar gives
 * its bare JSON text (`42`, `"x"`). Time leaves are written as strings.
 *
 * @param node - the value to write
 * @param opts - see {@link JsonEmitOptions}
 * @returns the JSON text
 * @throws EnvcryptError `UNSUPPORTED` for a NaN or infinite float (JSON has
 *   no form for them; sops fails too), naming the key path but not the value
 * @throws EnvcryptError `USAGE` for an indent that is not a whole number from 0 to {@link MAX_JSON_INDENT}
 */
export function emitJson(node: Node, opts: JsonEmitOptions = {}): string {
  const unit = indentUnit(opts.indent);
  const pads: string[] = [''];
  const pad = (depth: number) => (pads[depth] ??= unit.repeat(depth));
  // Appending to a string is faster than pushing to an array and joining:
  // V8 builds a rope and flattens it once.
  let out = '';
  const path: string[] = [];

  const write = (n: Node, depth: number): void => {
    switch (n.kind) {
      case 'map': {
        let first = true;
        for (const item of n.items) {
          if (item.kind !== 'pair') continue;
          out += (first ? '{\n' : ',\n') + pad(depth + 1) + quoteJson(item.key) + ': ';
          first = false;
          path.push(item.key);
          write(item.value, depth + 1);
          path.pop();
        }
        out += first ? '{}' : '\n' + pad(depth) + '}';
        return;
      }
      case 'list': {
        let first = true;
        for (const item of n.items) {
          if (item.kind === 'comment') continue;
          out += (first ? '[\n' : ',\n') + pad(depth + 1);
          first = false;
          write(item, depth + 1);
        }
        out += first ? '[]' : '\n' + pad(depth) + ']';
        return;
      }
      case 'str':
      case 'time':
        out += quoteJson(n.value);
        return;
      case 'int':
        out += n.value.toString();
        return;
      case 'float': {
        const text = formatJsonFloat(n.value);
        if (text === null) {
          const where = path.length === 0 ? 'the value' : `the value at ${escapeControls(path.join(':'))}`;
          throw new EnvcryptError('UNSUPPORTED', `${where} is a NaN or infinite float, which JSON cannot represent`, {
            hints: ['write the file as YAML, or store the value as a string'],
          });
        }
        out += text;
        return;
      }
      case 'bool':
        out += n.value ? 'true' : 'false';
        return;
      case 'null':
        out += 'null';
        return;
    }
  };

  write(node, 0);
  return out;
}

/**
 * A float as Go's `encoding/json` writes it: the shortest round-trip digits,
 * fixed notation for 1e-6 <= |f| < 1e21 and exponent notation outside that
 * (`1e+21`, `1e-7`), `-0` for negative zero. That is exactly JavaScript's
 * number-to-string conversion except for `-0`.
 *
 * @returns the JSON text, or `null` for NaN and ±Infinity
 */
export function formatJsonFloat(f: number): string | null {
  if (!Number.isFinite(f)) return null;
  return Object.is(f, -0) ? '-0' : String(f);
}

const ESCAPE_NEEDED = /["\\<>&\u0000-\u001f\u2028\u2029\ud800-\udfff]/;
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t',
};

/**
 * Quote a string as Go's `encoding/json` does (Go 1.22 and later, which sops
 * 3.9+ is built with): `"` and `\` escaped; `\b \f \n \r \t` short; other
 * control characters as `\u00XX`; `<`, `>`, `&`, U+2028 and U+2029 as
 * `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029` (HTML-safe); `/` and DEL
 * unescaped. A lone surrogate, which Go would meet as invalid UTF-8, becomes
 * `\ufffd`.
 */
export function quoteJson(s: string): string {
  if (!ESCAPE_NEEDED.test(s)) return '"' + s + '"';
  const parts: string[] = ['"'];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair is written as is
        continue;
      }
      esc = '\\ufffd';
    } else if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      esc = SHORT_ESCAPES[c] ?? '\\u' + c.toString(16).padStart(4, '0');
    } else {
      continue;
    }
    parts.push(s.slice(start, i), esc);
    start = i + 1;
  }
  parts.push(s.slice(start), '"');
  return parts.join('');
}

function indentUnit(indent: number | undefined): string {
  if (indent === undefined || indent === -1) return '\t';
  if (!Number.isInteger(indent) || indent < 0 || indent > MAX_JSON_INDENT) {
    throw new EnvcryptError('USAGE', `JSON indent must be a whole number from 0 to ${MAX_JSON_INDENT} (or -1 for a tab), got ${String(indent)}`, {
      hints: ['leave the indent unset for a tab per level, as sops writes by default'],
    });
  }
  return ' '.repeat(indent);
}
