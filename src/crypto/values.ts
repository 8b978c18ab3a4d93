import { formatGoFloat } from '../tree/scalar-text.js';
import { EnvcryptError } from '../errors.js';
import type { Comment, Leaf } from '../tree/types.js';

/** The `type:` names of the ENC string (SOPS-FORMAT §4.3). */
export type ValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The canonical text of a leaf: what is encrypted and what is fed to the MAC.
 * Null has no text (it is never encrypted nor hashed).
 */
export function canonicalText(node: Exclude<Leaf, { kind: 'null' }> | Comment): string {
  switch (node.kind) {
    case 'str':
    case 'time':
      return node.value;
    case 'int':
      return node.value.toString();
    case 'float':
      return formatGoFloat(node.value);
    case 'bool':
      return node.value ? 'True' : 'False';
    case 'comment':
      return node.text;
  }
}

/** The ENC type name of a leaf. */
export function typeOf(node: Exclude<Leaf, { kind: 'null' }> | Comment): ValueType {
  return node.kind;
}


/** Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits, int64 range. */
export function parseGoInt(text: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(text)) return null;
  const v = BigInt(text);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** Go's `strconv.ParseFloat(s, 64)` for the forms sops can meet. */
export function parseGoFloat(text: string): number | null {
  const t = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (/^[+-]?(\d(_?\d)*)?(\.\d*)?(e[+-]?\d+)?$/.test(t) && /\d/.test(t.replace(/e.*$/, ''))) {
    const n = Number(t.replaceAll('_', ''));
    return Number.isNaN(n) ? null : n;
  }
  if (/^[+-]?0x[0-9a-f_]*(\.[0-9a-f_]*)?(p[+-]?\d+)?$/.test(t)) return parseHexFloat(t);
  return null;
}

function parseHexFloat(t: string): number | null {
  const m = /^([+-]?)0x([0-9a-f_]*)(?:\.([0-9a-f_]*))?(?:p([+-]?\d+))?$/.exec(t);
  if (!m) return null;
  const [, sign, ip = '', fp = '', pexp = '0'] = m;
  const i = ip.replaceAll('_', '');
  const f = fp.replaceAll('_', '');
  if (!i && !f) return null;
  const mant = parseInt(i + f || '0', 16) / 16 ** f.length;
  const v = mant * 2 ** Number(pexp);
  return sign === '-' ? -v : v;
}

/** Go's `strconv.ParseBool`. */
export function parseGoBool(text: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return null;
}

/**
 * Turn decrypted plaintext back into a typed leaf, as sops does on decrypt.
 * `where` names the key path for the error message; the value never appears.
 */
export function leafFromPlaintext(type: string, text: string, where: string): Leaf | Comment {
  const bad = (what: string) =>
    new EnvcryptError('DECRYPT_FAILED', `value at ${where} is not a valid ${what}`);
  switch (type) {
    case 'str':
    case 'bytes':
      return { kind: 'str', value: text };
    case 'comment':
      return { kind: 'comment', text };
    case 'time':
      return { kind: 'time', value: text };
    case 'int': {
      const v = parseGoInt(text);
      if (v === null) throw bad('int');
      return { kind: 'int', value: v };
    }
    case 'float': {
      const v = parseGoFloat(text);
      if (v === null) throw bad('float');
      return { kind: 'float', value: v };
    }
    case 'bool': {
      const v = parseGoBool(text);
      if (v === null) throw bad('bool');
      return { kind: 'bool', value: v };
    }
    default:
      throw new EnvcryptError('DECRYPT_FAILED', `value at ${where} has unknown type "${type}"`, {
        hints: ['known types are str, int, float, bool, time, comment and bytes'],
      });
  }
}
