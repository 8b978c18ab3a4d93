/**
 * git for tests that build a repository in a temp directory: the machine's
 * git configuration (global and system) and the GIT_* variables of whoever
 * runs the tests play no part.
 */
import { spawnSync } from 'node:child_process';
import { cleanEnv } from './run-cli.js';

/** Run `git ARGS…` in `cwd` as a test user; returns stdout, and throws with git's stderr when it fails. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({ GIT_CONFIG_NOSYSTEM: '1' }),
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
