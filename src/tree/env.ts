import { formatGoFloat } from '../crypto/values.js';
import { EnvcryptError } from '../errors.js';
import type { Branch, Leaf, Node } from './types.js';

/** How nested values are named in the environment. */
export interface FlattenOptions {
  /** Joins the steps of a nested name. Default `_`. */
  separator?: string;
  /** `upper` (default) upper-cases nested names (`db.host` → `DB_HOST`); `preserve` keeps keys as written. Top-level keys are never changed. */
  case?: 'upper' | 'preserve';
}

/**
 * Go's `strconv.FormatFloat(f, 'G', -1, 64)` with ".0" added when the result
 * has neither a point nor an exponent — how sops's exec-env writes floats.
 */
export function envFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  const [mant, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 21) {
    const e = Math.abs(exp);
    return `${mant.toUpperCase()}E${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  const s = formatGoFloat(f);
  return s.includes('.') ? s : `${s}.0`;
}

/** The text of a scalar in an environment variable (and in plaintext dotenv output). */
export function envText(leaf: Exclude<Leaf, { kind: 'null' }>): string {
  switch (leaf.kind) {
    case 'str':
    case 'time':
      return leaf.value;
    case 'int':
      return leaf.value.toString();
    case 'bool':
      return leaf.value ? 'true' : 'false';
    case 'float':
      return envFloat(leaf.value);
  }
}

/**
 * Turn the first document of a decrypted file into environment variables.
 * Top-level scalars keep their key. Nested maps and lists are flattened:
 * `db: {host: x}` → `DB_HOST`, `hosts: [a, b]` → `HOSTS_0`, `HOSTS_1`.
 * Nulls and comments are skipped. Two values that flatten to the same name
 * are an error, never a silent overwrite.
 */
export function toEnv(branches: readonly Branch[], opts: FlattenOptions = {}): Record<string, string> {
  const sep = opts.separator ?? '_';
  const norm = (s: string) => (opts.case === 'preserve' ? s : s.toUpperCase());
  const out: Record<string, string> = {};
  const origin = new Map<string, string>();
  const put = (name: string, where: string, value: string) => {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      throw new EnvcryptError('USAGE', `key ${where} cannot be an environment variable name`, { hints: ['names must be non-empty and contain no "=" or NUL'] });
    }
    const prev = origin.get(name);
    if (prev !== undefined) {
      throw new EnvcryptError('CONFLICT', `${where} and ${prev} both become the environment variable ${name}`, {
        hints: ['rename one of the keys, or choose another separator with --flatten-separator'],
      });
    }
    origin.set(name, where);
    out[name] = value;
  };
  const walk = (node: Node, name: string, where: string) => {
    if (node.kind === 'null') return;
    if (node.kind === 'map') {
      for (const it of node.items) if (it.kind === 'pair') walk(it.value, `${name}${sep}${norm(it.key)}`, `${where}.${it.key}`);
      return;
    }
    if (node.kind === 'list') {
      let i = 0;
      for (const it of node.items) if (it.kind !== 'comment') walk(it, `${name}${sep}${i}`, `${where}[${i++}]`);
      return;
    }
    put(name, where, envText(node));
  };
  const first = branches[0];
  if (!first) return out;
  for (const it of first.items) {
    if (it.kind !== 'pair') continue;
    if (it.value.kind === 'map' || it.value.kind === 'list') walk(it.value, norm(it.key), it.key);
    else walk(it.value, it.key, it.key);
  }
  return out;
}
