// Bounded input: the one reader of input files takes regular files only
// (a FIFO or a device, e.g. a committed symbolic link to /dev/zero, would be
// read forever) and at most ENVCRYPT_MAX_INPUT_BYTES bytes (64 MiB).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INPUT_BYTES, maxInputBytes, openInput, readInputFile, readTextFile } from '../../src/io/read.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { caught } from '../helpers/errors.js';
import { cleanEnv, keyedTempDir, put, runCli, type tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-read-4c1d9e';
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
let fifo: string;

beforeAll(() => {
  ({ t, key, env } = keyedTempDir());
  fifo = join(t.dir, 'pipe.env.enc');
  const r = spawnSync('mkfifo', [fifo], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
  symlinkSync('/dev/zero', join(t.dir, 'zero.env.enc'));
  put(t.dir, 'app.env', `SECRET=${CANARY}\n`);
  const enc = runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: t.dir, env });
  if (enc.code !== 0) throw new Error(enc.stderr);
});
afterAll(() => t.cleanup());

/** Run the CLI with a safety net: a run that never ends is killed and fails the assertions on its exit. */
const runBounded = (args: string[], extra: Record<string, string> = {}, input = '') => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: t.dir, env: { ...env, ...extra }, input, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
};

describe('readTextFile: regular files only', () => {
  it('reads a regular file, and a symbolic link to one', () => {
    put(t.dir, 'plain.txt', 'A=1\n');
    symlinkSync('plain.txt', join(t.dir, 'link.txt'));
    expect(readTextFile(join(t.dir, 'plain.txt'))).toBe('A=1\n');
    expect(readTextFile(join(t.dir, 'link.txt'))).toBe('A=1\n');
  });

  it('refuses a FIFO without opening it (opening would wait for a writer)', () => {
    const e = caught(() => readTextFile(fifo));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(`${fifo} is a named pipe (FIFO), not a regular file`);
    expect(e.file).toBe(fifo);
    expect(e.hints[0]).toMatch(/^envcrypt reads regular files only; if .* is a symbolic link, check where it points/);
  });

  it('refuses a symbolic link to /dev/zero', () => {
    const link = join(t.dir, 'zero.env.enc');
    const e = caught(() => readTextFile(link));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(`${link} is a character device, not a regular file`);
  });

  it('openInput refuses the same, and gives the descriptor and its fstat for a regular file', () => {
    expect(caught(() => openInput(fifo)).code).toBe('USAGE');
    const { fd, stats } = openInput(join(t.dir, 'app.env'));
    try {
      expect(stats.isFile()).toBe(true);
      expect(stats.size).toBe(`SECRET=${CANARY}\n`.length);
      expect(fd).toBeGreaterThan(2);
    } finally {
      closeSync(fd);
    }
  });

  it('keeps the directory, missing-file and binary-file errors', () => {
    mkdirSync(join(t.dir, 'dir'));
    expect(caught(() => readTextFile(join(t.dir, 'dir')))).toMatchObject({ code: 'USAGE', message: `${join(t.dir, 'dir')} is a directory` });
    expect(caught(() => readTextFile(join(t.dir, 'nope')))).toMatchObject({ code: 'NOT_FOUND', message: `no such file: ${join(t.dir, 'nope')}` });
    writeFileSync(join(t.dir, 'bin.dat'), Buffer.from([65, 0, 66]));
    expect(caught(() => readTextFile(join(t.dir, 'bin.dat'))).code).toBe('PARSE');
  });
});

describe('readTextFile: the input cap', () => {
  it('is 64 MiB unless ENVCRYPT_MAX_INPUT_BYTES says otherwise', () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(64 * 1024 * 1024);
    expect(maxInputBytes({})).toBe(DEFAULT_MAX_INPUT_BYTES);
    expect(maxInputBytes({ ENVCRYPT_MAX_INPUT_BYTES: '' })).toBe(DEFAULT_MAX_INPUT_BYTES);
    expect(maxInputBytes({ ENVCRYPT_MAX_INPUT_BYTES: '200000000' })).toBe(200_000_000);
  });

  it.each(['0', '-1', '1e6', '64M', 'lots', '99999999999999999'])('refuses ENVCRYPT_MAX_INPUT_BYTES=%s as a usage error', (v) => {
    const e = caught(() => maxInputBytes({ ENVCRYPT_MAX_INPUT_BYTES: v }));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe('ENVCRYPT_MAX_INPUT_BYTES must be a whole number of bytes above 0');
  });

  it('refuses a file over the cap, naming the file, its size and the cap; the variable raises it', () => {
    const file = put(t.dir, 'big.env', 'K=' + 'v'.repeat(998));
    const e = caught(() => readTextFile(file, { ENVCRYPT_MAX_INPUT_BYTES: '999' }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe(`${file} is 1000 bytes, over the input limit of 999 bytes`);
    expect(e.hints).toEqual(['if the file really is this large, raise the limit: ENVCRYPT_MAX_INPUT_BYTES=<bytes> (the default is 67108864, 64 MiB)']);
    expect(readTextFile(file, { ENVCRYPT_MAX_INPUT_BYTES: '1000' })).toHaveLength(1000);
    expect(readInputFile(file, {})).toHaveLength(1000);
  });
});

describe('the CLI', () => {
  it('envcrypt exec -f link-to-dev-zero -- true exits at once with the error', () => {
    const r = runBounded(['exec', '-f', 'zero.env.enc', '--', 'true']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'envcrypt: error: zero.env.enc is a character device, not a regular file\n' +
        'envcrypt: hint: envcrypt reads regular files only; if zero.env.enc is a symbolic link, check where it points ("ls -l zero.env.enc"): a committed link can point at a device that never ends\n',
    );
  });

  it('exec, decrypt and status refuse a FIFO (instead of waiting on it) and a device', () => {
    for (const args of [['exec', '-f', 'pipe.env.enc', '--', 'true'], ['decrypt', 'pipe.env.enc'], ['status', 'pipe.env.enc'], ['status', 'zero.env.enc']]) {
      const r = runBounded(args);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^envcrypt: error: (pipe\.env\.enc is a named pipe \(FIFO\)|zero\.env\.enc is a character device), not a regular file\n/);
    }
  });

  it('git textconv refuses a FIFO and a device, and reads a regular file under the cap', () => {
    for (const f of ['pipe.env.enc', 'zero.env.enc']) {
      const r = runBounded(['git', 'textconv', f]);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    const ok = runBounded(['git', 'textconv', 'app.env.enc']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`SECRET=${CANARY}\n`);
    const over = runBounded(['git', 'textconv', 'app.env.enc'], { ENVCRYPT_MAX_INPUT_BYTES: '10' });
    expect(over.code).toBe(1);
    expect(over.stderr.split('\n')[0]).toMatch(/^envcrypt: error: app\.env\.enc is \d+ bytes, over the input limit of 10 bytes$/);
  });

  it('edit refuses a link to /dev/zero before any editor runs', () => {
    const r = runBounded(['edit', 'zero.env.enc'], { ENVCRYPT_EDITOR: 'true', EDITOR: 'true', VISUAL: 'true' });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('envcrypt: error: zero.env.enc is a character device, not a regular file');
  });

  it('the preload refuses a link to /dev/zero (exit 2), having set nothing', () => {
    const r = spawnSync(process.execPath, ['-r', join(ROOT, 'dist', 'config.cjs'), '-e', 'process.stdout.write("app ran")'], {
      cwd: t.dir,
      env: { ...env, ENVCRYPT_CONFIG_PATH: 'zero.env.enc' },
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/zero\.env\.enc is a character device, not a regular file/);
  });

  it('a file over the cap fails with exit 1 and the cap; ENVCRYPT_MAX_INPUT_BYTES lets it through', () => {
    const size = readFileSync(join(t.dir, 'app.env.enc')).length;
    const small = runBounded(['exec', '-f', 'app.env.enc', '--', 'sh', '-c', 'printf %s "$SECRET"'], { ENVCRYPT_MAX_INPUT_BYTES: String(size - 1) });
    expect(small.code).toBe(1);
    expect(small.stdout).toBe('');
    expect(small.stderr.split('\n')[0]).toBe(`envcrypt: error: app.env.enc is ${size} bytes, over the input limit of ${size - 1} bytes`);
    const raised = runBounded(['exec', '-f', 'app.env.enc', '--', 'sh', '-c', 'printf %s "$SECRET"'], { ENVCRYPT_MAX_INPUT_BYTES: String(size) });
    expect(raised.code).toBe(0);
    expect(raised.stdout).toBe(CANARY);
  });

  it('reads /dev/stdin when it is named explicitly (a shell pipe), within the cap', () => {
    // A shell pipe (a FIFO), not spawnSync's input, which is a socket pair.
    const viaPipe = (extra: Record<string, string>) =>
      spawnSync('sh', ['-c', 'cat app.env.enc | "$0" "$1" decrypt --input-type dotenv /dev/stdin', process.execPath, BIN], {
        cwd: t.dir,
        env: { ...env, ...extra },
        encoding: 'utf8',
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
    const ok = viaPipe({});
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`SECRET=${CANARY}\n`);
    const over = viaPipe({ ENVCRYPT_MAX_INPUT_BYTES: '100' });
    expect(over.status).toBe(1);
    expect(over.stderr.split('\n')[0]).toBe('envcrypt: error: /dev/stdin is more than 100 bytes, over the input limit of 100 bytes');
  });

  it('a config named with --config that links to /dev/zero stops encrypt with the error', () => {
    // A .sops.yaml found by the upward search must be a regular file (config-find); one named explicitly is read as an input.
    const dir = join(t.dir, 'repo');
    mkdirSync(dir);
    symlinkSync('/dev/zero', join(dir, 'rules.yaml'));
    put(dir, 'x.env', 'A=1\n');
    const r = spawnSync(process.execPath, [BIN, 'encrypt', 'x.env', '--config', 'rules.yaml'], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('envcrypt: error: rules.yaml is a character device, not a regular file');
  });
});
