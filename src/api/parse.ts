import { storeFor } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import { toEnv, type FlattenOptions } from '../tree/env.js';

/** Options for {@link parse}. */
export interface ParseOptions extends FlattenOptions {
  /** @default 'dotenv' */
  format?: Format;
}

/**
 * Parse *plaintext* dotenv (full syntax: quotes, multi-line values, `export`),
 * YAML or JSON into environment values, like `dotenv.parse` but strict: a
 * malformed line is an error with its line:column, not silently skipped.
 */
export async function parse(src: string | Uint8Array, opts: ParseOptions = {}): Promise<Record<string, string>> {
  const text = typeof src === 'string' ? src : Buffer.from(src).toString('utf8');
  const store = await storeFor(opts.format ?? 'dotenv');
  return toEnv(store.parsePlain(text), opts);
}

