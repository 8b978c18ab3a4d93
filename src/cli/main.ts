import yargs from 'yargs';
import { EnvcryptError, ExitCode } from '../errors.js';
import { cleanupPendingWrites } from '../io/atomic.js';
import { allowSymlinksOutsideRepo } from '../io/symlink.js';
import { askPluginsOnTerminal } from './plugin-prompt.js';
import { askSshPassphrasesOnTerminal } from './ssh-prompt.js';
import { sweepStaleTempDirs } from '../io/tempdir.js';
import { commandName, withCommandGlobals, type Command } from './command.js';
import { commandsFor } from './commands/index.js';
import { runExec } from './exec/run.js';
import { error, hint, processIo, type Io } from './output.js';
import { renderError } from './render-error.js';

declare const __ENVCRYPT_VERSION__: string | undefined;
const VERSION = typeof __ENVCRYPT_VERSION__ === 'string' ? __ENVCRYPT_VERSION__ : '0.0.0-dev';

/**
 * Run the CLI with `argv` (without node and the script) and return the exit
 * code. Nothing below this calls `process.exit`.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  // A protected SSH key is asked for its passphrase on the terminal (as age does), lazily: only a file with its stanza asks.
  // Not by "git textconv", which git runs under its pager once per file: there the file is shown encrypted.
  if (argv[0] === 'exec') return runExec(argv.slice(1), io);
  if (!(argv[0] === 'git' && argv[1] === 'textconv')) {
    askSshPassphrasesOnTerminal(io);
    askPluginsOnTerminal(io);
  }
  // Plaintext a SIGKILLed `edit` left in its private temp dir goes now, not
  // only at the next edit. Not on exec's path, whose start-up is measured.
  sweepStaleTempDirs(io.env);
  let code: number = ExitCode.ok;
  // With exitProcess(false), yargs still runs the handler after a validation
  // failure (conflicting or unknown flags); this flag stops it.
  let failed = false;
  const wrap = (c: Command) => async (args: Record<string, unknown>) => {
    if (failed) return;
    try {
      code = await c.handler(args as Parameters<Command['handler']>[0], io);
    } catch (e) {
      code = renderError(io, e);
    }
  };
  const commands = await commandsFor(argv);
  const named = commands.length === 1;
  const y = yargs([...argv])
    .scriptName('envcrypt')
    .usage('$0 <command> [options]\n\nEncrypt the values of .env, YAML and JSON files to age recipients (SOPS format).')
    .version(VERSION)
    .alias('h', 'help')
    .middleware((a) => allowSymlinksOutsideRepo(!!a['follow-symlinks']))
    .strict()
    .demandCommand(1, 'a command is required')
    .recommendCommands()
    .exitProcess(false)
    // yargs renders (and caches) the help text on every command run; without
    // wrapping that costs far less, and it is only shown when help is asked for.
    .wrap(wantsHelp(argv) ? Math.min(100, process.stdout.columns || 100) : null)
    .epilogue('Exit codes: 0 ok, 1 error, 2 usage, 3 MAC/tamper, 4 no identity, 5 parse, 6 not found, 7 already encrypted, 8 not encrypted, 9 refused, 10 conflict; exec and exec-file pass the command\'s status through (126/127 when it cannot start).')
    .fail((msg, err) => {
      failed = true;
      if (err && !(err instanceof EnvcryptError)) throw err;
      code = err ? renderError(io, err) : ExitCode.usage;
      if (!err) {
        error(io, (msg ?? 'invalid usage').replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, ''));
        hint(io, 'run "envcrypt --help" or "envcrypt <command> --help"');
      }
    });
  // --version belongs to envcrypt itself, not to a command: `envcrypt encrypt --help` lists only what encrypt takes.
  if (named) y.version(false);
  skipHelpCaching(y);
  for (const c of commands) {
    y.command({ command: c.command, describe: c.describe, builder: (b) => withCommandGlobals(commandName(c), c.builder(b)), handler: wrap(c) });
  }
  y.command({ command: 'exec', describe: 'run a command with the decrypted values in its environment (see "envcrypt exec --help")', handler: () => undefined });
  try {
    await y.parseAsync();
  } catch (e) {
    code = renderError(io, e);
  }
  return code;
}

/**
 * yargs renders the whole help text after every command run, to cache it in
 * case the handler asks for help; envcrypt's handlers never do, and help is
 * still built on demand. Saves several ms per command. (Internal API, hence
 * the guards: without it yargs simply keeps caching.)
 */
function skipHelpCaching(y: object): void {
  const internal = (y as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

function wantsHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === 'help');
}

/** Remove temp files and exit on SIGINT/SIGTERM during non-exec commands. */
export function installSignalCleanup(): void {
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    process.once(sig, () => {
      cleanupPendingWrites();
      process.exit(128 + n);
    });
  }
}
