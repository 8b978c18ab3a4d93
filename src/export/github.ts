/**
 * GitHub Actions: mask the values in the job log, then hand them to later
 * steps through the `$GITHUB_ENV` file.
 *
 * Two outputs with two destinations, which is why {@link toGithub} returns
 * them apart: the `::add-mask::` workflow commands only work on the step's
 * **stdout** (the runner reads commands there, never in `$GITHUB_ENV`), and
 * the `KEY=VALUE` lines only work in the **`$GITHUB_ENV` file** (the runner
 * reads it after the step; on stdout they would print the values in the log).
 * `envcrypt export FILE --format github` therefore prints the masks and
 * appends the environment lines to the file named by `$GITHUB_ENV`, so the
 * workflow step is simply `run: envcrypt export .env.enc --format github`
 * (not `>> "$GITHUB_ENV"`, which would put the masks in the file).
 */

import { randomUUID } from 'node:crypto';
import { EnvcryptError } from '../errors.js';

/** The two halves of a GitHub export. */
export interface GithubExport {
  /** `::add-mask::` lines, for the step's stdout, to print before anything else. */
  masks: string;
  /** Lines for the `$GITHUB_ENV` file. */
  env: string;
}

/** Options for {@link toGithub}. */
export interface GithubOptions {
  /**
   * Makes the heredoc delimiter for a multi-line value; called again while
   * its result occurs in the value. For tests.
   * @defaultValue `ghadelimiter_` + a random UUID, as `@actions/core` does
   */
  delimiter?: () => string;
}

/**
 * Escape workflow-command data the way the runner unescapes it
 * (`%` → `%25`, CR → `%0D`, LF → `%0A`). Without this a value holding `%0A`
 * would be unescaped by the runner into a line break, and the mask would no
 * longer match the value.
 */
export function escapeCommandData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/**
 * The `::add-mask::` commands for one value. A workflow command is one line
 * and the runner masks log lines one at a time, so a multi-line value is
 * masked line by line (GitHub's documented practice for multi-line
 * secrets). Lines that are empty or only whitespace are skipped: the runner
 * refuses them with a warning, and they reveal nothing.
 */
export function maskLines(value: string): string[] {
  return value
    .split(/[\r\n]/)
    .filter((line) => line.trim() !== '')
    .map((line) => `::add-mask::${escapeCommandData(line)}`);
}

// The runner reads `NAME=VALUE` when "=" comes before any "<<" and
// `NAME<<DELIM` otherwise, splitting at the first "<<": a name holding "<"
// could be cut in the wrong place.
function checkKey(key: string): void {
  if (key === '' || /[=<\r\n\0]/.test(key)) {
    throw new EnvcryptError('UNSUPPORTED', `key ${JSON.stringify(key)} cannot be written to GITHUB_ENV`, {
      hints: ['GITHUB_ENV names cannot be empty or contain "=", "<", a line break or NUL'],
    });
  }
}

/**
 * Build the mask commands and the `$GITHUB_ENV` lines for the values.
 *
 * - `masks`: one `::add-mask::` line per distinct non-blank line of every
 *   value (see {@link maskLines}). Every value is masked, however short:
 *   the runner then hides each occurrence of it in later log output, so a
 *   value such as `1` or `true` makes logs hard to read; export only secrets.
 * - `env`: `KEY=VALUE` for a value without CR or LF, else the heredoc form
 *   `KEY<<DELIM`, the value, `DELIM`, with a random delimiter that does not
 *   occur in the value (so a value can never end the heredoc early and set
 *   other variables). On a Windows runner, which also reads CRLF as a line
 *   end, a multi-line value that ends in CR loses that CR.
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` for a key the runner would
 *   misread, or a value containing NUL (no environment variable can hold it)
 */
export function toGithub(values: Readonly<Record<string, string>>, opts: GithubOptions = {}): GithubExport {
  const makeDelimiter = opts.delimiter ?? (() => `ghadelimiter_${randomUUID()}`);
  const masks = new Set<string>();
  let env = '';
  for (const [key, value] of Object.entries(values)) {
    checkKey(key);
    if (value.includes('\0')) {
      throw new EnvcryptError('UNSUPPORTED', `the value of ${key} contains a NUL byte, which an environment variable cannot hold`);
    }
    for (const m of maskLines(value)) masks.add(m);
    if (!/[\r\n]/.test(value)) {
      env += `${key}=${value}\n`;
      continue;
    }
    let delim = makeDelimiter();
    while (delim === '' || value.includes(delim)) delim = makeDelimiter();
    env += `${key}<<${delim}\n${value}\n${delim}\n`;
  }
  return { masks: [...masks].map((m) => `${m}\n`).join(''), env };
}
