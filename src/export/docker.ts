/**
 * A `docker run --env-file` file. Docker's reader (docker/cli `pkg/kvfile`)
 * has no quoting or escaping at all: it strips leading whitespace from each
 * line, skips blank lines and lines starting with `#`, splits at the first
 * `=`, and keeps the rest of the line as the value, byte for byte, trailing
 * spaces and quotes included. That fixes what can be written here.
 *
 * This is not the syntax of Docker Compose's `env_file:`, which removes
 * quotes and expands `$VAR`: there, a value holding `$` or quotes would change.
 */

import { EnvcryptError } from '../errors.js';

/**
 * Docker reads lines with Go's `bufio.Scanner`, whose default buffer is
 * 64 KiB (`bufio.MaxScanTokenSize`); a longer line makes `docker run` fail.
 */
export const MAX_LINE_BYTES = 64 * 1024 - 1;

const hint = 'use --format shell (sh quoting) or --format k8s (base64), which can hold any value';

/**
 * Check that `key` survives docker's reader unchanged: not empty, no `=`,
 * no whitespace (docker refuses it inside a name and trims it in front,
 * which also covers a byte-order mark), no NUL, and no leading `#` (the
 * line would be a comment).
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` naming the key
 */
export function checkDockerKey(key: string): void {
  if (key === '' || /[=\s\0]/u.test(key) || key.startsWith('#')) {
    throw new EnvcryptError('UNSUPPORTED', `key ${JSON.stringify(key)} cannot be written to a docker env-file`, {
      hints: ['docker env-file names cannot be empty, start with "#" or contain "=", whitespace or NUL'],
    });
  }
}

/**
 * Check that the value of `key` can be a docker env-file value. Refused:
 * a line break (`\n`, or `\r`, which Go's line reader drops before `\n`),
 * NUL (no environment variable can hold it), and a value that both starts
 * and ends with the same quote character (`"…"` or `'…'`): released docker
 * keeps such quotes as part of the value, but changes proposed to docker
 * (docker/cli#3630) would strip them, so the value would depend on the
 * docker version.
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` naming the key, never showing the value
 */
export function checkDockerValue(key: string, value: string): void {
  let why: string | undefined;
  if (/[\r\n]/.test(value)) why = 'contains a line break, which';
  else if (value.includes('\0')) why = 'contains a NUL byte, which';
  else if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    why = 'is wrapped in quotes, which docker versions read differently and';
  }
  if (why !== undefined) {
    throw new EnvcryptError('UNSUPPORTED', `the value of ${key} ${why} a docker env-file cannot hold`, { hints: [hint] });
  }
}

/**
 * Render the values as `KEY=VALUE` lines for `docker run --env-file`, in the
 * order given, each value written literally (docker interprets nothing):
 * leading and trailing spaces, `$`, `\` and inner quotes reach the container
 * as they are.
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` for a key or value the format
 *   cannot hold (see {@link checkDockerKey}, {@link checkDockerValue}) or a
 *   line longer than {@link MAX_LINE_BYTES} bytes
 */
export function toDockerEnvFile(values: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [key, value] of Object.entries(values)) {
    checkDockerKey(key);
    checkDockerValue(key, value);
    const line = `${key}=${value}`;
    if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) {
      throw new EnvcryptError('UNSUPPORTED', `the line for ${key} is longer than the 64 KiB docker reads in an env-file`, { hints: [hint] });
    }
    out += `${line}\n`;
  }
  return out;
}
