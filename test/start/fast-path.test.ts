// The fast bundles (dist/fast-preload.cjs, dist/fast-exec.cjs) keep one rule:
// they end exactly as the full runtime would, or they answer "not here"
// having done nothing anyone can see (no output, no command, no variable),
// and the caller runs the full runtime. Each case runs in a fresh node.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';
import { sopsLike, withPlainValue, withSelector } from '../helpers/sops-like.js';

const LOADER = join(ROOT, 'bin', 'envcrypt.js');
const CANARY = 'CANARY-fast-51c9';
let t: ReturnType<typeof tempDir>;
let keyFile: string;
let pqFile: string;

beforeAll(() => {
  t = tempDir();
  const x = ageKeygen(t.dir);
  keyFile = x.file;
  pqFile = join(t.dir, 'pq.txt');
  runCli(['keygen', '--pq', '-o', pqFile]);
  const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: keyFile });
  put(t.dir, 'a.env', `SECRET=${CANARY}\n`);
  put(t.dir, 'a.yaml', `SECRET: ${CANARY}\n`);
  for (const [src, out, r] of [['a.env', 'a.env.enc', x.recipient], ['a.yaml', 'a.enc.yaml', x.recipient], ['a.env', 'pq.env.enc', runCli(['keygen', '-y', pqFile]).stdout.trim()]] as const) {
    const e = runCli(['encrypt', src, '-r', r, '-o', out], { cwd: t.dir, env });
    if (e.code !== 0) throw new Error(e.stderr);
  }
  const text = readFileSync(join(t.dir, 'a.env.enc'), 'utf8');
  put(t.dir, 'bad.env.enc', text.replace(/^(SECRET=ENC\[AES256_GCM,data:)(.)/m, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A')));
  put(t.dir, 'keycmd.sh', `echo run >> "${join(t.dir, 'keycmd.count')}"\ncat "${keyFile}"\n`);
  chmodSync(join(t.dir, 'keycmd.sh'), 0o700);
});
afterAll(() => t.cleanup());

/** Run `code` in a fresh node with the loader as `L`; returns its stdout/stderr. */
function inNode(code: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['-e', `const L = require(${JSON.stringify(LOADER)});\n${code}`], { cwd: t.dir, env: cleanEnv(env), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fast-preload', () => {
  const probe = `const ok = L.loadBundle('fast-preload').exports.preloadFast();
process.stdout.write(JSON.stringify({ ok, SECRET: process.env.SECRET ?? null }));`;

  it('fills process.env for a dotenv file and an X25519 key file', () => {
    const r = inNode(probe, { ENVCRYPT_AGE_KEY_FILE: keyFile, ENVCRYPT_CONFIG_PATH: 'a.env.enc' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, SECRET: CANARY });
  });

  it('prints the readable-key warning itself when it succeeds', () => {
    const loose = join(t.dir, 'loose.txt');
    writeFileSync(loose, readFileSync(keyFile));
    chmodSync(loose, 0o644);
    const r = inNode(probe, { ENVCRYPT_AGE_KEY_FILE: loose, ENVCRYPT_CONFIG_PATH: 'a.env.enc' });
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, SECRET: CANARY });
    expect(r.stderr).toMatch(/^envcrypt: warning: identity file .*loose\.txt is readable by group or others/);
  });

  const declines: [string, () => Record<string, string>][] = [
    ['a YAML file', () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile, ENVCRYPT_CONFIG_PATH: 'a.enc.yaml' })],
    ['a key command', () => ({ ENVCRYPT_AGE_KEY_CMD: join(t.dir, 'keycmd.sh'), ENVCRYPT_CONFIG_PATH: 'a.env.enc' })],
    ['a MAC mismatch', () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile, ENVCRYPT_CONFIG_PATH: 'bad.env.enc' })],
    ['a missing file', () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile, ENVCRYPT_CONFIG_PATH: 'nope.env.enc' })],
    ['no key', () => ({ ENVCRYPT_CONFIG_PATH: 'a.env.enc' })],
  ];
  it('opens a post-quantum key itself (ML-KEM loads from dist/vendor/, no helper)', () => {
    const r = inNode(probe, { ENVCRYPT_AGE_KEY_FILE: pqFile, ENVCRYPT_CONFIG_PATH: 'pq.env.enc' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, SECRET: CANARY });
  });

  for (const [what, env] of declines) {
    it(`declines ${what}, having printed, run and set nothing`, () => {
      const r = inNode(probe, env());
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ ok: false, SECRET: null });
    });
  }

  it('never runs a key command (the full runtime runs it, once)', () => {
    inNode(probe, { ENVCRYPT_AGE_KEY_CMD: join(t.dir, 'keycmd.sh'), ENVCRYPT_CONFIG_PATH: 'a.env.enc' });
    expect(() => readFileSync(join(t.dir, 'keycmd.count'))).toThrow();
  });
});

describe('fast-exec', () => {
  const probe = (args: string[]) => `L.loadBundle('fast-exec').exports.execFast(${JSON.stringify(args)}).then((code) => process.stdout.write('|' + JSON.stringify(code)));`;

  it('runs the command with the values for a dotenv file and an X25519 key', () => {
    const r = inNode(probe(['-f', 'a.env.enc', '--', 'sh', '-c', 'printf %s "$SECRET"']), { ENVCRYPT_AGE_KEY_FILE: keyFile });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${CANARY}|0`);
  });

  const declines: [string, string[], () => Record<string, string>][] = [
    ['a YAML file', ['-f', 'a.enc.yaml'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
    ['a key command', ['-f', 'a.env.enc'], () => ({ ENVCRYPT_AGE_KEY_CMD: join(t.dir, 'keycmd.sh') })],
    ['a MAC mismatch', ['-f', 'bad.env.enc'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
    ['--redact', ['--redact', '-f', 'a.env.enc'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
    ['a usage error', ['--no-such-flag'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
  ];
  it('runs the command with the values for a post-quantum key', () => {
    const r = inNode(probe(['-f', 'pq.env.enc', '--', 'sh', '-c', 'printf %s "$SECRET"']), { ENVCRYPT_AGE_KEY_FILE: pqFile });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${CANARY}|0`);
  });

  for (const [what, args, env] of declines) {
    it(`declines ${what}, having printed and started nothing`, () => {
      const r = inNode(probe([...args, '--', 'sh', '-c', 'printf started']), env());
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('|null');
    });
  }
});

// Unauthenticated values (unencrypted or empty, in a file without an
// integrity record) and the identity variables: the fast paths end exactly
// as the full runtime does, or decline having done nothing.
describe('fast and full paths agree on unauthenticated values and the identity', () => {
  let u: ReturnType<typeof tempDir>;
  let key: string;
  beforeAll(() => {
    u = tempDir();
    const x = ageKeygen(u.dir);
    key = x.file;
    const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key });
    put(u.dir, 'a.env', `SECRET=${CANARY}\nPORT_unencrypted=from-file\n`);
    put(u.dir, 'b.env', 'OTHER=1\n');
    for (const [src, out] of [['a.env', 'a.env.enc'], ['b.env', 'b.env.enc']] as const) {
      const e = runCli(['encrypt', src, '-r', x.recipient, '-o', out, '--mac-only-encrypted'], { cwd: u.dir, env });
      if (e.code !== 0) throw new Error(e.stderr);
    }
    sopsLike(u.dir, 'a.env.enc', 'sops.env.enc');
    sopsLike(u.dir, 'a.env.enc', 'inject.env.enc', (text, format) =>
      withPlainValue(withSelector(text, format, 'unencrypted_regex', '_unencrypted$|^NODE_OPTIONS$'), format, 'NODE_OPTIONS', '--require ./evil.js'));
    sopsLike(u.dir, 'a.env.enc', 'path.env.enc', (text, format) => withPlainValue(text, format, 'PATH', ''));
    // A later file whose SECRET is unencrypted: it must not replace a.env.enc's encrypted one.
    sopsLike(u.dir, 'b.env.enc', 'weak-secret.env.enc', (text, format) =>
      withPlainValue(withSelector(text, format, 'unencrypted_regex', '_unencrypted$|^SECRET$'), format, 'SECRET', 'from-b'));
  });
  afterAll(() => u.cleanup());

  const run = (code: string, env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['-e', `const L = require(${JSON.stringify(LOADER)});\n${code}`], { cwd: u.dir, env: cleanEnv(env), encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const SHOW = ['SECRET', 'PORT_unencrypted', 'NODE_OPTIONS', 'ENVCRYPT_AGE_KEY_FILE', 'SOPS_AGE_KEY_FILE'];
  const show = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(SHOW)}.map((k) => [k, process.env[k] ?? null]))));`;

  describe('preload', () => {
    // [what, environment, outcome, what the run that ends prints: stderr and some variables]
    const cases: [string, Record<string, string>, 'same' | 'declines', RegExp?, Record<string, string | null>?][] = [
      ['an unauthenticated value vs a variable already set, with override', { ENVCRYPT_CONFIG_PATH: 'sops.env.enc', ENVCRYPT_CONFIG_OVERRIDE: '1', PORT_unencrypted: 'from-env' }, 'same', /^envcrypt: warning: sops\.env\.enc: PORT_unencrypted is not authenticated .*so it does not replace the variable already set\n$/, { PORT_unencrypted: 'from-env', SECRET: CANARY }],
      ['a later unauthenticated value vs an encrypted one', { ENVCRYPT_CONFIG_PATH: 'a.env.enc,weak-secret.env.enc' }, 'same', /^envcrypt: warning: weak-secret\.env\.enc: SECRET is not authenticated .*so it does not replace the value from a\.env\.enc\n$/, { SECRET: CANARY }],
      ['the identity variables removed', { ENVCRYPT_CONFIG_PATH: 'sops.env.enc', SOPS_AGE_KEY_FILE: '/nonexistent-unused' }, 'same', /^$/, { ENVCRYPT_AGE_KEY_FILE: null, SOPS_AGE_KEY_FILE: null }],
      ['the identity variables kept', { ENVCRYPT_CONFIG_PATH: 'sops.env.enc', ENVCRYPT_CONFIG_KEEP_IDENTITY: 'true' }, 'same', /^$/, { SECRET: CANARY }],
      ['a NODE_OPTIONS added as an unencrypted value', { ENVCRYPT_CONFIG_PATH: 'inject.env.enc' }, 'declines'],
      ['PATH= as an empty value, with override', { ENVCRYPT_CONFIG_PATH: 'path.env.enc', ENVCRYPT_CONFIG_OVERRIDE: '1' }, 'declines'],
    ];
    for (const [what, extra, outcome, stderr, vars] of cases) {
      it(`${what}: ${outcome === 'same' ? 'the fast path ends as the full one' : 'the fast path declines having done nothing; the full one refuses'}`, () => {
        const env = { ENVCRYPT_AGE_KEY_FILE: key, ...extra };
        const fast = run(`const ok = L.loadBundle('fast-preload').exports.preloadFast(); process.stdout.write(ok + '|'); ${show}`, env);
        const full = run(`L.loadBundle('runtime').exports.preloadSync(); process.stdout.write('true|'); ${show}`, env);
        if (outcome === 'same') {
          expect(fast).toEqual(full);
          expect(fast.stdout.startsWith('true|')).toBe(true);
          expect(fast.stderr).toMatch(stderr!);
          expect(JSON.parse(fast.stdout.slice('true|'.length))).toMatchObject(vars!);
        } else {
          expect(fast.stderr).toBe('');
          expect(fast.stdout).toBe(`false|${JSON.stringify({ SECRET: null, PORT_unencrypted: null, NODE_OPTIONS: null, ENVCRYPT_AGE_KEY_FILE: key, SOPS_AGE_KEY_FILE: null })}`);
          expect(full.code).toBe(3);
          expect(full.stdout).toBe('');
          expect(full.stderr).toMatch(/^envcrypt: error: (inject|path)\.env\.enc: (NODE_OPTIONS|PATH) is not authenticated/);
        }
      });
    }

    it('the warning is printed once, by the path that ends (the fast one here)', () => {
      const r = run(`const ok = L.loadBundle('fast-preload').exports.preloadFast(); if (!ok) L.loadBundle('runtime').exports.preloadSync(); ${show}`, {
        ENVCRYPT_AGE_KEY_FILE: key, ENVCRYPT_CONFIG_PATH: 'sops.env.enc', ENVCRYPT_CONFIG_OVERRIDE: '1', PORT_unencrypted: 'from-env',
      });
      expect(r.stderr).toBe('envcrypt: warning: sops.env.enc: PORT_unencrypted is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace the variable already set\n');
      expect(JSON.parse(r.stdout)).toMatchObject({ SECRET: CANARY, PORT_unencrypted: 'from-env', ENVCRYPT_AGE_KEY_FILE: null });
    });
  });

  describe('exec', () => {
    const child = ['--', process.execPath, '-e', show];
    const cases: [string, string[], Record<string, string>, 'same' | 'declines', RegExp?, Record<string, string | null>?][] = [
      ['an unauthenticated value vs a variable already set, with --override', ['--override', '-f', 'sops.env.enc'], { PORT_unencrypted: 'from-env' }, 'same', /^envcrypt: warning: sops\.env\.enc: PORT_unencrypted is not authenticated .*so it does not replace the variable already set\n$/, { PORT_unencrypted: 'from-env', SECRET: CANARY }],
      ['a later unauthenticated value vs an encrypted one', ['-f', 'a.env.enc', '-f', 'weak-secret.env.enc'], {}, 'same', /^envcrypt: warning: weak-secret\.env\.enc: SECRET is not authenticated .*so it does not replace the value from a\.env\.enc\n$/, { SECRET: CANARY }],
      ['--verbose with the identity variables removed', ['--verbose', '-f', 'sops.env.enc'], { SOPS_AGE_KEY_FILE: '/nonexistent-unused', PORT_unencrypted: 'from-env' }, 'same',
        /^envcrypt: removed ENVCRYPT_AGE_KEY_FILE from the command's environment \(--keep-identity keeps it\)\nenvcrypt: removed SOPS_AGE_KEY_FILE .*\nenvcrypt: set SECRET from sops\.env\.enc\nenvcrypt: kept PORT_unencrypted from the environment \(its value in sops\.env\.enc is not authenticated\)\n$/,
        { ENVCRYPT_AGE_KEY_FILE: null, SOPS_AGE_KEY_FILE: null, SECRET: CANARY }],
      ['--keep-identity', ['--keep-identity', '-f', 'sops.env.enc'], {}, 'same', /^$/, { SECRET: CANARY }],
      ['a NODE_OPTIONS added as an unencrypted value', ['-f', 'inject.env.enc'], {}, 'declines'],
      ['PATH= as an empty value, with --override', ['--override', '-f', 'path.env.enc'], {}, 'declines'],
    ];
    for (const [what, args, extra, outcome, stderr, vars] of cases) {
      it(`${what}: ${outcome === 'same' ? 'the fast path ends as the full one' : 'the fast path declines having started nothing; the full one refuses'}`, () => {
        const env = { ENVCRYPT_AGE_KEY_FILE: key, ...extra };
        const argv = JSON.stringify([...args, ...child]);
        const fast = run(`L.loadBundle('fast-exec').exports.execFast(${argv}).then((code) => process.stdout.write('|' + JSON.stringify(code)));`, env);
        const full = run(`L.loadBundle('runtime').exports.execMain(${argv}).then((code) => process.stdout.write('|' + JSON.stringify(code)));`, env);
        if (outcome === 'same') {
          expect(fast).toEqual(full);
          expect(fast.stdout.endsWith('|0')).toBe(true);
          expect(fast.stderr).toMatch(stderr!);
          expect(JSON.parse(fast.stdout.slice(0, -'|0'.length))).toMatchObject(vars!);
        } else {
          expect(fast.stderr).toBe('');
          expect(fast.stdout).toBe('|null');
          expect(full.stdout).toBe('|3');
          expect(full.stderr).toMatch(/^envcrypt: error: (inject|path)\.env\.enc: (NODE_OPTIONS|PATH) is not authenticated/);
        }
      });
    }
  });
});
