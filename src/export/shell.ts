/** POSIX `sh` export lines, for `eval "$(envcrypt export … --format shell)"` or `. ./file`. */

import { EnvcryptError } from '../errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Quote `s` as one POSIX shell word: wrapped in single quotes, inside which
 * every character is literal, and each `'` written as `'\''` (close, an
 * escaped quote, reopen). Newlines, `$`, `\` and backquotes need nothing more.
 */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Render the values as `export KEY='value'` lines in the order given.
 * Sourcing the text in any POSIX shell sets each variable to exactly its
 * value (multi-line and non-ASCII values included).
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` for a key that is not a shell
 *   name (`[A-Za-z_][A-Za-z0-9_]*`) or a value containing NUL, which no shell
 *   variable can hold
 */
export function toShellExports(values: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [key, value] of Object.entries(values)) {
    if (!NAME.test(key)) {
      throw new EnvcryptError('UNSUPPORTED', `key ${JSON.stringify(key)} is not a valid shell variable name`, {
        hints: ['shell names are letters, digits and "_", not starting with a digit', 'use --format json or k8s for other names'],
      });
    }
    if (value.includes('\0')) {
      throw new EnvcryptError('UNSUPPORTED', `the value of ${key} contains a NUL byte, which a shell variable cannot hold`);
    }
    out += `export ${key}=${shellQuote(value)}\n`;
  }
  return out;
}
