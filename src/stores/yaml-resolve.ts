/**
 * go-yaml v3 scalar resolution (SOPS-FORMAT §10.2), reimplemented from the
 * scalar's text: what a YAML scalar becomes when sops reads it, and whether a
 * string can be written back unquoted. The `yaml` package's YAML 1.2 core
 * schema must not be used for this (`017`, `0b1`, `1_000` and `08` differ),
 * because the MAC of unencrypted values depends on it (§15.3).
 */
import type { Leaf } from '../tree/types.js';

/** Why a scalar cannot become a leaf the way sops would read it. */
export type ResolveFailure =
  /** An integer in (int64 max, uint64 max]: go-yaml gives a uint64, which sops cannot encrypt. */
  | 'uint64'
  /** An explicit `!!int`/`!!bool`/… tag that does not fit the text. */
  | 'tag-mismatch'
  /** `!!binary` text that is not base64 of UTF-8 text. */
  | 'bad-binary'
  /** A timestamp whose offset Go's `time.Time.MarshalText` refuses (hour 24 or more). */
  | 'time-range';

/** The outcome of {@link resolveScalar}. */
export type ResolveResult = { ok: true; leaf: Leaf } | { ok: false; reason: ResolveFailure };

/** How a scalar was written. */
export interface ScalarSyntax {
  /** Single- or double-quoted, or a `|`/`>` block scalar: go-yaml never resolves those. */
  quoted: boolean;
  /** The explicit tag, long (`tag:yaml.org,2002:int`) or short (`!!int`); `!` or absent for none. */
  tag?: string | null | undefined;
}

const STR = '!!str';
const INT = '!!int';
const FLOAT = '!!float';
const BOOL = '!!bool';
const NULL = '!!null';
const TIMESTAMP = '!!timestamp';
const BINARY = '!!binary';
const RESOLVABLE = new Set(['', STR, INT, FLOAT, BOOL, NULL, TIMESTAMP]);

/** go-yaml's intermediate result: the resolved tag and value. */
type Raw =
  | { tag: typeof STR }
  | { tag: typeof NULL }
  | { tag: typeof BOOL; value: boolean }
  | { tag: typeof INT; value: bigint; unsigned: boolean }
  | { tag: typeof FLOAT; value: number }
  | { tag: typeof TIMESTAMP; text: string | null };

const RAW_STR: Raw = { tag: STR };

/** The fixed spellings of go-yaml's `resolveMap` (`<<` is left out: its first byte never gets a hint). */
const FIXED = new Map<string, Raw>();
for (const s of ['true', 'True', 'TRUE']) FIXED.set(s, { tag: BOOL, value: true });
for (const s of ['false', 'False', 'FALSE']) FIXED.set(s, { tag: BOOL, value: false });
for (const s of ['', '~', 'null', 'Null', 'NULL']) FIXED.set(s, { tag: NULL });
for (const s of ['.nan', '.NaN', '.NAN']) FIXED.set(s, { tag: FLOAT, value: NaN });
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) FIXED.set(s, { tag: FLOAT, value: Infinity });
for (const s of ['-.inf', '-.Inf', '-.INF']) FIXED.set(s, { tag: FLOAT, value: -Infinity });

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** go-yaml's `resolveTable`: the hint given by the first byte. */
function hint(s: string): string {
  if (s === '') return 'N';
  const c = s[0]!;
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  return c === '.' ? '.' : '';
}

/** go-yaml's `resolve(tag, in)` for the tags it can resolve. */
function goResolve(tag: string, s: string): Raw {
  const h = hint(s);
  if (h === '' || tag === STR) return RAW_STR;
  const fixed = FIXED.get(s);
  if (fixed) return fixed;
  if (h === '.') {
    // strconv.ParseFloat on the raw text; from a leading dot only this form parses.
    const f = DOT_FLOAT.test(s) ? Number(s) : NaN;
    return Number.isFinite(f) ? { tag: FLOAT, value: f } : RAW_STR;
  }
  if (h === 'D' || h === 'S') {
    if (tag === '' || tag === TIMESTAMP) {
      const t = parseYamlTimestamp(s);
      if (t !== null) return { tag: TIMESTAMP, text: t === OUT_OF_RANGE ? null : t };
    }
    const plain = s.replaceAll('_', '');
    const signed = parseGoIntBase0(plain, true);
    if (signed !== null && signed >= -INT64_MAX - 1n && signed <= INT64_MAX) {
      return { tag: INT, value: signed, unsigned: false };
    }
    const unsigned = parseGoIntBase0(plain, false);
    if (unsigned !== null && unsigned <= UINT64_MAX) return { tag: INT, value: unsigned, unsigned: true };
    if (YAML_FLOAT.test(plain)) {
      // Go's ParseFloat fails on overflow (the text then stays a string); underflow gives 0.
      const f = Number(plain);
      if (Number.isFinite(f)) return { tag: FLOAT, value: f };
    }
  }
  return RAW_STR;
}

/**
 * Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint` syntax: optional sign (signed
 * only), then `0x`, `0o`, `0b` or a leading `0` (octal). Returns the value
 * without a range check, or null on a syntax error.
 */
function parseGoIntBase0(s: string, signed: boolean): bigint | null {
  let i = 0;
  let neg = false;
  if (signed && (s[0] === '+' || s[0] === '-')) {
    neg = s[0] === '-';
    i = 1;
  }
  let digits = s.slice(i);
  if (digits === '') return null;
  let base = 10;
  if (digits[0] === '0') {
    const p = digits.length >= 3 ? digits[1]!.toLowerCase() : '';
    base = p === 'b' ? 2 : p === 'x' ? 16 : 8;
    digits = digits.slice(p === 'b' || p === 'o' || p === 'x' ? 2 : 1);
  }
  let v = 0n;
  const b = BigInt(base);
  for (const ch of digits) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= base) return null;
    v = v * b + BigInt(d);
  }
  return neg ? -v : v;
}

/** The marker {@link parseYamlTimestamp} returns for a timestamp sops cannot serialize. */
export const OUT_OF_RANGE = 'out-of-range';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * go-yaml v3's `parseTimestamp`: the text must start with `YYYY-` and match one
 * of Go's layouts `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case
 * `t`), `2006-1-2 15:4:5.999999999` or `2006-1-2`, with Go's `time.Parse`
 * rules. Returns what `time.Time.MarshalText` writes (RFC 3339 with
 * nanoseconds, trailing zeros dropped, `Z` for a zero offset), the
 * {@link OUT_OF_RANGE} marker when Go parses it but cannot serialize it, or
 * null when it is not a timestamp.
 */
export function parseYamlTimestamp(s: string): string | null {
  if (!/^[0-9]{4}-/.test(s)) return null;
  for (const sep of ['T', 't', ' ', '']) {
    const r = parseLayout(s, sep);
    if (r !== null) return r;
  }
  return null;
}

function parseLayout(s: string, sep: string): string | null {
  let i = 5;
  // Go's getnum: one digit, or two when the second is a digit too.
  const num = (): number => {
    if (!isDigit(s[i])) return -1;
    const n = isDigit(s[i + 1]) ? 2 : 1;
    i += n;
    return Number(s.slice(i - n, i));
  };
  const year = Number(s.slice(0, 4));
  const month = num();
  if (month < 1 || month > 12 || s[i++] !== '-') return null;
  const day = num();
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 && leap ? 29 : DAYS[month - 1]!;
  if (day < 1 || day > maxDay) return null;
  if (sep === '') return i === s.length ? `${s.slice(0, 4)}-${pad(month)}-${pad(day)}T00:00:00Z` : null;
  if (s[i] !== sep) return null;
  while (s[i] === sep && sep === ' ') i++;
  if (sep !== ' ') i++;
  const hour = num();
  if (hour < 0 || hour > 23 || s[i++] !== ':') return null;
  const min = num();
  if (min < 0 || min > 59 || s[i++] !== ':') return null;
  const sec = num();
  if (sec < 0 || sec > 59) return null;
  let frac = '';
  if ((s[i] === '.' || s[i] === ',') && isDigit(s[i + 1])) {
    let j = i + 1;
    while (isDigit(s[j])) j++;
    frac = s.slice(i + 1, j).slice(0, 9).replace(/0+$/, '');
    i = j;
  }
  let zone = 'Z';
  if (sep !== ' ') {
    if (s[i] === 'Z') i++;
    else {
      const m = /^([+-])([0-9]{2}):([0-9]{2})/.exec(s.slice(i));
      if (!m) return null;
      const hh = Number(m[2]);
      const mm = Number(m[3]);
      if (hh > 24 || mm > 60) return null;
      i += 6;
      const total = hh * 60 + mm;
      if (total !== 0) {
        if (Math.floor(total / 60) >= 24) return i === s.length ? OUT_OF_RANGE : null;
        zone = `${m[1]}${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
      }
    }
  }
  if (i !== s.length) return null;
  const fraction = frac ? `.${frac}` : '';
  return `${s.slice(0, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(min)}:${pad(sec)}${fraction}${zone}`;
}

/** `tag:yaml.org,2002:int` → `!!int`; `!` and absent → ``. */
export function shortTag(tag: string | null | undefined): string {
  if (!tag || tag === '!') return '';
  const long = 'tag:yaml.org,2002:';
  return tag.startsWith(long) ? `!!${tag.slice(long.length)}` : tag;
}

/**
 * What sops (through go-yaml v3's node decoding) makes of one scalar, given its
 * value (after YAML unescaping and line folding) and how it was written.
 * Quoted and block scalars are strings, unknown tags are dropped (the text
 * stays a string), `!!binary` is base64-decoded, and an explicit resolvable tag
 * must fit the text (`!!float 1` is the float 1).
 */
export function resolveScalar(value: string, syntax: ScalarSyntax = { quoted: false }): ResolveResult {
  const tag = shortTag(syntax.tag);
  if (tag === STR || (tag === '' && syntax.quoted)) return { ok: true, leaf: { kind: 'str', value } };
  if (tag === BINARY) return decodeBinary(value);
  if (!RESOLVABLE.has(tag)) return { ok: true, leaf: { kind: 'str', value } };
  let raw = goResolve(tag, value);
  if (tag !== '' && raw.tag !== tag) {
    if (tag !== FLOAT || raw.tag !== INT || raw.unsigned) return { ok: false, reason: 'tag-mismatch' };
    raw = { tag: FLOAT, value: Number(raw.value) };
  }
  switch (raw.tag) {
    case STR:
      return { ok: true, leaf: { kind: 'str', value } };
    case NULL:
      return { ok: true, leaf: { kind: 'null' } };
    case BOOL:
      return { ok: true, leaf: { kind: 'bool', value: raw.value } };
    case FLOAT:
      return { ok: true, leaf: { kind: 'float', value: raw.value } };
    case INT:
      return raw.unsigned ? { ok: false, reason: 'uint64' } : { ok: true, leaf: { kind: 'int', value: raw.value } };
    case TIMESTAMP:
      return raw.text === null ? { ok: false, reason: 'time-range' } : { ok: true, leaf: { kind: 'time', value: raw.text } };
  }
}

/** Go's `base64.StdEncoding.DecodeString` (which skips CR and LF), then UTF-8. */
function decodeBinary(value: string): ResolveResult {
  const b64 = value.replace(/[\r\n]/g, '');
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { ok: false, reason: 'bad-binary' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
    return { ok: true, leaf: { kind: 'str', value: text } };
  } catch {
    return { ok: false, reason: 'bad-binary' };
  }
}

/** YAML 1.1 booleans, which go-yaml v3 quotes on output for old parsers. */
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/**
 * go-yaml v3's `canUsePlain` test for a string: true when the text, written
 * unquoted, reads back as the same string (and is not a YAML 1.1 bool or
 * base-60 float). Whether the YAML syntax allows it unquoted is a separate test.
 */
export function resolvesToString(s: string): boolean {
  return goResolve('', s).tag === STR && !OLD_BOOLS.has(s) && !BASE60_FLOAT.test(s);
}

/**
 * A float as go-yaml v3 writes it: Go's `strconv.FormatFloat(f, 'g', -1, 64)`
 * (`1`, `0.5`, `1e+06`, `1e-05`), and `.inf`, `-.inf`, `.nan`.
 */
export function formatYamlFloat(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expText] = Math.abs(f).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  const sign = f < 0 ? '-' : '';
  // Shortest formatting uses %e when the exponent is < -4 or >= 6 (Go's eprec rule).
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  return digits.length <= intLen
    ? sign + digits + '0'.repeat(intLen - digits.length)
    : `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}
