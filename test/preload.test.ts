// `node --import envcrypt/config` and `node -r envcrypt/config`, resolved as a
// user's app resolves them: through node_modules/envcrypt.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from './helpers/run-cli.js';

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
