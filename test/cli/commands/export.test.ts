import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { copyFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { exportCommand } from '../../../src/cli/commands/export.js';
import type { Args } from '../../../src/cli/command.js';
import type { Io } from '../../../src/cli/output.js';
import { FIXTURES } from '../../helpers/paths.js';
import { rejected } from '../../helpers/errors.js';

// humphd/sops-age's published throwaway test key and files (see the fixtures README).
const SRC = join(FIXTURES, 'humphd-sops-age');
const VALUES = {
  secret: 'this is a secret',
  string: 'string',
  int: '7',
  float: '3.14',
  boolean: 'true',
  COMPLEX_VALUE: 'this is a secret',
  COMPLEX_ARRAY_0: 'one',
  COMPLEX_ARRAY_1: 'two',
  COMPLEX_ARRAY_2: 'three',
};

let dir: string;
let file: string;
let key: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-export-'));
  file = join(dir, 'secret.enc.yaml');
  key = join(dir, 'key.txt');
  copyFileSync(join(SRC, 'secret.enc.yaml'), file);
  copyFileSync(join(SRC, 'key.txt'), key);
  chmodSync(key, 0o600);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fakeIo(env: NodeJS.ProcessEnv = {}): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string | Uint8Array) => {
      io.out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8');
    },
    stderr: (s: string) => {
      io.err += s;
    },
    env,
    stdoutIsTTY: false,
    stdinIsTTY: false,
  };
  return io;
}

const run = (args: Record<string, unknown>, io = fakeIo()) =>
  exportCommand.handler({ _: [], file, identity: [key], force: false, ...args } as Args, io);

describe('envcrypt export', () => {
  it('prints the flattened values as JSON', async () => {
    const io = fakeIo();
    expect(await run({ format: 'json' }, io)).toBe(0);
    expect(JSON.parse(io.out)).toEqual(VALUES);
    expect(io.err).toBe('');
  });

  it('names the k8s secret after the file unless --name is given', async () => {
    const io = fakeIo();
    await run({ format: 'k8s', namespace: 'prod' }, io);
    const s = parse(io.out) as { metadata: unknown; data: Record<string, string> };
    expect(s.metadata).toEqual({ name: 'secret', namespace: 'prod' });
    expect(Buffer.from(s.data.secret!, 'base64').toString()).toBe('this is a secret');
    const named = fakeIo();
    await run({ format: 'k8s', name: 'app.v2' }, named);
    expect(parse(named.out)).toMatchObject({ metadata: { name: 'app.v2' } });
  });

  it('checks --name and --namespace before decrypting anything', async () => {
    const missing = { file: join(dir, 'missing.enc.yaml') };
    expect((await rejected(run({ ...missing, format: 'k8s', name: 'Bad_Name' }))).code).toBe('USAGE');
    expect((await rejected(run({ ...missing, format: 'k8s', namespace: 'a.b' }))).code).toBe('USAGE');
    const e = await rejected(run({ ...missing, format: 'json', name: 'x' }));
    expect(e.message).toBe('--name and --namespace apply only to --format k8s, not json');
  });

  it('writes -o OUT with mode 0600 and refuses to overwrite it without --force', async () => {
    const out = join(dir, 'app.env');
    const io = fakeIo();
    await run({ format: 'docker', output: out }, io);
    expect(io.out).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('secret=this is a secret\n');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const e = await rejected(run({ format: 'shell', output: out }));
    expect(e.code).toBe('REFUSED');
    chmodSync(out, 0o644);
    await run({ format: 'shell', output: out, force: true });
    expect(readFileSync(out, 'utf8')).toContain("export secret='this is a secret'\n");
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('refuses to write over its input', async () => {
    expect((await rejected(run({ format: 'json', output: file, force: true }))).code).toBe('REFUSED');
  });

  it('github: prints the masks and appends the env lines to $GITHUB_ENV', async () => {
    const target = join(dir, 'github_env');
    writeFileSync(target, 'EARLIER=1\n');
    const io = fakeIo({ GITHUB_ENV: target });
    expect(await run({ format: 'github' }, io)).toBe(0);
    expect(io.out).toMatch(/^(::add-mask::[^\n]+\n)+$/);
    expect(io.out).toContain('::add-mask::this is a secret\n');
    expect(io.out).not.toContain('=');
    const env = readFileSync(target, 'utf8');
    expect(env.startsWith('EARLIER=1\nsecret=this is a secret\nstring=string\n')).toBe(true);
    expect(env).not.toContain('add-mask');
  });

  it('github: -o OUT takes the env lines instead of $GITHUB_ENV', async () => {
    const target = join(dir, 'github_env2');
    const out = join(dir, 'gh.out');
    const io = fakeIo({ GITHUB_ENV: target });
    await run({ format: 'github', output: out }, io);
    expect(existsSync(target)).toBe(false);
    expect(readFileSync(out, 'utf8')).toContain('COMPLEX_ARRAY_2=three\n');
    expect(io.out).toContain('::add-mask::three\n');
  });

  it('github: without $GITHUB_ENV prints the env lines after the masks and says so', async () => {
    const io = fakeIo();
    await run({ format: 'github' }, io);
    const firstEnv = io.out.indexOf('secret=');
    expect(firstEnv).toBeGreaterThan(io.out.lastIndexOf('::add-mask::'));
    expect(io.err).toBe('envcrypt: GITHUB_ENV is not set, so the environment lines were printed to stdout\n');
  });

  it('names the file when a format cannot hold a key, and never prints a value', async () => {
    const e = await rejected(run({ format: 'shell', 'flatten-separator': '-' }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.file).toBe(file);
    expect(e.message).toBe('key "COMPLEX-VALUE" is not a valid shell variable name');
  });
});
