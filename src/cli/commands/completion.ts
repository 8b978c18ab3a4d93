import { basename } from 'node:path';
import { EnvcryptError } from '../../errors.js';
import type { Argv } from 'yargs';
import { optString, withCommandGlobals, type Command } from '../command.js';
import { EXEC_HELP } from '../exec/args.js';
import { commandsFor } from './index.js';

/** What an option's value is, for completing it. */
export type Value = 'file' | 'text' | readonly string[];

/** One option: its spellings, whether it takes a value, and a few words for zsh. */
export interface Flag {
  names: readonly string[];
  value?: Value;
  describe: string;
}

/** One subcommand: its flags and what its positional arguments complete to. */
export interface Sub {
  name: string;
  describe: string;
  flags: readonly Flag[];
  /** Words for the first positional (an action), then files; or just files; or nothing. */
  args: { actions?: readonly string[]; files: boolean };
}

const FORMATS = ['dotenv', 'yaml', 'json', 'ini', 'binary'] as const;

/** Options whose value is a file name (the rest take free text, or a choice). */
const FILE_OPTIONS = new Set(['identity', 'output', 'config', 'file', 'optional-file', 'y', 'recipients-file']);
/** Choices of options that a handler checks rather than yargs (so the definition has no `choices`). */
const KNOWN_CHOICES: Record<string, readonly string[]> = {
  'input-type': FORMATS,
  'output-type': FORMATS,
  'flatten-case': ['upper', 'preserve'],
  charset: ['alnum', 'hex', 'base64url'],
};

/** The shells a script can be printed for. */
export const SHELLS = ['bash', 'zsh'] as const;
/** One of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

interface OptionDef {
  alias?: string | readonly string[];
  type?: string;
  choices?: readonly unknown[];
  describe?: string;
  hidden?: boolean;
  default?: unknown;
}

const spell = (n: string) => (n.length === 1 ? `-${n}` : `--${n}`);

/** A short description for zsh: the first clause of the option's own. */
function short(describe: string | undefined): string {
  return (describe ?? '').split(/[;(]/)[0]!.trim();
}

function flagOf(name: string, o: OptionDef): Flag[] {
  if (o.hidden) return [];
  const aliases = o.alias === undefined ? [] : typeof o.alias === 'string' ? [o.alias] : [...o.alias];
  const names = [name, ...aliases].sort((a, b) => a.length - b.length).map(spell);
  const choices = o.choices?.map(String) ?? KNOWN_CHOICES[name];
  // `--generate[=N]`: a value that may be left out is not completed.
  const value: Value | undefined =
    o.type === 'boolean' || /\[=/.test(o.describe ?? '') ? undefined : choices ? choices : FILE_OPTIONS.has(name) ? 'file' : 'text';
  const flags: Flag[] = [{ names, ...(value ? { value } : {}), describe: short(o.describe) }];
  // A boolean that is on by default is turned off with --no-NAME.
  if (o.type === 'boolean' && o.default === true) flags.push({ names: [`--no-${name}`], describe: `not ${short(o.describe)}` });
  return flags;
}

/**
 * Run a command's builder (and the options `cli/main.ts` adds to it) against
 * a recorder instead of yargs, and read off its options and positionals:
 * the definitions yargs parses with are the only list of them.
 */
function recordCommand(c: Command, extra: (name: string, y: Argv) => Argv): Sub {
  const name = c.command.split(' ')[0]!;
  const flags: Flag[] = [];
  const choices: Record<string, readonly string[]> = {};
  const recorder: Argv = new Proxy({} as Argv, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a promise
      if (prop === 'option' || prop === 'options') {
        return (n: string | Record<string, OptionDef>, o: OptionDef = {}) => {
          const defs = typeof n === 'string' ? { [n]: o } : n;
          for (const [k, v] of Object.entries(defs)) flags.push(...flagOf(k, v));
          return recorder;
        };
      }
      if (prop === 'positional') {
        return (n: string, o: OptionDef = {}) => {
          if (o.choices) choices[n] = o.choices.map(String);
          return recorder;
        };
      }
      return () => recorder;
    },
  });
  extra(name, c.builder(recorder));
  const positionals = [...c.command.matchAll(/[<[]([\w-]+)(?:\.\.)?[>\]]/g)].map((m) => m[1]!);
  const action = positionals.find((p) => choices[p]);
  // `completion [shell]` checks its shell in the handler, to say which shells there are.
  const actions = name === 'completion' ? SHELLS : action ? choices[action] : undefined;
  const files = name !== 'completion' && positionals.some((p) => p !== action);
  return { name, describe: short(c.describe), flags, args: { ...(actions ? { actions } : {}), files } };
}

/** exec parses its own arguments (no yargs on its start-up path); its options are read from its help text. */
function execSub(): Sub {
  const flags: Flag[] = [];
  for (const m of EXEC_HELP.matchAll(/^ {2}(?:(-\w), )? *(--[\w-]+)(?: ([A-Z]+))? +(\S.*)$/gm)) {
    const long = m[2]!;
    if (long === '--help') continue;
    const name = long.slice(2);
    const choices = KNOWN_CHOICES[name];
    const value: Value | undefined = m[3] === undefined ? undefined : choices ? choices : m[3] === 'FILE' ? 'file' : 'text';
    flags.push({ names: m[1] ? [m[1], long] : [long], ...(value ? { value } : {}), describe: short(m[4]) });
  }
  return { name: 'exec', describe: 'run a command with the decrypted values', flags, args: { files: false } };
}

/**
 * The subcommands, their options and what their arguments complete to, in
 * the order `envcrypt --help` lists them (exec after encrypt and decrypt),
 * from the command definitions themselves.
 */
export async function subcommands(extra: (name: string, y: Argv) => Argv = withCommandGlobals): Promise<Sub[]> {
  const subs = (await commandsFor([])).map((c) => recordCommand(c, extra));
  const at = subs.findIndex((s) => s.name === 'decrypt') + 1;
  subs.splice(at, 0, execSub());
  return subs;
}

const HELP: Flag = { names: ['-h', '--help'], describe: 'show help' };

function words(flags: readonly Flag[]): string {
  return [...flags, HELP].flatMap((f) => f.names).join(' ');
}

function bashScript(SUBCOMMANDS: readonly Sub[]): string {
  const cmdCases = SUBCOMMANDS.map((s) => `    ${s.name}) opts='${words(s.flags)}' ;;`).join('\n');
  const byChoices = new Map<string, Set<string>>();
  const fileFlags = new Set<string>();
  const textFlags = new Set<string>();
  for (const s of SUBCOMMANDS) {
    for (const f of s.flags) {
      if (f.value === 'file') f.names.forEach((n) => fileFlags.add(n));
      else if (f.value === 'text') f.names.forEach((n) => textFlags.add(n));
      else if (f.value) {
        const key = f.value.join(' ');
        const names = byChoices.get(key) ?? new Set<string>();
        f.names.forEach((n) => names.add(n));
        byChoices.set(key, names);
      }
    }
  }
  const prevCases = [
    ...[...byChoices].map(([choices, names]) => `    ${[...names].join('|')}) IFS=' '; COMPREPLY=( $(compgen -W '${choices}' -- "$cur") ); return 0 ;;`),
    `    ${[...fileFlags].join('|')}) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;`,
    // A free-text value (a recipient, a regex): offer nothing rather than file names.
    `    ${[...textFlags].join('|')}) COMPREPLY=(); return 0 ;;`,
  ].join('\n');
  const actionCases = SUBCOMMANDS.filter((s) => s.args.actions)
    .map((s) => `    ${s.name}) actions='${s.args.actions!.join(' ')}' ;;`)
    .join('\n');
  const noFiles = SUBCOMMANDS.filter((s) => !s.args.files).map((s) => s.name).join('|');
  return `# bash completion for envcrypt
# load it with:    source <(envcrypt completion bash)
# or install it:   envcrypt completion bash > ~/.local/share/bash-completion/completions/envcrypt
_envcrypt() {
  local cur prev cmd opts actions i
  local IFS=$'\\n'
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if (( COMP_CWORD > 0 )); then prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  if (( COMP_CWORD <= 1 )); then
    COMPREPLY=( $(compgen -W '${SUBCOMMANDS.map((s) => s.name).join('\n')}
--help
--version' -- "$cur") )
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  # exec: after "--" comes the command to run, then its own arguments.
  if [[ "$cmd" == exec ]]; then
    for (( i = 2; i < COMP_CWORD; i++ )); do
      if [[ "\${COMP_WORDS[i]}" == -- ]]; then
        if (( i == COMP_CWORD - 1 )); then COMPREPLY=( $(compgen -c -- "$cur") ); else COMPREPLY=( $(compgen -f -- "$cur") ); fi
        return 0
      fi
    done
  fi
  case "$prev" in
${prevCases}
  esac
  opts=''
  case "$cmd" in
${cmdCases}
  esac
  if [[ "$cur" == -* ]]; then
    IFS=' '
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return 0
  fi
  actions=''
  case "$cmd" in
${actionCases}
  esac
  if [[ -n "$actions" ]] && (( COMP_CWORD == 2 )); then
    IFS=' '
    COMPREPLY=( $(compgen -W "$actions" -- "$cur") )
    return 0
  fi
  case "$cmd" in
    ${noFiles}) COMPREPLY=() ;;
    *) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
  esac
  return 0
}
complete -o filenames -o bashdefault -F _envcrypt envcrypt
`;
}

/** Quote for a zsh single-quoted word; brackets and colons would end an _arguments spec early. */
function zq(s: string): string {
  return s.replace(/[[\]:']/g, ' ');
}

function zshFlag(f: Flag): string[] {
  const value = f.value === 'file' ? ':file:_files' : f.value === 'text' ? ':value: ' : f.value ? `:value:(${f.value.join(' ')})` : '';
  const exclusive = f.names.length > 1 ? `(${f.names.join(' ')})` : '';
  return f.names.map((n) => `'${exclusive}${n}[${zq(f.describe)}]${value}'`);
}

function zshScript(SUBCOMMANDS: readonly Sub[]): string {
  const described = SUBCOMMANDS.map((s) => `    '${s.name}:${zq(s.describe)}'`).join('\n');
  const cases = SUBCOMMANDS.map((s) => {
    const specs = [...s.flags, HELP].flatMap(zshFlag);
    if (s.args.actions) specs.push(`'1:action:(${s.args.actions.join(' ')})'`);
    if (s.name === 'exec') specs.push(`'*::command:_normal'`);
    else if (s.args.files) specs.push(`'*:file:_files'`);
    return `    ${s.name})\n      _arguments -s \\\n        ${specs.join(' \\\n        ')}\n      ;;`;
  }).join('\n');
  return `#compdef envcrypt
# zsh completion for envcrypt
# load it with:    source <(envcrypt completion zsh)    (after compinit)
# or install it:   envcrypt completion zsh > "\${fpath[1]}/_envcrypt"
_envcrypt() {
  local -a subcommands
  subcommands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'envcrypt command' subcommands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases}
    *)
      _files
      ;;
  esac
}
if [[ \${funcstack[1]} == _envcrypt ]]; then
  _envcrypt "$@"
else
  compdef _envcrypt envcrypt
fi
`;
}

/**
 * The completion script for `shell`: subcommands, each command's options
 * (from its definition, see {@link subcommands}), fixed choices (formats,
 * actions) and file names. bash registers it with `complete -F _envcrypt`,
 * zsh with `compdef`.
 */
export async function completionScript(shell: Shell): Promise<string> {
  const subs = await subcommands();
  return shell === 'bash' ? bashScript(subs) : zshScript(subs);
}

/**
 * The shell to print for when none is named: the one `$SHELL` names, bash
 * when it is unset.
 *
 * @throws EnvcryptError `USAGE` when `$SHELL` is a shell with no script (fish, …)
 */
export function defaultShell(env: NodeJS.ProcessEnv): Shell {
  if (!env.SHELL) return 'bash';
  const name = basename(env.SHELL);
  if ((SHELLS as readonly string[]).includes(name)) return name as Shell;
  throw unsupported(name, `$SHELL is ${env.SHELL}`);
}

function unsupported(name: string, why?: string): EnvcryptError {
  return new EnvcryptError('USAGE', `no completion script for "${name}"${why ? ` (${why})` : ''}`, {
    hints: [`envcrypt completes in ${SHELLS.join(' and ')}: name one, e.g. "envcrypt completion bash"`],
  });
}

/** `envcrypt completion [bash|zsh]`. */
export const completionCommand: Command = {
  command: 'completion [shell]',
  describe: 'print a shell completion script (bash or zsh; default: from $SHELL)',
  builder: (y) =>
    y
      .positional('shell', { type: 'string', describe: 'bash or zsh' })
      .epilogue('bash: source <(envcrypt completion bash)   zsh: source <(envcrypt completion zsh), after compinit'),
  async handler(args, io) {
    const given = optString(args.shell);
    if (given !== undefined && !(SHELLS as readonly string[]).includes(given)) throw unsupported(given);
    io.stdout(await completionScript((given as Shell | undefined) ?? defaultShell(io.env)));
    return 0;
  },
};
