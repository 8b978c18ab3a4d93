import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { keyedTempDir, put, runCli, startCli } from '../helpers/run-cli.js';

const CANARY = 'CANARY-cli-execfile-90ab';
let t: ReturnType<typeof keyedTempDir>['t'];
let env: NodeJS.ProcessEnv;
let tmpRoot: string;

beforeAll(() => {
  const k = keyedTempDir();
  t = k.t;
  tmpRoot = join(t.dir, 'tmp');
  mkdirSync(tmpRoot, { mode: 0o700 });
  env = { ...k.env, ENVCRYPT_TMPDIR: tmpRoot };
  // The plaintext of sops's functional test exec_file (functional-tests/src/lib.rs), plus a canary.
  put(t.dir, 'secrets.yaml', `foo: bar\nbar: |-\n  baz\n  bam\ntoken: ${CANARY}\n`);
  const r = runCli(['encrypt', 'secrets.yaml', '-r', k.key.recipient, '-o', 'secrets.enc.yaml'], { cwd: t.dir, env });
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => t.cleanup());

describe('envcrypt exec-file', () => {
  // Ported from getsops/sops functional-tests/src/lib.rs exec_file (3.13.2): `exec-file --output-type json FILE 'cat {}'`.
  it('exec_file: cat {} prints the file as JSON through the FIFO; exit status passed through; nothing left', () => {
    const r = runCli(['exec-file', '--output-type', 'json', 'secrets.enc.yaml', '--', 'sh', '-c', 'cat "$1"; exit 5', 'sh', '{}'], { cwd: t.dir, env });
    expect(r.stdout).toBe(`{\n\t"foo": "bar",\n\t"bar": "baz\\nbam",\n\t"token": "${CANARY}"\n}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(5);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  // Ported from getsops/sops functional-tests/src/lib.rs exec_file_filename (3.13.2): `--no-fifo --filename foobar FILE 'echo {}'`.
  it('exec_file_filename: --no-fifo --filename foobar; a bad --filename is exit 2 and runs nothing', () => {
    const r = runCli(['exec-file', '--no-fifo', '--filename', 'foobar', 'secrets.enc.yaml', '--', 'echo', '{}'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('/foobar\n')).toBe(true);
    const bad = runCli(['exec-file', '--filename', '../escape', 'secrets.enc.yaml', '--', 'echo', 'ran'], { cwd: t.dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('--filename must be a plain file name');
  });

  // SIGINT and SIGHUP take the same path (exec/spawn.ts relays them all); they run with ENVCRYPT_TEST_LONG=1.
  it.each(process.env.ENVCRYPT_TEST_LONG === '1' ? (['SIGTERM', 'SIGHUP', 'SIGINT'] as const) : (['SIGTERM'] as const))('%s is forwarded; envcrypt waits for the command, then removes the plaintext and exits with its status', async (sig) => {
    const script = `cat "$1" > /dev/null; exec "${process.execPath}" "${join(ROOT, 'test/fixtures/bin/print-signal.js')}" 3`;
    const child = startCli(['exec-file', '--no-fifo', 'secrets.enc.yaml', '--', 'sh', '-c', script, 'sh', '{}'], { cwd: t.dir, env });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    }));
    // While the command runs, its 0600 file is there, in one 0700 directory.
    expect(readdirSync(tmpRoot)).toHaveLength(1);
    child.kill(sig);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).toContain(`got ${sig}`);
    expect(out).toContain('cleanup done');
    expect(code).toBe(3);
    expect(readdirSync(tmpRoot)).toEqual([]);
    expect(`${out}${err}`).not.toContain(CANARY);
  });
});
