import { basename } from 'node:path';
import { EnvcryptError } from '../../errors.js';
import { optString, type Command } from '../command.js';

/** What an option's value is, for completing it. */
type Value = 'file' | 'text' | readonly string[];

/** One option: its spellings, whether it takes a value, and a few words for zsh. */
interface Flag {
  names: readonly string[];
  value?: Value;
  describe: string;
}

/** One subcommand: its flags and what its positional arguments complete to. */
interface Sub {
  name: string;
  describe: string;
  flags: readonly Flag[];
  /** Words for the first positional (an action), then files; or just files; or nothing. */
  args: { actions?: readonly string[]; files: boolean };
}

const FORMATS = ['dotenv', 'yaml', 'json'] as const;
const identity: Flag = { names: ['-i', '--identity'], value: 'file', describe: 'age identity file' };
const inputType: Flag = { names: ['--input-type'], value: FORMATS, describe: 'input format' };
const config: Flag = { names: ['--config'], value: 'file', describe: 'path to .sops.yaml' };
const output: Flag = { names: ['-o', '--output'], value: 'file', describe: 'output file' };
const force: Flag = { names: ['--force'], describe: 'replace an existing output' };
const json: Flag = { names: ['--json'], describe: 'JSON output' };
const dryRun: Flag = { names: ['--dry-run'], describe: 'say what would change' };
const noMac: Flag = { names: ['--no-mac'], describe: 'skip the MAC check' };
const flatten: Flag[] = [
  { names: ['--flatten-separator'], value: 'text', describe: 'joins nested names' },
  { names: ['--flatten-case'], value: ['upper', 'preserve'], describe: 'case of nested names' },
];

/**
 * The subcommands and their common flags, in the order `envcrypt --help`
 * lists them. Kept by hand: the yargs instance is built in `cli/main.ts`,
 * and exec parses its own arguments.
 */
const SUBCOMMANDS: readonly Sub[] = [
  {
    name: 'encrypt', describe: 'encrypt the values of a file', args: { files: true },
    flags: [identity, { names: ['-r', '--recipient'], value: 'text', describe: 'age recipient' }, output, { names: ['--in-place'], describe: 'replace the file' }, force, inputType, config,
      { names: ['--mac-only-encrypted'], describe: 'hash only encrypted values' }, { names: ['--indent'], value: 'text', describe: 'indentation' }, { names: ['--verbose'], describe: 'say where recipients came from' },
      { names: ['--encrypted-regex'], value: 'text', describe: 'selector' }, { names: ['--unencrypted-regex'], value: 'text', describe: 'selector' },
      { names: ['--encrypted-suffix'], value: 'text', describe: 'selector' }, { names: ['--unencrypted-suffix'], value: 'text', describe: 'selector' }],
  },
  {
    name: 'decrypt', describe: 'decrypt a file', args: { files: true },
    flags: [identity, output, force, { names: ['--extract'], value: 'text', describe: 'print one value' }, inputType, { names: ['--output-type'], value: FORMATS, describe: 'output format' }, { names: ['--ignore-mac'], describe: 'skip the MAC check (recovery only)' }],
  },
  {
    name: 'exec', describe: 'run a command with the decrypted values', args: { files: false },
    flags: [{ names: ['-f', '--file'], value: 'file', describe: 'encrypted file to load' }, { names: ['--optional-file'], value: 'file', describe: 'like -f, may be missing' }, identity,
      { names: ['--override'], describe: 'file values win' }, { names: ['--pristine'], describe: 'start from an empty environment' }, { names: ['--keep'], value: 'text', describe: 'variable to keep with --pristine' },
      { names: ['--shell'], describe: 'run through /bin/sh -c' }, inputType, ...flatten, { names: ['-v', '--verbose'], describe: 'name the variables set' }],
  },
  {
    name: 'edit', describe: 'edit an encrypted file', args: { files: true },
    flags: [identity, { names: ['-r', '--recipient'], value: 'text', describe: 'age recipient for a new file' }, inputType, config, { names: ['--indent'], value: 'text', describe: 'indentation' }],
  },
  {
    name: 'set', describe: 'set one value', args: { files: true },
    flags: [identity, { names: ['--generate'], describe: 'store a random secret' }, { names: ['--charset'], value: ['alnum', 'hex', 'base64url'], describe: 'characters for --generate' },
      { names: ['--type'], value: ['str', 'int', 'float', 'bool'], describe: 'value type' }, inputType, config],
  },
  { name: 'unset', describe: 'remove one value', args: { files: true }, flags: [identity, { names: ['--ignore-missing'], describe: 'no error when absent' }, inputType, config] },
  { name: 'get', describe: 'print one value', args: { files: true }, flags: [identity, { names: ['--newline'], describe: 'end with a newline' }, inputType] },
  { name: 'recipients', describe: 'list, add or remove recipients', args: { actions: ['list', 'add', 'remove'], files: true }, flags: [identity, json, dryRun, config] },
  { name: 'rotate', describe: 'new data keys for files', args: { files: true }, flags: [identity, json, dryRun, config] },
  { name: 'init', describe: 'set up this repository', args: { files: false }, flags: [{ names: ['--pq'], describe: 'post-quantum key' }] },
  { name: 'keygen', describe: 'make an age identity', args: { files: false }, flags: [output, { names: ['--pq'], describe: 'post-quantum key' }, { names: ['-y'], describe: 'print the public key of a key file' }] },
  { name: 'git', describe: 'git integration', args: { actions: ['setup', 'textconv', 'merge-driver'], files: true }, flags: [identity, { names: ['--hook'], describe: 'install the pre-commit hook' }, { names: ['--exclude'], value: 'text', describe: 'glob the hook leaves out' }, force] },
  {
    name: 'check', describe: 'find plaintext secrets before a commit', args: { files: true },
    flags: [identity, { names: ['--staged'], describe: 'check what is staged' }, json, { names: ['-q', '--quiet'], describe: 'silent when all is well' }, { names: ['-v', '--verbose'], describe: 'say what was skipped' },
      { names: ['--exclude'], value: 'text', describe: 'glob of files to leave out' }, noMac, config],
  },
  { name: 'status', describe: 'report on one file', args: { files: true }, flags: [identity, json, noMac, config] },
  {
    name: 'export', describe: 'write values for another tool', args: { files: true },
    flags: [identity, { names: ['-F', '--format'], value: ['k8s', 'docker', 'json', 'shell', 'github'], describe: 'output format' }, { names: ['--name'], value: 'text', describe: 'resource name' },
      { names: ['--namespace'], value: 'text', describe: 'namespace' }, output, force, inputType, ...flatten],
  },
  { name: 'completion', describe: 'print a shell completion script', args: { actions: ['bash', 'zsh'], files: false }, flags: [] },
];

/** The shells a script can be printed for. */
export const SHELLS = ['bash', 'zsh'] as const;
/** One of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

const HELP: Flag = { names: ['-h', '--help'], describe: 'show help' };

function words(flags: readonly Flag[]): string {
  return [...flags, HELP].flatMap((f) => f.names).join(' ');
}

function bashScript(): string {
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

function zshScript(): string {
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
 * The completion script for `shell`: subcommands, each command's common
 * flags, fixed choices (formats, actions) and file names. bash registers it
 * with `complete -F _envcrypt`, zsh with `compdef`.
 */
export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bashScript() : zshScript();
}

/** The shell to print for when none is named: zsh when $SHELL is zsh, else bash. */
export function defaultShell(env: NodeJS.ProcessEnv): Shell {
  return env.SHELL && basename(env.SHELL) === 'zsh' ? 'zsh' : 'bash';
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
    if (given !== undefined && !(SHELLS as readonly string[]).includes(given)) {
      throw new EnvcryptError('USAGE', `no completion script for "${given}"`, { hints: [`choose one of ${SHELLS.join(', ')}`] });
    }
    io.stdout(completionScript((given as Shell | undefined) ?? defaultShell(io.env)));
    return 0;
  },
};
