/**
 * Change one value of an encrypted file in place (`envcrypt set`, `unset`,
 * `get`), under the file's lock; the write-back itself is `write-back.ts`,
 * shared with `edit`.
 */
import { randomBytes } from 'node:crypto';
import { parseGoBool, parseGoFloat, parseGoInt } from '../crypto/values.js';
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { withLock } from '../io/lock.js';
import { readTextFile } from '../io/read.js';
import { formatFor, storeFor } from '../stores/index.js';
import { parseJsonObject } from '../stores/json-parse.js';
import { isDotenvKey } from '../stores/dotenv-syntax.js';
import type { Format } from '../stores/store.js';
import { nodesEqual } from '../tree/equal.js';
import { deleteAt, setAt } from '../tree/mutate.js';
import { formatPath, getPath, parsePath, type PathStep } from '../tree/path.js';
import type { Branch, Leaf, Node } from '../tree/types.js';
import { decryptText } from './decrypt.js';
import { checkRewritable, checkWritable, indentFor, metadataKeyError, reencryptText, type ChangeOptions, type ChangeResult } from './write-back.js';

export type { Format } from '../stores/store.js';
export type { ChangeOptions, ChangeResult } from './write-back.js';

/** Steps for a key: dotenv keys are top-level only, and a dotted dotenv key is one name. */
export function keySteps(key: string | readonly PathStep[], format: Format): PathStep[] {
  if (typeof key !== 'string') return [...key];
  if (format !== 'dotenv') return parsePath(key);
  const steps = key.startsWith('[') ? parsePath(key) : [key];
  const only = steps[0];
  if (steps.length !== 1 || typeof only !== 'string') {
    throw new EnvcryptError('USAGE', `dotenv files hold only top-level keys, not ${formatPath(steps)}`);
  }
  if (!isDotenvKey(only)) {
    throw new EnvcryptError('USAGE', `${JSON.stringify(only)} is not a valid dotenv key`, {
      hints: ['dotenv keys may contain only letters A-Z and a-z, digits, "_", "." and "-"'],
    });
  }
  return steps;
}

/**
 * Read, decrypt (MAC verified), change and write back `file`, all under the
 * file's lock (see `io/lock.ts`), so concurrent writers never lose a change.
 * The file is not written when `change` returns an equal tree.
 *
 * @param change - gets the plaintext branches, returns the new ones (must not mutate)
 * @throws EnvcryptError `NOT_FOUND` when the file does not exist; `CONFLICT`
 *   when the lock is not free in time; decrypt errors; `IO` for a read-only file
 */
export async function changeFile(file: string, change: (plain: Branch[], format: Format) => Branch[], opts: ChangeOptions = {}): Promise<ChangeResult> {
  const format = opts.format ?? formatFor(file);
  const store = await storeFor(format);
  const indent = indentFor(file, format, opts);
  return withLock(
    file,
    async () => {
      const text = readExisting(file);
      const dec = await decryptText(text, file, { ...opts, format });
      checkRewritable(file, dec);
      const next = change(dec.branches, format);
      if (store.hasMetadata(next)) throw metadataKeyError(format).inFile(file);
      if (next.length === dec.branches.length && next.every((b, i) => nodesEqual(b, dec.branches[i]!))) return { changed: false };
      const out = await reencryptText(next, dec, store, indent, file, opts);
      if (out === text) return { changed: false };
      checkWritable(file);
      writeFileAtomic(file, out);
      return { changed: true };
    },
    opts,
  );
}

function readExisting(file: string): string {
  try {
    return readTextFile(file);
  } catch (e) {
    if (e instanceof EnvcryptError && e.code === 'NOT_FOUND') e.hints.push(`create it with "envcrypt edit ${file}" or "envcrypt encrypt"`);
    throw e;
  }
}

function firstBranch(branches: Branch[]): Branch {
  return branches[0] ?? { kind: 'map', items: [] };
}

/** Options for {@link setValue}. */
export interface SetValueOptions extends ChangeOptions {
  /**
   * Replace a value that stands in the way, as sops does: a non-null scalar
   * the path goes through (`a: 1`, then set `a.b`), or a non-empty mapping or
   * list at the path. Without it such a set is refused (`REFUSED`, exit 9).
   * Each replacement is reported through `onWarning`, by path and kind only.
   */
  force?: boolean;
}

/**
 * Set the value at `key` (a path: `db.password` or `["db"]["password"]`;
 * for dotenv a top-level key) and write the file if anything changed, with
 * sops's path semantics (`tree/mutate.ts` {@link setAt}): missing mappings
 * are created, a missing list for index 0, and index = length appends.
 * Dotenv values must be strings.
 */
export async function setValue(file: string, key: string | readonly PathStep[], value: Node, opts: SetValueOptions = {}): Promise<ChangeResult> {
  const format = opts.format ?? formatFor(file);
  const steps = keySteps(key, format);
  if (format === 'dotenv' && value.kind !== 'str') {
    throw new EnvcryptError('USAGE', 'dotenv values are strings', { hints: ['drop --type, or use a YAML or JSON file'] });
  }
  const replaced: string[] = [];
  const setOpts = { force: opts.force === true, onReplace: (at: string, was: string, by: string) => replaced.push(`replaced ${was} at ${at} with ${by}`) };
  const result = await changeFile(file, (plain) => [setAt(firstBranch(plain), steps, value, setOpts), ...plain.slice(1)], { ...opts, format });
  // Told only once the write is done, so a refused or failed write reports nothing replaced.
  for (const m of replaced) opts.onWarning?.(m);
  return result;
}

/** Options for {@link unsetValue}. */
export interface UnsetOptions extends ChangeOptions {
  /** Succeed without a change when the key does not exist. */
  ignoreMissing?: boolean;
}

/**
 * Remove the value at `key` and write the file.
 *
 * @throws EnvcryptError `NOT_FOUND` when there is no such key (unless `ignoreMissing`)
 */
export async function unsetValue(file: string, key: string | readonly PathStep[], opts: UnsetOptions = {}): Promise<ChangeResult> {
  const format = opts.format ?? formatFor(file);
  const steps = keySteps(key, format);
  return changeFile(
    file,
    (plain) => {
      const next = deleteAt(firstBranch(plain), steps);
      if (next !== undefined) return [next, ...plain.slice(1)];
      if (opts.ignoreMissing) return plain;
      throw new EnvcryptError('NOT_FOUND', `${file} has no value at ${formatPath(steps)}`, { hints: [`"envcrypt keys ${file}" lists its keys (names only, no values)`] });
    },
    { ...opts, format },
  );
}

/**
 * Decrypt `file` (MAC verified) and return the value at `key`.
 *
 * @throws EnvcryptError `NOT_FOUND` when there is no such key
 */
export async function getValue(file: string, key: string | readonly PathStep[], opts: ChangeOptions = {}): Promise<Node> {
  const format = opts.format ?? formatFor(file);
  const steps = keySteps(key, format);
  const dec = await decryptText(readTextFile(file), file, { ...opts, format });
  const node = getPath(firstBranch(dec.branches), steps);
  if (node === undefined) throw new EnvcryptError('NOT_FOUND', `${file} has no value at ${formatPath(steps)}`, { hints: [`"envcrypt keys ${file}" lists its keys (names only, no values)`] });
  return node;
}

/**
 * A value as `get` prints it: a string raw, another scalar as the file's
 * format writes it (no trailing newline), a mapping or list as a document of
 * the file's format.
 */
export async function valueText(node: Node, format: Format): Promise<string> {
  if (node.kind === 'str') return node.value;
  const store = await storeFor(format);
  if (node.kind === 'map') return store.emitPlain([node]);
  const text = store.emitValue(node);
  return node.kind === 'list' ? text : text.replace(/\n$/, '');
}

/** The `--type` choices of `set`; `json` is sops's value syntax (`{"a": 1}`, `"text"`, `[1, 2]`). */
export type ValueKind = 'str' | 'int' | 'float' | 'bool' | 'json';

/**
 * A JSON value, as sops's `set` reads its value: any JSON text (a mapping,
 * list, string, number, boolean or null), with the JSON store's rules
 * (duplicate keys and integers beyond 64 bits are refused).
 *
 * @throws EnvcryptError `USAGE` saying only that it is not one JSON value (never the text)
 */
export function jsonValue(text: string): Node {
  const bad = () => new EnvcryptError('USAGE', 'the value is not one valid JSON value', { hints: ['--type json takes JSON text: "text" (quoted), 42, true, null, [1, 2] or {"key": "value"}'] });
  let root: Branch;
  try {
    root = parseJsonObject(`{"v":${text}\n}`, { trailing: 'error' });
  } catch {
    throw bad();
  }
  const only = root.items[0];
  if (root.items.length !== 1 || only?.kind !== 'pair') throw bad();
  return only.value;
}

/** {@link typedLeaf}, or with `json` any {@link jsonValue}. */
export function typedValue(text: string, type: ValueKind): Node {
  return type === 'json' ? jsonValue(text) : typedLeaf(text, type);
}

/**
 * Turn typed text into a leaf, the way sops reads typed values back.
 *
 * @throws EnvcryptError `USAGE` naming the type (never the text) when it does not parse
 */
export function typedLeaf(text: string, type: Exclude<ValueKind, 'json'>): Leaf {
  const bad = () => new EnvcryptError('USAGE', `the value is not a valid ${type}`, { hints: ['int: 64-bit decimal; float: decimal or exponent form; bool: true or false'] });
  switch (type) {
    case 'str':
      return { kind: 'str', value: text };
    case 'int': {
      const v = parseGoInt(text.trim());
      if (v === null) throw bad();
      return { kind: 'int', value: v };
    }
    case 'float': {
      const v = parseGoFloat(text.trim());
      if (v === null || !Number.isFinite(v)) throw bad();
      return { kind: 'float', value: v };
    }
    case 'bool': {
      const v = parseGoBool(text.trim());
      if (v === null) throw bad();
      return { kind: 'bool', value: v };
    }
  }
}

/**
 * Split `KEY=VALUE` at the first `=` that ends a valid path, so that a
 * quoted key such as `["a=b"]=v` works. Returns null when there is no `=`.
 */
export function splitAssignment(arg: string): { key: string; value: string } | null {
  for (let i = arg.indexOf('='); i > 0; i = arg.indexOf('=', i + 1)) {
    try {
      parsePath(arg.slice(0, i));
      return { key: arg.slice(0, i), value: arg.slice(i + 1) };
    } catch {
      /* the '=' is inside a quoted key; try the next one */
    }
  }
  return null;
}

/** Named character sets for {@link generateSecret}. */
export const CHARSETS: Readonly<Record<string, string>> = {
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
};

/** Options for {@link generateSecret}. */
export interface GenerateOptions {
  /**
   * Without `charset`: the number of random bytes, written as unpadded
   * base64url. With `charset`: the number of characters.
   * @defaultValue 32 bytes; with a charset, enough characters for 256 bits
   */
  length?: number;
  /** `alnum`, `hex`, `base64url`, or the literal characters to use (2 to 256 distinct). */
  charset?: string;
  /** Source of randomness, for tests; default `crypto.randomBytes`. */
  random?: (n: number) => Uint8Array;
}

/**
 * A random secret from the system CSPRNG. Characters are drawn from the set
 * by rejection sampling, so every character is equally likely (no modulo bias).
 *
 * @throws EnvcryptError `USAGE` for a bad length or charset
 */
export function generateSecret(opts: GenerateOptions = {}): string {
  const random = opts.random ?? ((n: number) => randomBytes(n));
  const length = opts.length;
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 1 || length > 65536)) {
    throw new EnvcryptError('USAGE', 'the length to generate must be a whole number from 1 to 65536');
  }
  if (opts.charset === undefined) return Buffer.from(random(length ?? 32)).toString('base64url');
  const chars = [...(CHARSETS[opts.charset] ?? opts.charset)];
  if (chars.length < 2 || chars.length > 256 || new Set(chars).size !== chars.length) {
    throw new EnvcryptError('USAGE', 'a charset needs 2 to 256 distinct characters', { hints: [`named charsets: ${Object.keys(CHARSETS).join(', ')}`] });
  }
  const n = length ?? Math.ceil(256 / Math.log2(chars.length));
  // Bytes at or above `limit` would favour the first characters; they are redrawn.
  const limit = 256 - (256 % chars.length);
  let out = '';
  let count = 0;
  while (count < n) {
    for (const b of random(Math.max(16, (n - count) * 2))) {
      if (b >= limit) continue;
      out += chars[b % chars.length];
      if (++count === n) break;
    }
  }
  return out;
}
