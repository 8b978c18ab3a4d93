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
    ['a post-quantum key', () => ({ ENVCRYPT_AGE_KEY_FILE: pqFile, ENVCRYPT_CONFIG_PATH: 'pq.env.enc' })],
    ['a key command', () => ({ ENVCRYPT_AGE_KEY_CMD: join(t.dir, 'keycmd.sh'), ENVCRYPT_CONFIG_PATH: 'a.env.enc' })],
    ['a MAC mismatch', () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile, ENVCRYPT_CONFIG_PATH: 'bad.env.enc' })],
    ['a missing file', () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile, ENVCRYPT_CONFIG_PATH: 'nope.env.enc' })],
    ['no key', () => ({ ENVCRYPT_CONFIG_PATH: 'a.env.enc' })],
  ];
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
    ['a post-quantum key', ['-f', 'pq.env.enc'], () => ({ ENVCRYPT_AGE_KEY_FILE: pqFile })],
    ['a key command', ['-f', 'a.env.enc'], () => ({ ENVCRYPT_AGE_KEY_CMD: join(t.dir, 'keycmd.sh') })],
    ['a MAC mismatch', ['-f', 'bad.env.enc'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
    ['--redact', ['--redact', '-f', 'a.env.enc'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
    ['a usage error', ['--no-such-flag'], () => ({ ENVCRYPT_AGE_KEY_FILE: keyFile })],
  ];
  for (const [what, args, env] of declines) {
    it(`declines ${what}, having printed and started nothing`, () => {
      const r = inNode(probe([...args, '--', 'sh', '-c', 'printf started']), env());
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('|null');
    });
  }
});
