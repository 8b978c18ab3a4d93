import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, startCli, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-exec-51e0a7';
const PRINT_ENV = join(ROOT, 'test/fixtures/bin/print-env.js');
const EXIT_WITH = join(ROOT, 'test/fixtures/bin/exit-with.js');
const PRINT_ARGS = join(ROOT, 'test/fixtures/bin/print-args.js');
const PRINT_SECRET = join(ROOT, 'test/fixtures/bin/print-secret.js');

let t: ReturnType<typeof tempDir>;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  t = tempDir();
  const key = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
  put(t.dir, 'base.env', `A=from-base\nB=from-base\nSECRET=${CANARY}\n`);
  put(t.dir, 'local.env', `B=from-local\nC=from-local\n`);
  put(t.dir, 'config.yaml', 'db:\n    host: db.internal\n    port: 5432\nhosts:\n    - a\n    - b\nflag: true\n');
  put(t.dir, 'clash.yaml', 'db:\n    host: x\nDB_HOST: y\n');
  put(t.dir, 'proto.env', '__proto__=proto-secret-value\nA=from-proto\n');
  for (const [src, out] of [['base.env', 'base.env.enc'], ['local.env', 'local.env.enc'], ['config.yaml', 'config.enc.yaml'], ['clash.yaml', 'clash.enc.yaml'], ['proto.env', 'proto.env.enc']]) {
    const r = runCli(['encrypt', src!, '-r', key.recipient, '-o', out!], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
afterAll(() => t.cleanup());

const printEnv = (...vars: string[]) => ['--', process.execPath, PRINT_ENV, ...vars];
const json = (s: string) => JSON.parse(s) as Record<string, string | null>;

describe('envcrypt exec', () => {
  it('passes the values to the child and prints nothing itself', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', ...printEnv('A', 'SECRET')], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual({ A: 'from-base', SECRET: CANARY });
    expect(r.stderr).toBe('');
  });

  it('layers several files in order, the later winning', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '-f', 'local.env.enc', ...printEnv('A', 'B', 'C')], { cwd: t.dir, env });
    expect(json(r.stdout)).toEqual({ A: 'from-base', B: 'from-local', C: 'from-local' });
  });

  it('keeps variables already set unless --override', () => {
    const e = { ...env, A: 'from-env' };
    expect(json(runCli(['exec', '-f', 'base.env.enc', ...printEnv('A')], { cwd: t.dir, env: e }).stdout).A).toBe('from-env');
    expect(json(runCli(['exec', '-f', 'base.env.enc', '--override', ...printEnv('A')], { cwd: t.dir, env: e }).stdout).A).toBe('from-base');
  });

  it('--pristine starts from an empty environment plus --keep', () => {
    const e = { ...env, KEEPME: 'k', DROPME: 'd' };
    const r = runCli(['exec', '-f', 'base.env.enc', '--pristine', '--keep', 'KEEPME', '--keep', 'PATH', ...printEnv('A', 'KEEPME', 'DROPME', 'HOME')], { cwd: t.dir, env: e });
    expect(json(r.stdout)).toEqual({ A: 'from-base', KEEPME: 'k', DROPME: null, HOME: null });
  });

  it('flattens nested YAML values into names', () => {
    const r = runCli(['exec', '-f', 'config.enc.yaml', ...printEnv('DB_HOST', 'DB_PORT', 'HOSTS_0', 'HOSTS_1', 'flag')], { cwd: t.dir, env });
    expect(r.stderr).toBe('');
    expect(json(r.stdout)).toEqual({ DB_HOST: 'db.internal', DB_PORT: '5432', HOSTS_0: 'a', HOSTS_1: 'b', flag: 'true' });
  });

  it('reports a flattening collision and does not start the command', () => {
    const r = runCli(['exec', '-f', 'clash.enc.yaml', ...printEnv('DB_HOST')], { cwd: t.dir, env });
    expect(r.code).toBe(10);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('DB_HOST');
  });

  it.each([0, 1, 7, 255])('passes exit code %i through', (code) => {
    expect(runCli(['exec', '-f', 'base.env.enc', '--', process.execPath, EXIT_WITH, String(code)], { cwd: t.dir, env }).code).toBe(code);
  });

  it('passes arguments verbatim, with no shell interpretation', () => {
    const args = ['a b', '"quoted"', "it's", '$HOME', '; rm -rf /', '*', '|', '`id`'];
    const r = runCli(['exec', '-f', 'base.env.enc', '--', process.execPath, PRINT_ARGS, ...args], { cwd: t.dir, env });
    expect(JSON.parse(r.stdout)).toEqual(args);
  });

  it('--shell is an explicit opt-in that does interpret', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--shell', '--', 'printf %s "$A"'], { cwd: t.dir, env });
    expect(r.stdout).toBe('from-base');
  });

  it('pipes stdin through', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--', 'cat'], { cwd: t.dir, env, input: 'piped input\n' });
    expect(r.stdout).toBe('piped input\n');
  });

  it('--verbose names the variables it set, never their values', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--verbose', '--', 'true'], { cwd: t.dir, env: { ...env, A: 'preset' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('set SECRET from base.env.enc');
    expect(r.stderr).toContain('kept A');
    expect(r.stderr).not.toContain(CANARY);
    expect(r.stderr).not.toContain('from-base');
  });

  it('a failure before spawning does not start the command and uses envcrypt\'s code', () => {
    const marker = join(t.dir, 'started');
    const noKey = runCli(['exec', '-f', 'base.env.enc', '--', 'touch', marker], { cwd: t.dir, env: cleanEnv() });
    expect(noKey.code).toBe(4);
    const text = readFileSync(join(t.dir, 'base.env.enc'), 'utf8');
    put(t.dir, 'tampered.env.enc', text.replace(/^A=ENC\[AES256_GCM,data:(.)/m, (_m: string, c: string) => `A=ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`));
    const mac = runCli(['exec', '-f', 'tampered.env.enc', '--', 'touch', marker], { cwd: t.dir, env });
    expect(mac.code).toBe(3);
    expect(mac.stderr).not.toContain(CANARY);
    const missing = runCli(['exec', '-f', 'nope.env.enc', '--', 'touch', marker], { cwd: t.dir, env });
    expect(missing.code).toBe(6);
    expect(existsSync(marker)).toBe(false);
  });

  it('an --optional-file may be missing', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--optional-file', 'nope.env.enc', ...printEnv('A')], { cwd: t.dir, env });
    expect(r.code).toBe(0);
  });

  it('a missing command exits 127, a non-executable one 126', () => {
    const nf = runCli(['exec', '-f', 'base.env.enc', '--', 'no-such-command-xyz'], { cwd: t.dir, env });
    expect(nf.code).toBe(127);
    expect(nf.stderr).toMatch(/^envcrypt: error: .*not found/m);
    const file = join(t.dir, 'not-exec.sh');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    expect(runCli(['exec', '-f', 'base.env.enc', '--', file], { cwd: t.dir, env }).code).toBe(126);
  });

  it('no command is a usage error', () => {
    const r = runCli(['exec', '-f', 'base.env.enc'], { cwd: t.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a command');
  });

  it('the child\'s argv never holds a secret value', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--', 'sh', '-c', 'cat /proc/$$/cmdline | tr "\\0" " "'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(CANARY);
  });

  it('a child killed by SIGKILL is reported as a signal death or 137', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/envcrypt.js'), 'exec', '-f', 'base.env.enc', '--', 'sh', '-c', 'kill -KILL $$'], { cwd: t.dir, env });
    expect(r.signal === 'SIGKILL' || r.status === 137).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('forwards %s and waits for the child\'s 500 ms async shutdown', async (sig) => {
    const child = startCli(['exec', '-f', 'base.env.enc', '--', process.execPath, join(ROOT, 'test/fixtures/bin/print-signal.js'), '3'], { cwd: t.dir, env });
    let out = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    }));
    child.kill(sig);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).toContain(`got ${sig}`);
    expect(out).toContain('cleanup done');
    expect(code).toBe(3);
  });
});

describe('envcrypt exec --redact', () => {
  it('masks a value the child writes in two delayed pieces, on stdout and stderr, and keeps the exit code', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--redact', '--', process.execPath, PRINT_SECRET, 'SECRET', '3'], { cwd: t.dir, env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('before:[REDACTED:SECRET]:after\n');
    expect(r.stderr).toBe('before:[REDACTED:SECRET]:after\n');
  });

  it('without --redact the same output carries the value (the control)', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--', process.execPath, PRINT_SECRET, 'SECRET'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`before:${CANARY}:after\n`);
  });

  it('leaves other output intact, in order, and passes the exit code through', () => {
    const script = 'printf "public %s line\\n" "$SECRET"; echo plain-output; echo "err $SECRET" >&2; exit 4';
    const r = runCli(['exec', '-f', 'base.env.enc', '--redact', '--shell', '--', script], { cwd: t.dir, env });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('public [REDACTED:SECRET] line\nplain-output\n');
    expect(r.stderr).toBe('err [REDACTED:SECRET]\n');
  });

  it('masks flattened values under their variable names', () => {
    const r = runCli(['exec', '-f', 'config.enc.yaml', '--redact', ...printEnv('DB_HOST', 'DB_PORT', 'OTHER')], { cwd: t.dir, env: { ...env, OTHER: 'not-a-secret' } });
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual({ DB_HOST: '[REDACTED:DB_HOST]', DB_PORT: '[REDACTED:DB_PORT]', OTHER: 'not-a-secret' });
  });

  it('still pipes stdin through', () => {
    const r = runCli(['exec', '-f', 'base.env.enc', '--redact', '--', 'cat'], { cwd: t.dir, env, input: `in ${CANARY} put\n` });
    expect(r.stdout).toBe('in [REDACTED:SECRET] put\n');
  });

  it('reports a child killed by a signal as a signal death or 128+N', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/envcrypt.js'), 'exec', '-f', 'base.env.enc', '--redact', '--', 'sh', '-c', 'kill -KILL $$'], { cwd: t.dir, env });
    expect(r.signal === 'SIGKILL' || r.status === 137).toBe(true);
  });

  it('is described in exec --help', () => {
    const r = runCli(['exec', '--help'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--redact +replace decrypted values/);
  });
});

describe('envcrypt exec and names of Object.prototype properties', () => {
  const childEnv = ['-e', 'process.stdout.write(JSON.stringify(Object.entries(process.env).filter(([k]) => ["__proto__", "A", "toString"].includes(k))))'];

  it('passes a key named __proto__ to the child as a variable', () => {
    const r = runCli(['exec', '-f', 'proto.env.enc', '--', process.execPath, ...childEnv], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([['__proto__', 'proto-secret-value'], ['A', 'from-proto']]);
  });

  it('--redact masks the value of __proto__', () => {
    const r = runCli(['exec', '-f', 'proto.env.enc', '--redact', '--shell', '--', 'env | grep "^__proto__="'], { cwd: t.dir, env });
    expect(r.stdout).toBe('__proto__=[REDACTED:__proto__]\n');
  });

  it('--pristine --keep does not pick up a prototype property such as toString', () => {
    const r = runCli(['exec', '-f', 'proto.env.enc', '--pristine', '--keep', 'toString', '--keep', 'constructor', '--', process.execPath, ...childEnv], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([['__proto__', 'proto-secret-value'], ['A', 'from-proto']]);
  });
});
