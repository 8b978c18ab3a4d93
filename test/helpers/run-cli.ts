import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './paths.js';

/** What a CLI run produced. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The suite's private temp root (test/helpers/global-setup.ts); unset outside vitest, where the CLI's default applies. */
const testTempRoot = (): Record<string, string> => (process.env.ENVCRYPT_TEST_TMPROOT ? { ENVCRYPT_TMPDIR: process.env.ENVCRYPT_TEST_TMPROOT } : {});

/** An environment with no key sources from the machine running the tests, and a private temp root. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config', LANG: 'C.UTF-8', ...testTempRoot() };
  return { ...env, ...extra };
}

/** Run the built CLI synchronously. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? cleanEnv(),
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Run the built CLI asynchronously (for signal tests). */
export function startCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'envcrypt-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Make a throwaway X25519 key with the real age-keygen; returns the key file and recipient. */
export function ageKeygen(dir: string, name = 'key.txt'): { file: string; recipient: string } {
  const file = join(dir, name);
  const r = spawnSync('age-keygen', ['-o', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`age-keygen failed: ${r.stderr}`);
  chmodSync(file, 0o600);
  const recipient = /age1[0-9a-z]+/.exec(r.stderr)![0];
  return { file, recipient };
}

/** Write a file and return its path. */
export function put(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A temp directory with a throwaway age key, and an environment that finds only that key. */
export function keyedTempDir(): { t: ReturnType<typeof tempDir>; key: { file: string; recipient: string }; env: NodeJS.ProcessEnv } {
  const t = tempDir();
  const key = ageKeygen(t.dir);
  return { t, key, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file }) };
}
