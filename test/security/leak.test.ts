// A canary secret pushed through every failure path of the CLI must never
// reach stdout, stderr, a temp file or a child's argv.
import { readdirSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageKeygen, cleanEnv, put, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';

const CANARY = 'CANARY-leak-93c2f1d8';
let t: ReturnType<typeof tempDir>;
let tmp: string;
let env: NodeJS.ProcessEnv;
let wrongEnv: NodeJS.ProcessEnv;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(() => {
  t = tempDir();
  tmp = join(t.dir, 'tmp');
  mkdirSync(tmp);
  const key = ageKeygen(t.dir, 'key.txt');
  const wrong = ageKeygen(t.dir, 'wrong.txt');
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, TMPDIR: tmp });
  wrongEnv = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: wrong.file, TMPDIR: tmp });
  put(t.dir, 'app.env', `TOKEN=${CANARY}\nOTHER=x\n`);
  put(t.dir, 'app.yaml', `db:\n    password: ${CANARY}\n`);
  for (const [a, b] of [['app.env', 'app.env.enc'], ['app.yaml', 'app.enc.yaml']]) {
    const r = runCli(['encrypt', a!, '-r', key.recipient, '-o', b!], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const text = readFileSync(join(t.dir, 'app.env.enc'), 'utf8');
  put(t.dir, 'badmac.env.enc', text.replace(/^OTHER=ENC\[AES256_GCM,data:(.)/m, (_m, c: string) => `OTHER=ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`));
  put(t.dir, 'plainleak.env.enc', text.replace(/^OTHER=.*$/m, `OTHER=${CANARY}`));
  put(t.dir, 'broken.env', `A=1\nB="${CANARY}\n`);
  put(t.dir, 'broken.yaml', `a: [${CANARY}\n`);
  put(t.dir, 'broken.json', `{"a": "${CANARY}",}`);
  put(t.dir, 'badline.env.enc', `${CANARY}\n${text}`);
  // Two sides changing TOKEN differently, for the merge driver.
  for (const [side, value] of [['ours', `${CANARY}-ours`], ['theirs', `${CANARY}-theirs`]]) {
    put(t.dir, `${side}.env`, `TOKEN=${value}\nOTHER=x\n`);
    const r = runCli(['encrypt', `${side}.env`, '-r', key.recipient, '-o', `${side}.env.enc`], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
afterAll(() => t.cleanup());

function clean(r: CliResult, what: string): void {
  expect(r.stdout, `${what}: stdout`).not.toContain(CANARY);
  expect(r.stderr, `${what}: stderr`).not.toContain(CANARY);
  for (const f of filesUnder(tmp)) expect(readFileSync(f, 'utf8'), `${what}: temp file ${f}`).not.toContain(CANARY);
}

describe('canary never leaks', () => {
  const cases: [string, string[], () => NodeJS.ProcessEnv][] = [
    ['MAC failure', ['decrypt', 'badmac.env.enc'], () => env],
    ['a plaintext value where ciphertext belongs', ['decrypt', 'plainleak.env.enc'], () => env],
    ['wrong key', ['decrypt', 'app.env.enc'], () => wrongEnv],
    ['wrong key (YAML)', ['decrypt', 'app.enc.yaml'], () => wrongEnv],
    ['parse error in dotenv with the canary', ['encrypt', 'broken.env', '-r', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'], () => env],
    ['parse error in YAML with the canary', ['encrypt', 'broken.yaml', '-r', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'], () => env],
    ['parse error in JSON with the canary', ['encrypt', 'broken.json', '-r', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'], () => env],
    ['a sops-dialect line without = holding the canary', ['decrypt', 'badline.env.enc'], () => env],
    ['a malformed recipient holding the canary', ['encrypt', 'app.env', '-r', `age1${CANARY}`], () => env],
    ['exec of a missing command', ['exec', '-f', 'app.env.enc', '--', 'no-such-command-xyz'], () => env],
    ['exec with a failing command', ['exec', '-f', 'app.env.enc', '--', 'false'], () => env],
    ['exec --verbose', ['exec', '-f', 'app.env.enc', '--verbose', '--', 'true'], () => env],
    ['exec with a MAC failure', ['exec', '-f', 'badmac.env.enc', '--', 'true'], () => env],
    ['exec --pristine with an unknown --keep', ['exec', '-f', 'app.env.enc', '--pristine', '--keep', 'NOPE', '--', 'true'], () => env],
    ['an identity command that prints the canary', ['decrypt', 'app.env.enc'], () => cleanEnv({ ENVCRYPT_AGE_KEY_CMD: `echo ${CANARY}`, TMPDIR: tmp })],
    ['status --json', ['status', 'app.env.enc', '--json'], () => env],
    ['status --json of a file with a bad MAC', ['status', 'badmac.env.enc', '--json'], () => env],
    ['recipients list --json', ['recipients', 'list', 'app.env.enc', '--json'], () => env],
    ['check --json on a leaking file', ['check', 'plainleak.env.enc', 'badmac.env.enc', '--json'], () => env],
    ['export with a bad MAC', ['export', 'badmac.env.enc', '--format', 'json'], () => env],
    ['merge driver without a key', ['git', 'merge-driver', 'app.env.enc', 'ours.env.enc', 'theirs.env.enc', 'app.env.enc'], () => wrongEnv],
    ['merge driver with a conflict on the canary key', ['git', 'merge-driver', 'app.env.enc', 'ours.env.enc', 'theirs.env.enc', 'app.env.enc'], () => env],
  ];
  for (const [name, args, e] of cases) {
    it(name, () => {
      const r = runCli(args, { cwd: t.dir, env: e() });
      clean(r, name);
    });
  }

  it('the child\'s argv never holds a value (exec)', () => {
    const r = runCli(['exec', '-f', 'app.env.enc', '--', 'sh', '-c', 'tr "\\0" " " < /proc/$$/cmdline; tr "\\0" " " < /proc/$PPID/cmdline'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('envcrypt.js exec');
    expect(r.stdout).not.toContain(CANARY);
  });
});
