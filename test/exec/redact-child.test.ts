import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PassThrough, Writable } from 'node:stream';
import { EnvcryptError } from '../../src/errors.js';
import { runChildRedacted, withForcedColor } from '../../src/exec/redact-child.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const bin = (name: string): string => join(fixtures, 'bin', name);
const node = process.execPath;

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function runNode(args: string[], env: NodeJS.ProcessEnv, secrets: Record<string, string>, extra: { forceColor?: boolean; shell?: boolean } = {}) {
  const out = sink();
  const err = sink();
  const result = await runChildRedacted({ command: node, args, env: { PATH: process.env.PATH, ...env }, secrets, stdout: out.stream, stderr: err.stream, ...extra });
  return { result, stdout: out.text(), stderr: err.text() };
}

describe('runChildRedacted', () => {
  it('masks a value the child writes in two halves, on stdout and stderr, and keeps its exit code', async () => {
    const secret = 's3cr€t-välue-😀';
    const r = await runNode([bin('print-secret.js'), 'SECRET', '3'], { SECRET: secret }, { SECRET: secret, SHORT: 'ab' });
    expect(r.result).toEqual({ code: 3 });
    expect(r.stdout).toBe('before:[REDACTED:SECRET]:after\n');
    expect(r.stderr).toBe('before:[REDACTED:SECRET]:after\n');
  });

  it('passes output through unchanged when nothing matches', async () => {
    const r = await runNode([bin('print-secret.js'), 'OTHER'], { OTHER: 'public text' }, { SECRET: 'not-printed' });
    expect(r.result).toEqual({ code: 0 });
    expect(r.stdout).toBe('before:public text:after\n');
  });

  it('reports a child killed by a signal', async () => {
    const out = sink();
    const result = await runChildRedacted({ command: 'kill -TERM $$', args: [], shell: true, env: { PATH: process.env.PATH }, secrets: {}, stdout: out.stream, stderr: sink().stream });
    expect(result).toEqual({ signal: 'SIGTERM' });
  });

  it('redacts a large output completely and in order', async () => {
    const script = "const s = process.env.S; for (let i = 0; i < 20000; i++) process.stdout.write(`line ${i} ${s} end\\n`);";
    const r = await runNode(['-e', script], { S: 'the-secret-value' }, { S: 'the-secret-value' });
    const lines = r.stdout.split('\n');
    expect(lines.length).toBe(20001);
    expect(lines[12345]).toBe('line 12345 [REDACTED:S] end');
    expect(r.stdout).not.toContain('the-secret-value');
  });

  it('sets FORCE_COLOR=1 for the child only when asked', async () => {
    const on = await runNode([bin('print-env.js'), 'FORCE_COLOR'], {}, {}, { forceColor: true });
    expect(JSON.parse(on.stdout)).toEqual({ FORCE_COLOR: '1' });
    const off = await runNode([bin('print-env.js'), 'FORCE_COLOR'], {}, {}, { forceColor: false });
    expect(JSON.parse(off.stdout)).toEqual({ FORCE_COLOR: null });
    // With injected outputs, the default is off.
    const dflt = await runNode([bin('print-env.js'), 'FORCE_COLOR'], {}, {});
    expect(JSON.parse(dflt.stdout)).toEqual({ FORCE_COLOR: null });
  });

  it('closes the child\'s pipe when our output breaks, so the child stops', async () => {
    const hasYes = spawnSync('yes', ['--version']).status === 0;
    if (!hasYes) return;
    let writes = 0;
    const broken = new Writable({
      write(_chunk, _enc, done) {
        if (++writes > 3) done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        else done();
      },
    });
    const result = await runChildRedacted({ command: 'yes', args: ['x'], env: { PATH: process.env.PATH }, secrets: { A: 'xxxx' }, stdout: broken, stderr: sink().stream });
    // `yes` never stops by itself: it ends only because its next write failed
    // (ECONNRESET or EPIPE/SIGPIPE: node's pipes are socket pairs).
    expect(result).not.toEqual({ code: 0 });
  });

  it('fails before starting anything, like runChild', async () => {
    await expect(runChildRedacted({ command: 'no-such-command-envcrypt', args: [], env: { PATH: '/nonexistent' }, secrets: {} })).rejects.toMatchObject({ code: 'CMD_NOT_FOUND' });
    const e = await runChildRedacted({ command: node, args: [], env: { PATH: process.env.PATH, K: 'CANARY\0' }, secrets: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EnvcryptError);
    expect((e as EnvcryptError).message).toBe('environment variable K contains a NUL byte');
  });
});

describe('withForcedColor', () => {
  it('adds FORCE_COLOR=1 only when forced and the user chose nothing', () => {
    expect(withForcedColor({ A: '1' }, true)).toEqual({ A: '1', FORCE_COLOR: '1' });
    expect(withForcedColor({ A: '1' }, false)).toEqual({ A: '1' });
    expect(withForcedColor({ FORCE_COLOR: '0' }, true)).toEqual({ FORCE_COLOR: '0' });
    expect(withForcedColor({ NO_COLOR: '1' }, true)).toEqual({ NO_COLOR: '1' });
    expect(withForcedColor({ NO_COLOR: '' }, true)).toEqual({ NO_COLOR: '', FORCE_COLOR: '1' });
  });

  it('does not change the object it is given', () => {
    const env = { A: '1' };
    withForcedColor(env, true);
    expect(env).toEqual({ A: '1' });
  });
});

describe('runChildRedacted in a process of its own', { timeout: 10_000 }, () => {
  let tmp: string;
  let driver: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'envcrypt-redact-'));
    driver = join(tmp, 'run-child-redacted.bundle.mjs');
    await build({ entryPoints: [join(fixtures, 'run-child-redacted.mjs')], bundle: true, platform: 'node', format: 'esm', outfile: driver, logLevel: 'silent' });
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('writes redacted output to its real stdout, forwards SIGTERM and exits with the child\'s code', async () => {
    const secret = 'top-secret-token';
    const script = `process.on('SIGTERM', () => { process.stdout.write('got SIGTERM ' + process.env.TOKEN + '\\n'); process.exitCode = 42; clearInterval(t); });
      const t = setInterval(() => {}, 1000); process.stdout.write('ready\\n');`;
    const proc = spawn(node, [driver, '--', node, '-e', script], {
      env: { ...process.env, TOKEN: secret, REDACT_VARS: 'TOKEN' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready\n')) resolve();
      });
    });
    proc.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => proc.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(stdout).toBe('ready\ngot SIGTERM [REDACTED:TOKEN]\n');
    expect(code).toBe(42);
  });
});
