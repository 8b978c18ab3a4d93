import { loadDetailed, type Loaded } from '../../api/load.js';
import { EXEC_HELP, parseExecArgs, type ExecArgs } from './args.js';
import { baseEnv, execLoadOptions, launch, type BaseEnv } from './launch.js';
import type { Io } from '../output.js';
import { renderError } from '../render-error.js';
import { askPluginsOnTerminal } from '../plugin-prompt.js';
import { askSshPassphrasesOnTerminal } from '../ssh-prompt.js';

/**
 * `envcrypt exec`: decrypt, then run the command with the values in its
 * environment. Nothing is started when decryption fails. With `--redact`, the
 * command's stdout and stderr go through `runChildRedacted`, which masks every
 * decrypted value. Returns the exit code (a child killed by a signal is
 * re-raised by {@link reraise}).
 */
export async function runExec(argv: readonly string[], io: Io): Promise<number> {
  let a: ExecArgs;
  let loaded: Loaded;
  let base: BaseEnv;
  try {
    a = parseExecArgs(argv);
    if (a.help) {
      io.stdout(EXEC_HELP);
      return 0;
    }
    // Before the command starts, as age does: a protected SSH key or an age plugin asks on the terminal.
    askSshPassphrasesOnTerminal(io);
    askPluginsOnTerminal(io);
    base = baseEnv(a, io);
    loaded = await loadDetailed(execLoadOptions(a, io, base));
  } catch (e) {
    return renderError(io, e);
  }
  return launch(a, loaded, io, base);
}
