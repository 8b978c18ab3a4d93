import { EnvcryptError } from '../../errors.js';

/** Parsed `envcrypt exec` arguments. */
export interface ExecArgs {
  files: string[];
  optional: string[];
  identities: string[];
  keep: string[];
  override: boolean;
  pristine: boolean;
  /** Leave the identity variables (ENVCRYPT_AGE_KEY…) in the command's environment (`--keep-identity`). */
  keepIdentity: boolean;
  verbose: boolean;
  shell: boolean;
  /** Redact decrypted values in the command's stdout and stderr (`--redact`). */
  redact: boolean;
  help: boolean;
  inputType?: string;
  separator?: string;
  case?: 'upper' | 'preserve';
  command: string[];
}

const VALUE_FLAGS: Record<string, keyof ExecArgs> = {
  '-f': 'files',
  '--file': 'files',
  '--optional-file': 'optional',
  '-i': 'identities',
  '--identity': 'identities',
  '--keep': 'keep',
  '--input-type': 'inputType',
  '--flatten-separator': 'separator',
  '--flatten-case': 'case',
};
const BOOL_FLAGS: Record<string, keyof ExecArgs> = {
  '--override': 'override',
  '--pristine': 'pristine',
  '--keep-identity': 'keepIdentity',
  '--verbose': 'verbose',
  '-v': 'verbose',
  '--shell': 'shell',
  '--redact': 'redact',
  '--help': 'help',
  '-h': 'help',
};

/**
 * Parse `exec` arguments by hand: this is the start-up hot path, and yargs
 * alone costs more than the whole budget. Options come first; the command
 * starts after `--` or at the first argument that is not an option.
 */
export function parseExecArgs(argv: readonly string[]): ExecArgs {
  const a: ExecArgs = { files: [], optional: [], identities: [], keep: [], override: false, pristine: false, keepIdentity: false, verbose: false, shell: false, redact: false, help: false, command: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const bool = BOOL_FLAGS[name];
    if (bool && eq < 0) {
      (a as unknown as Record<string, boolean>)[bool] = true;
      continue;
    }
    const field = VALUE_FLAGS[name];
    if (!field) {
      throw new EnvcryptError('USAGE', `unknown option ${name} for exec`, { hints: ['run "envcrypt exec --help"; put the command after --'] });
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new EnvcryptError('USAGE', `option ${name} needs a value`);
    const cur = a[field];
    if (Array.isArray(cur)) cur.push(value);
    else (a as unknown as Record<string, string>)[field] = value;
  }
  a.command = argv.slice(i);
  if (a.case !== undefined && a.case !== 'upper' && a.case !== 'preserve') {
    throw new EnvcryptError('USAGE', `--flatten-case must be upper or preserve, got "${a.case}"`);
  }
  if (!a.help && a.command.length === 0) {
    throw new EnvcryptError('USAGE', 'exec needs a command to run', { hints: ['usage: envcrypt exec [-f FILE]… -- COMMAND [ARGS…]'] });
  }
  if (a.files.length === 0 && a.optional.length === 0) a.files.push('.env.enc');
  return a;
}

/** `envcrypt exec --help` text (kept here so help needs no yargs). */
export const EXEC_HELP = `envcrypt exec [options] -- COMMAND [ARGS...]

Decrypt the files and run COMMAND with their values added to its environment.
COMMAND runs directly (argv, no shell); signals are forwarded and its exit
status is passed through.

Options:
  -f, --file FILE          encrypted file to load (repeatable; later files win)
                           [default: .env.enc]
      --optional-file FILE like -f, but a missing file is not an error
  -i, --identity FILE      age identity file (repeatable)
      --override           file values win over variables already set (never
                           an unencrypted or empty value of a file without an
                           integrity record)
      --pristine           start from an empty environment (plus --keep VARs)
      --keep VAR           with --pristine, keep this variable (repeatable)
      --keep-identity      leave ENVCRYPT_AGE_KEY, SOPS_AGE_KEY_FILE and the other
                           key variables in COMMAND's environment (removed by
                           default), for a nested envcrypt
      --shell              run COMMAND through /bin/sh -c (explicit opt-in)
      --redact             replace decrypted values in the command's stdout/stderr
                           with [REDACTED:KEY]; its stdout/stderr become pipes
      --input-type TYPE    dotenv, yaml, json or ini (default: from each file name)
      --flatten-separator S  joins nested names (default _)
      --flatten-case CASE  upper (default) or preserve, for nested names
  -v, --verbose            name the variables set (never their values)
  -h, --help               show this help
`;
