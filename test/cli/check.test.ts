import { spawnSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { throwawayAgeKey } from '../helpers/key-text.js';
import { git } from '../helpers/git.js';
import { ageKeygen, cleanEnv, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';
import { writeTree } from '../helpers/tree.js';
import { BIN } from '../helpers/paths.js';

const CANARY = 'CANARY-check-cli-e04f2a';
// Built at run time so that this file holds no key-shaped text.
const AGE_KEY = throwawayAgeKey();

let work: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };

const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): CliResult => runCli(args, { cwd, env });

const cleanups: Array<() => void> = [];

function repo(files: Record<string, string>, init = true): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = realpathSync(t.dir);
  if (init) git(dir, 'init', '-q');
  writeTree(dir, files);
  return dir;
}

beforeAll(() => {
  work = tempDir();
  key = ageKeygen(work.dir);
});
afterAll(() => {
  for (const c of cleanups) c();
  work.cleanup();
});

describe('envcrypt check (CLI)', () => {
  it('--staged on a plaintext .env a rule covers: one hint, and following it passes', () => {
    const rule = String.raw`(^|/)\.env(\.[^/]*)?$`;
    const dir = repo({ '.sops.yaml': `creation_rules:\n  - path_regex: '${rule}'\n    age: ${key.recipient}\n`, '.gitignore': '.env\n', '.env': `TOKEN=${CANARY}\n` });
    git(dir, 'add', '-f', '.env');
    const r = run(['check', '--staged'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('.env: error: plaintext .env file is staged for commit [plaintext-env]');
    const hints = r.stderr.split('\n').filter((l) => l.startsWith('envcrypt: hint:'));
    expect(hints).toEqual([
      'envcrypt: hint: .env: unstage it ("git rm --cached -- .env"; the file stays on disk), make sure .gitignore lists it, and commit its encrypted copy instead ("envcrypt encrypt .env -o .env.enc", then "git add .env.enc")',
    ]);
    expect(r.stderr).not.toContain('--in-place');
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    // Following the hint leads to a commit the guard lets through.
    git(dir, 'rm', '-q', '--cached', '--', '.env');
    const enc = run(['encrypt', '.env', '-o', '.env.enc'], dir);
    expect(enc.code, enc.stderr).toBe(0);
    git(dir, 'add', '.env.enc', '.sops.yaml', '.gitignore');
    const after = run(['check', '--staged'], dir);
    expect([after.code, after.stdout], after.stderr).toEqual([0, '']);
  });

  it('passes a clean repository with one summary line, and says nothing with --quiet', () => {
    const dir = repo({ 'README.md': '# hi\n', '.env.example': 'TOKEN=\n' });
    const r = run(['check'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('envcrypt: checked 2 files: no plaintext secrets found\n');
    const q = run(['check', '--quiet'], dir);
    expect([q.code, q.stdout, q.stderr]).toEqual([0, '', '']);
  });

  it('lists findings as FILE[:LINE]: severity: message [rule] and exits 1', () => {
    const dir = repo({ '.env': 'A=1\n', 'keys/k.txt': `\n${AGE_KEY}\n` });
    git(dir, 'add', '.env');
    const r = run(['check'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(['.env: error: plaintext .env file is tracked by git [plaintext-env]', 'keys/k.txt:2: error: looks like an age secret key [age-secret-key]', ''].join('\n'));
    expect(r.stderr).toContain('envcrypt: hint: .env: unstage it ("git rm --cached -- .env"; the file stays on disk), make sure .gitignore lists it, and commit its encrypted copy instead ("envcrypt encrypt .env -o .env.enc", then "git add .env.enc"); if it was ever committed, it stays in git history: rotate what it held\n');
    expect(r.stderr).toMatch(/envcrypt: error: 2 problems in 2 files \(2 files checked\)\n$/);
  });

  it('--json prints { ok, findings, checked } and keeps the exit status', () => {
    const dir = repo({ 'keys/k.txt': `${AGE_KEY}\n`, 'ok.txt': 'fine\n' });
    const r = run(['check', '--json'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      findings: [{ file: 'keys/k.txt', line: 1, rule: 'age-secret-key', severity: 'error', message: 'looks like an age secret key' }],
      checked: 2,
    });
    const clean = run(['check', '--json', 'ok.txt'], dir);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual({ ok: true, findings: [], checked: 1 });
  });

  it('never prints a secret: canaries in a plaintext .env and in a leaked value of an encrypted file', async () => {
    const enc = await encryptText('A=1\nTOKEN=placeholder\n', 'x.env', { recipients: [key.recipient] });
    const dir = repo({
      '.sops.yaml': `creation_rules:\n  - path_regex: \\.enc\\.env$\n    age: ${key.recipient}\n`,
      '.env': `TOKEN=${CANARY}\n# ${CANARY}\n`,
      'app.enc.env': enc.replace(/^TOKEN=.*$/m, `TOKEN=${CANARY}`),
      'other.enc.env': `TOKEN=${CANARY}\n`,
      'conflict.enc.env': `<<<<<<< HEAD ${CANARY}\n${enc}`,
      'k.txt': `${AGE_KEY}\n`,
    });
    git(dir, 'add', '.');
    const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
    for (const args of [['check'], ['check', '--json'], ['check', '--verbose'], ['check', '--staged'], ['check', '--staged', '--json'], ['check', '.env', 'app.enc.env']]) {
      const r = run(args, dir, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain(CANARY);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain(AGE_KEY.slice(16));
    }
    const json = JSON.parse(run(['check', '--json'], dir, env).stdout) as { findings: Array<{ file: string; rule: string }> };
    expect(json.findings.map((f) => `${f.file} ${f.rule}`)).toEqual([
      '.env plaintext-env',
      'app.enc.env plaintext-value',
      'conflict.enc.env parse',
      'k.txt age-secret-key',
      'other.enc.env not-encrypted',
    ]);
  });

  it('checks the MAC with -i, skips it with --no-mac, and explains a skip with --verbose', async () => {
    const enc = await encryptText('A=1\nB=2\n', 'x.env', { recipients: [key.recipient] });
    const lines = enc.split('\n');
    const dir = repo({ 'swapped.env.enc': [`A=${lines[1]!.slice(2)}`, `B=${lines[0]!.slice(2)}`, ...lines.slice(2)].join('\n') });
    const withKey = run(['check', '-i', key.file], dir);
    expect(withKey.code).toBe(1);
    expect(withKey.stdout).toBe('swapped.env.enc: error: could not authenticate the value at "A" [mac]\n');
    expect(run(['check', '-i', key.file, '--no-mac'], dir).code).toBe(0);
    const noKey = run(['check', '--verbose'], dir);
    expect(noKey.code).toBe(0);
    expect(noKey.stderr).toContain('envcrypt: swapped.env.enc: MAC not checked (no key for it)\n');
  });

  it('--staged works as a pre-commit hook: staged content only, exit 1 blocks the commit', () => {
    const dir = repo({ 'a.txt': `${AGE_KEY}\n` });
    git(dir, 'add', 'a.txt');
    writeFileSync(join(dir, 'a.txt'), 'cleaned in the working tree only\n');
    expect(run(['check', '--staged'], dir).code).toBe(1);
    writeFileSync(join(dir, '.git/hooks/pre-commit'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" check --staged --quiet\n`, { mode: 0o755 });
    const commit = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'x'], { cwd: dir, encoding: 'utf8', env: cleanEnv() });
    expect(commit.status).not.toBe(0);
    // git sends a hook's stdout to its own stderr.
    expect(commit.stdout + commit.stderr).toContain('a.txt:1: error: looks like an age secret key');
    git(dir, 'add', 'a.txt');
    const ok = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'x'], { cwd: dir, encoding: 'utf8', env: cleanEnv() });
    expect(ok.status).toBe(0);
    expect(ok.stdout + ok.stderr).toBe('');
  });

  it('--exclude leaves files out', () => {
    const dir = repo({ 'test/fixtures/k.txt': `${AGE_KEY}\n` });
    expect(run(['check'], dir).code).toBe(1);
    expect(run(['check', '--exclude', 'test/fixtures/**'], dir).code).toBe(0);
  });

  it('is a usage error outside git with --staged, and not-found for a missing path', () => {
    const dir = repo({ 'a.txt': 'x' }, false);
    const staged = run(['check', '--staged'], dir);
    expect(staged.code).toBe(2);
    expect(staged.stderr).toContain('envcrypt: error: --staged needs a git repository');
    const missing = run(['check', 'nope.txt'], dir);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain('no such file or directory: nope.txt');
  });

  it('checks a repository of 1,000 files', () => {
    const files: Record<string, string> = { '.sops.yaml': `creation_rules:\n  - path_regex: ^secrets/\n    age: ${key.recipient}\n` };
    for (let d = 0; d < 20; d++) for (let f = 0; f < 50; f++) files[`src/d${d}/f${f}.ts`] = `// file ${d}/${f}\nexport const v${f} = ${'"x".repeat(20)'};\n`;
    const dir = repo(files);
    git(dir, 'add', 'src/d0', 'src/d1', 'src/d2');
    const r = run(['check'], dir);
    expect(r.stderr).toBe('envcrypt: checked 1001 files: no plaintext secrets found\n');
    expect(r.code).toBe(0);
  });
});
