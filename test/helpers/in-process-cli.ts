/**
 * Running envcrypt's CLI (`src/cli/main.ts`) inside the test process: the
 * same yargs setup, handlers and error rendering as the binary, with stdout
 * and stderr captured, for tests about what a command prints and writes that
 * need no stdin, no TTY and no child process (those spawn `bin/envcrypt.js`
 * with `runCli`). It saves the 100-300 ms a spawn costs. Paths must be
 * absolute: the working directory is the test runner's.
 */
import { main } from '../../src/cli/main.js';
import { allowSymlinksOutsideRepo } from '../../src/io/symlink.js';
import { setSshPassphrasePrompt } from '../../src/keys/ssh/prompt.js';
import type { CliResult } from './run-cli.js';

/** Run `envcrypt ARGS…` in this process with `env` as its environment. */
export async function runMain(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  try {
    const code = await main(args, {
      stdout: (s) => void (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')),
      stderr: (s) => void (stderr += s),
      env,
      stdoutIsTTY: false,
      stdinIsTTY: false,
    });
    return { code, signal: null, stdout, stderr };
  } finally {
    // main() registers these process-wide, as the binary does once; test files share a process.
    setSshPassphrasePrompt(undefined);
    allowSymlinksOutsideRepo(false);
  }
}
