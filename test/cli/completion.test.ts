import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { commandName, withCommandGlobals } from '../../src/cli/command.js';
import { completionScript, defaultShell } from '../../src/cli/commands/completion.js';
import { commandsFor } from '../../src/cli/commands/index.js';
import { EXEC_HELP, parseExecArgs } from '../../src/cli/exec/args.js';
import { BIN } from '../helpers/paths.js';
import { cleanEnv, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';

let work: ReturnType<typeof tempDir>;
let binDir: string;

const run = (args: string[], env: NodeJS.ProcessEnv = cleanEnv()): CliResult => runCli(args, { cwd: work.dir, env });

/** Load the script the way a user does, set the words being completed, and print COMPREPLY one per line. */
function complete(words: string[], cword = words.length - 1): string[] {
  const arr = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `source <(envcrypt completion bash) && COMP_WORDS=(${arr}); COMP_CWORD=${cword}; _envcrypt; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: work.dir, encoding: 'utf8', env: { ...cleanEnv(), PATH: `${binDir}:${process.env.PATH}` } });
  if (r.status !== 0) throw new Error(`bash failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const hasZsh = spawnSync('zsh', ['--version']).status === 0;
const ZSH_SKIP = hasZsh ? '' : ' (skipped: zsh is not installed)';
// Driving an interactive zsh costs ~6 s; CI has no zsh anyway. npm run test:long runs it where zsh is installed.
const LONG = process.env.ENVCRYPT_TEST_LONG === '1';

/** Drives an interactive zsh through zsh/zpty: type the words, press Tab, wait until EXPECTED shows (at most 5 s). */
const ZSH_DRIVER = [
  'setopt extendedglob',
  'zmodload zsh/zpty',
  'zpty z zsh -f -i',
  `zpty -w z "PS1='> '; autoload -U compinit; compinit -u -D; source \${(q)1}; cd \${(q)2}"`,
  `zpty -w z "$3"$'\\t'`,
  'local all="" chunk i',
  'for i in {1..100}; do',
  '  while zpty -rt z chunk; do all+=$chunk; done',
  `  [[ \${all//$'\\e'\\[[0-9;?]#[a-zA-Z]/} == *"$4"* ]] && break`,
  '  sleep 0.05',
  'done',
  'zpty -d z',
  `print -r -- \${all//$'\\e'\\[[0-9;?]#[a-zA-Z]/}`,
].join('\n');

/** What zsh shows after typing `typed` and pressing Tab, carriage returns removed. */
function zshComplete(typed: string, expected: string): string {
  const driver = join(work.dir, 'drive.zsh');
  const script = join(work.dir, '_envcrypt');
  writeFileSync(driver, ZSH_DRIVER);
  writeFileSync(script, run(['completion', 'zsh']).stdout);
  const r = spawnSync('zsh', ['-f', driver, script, work.dir, typed, expected], { encoding: 'utf8', env: { ...cleanEnv(), PATH: `${binDir}:${process.env.PATH}` } });
  return r.stdout.replaceAll('\r', '');
}

beforeAll(() => {
  work = tempDir();
  binDir = join(work.dir, 'bin');
  mkdirSync(binDir);
  // "envcrypt" on PATH, as an installed package provides it.
  writeFileSync(join(binDir, 'envcrypt'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  mkdirSync(join(work.dir, 'files'));
  writeFileSync(join(work.dir, 'files', 'app.env.enc'), '');
  writeFileSync(join(work.dir, 'files', 'other.yaml'), '');
});
afterAll(() => work.cleanup());

/** The words bash offers after `envcrypt CMD -`, as the script lists them. */
function bashOpts(script: string, cmd: string): string[] {
  const m = new RegExp(`^    ${cmd}\\) opts='([^']*)' ;;$`, 'm').exec(script);
  return m ? m[1]!.split(' ') : [];
}

/** The `_arguments` block zsh runs for `envcrypt CMD`. */
function zshBlock(script: string, cmd: string): string {
  const m = new RegExp(`^    ${cmd}\\)\\n([\\s\\S]*?)\\n      ;;$`, 'm').exec(script);
  return m ? m[1]! : '';
}

/** Every option of every command as yargs itself defines it (builder plus what main.ts adds), spelled as typed. */
async function definedOptions(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const c of await commandsFor([])) {
    const name = commandName(c);
    // getOptions() is yargs's own record of what was defined (missing from its type declarations).
    const built = withCommandGlobals(name, c.builder(yargs([]))) as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; boolean: string[]; default: Record<string, unknown>; hiddenOptions: string[] } };
    const opts = built.getOptions();
    const words: string[] = [];
    const positionals = [...c.command.matchAll(/[<[]([\w-]+)(?:\.\.)?[>\]]/g)].map((m) => m[1]);
    for (const k of Object.keys(opts.key)) {
      if (k === 'help' || k === 'version' || opts.hiddenOptions.includes(k) || positionals.includes(k)) continue;
      for (const n of [k, ...(opts.alias[k] ?? [])]) words.push(n.length === 1 ? `-${n}` : `--${n}`);
      if (opts.boolean.includes(k) && opts.default[k] === true) words.push(`--no-${k}`);
    }
    out.set(name, words);
  }
  return out;
}

describe('completionScript', () => {
  it('offers every option of every command, as yargs defines them, in bash and in zsh', async () => {
    const bash = await completionScript('bash');
    const zsh = await completionScript('zsh');
    const defined = await definedOptions();
    expect(defined.size).toBeGreaterThan(10);
    let n = 0;
    for (const [cmd, words] of defined) {
      expect(bashOpts(bash, cmd), `bash ${cmd}`).toContain('--help');
      for (const w of words) {
        expect(bashOpts(bash, cmd), `bash ${cmd} ${w}`).toContain(w);
        expect(zshBlock(zsh, cmd), `zsh ${cmd} ${w}`).toMatch(new RegExp(`['\\s)]${w}\\[`));
        n++;
      }
    }
    expect(n).toBeGreaterThan(50);
    // The ones the hand-kept table had lost.
    expect(bashOpts(bash, 'encrypt')).toContain('--follow-symlinks');
    expect(bashOpts(bash, 'git')).toContain('--allow-selector-change');
    expect(bashOpts(bash, 'status')).not.toContain('--follow-symlinks');
  });

  it('offers every exec option from exec\'s own help, and each is one exec accepts', async () => {
    const bash = await completionScript('bash');
    const zsh = await completionScript('zsh');
    const words = bashOpts(bash, 'exec');
    for (const w of ['--redact', '--keep-identity', '--optional-file', '--pristine', '--keep', '-f', '--file', '--flatten-case']) {
      expect(words, w).toContain(w);
      expect(zshBlock(zsh, 'exec'), w).toContain(`${w}[`);
    }
    for (const w of EXEC_HELP.match(/--[a-z-]+/g)!) expect(words, w).toContain(w);
    for (const w of words) {
      const takesValue = [`${w} x --`, `${w} upper --`, `${w} --`].some((form) => {
        try {
          parseExecArgs([...form.split(' '), 'true']);
          return true;
        } catch {
          return false;
        }
      });
      expect(takesValue, w).toBe(true);
    }
  });

  it('names every subcommand in both scripts', async () => {
    for (const shell of ['bash', 'zsh'] as const) {
      const s = await completionScript(shell);
      for (const c of 'encrypt decrypt exec edit set unset get recipients rotate init keygen git check status export completion'.split(' ')) expect(s, `${shell} ${c}`).toContain(c);
    }
    expect(await completionScript('bash')).toContain('complete -o filenames -o bashdefault -F _envcrypt envcrypt');
    expect(await completionScript('zsh')).toContain('compdef _envcrypt envcrypt');
  });

  it('picks the shell from $SHELL, bash when unset, and refuses one it has no script for', () => {
    expect(defaultShell({ SHELL: '/bin/zsh' })).toBe('zsh');
    expect(defaultShell({ SHELL: '/bin/bash' })).toBe('bash');
    expect(defaultShell({})).toBe('bash');
    expect(() => defaultShell({ SHELL: '/usr/bin/fish' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('envcrypt completion (CLI)', () => {
  it('bash: completes a subcommand from its prefix', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source <(envcrypt completion bash); COMP_WORDS=(envcrypt de); COMP_CWORD=1; _envcrypt; echo "${COMPREPLY[@]}"'], {
      cwd: work.dir,
      encoding: 'utf8',
      env: { ...cleanEnv(), PATH: `${binDir}:${process.env.PATH}` },
    });
    expect(r.stdout).toBe('decrypt\n');
    expect(complete(['envcrypt', 'e']).sort()).toEqual(['edit', 'encrypt', 'exec', 'exec-file', 'export']);
    expect(complete(['envcrypt', ''])).toContain('status');
  });

  it('bash: completes the flags of the command being typed', () => {
    expect(complete(['envcrypt', 'check', '--st'])).toEqual(['--staged']);
    expect(complete(['envcrypt', 'decrypt', 'x', '--ig'])).toEqual(['--ignore-mac']);
    expect(complete(['envcrypt', 'status', '--'])).toEqual(expect.arrayContaining(['--json', '--no-mac', '--config', '--identity', '--help']));
    expect(complete(['envcrypt', 'status', '--st'])).toEqual([]);
  });

  it('bash: completes fixed values, actions and file names', () => {
    expect(complete(['envcrypt', 'decrypt', 'x', '--output-type', ''])).toEqual(['dotenv', 'yaml', 'json', 'ini', 'binary']);
    expect(complete(['envcrypt', 'recipients', 'a'])).toEqual(['add']);
    expect(complete(['envcrypt', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(complete(['envcrypt', 'decrypt', 'files/a'])).toEqual(['files/app.env.enc']);
    expect(complete(['envcrypt', 'check', '-i', 'files/o'])).toEqual(['files/other.yaml']);
    expect(complete(['envcrypt', 'encrypt', 'x', '-r', ''])).toEqual([]);
    expect(complete(['envcrypt', 'keygen', 'files/'])).toEqual([]);
  });

  it('bash: after "exec ... --" completes a command name', () => {
    expect(complete(['envcrypt', 'exec', '-f', 'x', '--', 'envcryp'])).toContain('envcrypt');
  });

  it.skipIf(!hasZsh)(`zsh: the script parses (zsh -n)${ZSH_SKIP}`, () => {
    const file = join(work.dir, '_envcrypt');
    writeFileSync(file, run(['completion', 'zsh']).stdout);
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasZsh || !LONG)(`zsh: completes subcommands, flags and actions through compdef${ZSH_SKIP}${LONG ? '' : ' (test:long only)'}`, () => {
    expect(zshComplete('envcrypt de', 'envcrypt decrypt ')).toContain('envcrypt decrypt ');
    expect(zshComplete('envcrypt check --st', 'envcrypt check --staged ')).toContain('envcrypt check --staged ');
    expect(zshComplete('envcrypt recipients a', 'envcrypt recipients add ')).toContain('envcrypt recipients add ');
    expect(zshComplete('envcrypt decrypt files/a', 'files/app.env.enc')).toContain('envcrypt decrypt files/app.env.enc');
  });

  it('bash: the script has no syntax errors (bash -n)', () => {
    const file = join(work.dir, 'envcrypt.bash');
    writeFileSync(file, run(['completion', 'bash']).stdout);
    const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('defaults to the shell in $SHELL and refuses unknown shells with a usage error', () => {
    expect(run(['completion'], cleanEnv({ SHELL: '/bin/zsh' })).stdout).toMatch(/^#compdef envcrypt\n/);
    expect(run(['completion'], cleanEnv({ SHELL: '/bin/bash' })).stdout).toMatch(/^# bash completion for envcrypt\n/);
    const fish = run(['completion', 'fish']);
    expect(fish.code).toBe(2);
    expect(fish.stderr).toContain('envcrypt: error: no completion script for "fish"');
    expect(fish.stdout).toBe('');
    // A fish user who names no shell gets the same error, not the bash script.
    const fromShell = run(['completion'], cleanEnv({ SHELL: '/usr/bin/fish' }));
    expect(fromShell.code).toBe(2);
    expect(fromShell.stderr).toContain('envcrypt: error: no completion script for "fish" ($SHELL is /usr/bin/fish)');
    expect(fromShell.stderr).toContain('envcrypt: hint: envcrypt completes in bash and zsh');
    expect(fromShell.stdout).toBe('');
  });
});
