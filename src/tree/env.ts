import { EnvcryptError } from '../errors.js';
import { scalarText } from './scalar-text.js';
import type { Branch, Node } from './types.js';

/** How nested values are named in the environment. */
export interface FlattenOptions {
  /** Joins the steps of a nested name. Default `_`. */
  separator?: string;
  /** `upper` (default) upper-cases nested names (`db.host` → `DB_HOST`); `preserve` keeps keys as written. Top-level keys are never changed. */
  case?: 'upper' | 'preserve';
}

/**
 * Set `record[key] = value` as an own, enumerable data property. A plain
 * assignment cannot do this for the key `__proto__` on an ordinary object:
 * it calls the prototype setter instead, which silently drops a string
 * value. Every other key is assigned as usual (so objects with their own
 * setters, like `process.env`, see an ordinary assignment).
 */
export function setOwn(record: Record<string, string | undefined>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

/**
 * Turn the first document of a decrypted file into environment variables.
 * Top-level scalars keep their key. Nested maps and lists are flattened:
 * `db: {host: x}` → `DB_HOST`, `hosts: [a, b]` → `HOSTS_0`, `HOSTS_1`.
 * Nulls and comments are skipped. Two values that flatten to the same name
 * are an error, never a silent overwrite. Any name is kept as an own
 * property of the result, `__proto__` included (see {@link setOwn}).
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
    setOwn(out, name, value);
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
    put(name, where, scalarText(node));
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
