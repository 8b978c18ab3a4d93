/**
 * Key groups through the CLI and the fast paths: a `.sops.yaml` with
 * `key_groups` + `shamir_threshold`, then encrypt, exec, the preload's fast
 * bundle, decrypt with too few groups, status and recipients list/add.
 * The library-level behaviour is in test/api/key-groups.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-groups-7d21';
const t = tempDir();
let a: { file: string; recipient: string }, b: typeof a, c: typeof a;
let ab: string;

beforeAll(() => {
  [a, b, c] = ['a.txt', 'b.txt', 'c.txt'].map((n) => ageKeygen(t.dir, n)) as [typeof a, typeof a, typeof a];
  ab = put(t.dir, 'ab.txt', readFileSync(a.file, 'utf8') + readFileSync(b.file, 'utf8'));
  put(t.dir, '.sops.yaml', `creation_rules:\n  - path_regex: \\.env\\.enc$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n      - age: [${c.recipient}]\n`);
  put(t.dir, '.env', `SECRET=${CANARY}\n`);
  const r = runCli(['encrypt', '.env', '-o', '.env.enc'], { cwd: t.dir });
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => t.cleanup());

describe('key groups on the command line', () => {
  it('exec runs with keys of two groups (one key file holding both)', () => {
    const r = runCli(['exec', '--', process.execPath, '-e', 'process.stdout.write(process.env.SECRET)'], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: ab }) });
    expect([r.code, r.stdout]).toEqual([0, CANARY]);
  });

  it('the preload\'s fast bundle handles a grouped dotenv file itself', () => {
    const code = `const L = require(${JSON.stringify(join(ROOT, 'bin', 'envcrypt.js'))});
const ok = L.loadBundle('fast-preload').exports.preloadFast();
process.stdout.write(JSON.stringify({ ok, SECRET: process.env.SECRET ?? null }));`;
    const r = spawnSync(process.execPath, ['-e', code], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: ab, ENVCRYPT_CONFIG_PATH: '.env.enc' }), encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, SECRET: CANARY });
  });

  it('decrypt with one group\'s key exits 4 saying how many groups opened of how many needed, naming each group', () => {
    const r = runCli(['decrypt', '.env.enc'], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: b.file }) });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('envcrypt: error: your identities opened 1 of the 3 key groups of .env.enc (2); 2 are needed (shamir_threshold)');
    expect(r.stderr).toMatch(/envcrypt: hint: group 2: age1\S+ \(opened\)/);
    expect(r.stderr).not.toContain(CANARY);
  });

  it('status and recipients list show the groups and the threshold', () => {
    const s = runCli(['status', '.env.enc'], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: ab }) });
    expect(s.stdout).toContain('key groups:    3, any 2 of them rebuild the data key (shamir_threshold)');
    expect(s.stdout).toContain(`  group 2:     ${b.recipient}`);
    expect(s.stdout).toMatch(/MAC:\s+ok/);
    const l = runCli(['recipients', 'list', '.env.enc', '--json'], { cwd: t.dir });
    expect(JSON.parse(l.stdout)).toEqual([{ file: '.env.enc', recipients: [a.recipient, b.recipient, c.recipient], groups: [[a.recipient], [b.recipient], [c.recipient]], shamirThreshold: 2 }]);
  });

  it('recipients add needs --group for a grouped file (exit 2), and takes it', () => {
    const d = ageKeygen(t.dir, 'd.txt');
    const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: ab });
    const no = runCli(['recipients', 'add', d.recipient, '.env.enc'], { cwd: t.dir, env });
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('has 3 key groups: say which one');
    const yes = runCli(['recipients', 'add', d.recipient, '.env.enc', '--group', '3'], { cwd: t.dir, env });
    expect([yes.code, yes.stderr]).toEqual([0, expect.stringContaining('added')]);
    writeFileSync(join(t.dir, 'ad.txt'), readFileSync(a.file, 'utf8') + readFileSync(d.file, 'utf8'));
    const r = runCli(['decrypt', '.env.enc'], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(t.dir, 'ad.txt') }) });
    expect([r.code, r.stdout]).toEqual([0, `SECRET=${CANARY}\n`]);
  });
});
