// `node --import envcrypt/config` and `node -r envcrypt/config`, resolved as a
// user's app resolves them: through node_modules/envcrypt.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';
import { writeInjectionFixtures } from '../helpers/sops-like.js';

const CANARY = 'CANARY-preload-2b7d';
let t: ReturnType<typeof tempDir>;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  t = tempDir();
  mkdirSync(join(t.dir, 'node_modules'));
  symlinkSync(ROOT, join(t.dir, 'node_modules', 'envcrypt'));
  const key = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
  put(t.dir, 'plain.env', `TOKEN=${CANARY}\nSHARED=from-file\n`);
  put(t.dir, 'extra.env', `EXTRA=yes\n`);
  for (const [a, b] of [['plain.env', '.env.enc'], ['extra.env', 'extra.env.enc']]) {
    const r = runCli(['encrypt', a!, '-r', key.recipient, '-o', b!], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const text = readFileSync(join(t.dir, '.env.enc'), 'utf8');
  put(t.dir, 'bad.env.enc', text.replace(/^(TOKEN=ENC\[AES256_GCM,data:)(.)/m, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A')));
  put(t.dir, 'app.mjs', "console.log(JSON.stringify({ TOKEN: process.env.TOKEN ?? null, SHARED: process.env.SHARED ?? null, EXTRA: process.env.EXTRA ?? null }));\n");
  put(t.dir, 'app.cjs', "console.log(JSON.stringify({ TOKEN: process.env.TOKEN ?? null, SHARED: process.env.SHARED ?? null, EXTRA: process.env.EXTRA ?? null }));\n");
});
afterAll(() => t.cleanup());

const run = (flag: string, app: string, extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [flag, 'envcrypt/config', app], { cwd: t.dir, env: { ...env, ...extra }, encoding: 'utf8' });

for (const [flag, app] of [['--import', 'app.mjs'], ['-r', 'app.cjs']] as const) {
  describe(`node ${flag} envcrypt/config (${app.endsWith('mjs') ? 'ESM' : 'CJS'})`, () => {
    it('loads .env.enc into process.env before the app runs', () => {
      const r = run(flag, app);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ TOKEN: CANARY, SHARED: 'from-file', EXTRA: null });
    });

    it('layers ENVCRYPT_CONFIG_PATH files and keeps existing variables unless ENVCRYPT_CONFIG_OVERRIDE', () => {
      const base = { ENVCRYPT_CONFIG_PATH: '.env.enc,extra.env.enc,missing.env.enc?', SHARED: 'from-env' };
      expect(JSON.parse(run(flag, app, base).stdout)).toEqual({ TOKEN: CANARY, SHARED: 'from-env', EXTRA: 'yes' });
      expect(JSON.parse(run(flag, app, { ...base, ENVCRYPT_CONFIG_OVERRIDE: 'true' }).stdout).SHARED).toBe('from-file');
    });

    it('fails loudly on a bad MAC: the app does not start', () => {
      const r = run(flag, app, { ENVCRYPT_CONFIG_PATH: 'bad.env.enc' });
      expect(r.status).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^envcrypt: error: /m);
      expect(r.stderr).not.toContain(CANARY);
    });

    it('fails on a missing file unless it is marked optional', () => {
      const r = run(flag, app, { ENVCRYPT_CONFIG_PATH: 'nope.env.enc' });
      expect(r.status).toBe(6);
      expect(r.stdout).toBe('');
      expect(run(flag, app, { ENVCRYPT_CONFIG_PATH: 'nope.env.enc?' }).status).toBe(0);
    });

    it('fails without a key, naming where it searched', () => {
      const r = spawnSync(process.execPath, [flag, 'envcrypt/config', app], { cwd: t.dir, env: cleanEnv(), encoding: 'utf8' });
      expect(r.status).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('ENVCRYPT_AGE_KEY_FILE (unset)');
    });
  });
}

// The preload is synchronous: no-TLA module, done before the app's next line.
// X25519, post-quantum and unprotected SSH keys are opened in-process (only a
// passphrase-protected SSH key would need the helper: test/start/sync-host.test.ts).
describe('the preload beyond the dotenv + X25519 fast path', () => {
  let u: ReturnType<typeof tempDir>;
  let pqFile: string;
  let sshKey: string;
  beforeAll(() => {
    u = tempDir();
    mkdirSync(join(u.dir, 'node_modules'));
    symlinkSync(ROOT, join(u.dir, 'node_modules', 'envcrypt'));
    pqFile = join(u.dir, 'pq.txt');
    const pq = runCli(['keygen', '--pq', '-o', pqFile]);
    if (pq.code !== 0) throw new Error(pq.stderr);
    const x = ageKeygen(u.dir, 'x.txt');
    const keyEnv = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: x.file });
    const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'throwaway test key', '-f', join(u.dir, 'id_ed25519')]);
    if (gen.status !== 0) throw new Error('ssh-keygen failed');
    sshKey = join(u.dir, 'id_ed25519');
    const sshRecipient = readFileSync(`${sshKey}.pub`, 'utf8').trim();
    put(u.dir, 'pq.env', `PQ_VALUE=${CANARY}-pq\n`);
    put(u.dir, 'ssh.env', `SSH_VALUE=${CANARY}-ssh\n`);
    put(u.dir, 'nested.yaml', 'db:\n    host: db.internal\n    port: 5432\n');
    put(u.dir, 'nested.json', '{"api": {"token": "json-token"}}\n');
    const enc = (args: string[]) => {
      const r = runCli(['encrypt', ...args], { cwd: u.dir, env: keyEnv });
      if (r.code !== 0) throw new Error(r.stderr);
    };
    enc(['pq.env', '-r', runCli(['keygen', '-y', pqFile]).stdout.trim(), '-o', 'pq.env.enc']);
    enc(['ssh.env', '-r', sshRecipient, '-o', 'ssh.env.enc']);
    enc(['nested.yaml', '-r', x.recipient, '-o', 'nested.enc.yaml']);
    enc(['nested.json', '-r', x.recipient, '-o', 'nested.enc.json']);
    put(u.dir, 'nul.json', `{"NUL_VALUE": "${CANARY}\\u0000tail"}\n`);
    enc(['nul.json', '-r', x.recipient, '-o', 'nul.enc.json']);
    put(u.dir, 'show.cjs', 'console.log(JSON.stringify(Object.fromEntries(process.argv.slice(2).map((k) => [k, process.env[k] ?? null]))));\n');
    put(u.dir, 'show.mjs', 'console.log(JSON.stringify(Object.fromEntries(process.argv.slice(2).map((k) => [k, process.env[k] ?? null]))));\n');
    put(u.dir, 'keycmd.sh', `echo run >> "${join(u.dir, 'keycmd.count')}"\ncat "${pqFile}"\n`);
    chmodSync(join(u.dir, 'keycmd.sh'), 0o700);
    // An ESM app that imports the preload itself: the next import already sees the values.
    put(u.dir, 'first.mjs', "import 'envcrypt/config';\nimport './second.mjs';\n");
    put(u.dir, 'second.mjs', 'console.log(JSON.stringify({ at_import: process.env.PQ_VALUE ?? null }));\n');
  });
  afterAll(() => u.cleanup());

  const pre = (flag: string, app: string, vars: string[], extra: Record<string, string>) =>
    spawnSync(process.execPath, [flag, 'envcrypt/config', app, ...vars], { cwd: u.dir, env: cleanEnv(extra), encoding: 'utf8' });

  for (const [flag, app] of [['--import', 'show.mjs'], ['-r', 'show.cjs']] as const) {
    it(`${flag}: a post-quantum identity opens the file in-process`, () => {
      const r = pre(flag, app, ['PQ_VALUE'], { ENVCRYPT_AGE_KEY_FILE: pqFile, ENVCRYPT_CONFIG_PATH: 'pq.env.enc' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ PQ_VALUE: `${CANARY}-pq` });
    });

    it(`${flag}: an ssh-keygen ed25519 key opens the file in-process`, () => {
      const r = pre(flag, app, ['SSH_VALUE'], { SOPS_AGE_SSH_PRIVATE_KEY_FILE: sshKey, ENVCRYPT_CONFIG_PATH: 'ssh.env.enc' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ SSH_VALUE: `${CANARY}-ssh` });
    });

    it(`${flag}: YAML and JSON files are flattened into the environment`, () => {
      const x = join(u.dir, 'x.txt');
      const r = pre(flag, app, ['DB_HOST', 'DB_PORT', 'API_TOKEN'], { ENVCRYPT_AGE_KEY_FILE: x, ENVCRYPT_CONFIG_PATH: 'nested.enc.yaml,nested.enc.json' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ DB_HOST: 'db.internal', DB_PORT: '5432', API_TOKEN: 'json-token' });
    });

    it(`${flag}: a value with a NUL byte stops the app (node would cut it short)`, () => {
      const x = join(u.dir, 'x.txt');
      const r = pre(flag, app, ['NUL_VALUE'], { ENVCRYPT_AGE_KEY_FILE: x, ENVCRYPT_CONFIG_PATH: 'nul.enc.json' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^envcrypt: error: environment variable NUL_VALUE contains a NUL byte$/m);
      expect(r.stderr).not.toContain(CANARY);
    });

    it(`${flag}: a wrong post-quantum key fails with exit 4, and the app does not start`, () => {
      const other = join(u.dir, `other-pq${flag}.txt`);
      runCli(['keygen', '--pq', '-o', other]);
      const r = pre(flag, app, ['PQ_VALUE'], { ENVCRYPT_AGE_KEY_FILE: other, ENVCRYPT_CONFIG_PATH: 'pq.env.enc' });
      expect(r.status).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^envcrypt: error: no identity matched any of the 1 recipient of pq\.env\.enc$/m);
      expect(r.stderr).toContain(`ENVCRYPT_AGE_KEY_FILE=${other} (1 identity, none matched)`);
      expect(r.stderr).not.toContain(CANARY);
    });
  }

  it('a key command runs once, with a post-quantum key', () => {
    const r = pre('--import', 'show.mjs', ['PQ_VALUE'], { ENVCRYPT_AGE_KEY_CMD: join(u.dir, 'keycmd.sh'), ENVCRYPT_CONFIG_PATH: 'pq.env.enc' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ PQ_VALUE: `${CANARY}-pq` });
    expect(readFileSync(join(u.dir, 'keycmd.count'), 'utf8')).toBe('run\n');
  });

  it("import 'envcrypt/config' in an ESM app: the values are set before the next import is evaluated", () => {
    const r = spawnSync(process.execPath, ['first.mjs'], { cwd: u.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: pqFile, ENVCRYPT_CONFIG_PATH: 'pq.env.enc' }), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ at_import: `${CANARY}-pq` });
  });
});

// Values no MAC or integrity record authenticates (unencrypted and empty
// values of a file without an integrity record), and the key that opened
// the files. dotenv files take the fast path, YAML and JSON the full one.
describe('the preload, unauthenticated values and the key', () => {
  let u: ReturnType<typeof tempDir>;
  let keyFile: string;
  beforeAll(() => {
    u = tempDir();
    mkdirSync(join(u.dir, 'node_modules'));
    symlinkSync(ROOT, join(u.dir, 'node_modules', 'envcrypt'));
    const key = ageKeygen(u.dir);
    keyFile = key.file;
    const keyEnv = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
    put(u.dir, 'a.env', `SECRET=${CANARY}\nPORT_unencrypted=from-file\n`);
    put(u.dir, 'a.yaml', `SECRET: ${CANARY}\nPORT_unencrypted: from-file\n`);
    put(u.dir, 'a.json', `{"SECRET": "${CANARY}", "PORT_unencrypted": "from-file"}\n`);
    writeInjectionFixtures(u.dir, key.recipient, keyEnv);
    // The app prints the variables it is asked for, as it and as a child process of it see them.
    const app = `const names = process.argv.slice(2);
const own = Object.fromEntries(names.map((k) => [k, process.env[k] ?? null]));
const child = require('child_process').execFileSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((k) => [k, process.env[k] ?? null]))))', ...names], { encoding: 'utf8' });
console.log(JSON.stringify({ own, child: JSON.parse(child) }));
`;
    put(u.dir, 'app.cjs', app);
    put(u.dir, 'app.mjs', `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${app}`);
  });
  afterAll(() => u.cleanup());

  const pre = (flag: string, vars: string[], extra: Record<string, string | undefined>) =>
    spawnSync(process.execPath, [flag, 'envcrypt/config', flag === '-r' ? 'app.cjs' : 'app.mjs', ...vars], { cwd: u.dir, env: { ...cleanEnv({ ENVCRYPT_AGE_KEY_FILE: keyFile }), ...extra }, encoding: 'utf8' });

  for (const flag of ['--import', '-r']) {
    for (const file of ['a.env.enc', 'a.enc.yaml', 'a.enc.json']) {
      it(`${flag} ${file}: a NODE_OPTIONS added as an unencrypted value stops the app (exit 3); evil.js never runs`, () => {
        const r = pre(flag, ['SECRET', 'NODE_OPTIONS'], { ENVCRYPT_CONFIG_PATH: `inject-${file}` });
        expect(r.status).toBe(3);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0]).toBe(`envcrypt: error: inject-${file}: NODE_OPTIONS is not authenticated (an unencrypted value in a file without an integrity record)`);
        expect(r.stderr).not.toContain(CANARY);
        expect(existsSync(join(u.dir, 'evil-ran'))).toBe(false);
      });

      it(`${flag} ${file}: PATH= as an empty value stops the app, even with ENVCRYPT_CONFIG_OVERRIDE`, () => {
        const r = pre(flag, ['PATH'], { ENVCRYPT_CONFIG_PATH: `path-${file}`, ENVCRYPT_CONFIG_OVERRIDE: 'true' });
        expect(r.status).toBe(3);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n')[0]).toBe(`envcrypt: error: path-${file}: PATH is not authenticated (an empty value in a file without an integrity record)`);
      });

      it(`${flag} ${file}: an unauthenticated value never replaces a variable already set, even with ENVCRYPT_CONFIG_OVERRIDE`, () => {
        const r = pre(flag, ['PORT_unencrypted', 'SECRET'], { ENVCRYPT_CONFIG_PATH: `sops-${file}`, ENVCRYPT_CONFIG_OVERRIDE: 'true', PORT_unencrypted: 'from-env', SECRET: 'from-env' });
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout).own).toEqual({ PORT_unencrypted: 'from-env', SECRET: CANARY });
        expect(r.stderr).toBe(`envcrypt: warning: sops-${file}: PORT_unencrypted is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace the variable already set\n`);
      });
    }

    it(`${flag}: the app and its children do not see the identity variables; ENVCRYPT_CONFIG_KEEP_IDENTITY=1 keeps them`, () => {
      const ids = ['ENVCRYPT_AGE_KEY_FILE', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_SSH_PRIVATE_KEY_FILE', 'SOPS_AGE_SSH_PRIVATE_KEY_CMD'];
      const extra = { ENVCRYPT_CONFIG_PATH: 'sops-a.env.enc', SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(u.dir, 'none'), SOPS_AGE_SSH_PRIVATE_KEY_CMD: 'false' };
      const r = pre(flag, [...ids, 'SECRET', 'ENVCRYPT_CONFIG_PATH'], extra);
      expect(r.stderr).toBe('');
      const gone = { ...Object.fromEntries(ids.map((k) => [k, null])), SECRET: CANARY, ENVCRYPT_CONFIG_PATH: 'sops-a.env.enc' };
      expect(JSON.parse(r.stdout)).toEqual({ own: gone, child: gone });
      const kept = pre(flag, [...ids, 'SECRET'], { ...extra, ENVCRYPT_CONFIG_KEEP_IDENTITY: '1' });
      const all = { ENVCRYPT_AGE_KEY_FILE: keyFile, SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(u.dir, 'none'), SOPS_AGE_SSH_PRIVATE_KEY_CMD: 'false', SECRET: CANARY };
      expect(JSON.parse(kept.stdout)).toEqual({ own: all, child: all });
    });

    it(`${flag}: the identity variables are removed on the full path too (a YAML file)`, () => {
      const r = pre(flag, ['ENVCRYPT_AGE_KEY_FILE', 'SECRET'], { ENVCRYPT_CONFIG_PATH: 'sops-a.enc.yaml' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout).own).toEqual({ ENVCRYPT_AGE_KEY_FILE: null, SECRET: CANARY });
    });
  }
});
