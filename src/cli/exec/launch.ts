import type { Loaded, LoadOptions } from '../../api/load.js';
import { populate } from '../../api/load.js';
import { parseFormat } from '../../stores/index.js';
import { removeIdentity } from '../../exec/sensitive-names.js';
import { envBudget } from '../../exec/env-size.js';
import { reraise, runChild } from '../../exec/spawn.js';
import { toEnv } from '../../tree/env.js';
import type { ExecArgs } from './args.js';
import { note, warning, type Io } from '../output.js';
import { renderError } from '../render-error.js';

/** The command's environment before any file value is added, and the identity variables taken out of it. */
export interface BaseEnv {
  env: NodeJS.ProcessEnv;
  removed: string[];
}

/**
 * The command's environment before any file value is added: all of it, or
 * `--keep`'s with `--pristine`; no identity unless `--keep-identity`. Built
 * once per launch and shared by {@link execLoadOptions} (which sizes it) and
 * {@link launch} (which adds the values to it).
 */
export function baseEnv(a: ExecArgs, io: Io): BaseEnv {
  // hasOwn, not `!== undefined`: `--keep toString` or `--keep __proto__`
  // must not pick up a property of the environment object's prototype.
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(io.env, k) && io.env[k] !== undefined;
  const env: NodeJS.ProcessEnv = a.pristine ? Object.fromEntries(a.keep.filter(has).map((k) => [k, io.env[k]])) : { ...io.env };
  return { env, removed: a.keepIdentity ? [] : removeIdentity(env) };
}

/** What `exec` decrypts, from its arguments; `base` is the environment the values will join. */
export function execLoadOptions(a: ExecArgs, io: Io, base: BaseEnv): LoadOptions {
  const flatten = { ...(a.separator !== undefined ? { separator: a.separator } : {}), ...(a.case ? { case: a.case } : {}) };
  // An environment the OS would refuse is refused before each file is decrypted, not after (exit 126 either way).
  const budget = envBudget({ base: base.env, override: a.override || a.pristine, argv: a.command });
  return {
    // A dotenv file is sized from its text before it is even parsed; every file once parsed.
    beforeParse: (text, format) => (format === 'dotenv' ? budget.peekDotenv(text) : undefined),
    beforeDecrypt: (encrypted) => budget.add(toEnv(encrypted, flatten)),
    path: [...a.files, ...a.optional],
    optional: a.optional,
    identityFiles: a.identities,
    env: io.env,
    onWarning: (m) => warning(io, m),
    ...(a.inputType ? { format: parseFormat(a.inputType, '--input-type') } : {}),
    ...(a.separator !== undefined ? { separator: a.separator } : {}),
    ...(a.case ? { case: a.case } : {}),
  };
}

/**
 * Add the decrypted values to `base` (from {@link baseEnv}, not used since
 * except by {@link execLoadOptions}), run the command, and end as it ended.
 * The identity variables are removed unless `--keep-identity`, and an
 * unauthenticated value never replaces a variable already set (see `populate`).
 */
export async function launch(a: ExecArgs, loaded: Loaded, io: Io, base: BaseEnv): Promise<number> {
  try {
    const { env, removed } = base;
    const { unauthenticated } = loaded;
    const set = populate(env, loaded.values, { override: a.override || a.pristine, unauthenticated, onWarning: (m) => warning(io, m) });
    if (a.verbose) {
      for (const k of removed) note(io, `removed ${k} from the command's environment (--keep-identity keeps it)`);
      const weak = (k: string): boolean => Object.prototype.hasOwnProperty.call(unauthenticated, k);
      for (const k of set) note(io, `set ${k} from ${loaded.origin[k]}${weak(k) ? ' (not authenticated: unencrypted or empty)' : ''}`);
      for (const k of Object.keys(loaded.values)) {
        if (set.includes(k)) continue;
        note(io, weak(k) ? `kept ${k} from the environment (its value in ${unauthenticated[k]} is not authenticated)` : `kept ${k} from the environment (use --override to replace it)`);
      }
    }
    const run = { command: a.command[0]!, args: a.command.slice(1), env, shell: a.shell };
    let result;
    if (a.redact) {
      // Loaded only on request: the plain exec start-up path stays as small as it is.
      const { runChildRedacted } = await import('../../exec/redact-child.js');
      result = await runChildRedacted({ ...run, secrets: loaded.values });
    } else {
      result = await runChild(run);
    }
    return await reraise(result);
  } catch (e) {
    return renderError(io, e);
  }
}
