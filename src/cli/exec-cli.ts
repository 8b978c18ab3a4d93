import { loadDetailed, populate } from '../api/load.js';
import { parseFormat } from '../stores/index.js';
import { reraise, runChild } from '../runtime/spawn.js';
import { EXEC_HELP, parseExecArgs } from './exec-args.js';
import { note, warning, type Io } from './output.js';
import { renderError } from './render-error.js';

/**
 * `envcrypt exec`: decrypt, then run the command with the values in its
 * environment. Nothing is started when decryption fails. With `--redact`, the
 * command's stdout and stderr go through `runChildRedacted`, which masks every
 * decrypted value. Returns the exit code (a child killed by a signal is
 * re-raised by {@link reraise}).
 */
export async function runExec(argv: readonly string[], io: Io): Promise<number> {
  let a;
  let env: NodeJS.ProcessEnv;
  try {
    a = parseExecArgs(argv);
    if (a.help) {
      io.stdout(EXEC_HELP);
      return 0;
    }
    const loaded = await loadDetailed({
      path: [...a.files, ...a.optional],
      optional: a.optional,
      identityFiles: a.identities,
      env: io.env,
      onWarning: (m) => warning(io, m),
      ...(a.inputType ? { format: parseFormat(a.inputType, '--input-type') } : {}),
      ...(a.separator !== undefined ? { separator: a.separator } : {}),
      ...(a.case ? { case: a.case } : {}),
    });
    // hasOwn, not `!== undefined`: `--keep toString` or `--keep __proto__`
    // must not pick up a property of the environment object's prototype.
    const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(io.env, k) && io.env[k] !== undefined;
    env = a.pristine ? Object.fromEntries(a.keep.filter(has).map((k) => [k, io.env[k]])) : { ...io.env };
    const set = populate(env, loaded.values, { override: a.override || a.pristine });
    if (a.verbose) {
      for (const k of set) note(io, `set ${k} from ${loaded.origin[k]}`);
      for (const k of Object.keys(loaded.values)) if (!set.includes(k)) note(io, `kept ${k} from the environment (use --override to replace it)`);
    }
    const run = { command: a.command[0]!, args: a.command.slice(1), env, shell: a.shell };
    let result;
    if (a.redact) {
      // Loaded only on request: the plain exec start-up path stays as small as it is.
      const { runChildRedacted } = await import('../runtime/redact-child.js');
      result = await runChildRedacted({ ...run, secrets: loaded.values });
    } else {
      result = await runChild(run);
    }
    return await reraise(result);
  } catch (e) {
    return renderError(io, e);
  }
}
