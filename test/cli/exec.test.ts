import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, startCli, tempDir } from '../helpers/run-cli.js';
import { writeInjectionFixtures } from '../helpers/sops-like.js';

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

  it('from a subdirectory, a missing .env.enc is an error that points at the parent one and at -f, and runs nothing', () => {
    copyFileSync(join(t.dir, 'base.env.enc'), join(t.dir, '.env.enc'));
    const sub = join(t.dir, 'sub', 'deeper');
    mkdirSync(sub, { recursive: true });
    try {
      const r = runCli(['exec', '--', 'touch', 'ran'], { cwd: sub, env });
      expect(r.code).toBe(6);
      expect(r.stderr.split('\n')[0]).toMatch(/^envcrypt: error: no such file: \.env\.enc \(looked in .*deeper\)$/);
      expect(r.stderr).toContain('envcrypt: hint: ../../.env.enc exists in a parent directory');
      expect(r.stderr).toContain('-f PATH');
      expect(existsSync(join(sub, 'ran'))).toBe(false);
      // Named, it works from there.
      expect(runCli(['exec', '-f', '../../.env.enc', ...printEnv('A')], { cwd: sub, env }).stdout).toContain('from-base');
    } finally {
      rmSync(join(t.dir, '.env.enc'));
    }
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

// Values no MAC or integrity record authenticates (unencrypted and empty
// values of a file without an integrity record) and the key that opened the
// files: see src/api/load.ts and src/runtime/sensitive-names.ts.
describe('envcrypt exec and unauthenticated values', () => {
  let u: ReturnType<typeof tempDir>;
  let uenv: NodeJS.ProcessEnv;
  let keyText: string;
  let keyFile: string;
  const marker = (name: string) => join(u.dir, name);
  beforeAll(() => {
    u = tempDir();
    const key = ageKeygen(u.dir);
    keyFile = key.file;
    keyText = readFileSync(key.file, 'utf8');
    uenv = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
    put(u.dir, 'a.env', `SECRET=${CANARY}\nPORT_unencrypted=from-file\n`);
    put(u.dir, 'a.yaml', `SECRET: ${CANARY}\napp:\n    port_unencrypted: from-file\n`);
    put(u.dir, 'a.json', `{"SECRET": "${CANARY}", "app": {"port_unencrypted": "from-file"}}\n`);
    writeInjectionFixtures(u.dir, key.recipient, uenv);
    // Only shell built-ins: the tests run it with PATH=.
    put(u.dir, 'node', `#!/bin/sh\n: > ${JSON.stringify(join(u.dir, 'node-ran'))}\n`);
    chmodSync(join(u.dir, 'node'), 0o755);
  });
  afterAll(() => u.cleanup());

  const port = { 'a.env.enc': 'PORT_unencrypted', 'a.enc.yaml': 'APP_PORT_UNENCRYPTED', 'a.enc.json': 'APP_PORT_UNENCRYPTED' } as const;
  for (const file of ['a.env.enc', 'a.enc.yaml', 'a.enc.json'] as const) {
    it(`${file}: a NODE_OPTIONS added as an unencrypted value is refused (exit 3); neither evil.js nor the command runs`, () => {
      const r = runCli(['exec', '-f', `inject-${file}`, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker('app-ran'))}, '')`], { cwd: u.dir, env: uenv });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(`envcrypt: error: inject-${file}: NODE_OPTIONS is not authenticated (an unencrypted value in a file without an integrity record)`);
      expect(r.stderr).toMatch(/^envcrypt: hint: .*store it encrypted/m);
      expect(r.stderr).not.toContain('evil.js');
      expect(r.stderr).not.toContain(CANARY);
      expect(existsSync(marker('evil-ran'))).toBe(false);
      expect(existsSync(marker('app-ran'))).toBe(false);
    });

    it(`${file}: PATH= as an empty value is refused, even with --override, before anything starts`, () => {
      const r = runCli(['exec', '--override', '-f', `path-${file}`, '--', 'touch', marker('touched')], { cwd: u.dir, env: uenv });
      expect(r.code).toBe(3);
      expect(r.stderr.split('\n')[0]).toBe(`envcrypt: error: path-${file}: PATH is not authenticated (an empty value in a file without an integrity record)`);
      expect(existsSync(marker('touched'))).toBe(false);
    });

    it(`${file}: an unauthenticated value never replaces a variable already set, even with --override, and the warning names it and the file, never the value`, () => {
      const name = port[file];
      const e = { ...uenv, [name]: 'from-env', SECRET: 'from-env' };
      const r = runCli(['exec', '--override', '-f', `sops-${file}`, ...printEnv(name, 'SECRET')], { cwd: u.dir, env: e });
      expect(r.code).toBe(0);
      expect(json(r.stdout)).toEqual({ [name]: 'from-env', SECRET: CANARY });
      expect(r.stderr).toBe(`envcrypt: warning: sops-${file}: ${name} is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace the variable already set\n`);
      // When nothing is set, the value is used as before.
      const unset = runCli(['exec', '-f', `sops-${file}`, ...printEnv(name)], { cwd: u.dir, env: uenv });
      expect(json(unset.stdout)).toEqual({ [name]: 'from-file' });
      expect(unset.stderr).toBe('');
    });
  }

  it('a NODE_OPTIONS that envcrypt wrote unencrypted is set: the integrity record authenticates it (the control)', () => {
    put(u.dir, 'rec.env', 'NODE_OPTIONS=--max-old-space-size=100\n');
    const recipient = readFileSync(keyFile, 'utf8').match(/public key: (age1\S+)/)![1]!;
    const e = runCli(['encrypt', 'rec.env', '-r', recipient, '-o', 'rec.env.enc', '--unencrypted-regex', '^NODE_OPTIONS$'], { cwd: u.dir, env: uenv });
    expect(e.code, e.stderr).toBe(0);
    const r = runCli(['exec', '-f', 'rec.env.enc', ...printEnv('NODE_OPTIONS')], { cwd: u.dir, env: uenv });
    expect(r.stderr).toBe('');
    expect(json(r.stdout)).toEqual({ NODE_OPTIONS: '--max-old-space-size=100' });
  });

  it('--verbose says which values are not authenticated, and which were kept for that reason', () => {
    const r = runCli(['exec', '--verbose', '--override', '-f', 'sops-a.env.enc', '--', 'true'], { cwd: u.dir, env: { ...uenv, PORT_unencrypted: 'from-env' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('envcrypt: kept PORT_unencrypted from the environment (its value in sops-a.env.enc is not authenticated)\n');
    const s = runCli(['exec', '--verbose', '-f', 'sops-a.env.enc', '--', 'true'], { cwd: u.dir, env: uenv });
    expect(s.stderr).toContain('envcrypt: set PORT_unencrypted from sops-a.env.enc (not authenticated: unencrypted or empty)\n');
    expect(s.stderr).toContain('envcrypt: set SECRET from sops-a.env.enc\n');
    expect(s.stderr).not.toContain(CANARY);
    expect(s.stderr).not.toContain('from-file');
  });

  it('an empty or relative PATH entry never runs a ./node committed in the current directory; ./node as given does', () => {
    for (const PATH of ['.', ':', `:${dirname(process.execPath)}:/usr/bin:/bin`, './', 'x/..']) {
      const r = runCli(['exec', '-f', 'a.env.enc', '--', 'node', '-e', '0'], { cwd: u.dir, env: { ...uenv, PATH } });
      expect(existsSync(marker('node-ran')), `PATH=${PATH}`).toBe(false);
      if (!PATH.includes('/usr')) expect(r.code).toBe(127);
    }
    const given = runCli(['exec', '-f', 'a.env.enc', '--', './node'], { cwd: u.dir, env: { ...uenv, PATH: '.' } });
    expect(given.code).toBe(0);
    expect(existsSync(marker('node-ran'))).toBe(true);
  });

  const IDENTITY = ['ENVCRYPT_AGE_KEY', 'ENVCRYPT_AGE_KEY_FILE', 'ENVCRYPT_AGE_KEY_CMD', 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'SOPS_AGE_SSH_PRIVATE_KEY_FILE', 'SOPS_AGE_SSH_PRIVATE_KEY_CMD'];
  // ENVCRYPT_AGE_KEY opens the file first, so the commands and the other files are never used.
  const identityEnv = () => ({
    ...cleanEnv(),
    ENVCRYPT_AGE_KEY: keyText,
    ENVCRYPT_AGE_KEY_FILE: keyFile,
    ENVCRYPT_AGE_KEY_CMD: 'false',
    SOPS_AGE_KEY: keyText,
    SOPS_AGE_KEY_FILE: keyFile,
    SOPS_AGE_KEY_CMD: 'false',
    SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(u.dir, 'no-ssh-key'),
    SOPS_AGE_SSH_PRIVATE_KEY_CMD: 'false',
  });

  it('the command does not inherit the identity variables; --verbose names them, never their values', () => {
    const r = runCli(['exec', '--verbose', '-f', 'a.env.enc', ...printEnv(...IDENTITY, 'SECRET')], { cwd: u.dir, env: identityEnv() });
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual({ ...Object.fromEntries(IDENTITY.map((k) => [k, null])), SECRET: CANARY });
    for (const k of IDENTITY) expect(r.stderr).toContain(`envcrypt: removed ${k} from the command's environment (--keep-identity keeps it)\n`);
    expect(r.stderr).not.toContain('AGE-SECRET-KEY');
    expect(r.stderr).not.toContain(keyFile);
  });

  it('--keep-identity keeps them for a nested envcrypt', () => {
    const e = identityEnv();
    const r = runCli(['exec', '--keep-identity', '-f', 'a.env.enc', ...printEnv(...IDENTITY)], { cwd: u.dir, env: e });
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual(Object.fromEntries(IDENTITY.map((k) => [k, e[k as keyof typeof e]])));
    const nested = runCli(['exec', '--keep-identity', '-f', 'a.env.enc', '--', process.execPath, join(ROOT, 'bin/envcrypt.js'), 'exec', '-f', 'a.env.enc', ...printEnv('SECRET')], { cwd: u.dir, env: uenv });
    expect(json(nested.stdout)).toEqual({ SECRET: CANARY });
  });

  it('--pristine --keep does not keep an identity variable without --keep-identity', () => {
    const r = runCli(['exec', '--pristine', '--keep', 'ENVCRYPT_AGE_KEY_FILE', '-f', 'a.env.enc', ...printEnv('ENVCRYPT_AGE_KEY_FILE', 'SECRET')], { cwd: u.dir, env: uenv });
    expect(json(r.stdout)).toEqual({ ENVCRYPT_AGE_KEY_FILE: null, SECRET: CANARY });
  });

  it('exec --help describes --keep-identity', () => {
    expect(runCli(['exec', '--help']).stdout).toMatch(/--keep-identity +leave ENVCRYPT_AGE_KEY/);
  });
});
