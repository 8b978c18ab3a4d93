/**
 * The dotenv store (SOPS-FORMAT §10.1). Plaintext input uses full dotenv
 * syntax (`dotenv-syntax.ts`); encrypted files use the minimal sops dialect,
 * which has no quotes, no trimming and only the `\n` escape.
 */
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import type { Branch, Comment, MapNode, Node, Pair } from '../tree/types.js';
import { formatDotenvValue } from './dotenv-format.js';
import { duplicateKeyError } from './duplicate-key.js';
import { isDotenvKey, parseDotenv } from './dotenv-syntax.js';
import { type FlatEntry, flattenMetadata, SOPS_PREFIX, unflattenMetadata } from './flatten.js';
import { scalarText } from '../tree/scalar-text.js';
import type { Store } from './store.js';

const NESTED_HINTS = ['dotenv holds only flat KEY=VALUE pairs; use --output-type yaml or --output-type json'];

/**
 * The dotenv {@link Store}.
 *
 * - `parsePlain`: full dotenv syntax, see `parseDotenv` for what is accepted
 *   and refused; one branch of `str` pairs and comments (empty text gives an
 *   empty branch).
 * - `parseEncrypted`: the sops dialect, exactly; every `sops_*` line, wherever
 *   it is, goes to the metadata (null when there is none). A key given twice
 *   (data or metadata, whatever the values) is a `PARSE` error naming both
 *   lines: an empty unencrypted duplicate adds nothing to the MAC, so it
 *   would otherwise verify and could be what `get` shows.
 * - `emitPlain`: `KEY=value` with dotenv quoting where needed, so that
 *   `dotenv.parse` reads back the same values; non-string scalars are written
 *   as `sops exec-env` writes them; only the first branch is written.
 * - `emitEncrypted`: the sops dialect, metadata lines appended in the order
 *   of the given metadata tree.
 */
export const dotenvStore: Store = {
  format: 'dotenv',

  parsePlain(text: string): Branch[] {
    const items: Array<Pair | Comment> = parseDotenv(text).map((it) =>
      it.kind === 'pair'
        ? { kind: 'pair', key: it.key, value: { kind: 'str', value: it.value } }
        : { kind: 'comment', text: it.text },
    );
    return [{ kind: 'map', items }];
  },

  parseEncrypted(text: string): { branches: Branch[]; metadata: MapNode | null } {
    const items: Array<Pair | Comment> = [];
    const meta: FlatEntry[] = [];
    // Key → line of its first occurrence; metadata keys included.
    const seen = new Map<string, number>();
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!;
      if (line.length === 0) continue;
      if (line.startsWith('#')) {
        items.push({ kind: 'comment', text: line.slice(1) });
        continue;
      }
      const eq = line.indexOf('=');
      if (eq === -1) {
        throw new EnvcryptError('PARSE', `line ${n + 1}: invalid line in a sops dotenv file: no "=" found`, {
          position: { line: n + 1, column: 1 },
          hints: [
            'an encrypted dotenv file has one KEY=VALUE or #comment per line, with no quotes or blank lines with spaces',
            'if this is a plaintext file, encrypt it first',
          ],
        });
      }
      const key = line.slice(0, eq);
      const first = seen.get(key);
      if (first !== undefined) throw duplicateKeyError(key, { line: n + 1, column: 1 }, { line: first, column: 1 }, true);
      seen.set(key, n + 1);
      const value = line.slice(eq + 1).replaceAll('\\n', '\n');
      if (key.startsWith(SOPS_PREFIX)) meta.push({ key, value, line: n + 1 });
      else items.push({ kind: 'pair', key, value: { kind: 'str', value } });
    }
    return { branches: [{ kind: 'map', items }], metadata: meta.length === 0 ? null : unflattenMetadata(meta) };
  },

  hasMetadata(branches: Branch[]): boolean {
    return branches.some((b) => b.items.some((i) => i.kind === 'pair' && i.key.startsWith(SOPS_PREFIX)));
  },

  emitPlain(branches: Branch[]): string {
    const seen = new Set<string>();
    let out = '';
    for (const item of firstBranch(branches).items) {
      if (item.kind === 'comment') {
        // A comment that spans lines is written as one comment line per line,
        // so that no part of it can be read as data.
        for (const part of item.text.split(/\r\n|[\r\n\u2028\u2029]/)) out += `#${part}\n`;
        continue;
      }
      if (!isDotenvKey(item.key)) {
        throw new EnvcryptError('UNSUPPORTED', `key ${escapeControls(JSON.stringify(item.key))} cannot be written to a dotenv file`, {
          hints: ['dotenv keys may contain only letters A-Z and a-z, digits, "_", "." and "-"', 'use --output-type yaml or --output-type json'],
        });
      }
      if (seen.has(item.key)) {
        throw new EnvcryptError('UNSUPPORTED', `key ${escapeControls(item.key)} appears twice and cannot be written to a dotenv file`, {
          hints: ['dotenv keeps only the last of two equal keys; use --output-type yaml or --output-type json'],
        });
      }
      seen.add(item.key);
      out += `${item.key}=${formatDotenvValue(valueText(item.key, item.value), item.key)}\n`;
    }
    return out;
  },

  emitEncrypted(branches: Branch[], metadata: MapNode): string {
    let out = '';
    for (const item of firstBranch(branches).items) {
      if (item.kind === 'comment') {
        if (item.text.includes('\n')) {
          throw new EnvcryptError('UNSUPPORTED', 'a comment that spans lines cannot be written to a dotenv file', {
            hints: ['the sops dotenv format has one comment per line; split the comment'],
          });
        }
        out += `#${item.text}\n`;
        continue;
      }
      if (item.key.startsWith(SOPS_PREFIX)) {
        throw new EnvcryptError('UNSUPPORTED', `key ${escapeControls(item.key)} starts with "${SOPS_PREFIX}", which is reserved for SOPS metadata`, {
          hints: ['rename the key'],
        });
      }
      out += dialectLine(item.key, valueText(item.key, item.value));
    }
    for (const entry of flattenMetadata(metadata)) out += dialectLine(entry.key, entry.value);
    return out;
  },

  emitValue(node: Node): string {
    return valueText(null, node);
  },
};

function firstBranch(branches: Branch[]): Branch {
  return branches[0] ?? { kind: 'map', items: [] };
}

/** The text of a scalar value; nested values cannot be written to dotenv. */
function valueText(key: string | null, node: Node): string {
  if (node.kind === 'map' || node.kind === 'list') {
    const what = key === null ? 'a nested value' : `nested value of key ${escapeControls(key)}`;
    throw new EnvcryptError('UNSUPPORTED', `cannot write ${what} to dotenv`, { hints: NESTED_HINTS });
  }
  return scalarText(node);
}

/**
 * One `key=value` line of the sops dialect, newlines written as `\n`.
 * Refuses what would not read back the same: a key with `=` or a line break,
 * a key starting with `#`, or a value holding a literal backslash-n (the
 * dialect has no escape for it).
 */
function dialectLine(key: string, value: string): string {
  const name = escapeControls(JSON.stringify(key));
  const refuse = (what: string) =>
    new EnvcryptError('UNSUPPORTED', `key ${name} ${what}, which the sops dotenv format cannot hold`, {
      hints: ['use YAML or JSON for this file, or rename the key or change the value'],
    });
  if (key.includes('=')) throw refuse('contains "="');
  if (key.includes('\n')) throw refuse('contains a line break');
  if (key.startsWith('#')) throw refuse('starts with "#"');
  if (value.includes('\\n')) throw refuse('has a value containing a backslash followed by "n"');
  return `${key}=${value.replaceAll('\n', '\\n')}\n`;
}
