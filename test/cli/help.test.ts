/**
 * Per-command help lists the command's own options: --version only on
 * `envcrypt --help`, --follow-symlinks only where a command writes files.
 */
import { describe, expect, it } from 'vitest';
import { WRITING_COMMANDS } from '../../src/cli/command.js';
import { runCli } from '../helpers/run-cli.js';

const COMMANDS = ['init', 'encrypt', 'decrypt', 'edit', 'set', 'unset', 'get', 'recipients', 'rotate', 'keygen', 'export', 'git', 'check', 'status', 'completion'];

describe('envcrypt CMD --help', () => {
  it.each(COMMANDS)('%s --help shows its own options, no --version, and --follow-symlinks only when it writes files', (cmd) => {
    const r = runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`envcrypt ${cmd}`);
    expect(r.stdout).toContain('--help');
    expect(r.stdout).not.toContain('--version');
    if (WRITING_COMMANDS.has(cmd)) expect(r.stdout).toContain('--follow-symlinks');
    else expect(r.stdout).not.toContain('--follow-symlinks');
  });

  it('the commands that read only do not take --follow-symlinks; the writing ones still do', () => {
    expect(WRITING_COMMANDS.has('status')).toBe(false);
    const r = runCli(['status', 'x.env.enc', '--follow-symlinks']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^envcrypt: error: unknown arguments?: follow-symlinks/);
    const w = runCli(['encrypt', 'missing.env', '--follow-symlinks']);
    expect(w.code).toBe(6);
  });

  it('envcrypt --help and --version still show and print the version', () => {
    const help = runCli(['--help']);
    expect(help.stdout).toContain('--version');
    expect(help.stdout).not.toContain('--follow-symlinks');
    expect(runCli(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
