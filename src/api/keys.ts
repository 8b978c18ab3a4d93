/**
 * `envcrypt keys FILE`: the key names a file holds, without decrypting
 * anything (sops keeps key names in clear), so nobody needs to print every
 * secret just to see what is there.
 */
import { escapeControls } from '../io/escape.js';
import { readTextFile } from '../io/read.js';
import { formatFor, storeFor } from '../stores/index.js';
import { damagedError, NO_METADATA_REASON, parseSops } from '../stores/sniff.js';
import type { Format } from '../stores/store.js';
import type { Branch, ListNode, MapNode, Node } from '../tree/types.js';

/**
 * Every key path of the tree, dotted (`db.password`, `hosts.0`), in document
 * order, each once. A path ends at a scalar, an empty mapping or an empty
 * list; comments are not keys.
 */
export function keyPaths(branches: readonly Branch[]): string[] {
  const out = new Set<string>();
  const visit = (node: Node, path: string): void => {
    if (node.kind === 'map') return visitMap(node, path);
    if (node.kind === 'list') return visitList(node, path);
    out.add(path);
  };
  const visitMap = (node: MapNode, path: string): void => {
    let any = false;
    for (const item of node.items) {
      if (item.kind !== 'pair') continue;
      any = true;
      visit(item.value, path === '' ? item.key : `${path}.${item.key}`);
    }
    if (!any && path !== '') out.add(path);
  };
  const visitList = (node: ListNode, path: string): void => {
    let i = 0;
    for (const item of node.items) {
      if (item.kind === 'comment') continue;
      visit(item, `${path}.${i++}`);
    }
    if (i === 0) out.add(path);
  };
  for (const b of branches) visitMap(b, '');
  return [...out];
}

/** What {@link listKeys} found. */
export interface KeyList {
  file: string;
  format: Format;
  encrypted: boolean;
  keys: string[];
}

/** Options for {@link listKeys}. */
export interface ListKeysOptions {
  format?: Format;
  env?: NodeJS.ProcessEnv;
  /** The names go to a terminal: control characters and bidi overrides are escaped. */
  terminal?: boolean;
}

/**
 * The key paths of `file`, encrypted or not; no key is needed and no value is
 * decrypted or returned.
 *
 * @throws EnvcryptError `NOT_FOUND`, `USAGE` (a directory, an unknown format),
 *   `BAD_METADATA` for a damaged file, `PARSE`
 */
export async function listKeys(file: string, opts: ListKeysOptions = {}): Promise<KeyList> {
  const list = await readKeys(file, opts);
  // A key name can hold escape sequences that would draw on a terminal.
  return opts.terminal ? { ...list, keys: list.keys.map(escapeControls) } : list;
}

async function readKeys(file: string, opts: ListKeysOptions): Promise<KeyList> {
  const text = readTextFile(file, opts.env ?? process.env);
  const format = opts.format ?? formatFor(file, undefined, undefined, text);
  const parsed = await parseSops(file, text, format);
  if (parsed.kind === 'broken') {
    throw damagedError(file, parsed.reason === NO_METADATA_REASON ? parsed.reason : `it holds encrypted values but does not parse: ${parsed.reason}`, parsed.position);
  }
  if (parsed.kind === 'encrypted') return { file, format: parsed.format, encrypted: true, keys: keyPaths(parsed.branches) };
  const plain = (await storeFor(format)).parsePlain(text);
  return { file, format, encrypted: false, keys: keyPaths(plain) };
}
