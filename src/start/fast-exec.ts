/** `envcrypt exec`'s fast path (dist/fast-exec.cjs); see ./host.ts for the rule it keeps. */
import { loadDetailedSync, type Loaded } from '../api/load.js';
import { parseExecArgs, type ExecArgs } from '../cli/exec/args.js';
import { baseEnv, execLoadOptions, launch, type BaseEnv } from '../cli/exec/launch.js';
import { processIo, warning } from '../cli/output.js';
import { renderError } from '../cli/render-error.js';
import { EnvcryptError } from '../errors.js';
import { fastHost, keyCommandSet } from './fast-host.js';

/**
 * Run `envcrypt exec …` (argv without the word `exec`) for a dotenv file and
 * X25519 or post-quantum keys. Returns the exit code, or null, having printed and started
 * nothing, when the full runtime's `execMain` must run instead.
 */
export async function execFast(argv: readonly string[]): Promise<number | null> {
  const io = processIo();
  if (keyCommandSet(io.env)) return null;
  let a: ExecArgs;
  let loaded: Loaded;
  let base: BaseEnv;
  try {
    a = parseExecArgs(argv);
    if (a.help || a.redact) return null;
    base = baseEnv(a, io);
    const warnings: string[] = [];
    loaded = loadDetailedSync({ ...execLoadOptions(a, io, base), onWarning: (m) => warnings.push(m) }, fastHost);
    for (const w of warnings) warning(io, w);
  } catch (e) {
    // An environment too large for the OS is found before any decryption,
    // exactly where the full path finds it: end as it would, without parsing
    // the file a second time there.
    if (e instanceof EnvcryptError && e.code === 'CMD_NOT_EXECUTABLE') return renderError(io, e);
    return null;
  }
  return launch(a, loaded, io, base);
}
