/**
 * Writing plaintext dotenv values so that `dotenv.parse` (npm dotenv 18) reads
 * them back unchanged; the reader is `dotenv-syntax.ts`.
 */
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import { isLineSep, isQuote, isSpace } from './dotenv-syntax.js';

const LF = 0x0a;
const HASH = 0x23;
const BACKSLASH = 0x5c;

/**
 * Write a value so that `dotenv.parse` (and `parseDotenv` in
 * `dotenv-syntax.ts`) reads back exactly `value`: bare when that is safe;
 * otherwise in single quotes (or double quotes first when it holds a line
 * break, which is then written as `\n`/`\r`), falling back to the other
 * quote kinds.
 *
 * @param value - the value text
 * @param key - the key, only to name it in an error
 * @returns the text to put after `KEY=`
 * @throws EnvcryptError `UNSUPPORTED` when no form reads back the same: the
 *   value needs quotes and ends with a backslash, or every quote kind is
 *   ruled out by its content
 */
export function formatDotenvValue(value: string, key?: string): string {
  if (isBare(value)) return value;
  const order = /[\n\r]/.test(value) ? ['"', "'", '`'] : ["'", '"', '`'];
  for (const q of order) {
    const out = quoteAs(value, q);
    if (out !== null) return out;
  }
  throw new EnvcryptError('UNSUPPORTED', `the value of ${key === undefined ? 'a key' : `key ${escapeControls(key)}`} cannot be written to a dotenv file`, {
    hints: [
      'it needs quotes, but ends with a backslash or holds characters that rule out every kind of dotenv quote',
      'write it as YAML or JSON instead (--output-type yaml or --output-type json)',
    ],
  });
}

/** Safe unquoted: no `#`, line break or separator, no surrounding space, no leading quote. */
function isBare(v: string): boolean {
  if (v === '') return true;
  const first = v.charCodeAt(0);
  if (isSpace(first) || isQuote(first) || isSpace(v.charCodeAt(v.length - 1))) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === HASH || c === LF || c === 0x0d || isLineSep(c)) return false;
  }
  return true;
}

/** `value` in quote `q`, or null if dotenv would not read it back unchanged. */
function quoteAs(value: string, q: string): string | null {
  let body = value;
  if (q === '"') {
    // dotenv turns these two pairs into LF/CR and has no escape for a backslash.
    if (/\\[nr]/.test(value)) return null;
    body = value.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  } else if (value.includes('\r')) {
    return null; // dotenv reads a raw CR as LF, even in quotes
  }
  // A trailing backslash would escape the closing quote; the first character
  // must not close the value; every other quote must be backslash-escaped
  // (dotenv keeps the backslash, and so does `value`).
  if (body.endsWith('\\') || body.startsWith(q)) return null;
  for (let i = body.indexOf(q); i !== -1; i = body.indexOf(q, i + 1)) {
    if (body.charCodeAt(i - 1) !== BACKSLASH) return null;
  }
  return q + body + q;
}
