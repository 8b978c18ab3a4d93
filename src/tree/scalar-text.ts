/**
 * How a scalar is written as the text of a dotenv value (SOPS-FORMAT §10.1
 * "Writing" and §13.5): the form `sops exec-env` gives an environment
 * variable. This is display text, not the canonical text that is encrypted
 * and hashed (that is `canonicalText` in `crypto/values.ts`).
 */
import type { Leaf } from './types.js';

/**
 * Go's `strconv.FormatFloat(f, 'G', -1, 64)`: the shortest digits that
 * round-trip, in exponent form (`1E+06`, `1E-05`) when the decimal exponent
 * is below -4 or at least 6, and with an upper-case `E` and an exponent of at
 * least two digits, as Go writes it. Non-finite values are `NaN`, `+Inf` and
 * `-Inf`; negative zero is `-0`.
 *
 * @param f - any double
 * @returns the Go `%G` text of `f`
 */
export function formatGoFloatUpperG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const sign = f < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest round-trip digits,
  // the same digit string Go's shortest formatting picks.
  const [mantissa = '', expText = '0'] = Math.abs(f).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  // Go decides between %E and %F with precision 6 when formatting shortest.
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}E${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return sign + digits + '0'.repeat(intLen - digits.length);
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/**
 * A float as `sops exec-env` writes it: Go `%G` with at least one decimal
 * when there is no exponent (`7.0`, `3.14`, `1E+21`, `NaN`).
 *
 * @param f - any double
 * @returns the environment-variable text of `f`
 */
export function formatEnvFloat(f: number): string {
  const s = formatGoFloatUpperG(f);
  return /[.EN]|Inf/.test(s) ? s : `${s}.0`;
}

/**
 * The dotenv text of a scalar: strings and times as they are, booleans
 * `true`/`false`, integers in decimal, floats by {@link formatEnvFloat}, and
 * null as the empty string (dotenv has no null; the value is then read back
 * as an empty string).
 *
 * @param leaf - the scalar to write
 * @param formatFloat - how floats are spelt (other texts of a scalar differ
 *   from this one only there: metadata values use Go's `'f'` format)
 * @returns its text, before any dotenv quoting
 */
export function scalarText(leaf: Leaf, formatFloat: (f: number) => string = formatEnvFloat): string {
  switch (leaf.kind) {
    case 'str':
    case 'time':
      return leaf.value;
    case 'bool':
      return leaf.value ? 'true' : 'false';
    case 'int':
      return leaf.value.toString();
    case 'float':
      return formatFloat(leaf.value);
    case 'null':
      return '';
  }
}

/**
 * Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits and
 * never an exponent. sops hashes floats this way, so the MAC depends on it.
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const s = String(f);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', expText] = m;
  const exp = Number(expText);
  const digits = lead! + frac;
  if (exp >= 0) {
    const intLen = exp + 1;
    return intLen >= digits.length
      ? sign + digits + '0'.repeat(intLen - digits.length)
      : sign + digits.slice(0, intLen) + '.' + digits.slice(intLen);
  }
  return sign + '0.' + '0'.repeat(-exp - 1) + digits;
}
