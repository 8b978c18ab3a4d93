// age plugins end to end: the built CLI and the preload with the test plugin
// (test/fixtures/bin/age-plugin-envcrypttest) on PATH, and the real age 1.1.1
// CLI wrapping a data key through the same plugin. The protocol itself is
// tested in process in test/keys/plugin/client.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-plugin-7c1e';
const BIN_DIR = join(ROOT, 'test', 'fixtures', 'bin');
const t = tempDir('envcrypt-plugins-');
const PATH = `${BIN_DIR}:${process.env.PATH}`;
const recipientOf = (file: string): string => /# recipient: (\S+)/.exec(readFileSync(join(ROOT, 'test', 'fixtures', 'plugin', file), 'utf8'))![1]!;
const RECIPIENT = recipientOf('identity.txt');
const PIN_RECIPIENT = recipientOf('identity-pin.txt');
let identity = '';
let pinIdentity = '';

beforeAll(() => {
  for (const f of ['identity.txt', 'identity-pin.txt']) {
    copyFileSync(join(ROOT, 'test', 'fixtures', 'plugin', f), join(t.dir, f));
    chmodSync(join(t.dir, f), 0o600);
  }
  identity = join(t.dir, 'identity.txt');
  pinIdentity = join(t.dir, 'identity-pin.txt');
  put(t.dir, '.env', `TOKEN=${CANARY}\n`);
});
afterAll(t.cleanup);

// One encrypted file, to both test recipients, serves every test: each CLI run also starts the plugin.
const enc = (): string => readFileSync(join(t.dir, '.env.enc'), 'utf8');

describe('age plugins through the CLI', () => {
  it('encrypt -r age1envcrypttest1… writes a sops file; decrypt opens it with SOPS_AGE_KEY_FILE; a stanza age -r made opens too', () => {
    const made = runCli(['encrypt', '.env', '-r', RECIPIENT, '-r', PIN_RECIPIENT, '-o', '.env.enc'], { cwd: t.dir, env: cleanEnv({ PATH }) });
    expect([made.code, made.stderr]).toEqual([0, '']);
    const text = enc();
    expect(text).toContain(`sops_age__list_0__map_recipient=${RECIPIENT}\n`);
    const wire = /^sops_age__list_0__map_enc=(.*)$/m.exec(text)![1]!;
    // Re-wrap the same data key with the real age CLI through the plugin, as a file sops or age made would hold it.
    const dataKey = execFileSync('age', ['-d', '-i', identity], { input: wire.replace(/\\n/g, '\n'), env: { ...process.env, PATH } });
    const byAge = execFileSync('age', ['-r', RECIPIENT, '-a'], { input: dataKey, env: { ...process.env, PATH }, encoding: 'utf8' });
    put(t.dir, 'by-age.env.enc', text.replace(wire, byAge.replace(/\n/g, '\\n')));
    // The second run's plugin also sends a msg, which the CLI shows on stderr in its voice.
    for (const [f, mode, stderr] of [
      ['.env.enc', '', ''],
      ['by-age.env.enc', 'msg', 'envcrypt: age-plugin-envcrypttest: touch the envcrypttest token\n'],
    ] as const) {
      const dec = runCli(['decrypt', f], { cwd: t.dir, env: cleanEnv({ PATH, SOPS_AGE_KEY_FILE: identity, ENVCRYPTTEST_PLUGIN: mode }) });
      expect([dec.code, dec.stderr, dec.stdout]).toEqual([0, stderr, `TOKEN=${CANARY}\n`]);
    }
  });

  it('a PIN the plugin asks for with no terminal: exit 4, the plugin\'s error and why, no hang', () => {
    // A harness timeout, not a time assertion: a client that waited for an answer would be killed here.
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'envcrypt.js'), 'exec', '-f', '.env.enc', '--', 'true'], {
      cwd: t.dir,
      env: cleanEnv({ PATH, ENVCRYPT_AGE_KEY_FILE: pinIdentity }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal).toBe(null);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('envcrypt: error: .env.enc: age plugin age-plugin-envcrypttest failed: a PIN is required\n');
    expect(r.stderr).toContain('envcrypt: hint: the plugin asked for a PIN or passphrase and there is no terminal to ask on');
    expect(r.stderr).not.toContain(CANARY);
  });

  it('the preload opens a plugin stanza through its helper process', () => {
    mkdirSync(join(t.dir, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(t.dir, 'node_modules', 'envcrypt'));
    put(t.dir, 'app.cjs', 'console.log(process.env.TOKEN === undefined ? "unset" : "set");\n');
    const r = spawnSync(process.execPath, ['-r', 'envcrypt/config', 'app.cjs'], { cwd: t.dir, env: cleanEnv({ PATH, SOPS_AGE_KEY_FILE: identity }), encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', 'set\n']);
  });

  it('one plugin run for all of a file\'s stanzas: ten recipients with the plugin\'s last, and two key groups of 2-of-2', () => {
    const dir = join(t.dir, 'many');
    mkdirSync(dir);
    const others = Array.from({ length: 9 }, (_, i) => /age1[0-9a-z]+/.exec(spawnSync('age-keygen', ['-o', join(dir, `k${i}.txt`)], { encoding: 'utf8' }).stderr)![0]!);
    put(dir, 'a.env', `TOKEN=${CANARY}\n`);
    const made = runCli(['encrypt', 'a.env', ...others.flatMap((r) => ['-r', r]), '-r', RECIPIENT, '-o', 'ten.env.enc'], { cwd: dir, env: cleanEnv({ PATH }) });
    expect([made.code, made.stderr]).toEqual([0, '']);
    // Shamir 2-of-2: the plugin's recipient is in both groups, each beside a key nobody here has.
    put(dir, '.sops.yaml', `creation_rules:\n  - path_regex: groups\\.env\\.enc$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${others[0]}, ${RECIPIENT}]\n      - age: [${others[1]}, ${RECIPIENT}]\n`);
    const grouped = runCli(['encrypt', 'a.env', '-o', 'groups.env.enc'], { cwd: dir, env: cleanEnv({ PATH }) });
    expect([grouped.code, grouped.stderr]).toEqual([0, '']);
    for (const f of ['ten.env.enc', 'groups.env.enc']) {
      const log = join(dir, `${f}.log`);
      put(dir, `${f}.log`, '');
      const r = runCli(['get', f, 'TOKEN'], { cwd: dir, env: cleanEnv({ PATH, SOPS_AGE_KEY_FILE: identity, ENVCRYPTTEST_PLUGIN_LOG: log }) });
      expect([r.code, r.stderr, r.stdout], f).toEqual([0, '', CANARY]);
      expect(readFileSync(log, 'utf8'), f).toBe('--age-plugin=identity-v1\n');
    }
  });
});
