// Permission and symlink promises of SECURITY.md, through the built CLI.
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let repo: string;
let outside: string;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  t = tempDir();
  repo = join(t.dir, 'repo');
  outside = join(t.dir, 'outside');
  mkdirSync(join(repo, '.git'), { recursive: true });
  mkdirSync(outside);
  key = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
  put(repo, 'app.env', 'A=1\n');
  expect(runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: repo, env }).code).toBe(0);
});
afterAll(() => t.cleanup());

describe('permissions and symlinks', () => {
  it('keeps the mode of an existing encrypted file on rewrite', () => {
    chmodSync(join(repo, 'app.env.enc'), 0o640);
    put(repo, 'app.env', 'A=2\n');
    expect(runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: repo, env }).code).toBe(0);
    expect(statSync(join(repo, 'app.env.enc')).mode & 0o777).toBe(0o640);
  });

  it('writes plaintext outputs with mode 0600 even over an existing file (--force)', () => {
    writeFileSync(join(repo, 'out.env'), 'old');
    chmodSync(join(repo, 'out.env'), 0o644);
    expect(runCli(['decrypt', 'app.env.enc', '-o', 'out.env', '--force'], { cwd: repo, env }).code).toBe(0);
    expect(statSync(join(repo, 'out.env')).mode & 0o777).toBe(0o600);
  });

  it('warns when an identity file is readable by group or others', () => {
    chmodSync(key.file, 0o644);
    const r = runCli(['decrypt', 'app.env.enc'], { cwd: repo, env });
    chmodSync(key.file, 0o600);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^envcrypt: warning: identity file .* readable by group or others/m);
    expect(runCli(['decrypt', 'app.env.enc'], { cwd: repo, env }).stderr).toBe('');
  });

  it('refuses to write through a symlink that leads out of the repository', () => {
    symlinkSync(join(outside, 'leak.env'), join(repo, 'link.env'));
    const r = runCli(['decrypt', 'app.env.enc', '-o', 'link.env', '--force'], { cwd: repo, env });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('--follow-symlinks');
    expect(existsSync(join(outside, 'leak.env'))).toBe(false);
  });

  it('--follow-symlinks writes to the link target and keeps the link', () => {
    const r = runCli(['decrypt', 'app.env.enc', '-o', 'link.env', '--force', '--follow-symlinks'], { cwd: repo, env });
    expect(r.code).toBe(0);
    expect(lstatSync(join(repo, 'link.env')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(outside, 'leak.env'), 'utf8')).toBe('A=2\n');
    expect(statSync(join(outside, 'leak.env')).mode & 0o777).toBe(0o600);
  });

  it('follows a symlink that stays inside the repository, keeping the link', () => {
    mkdirSync(join(repo, 'real'));
    symlinkSync(join(repo, 'real', 'app.env.enc'), join(repo, 'inner.env.enc'));
    expect(runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'inner.env.enc', '--force'], { cwd: repo, env }).code).toBe(0);
    expect(lstatSync(join(repo, 'inner.env.enc')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(repo, 'real', 'app.env.enc'), 'utf8')).toContain('sops_mac=');
  });
});
