import { spawn } from 'node:child_process';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, startCli, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-cliset-77e0-secret';
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
let n = 0;

beforeAll(() => {
  t = tempDir('envcrypt-cli-set-');
  key = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
});
afterAll(() => t.cleanup());

/** Encrypt `plain` with the CLI into a fresh file `name` in t.dir; returns the name. */
function encrypted(name: string, plain: string, type: string): string {
  const out = `${++n}-${name}`;
  put(t.dir, `${out}.plain`, plain);
  const r = runCli(['encrypt', `${out}.plain`, '-r', key.recipient, '-o', out, '--input-type', type], { cwd: t.dir, env });
  expect(r.stderr).toBe('');
  return out;
}

const cli = (args: string[], input?: string) => runCli(args, { cwd: t.dir, env, ...(input !== undefined ? { input } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('envcrypt set / get / unset', () => {
  it('dotenv: value from stdin (one trailing newline stripped); get prints it raw; --newline adds one', () => {
    const f = encrypted('app.env.enc', 'A=1\n', 'dotenv');
    const r = cli(['set', f, 'TOKEN'], `${CANARY}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(t.dir, f), 'utf8')).not.toContain(CANARY);
    expect(cli(['get', f, 'TOKEN']).stdout).toBe(CANARY);
    expect(cli(['get', f, 'TOKEN', '--newline']).stdout).toBe(`${CANARY}\n`);
    // Only one newline is stripped; inner newlines stay.
    cli(['set', f, 'MULTI'], 'line one\nline two\n\n');
    expect(cli(['get', f, 'MULTI']).stdout).toBe('line one\nline two\n');
  });

  it('KEY=VALUE works (the first "=" that ends a valid key splits), and needs no stdin', () => {
    const f = encrypted('kv.env.enc', 'A=1\n', 'dotenv');
    expect(cli(['set', f, 'URL=https://x.example/?a=b']).code).toBe(0);
    expect(cli(['get', f, 'URL']).stdout).toBe('https://x.example/?a=b');
    const y = encrypted('kv.yaml', 'a: 1\n', 'yaml');
    expect(cli(['set', y, '["k=v"]["x"]=1']).code).toBe(0);
    expect(cli(['get', y, '["k=v"]']).stdout).toBe('x: "1"\n');
  });

  it('YAML: nested paths create mappings; get prints a subtree as YAML; --type int', () => {
    const f = encrypted('config.yaml', 'db:\n    user: admin\n', 'yaml');
    expect(cli(['set', f, 'db.password'], 'pw').code).toBe(0);
    expect(cli(['set', f, 'db.pool.size', '--type', 'int'], '10').code).toBe(0);
    expect(cli(['get', f, 'db']).stdout).toBe('user: admin\npassword: pw\npool:\n    size: 10\n');
    expect(cli(['get', f, 'db.pool.size']).stdout).toBe('10');
    const bad = cli(['set', f, 'db.port', '--type', 'int'], CANARY);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain(CANARY);
  });

  it('JSON: set, get and unset a nested value', () => {
    const f = encrypted('config.json', '{"a": {"b": "c"}}', 'json');
    expect(cli(['set', f, '["a"]["d"]'], 'e').code).toBe(0);
    expect(cli(['get', f, 'a.d']).stdout).toBe('e');
    expect(cli(['unset', f, 'a.b']).code).toBe(0);
    expect(JSON.parse(cli(['get', f, 'a']).stdout)).toEqual({ d: 'e' });
  });

  it('dotenv keys are top-level; a nested or invalid key is a usage error', () => {
    const f = encrypted('flat.env.enc', 'A=1\n', 'dotenv');
    expect(cli(['set', f, '["a"]["b"]'], 'x').code).toBe(2);
    expect(cli(['set', f, 'NOT VALID'], 'x').code).toBe(2);
    expect(cli(['set', f, 'sops_mac'], 'x').code).toBe(5);
  });

  it('setting the current value changes nothing on disk (same bytes and mtime)', () => {
    const f = encrypted('same.env.enc', 'A=1\nB=2\n', 'dotenv');
    const path = join(t.dir, f);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path, old, old);
    const mtime = statSync(path).mtimeMs;
    const before = readFileSync(path);
    const r = cli(['set', f, 'B'], '2\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('already has this value');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
  });

  it('unset removes a key; a missing key is an error (exit 6) unless --ignore-missing', () => {
    const f = encrypted('u.env.enc', 'A=1\nB=2\n', 'dotenv');
    expect(cli(['unset', f, 'A']).code).toBe(0);
    expect(cli(['decrypt', f]).stdout).toBe('B=2\n');
    const missing = cli(['unset', f, 'A']);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain(`${f} has no value at A`);
    expect(cli(['unset', f, 'A', '--ignore-missing']).code).toBe(0);
    expect(cli(['get', f, 'A']).code).toBe(6);
  });

  // Ported from getsops/sops functional-tests/src/lib.rs set_yaml_file_update (3.13.2): `set FILE '["a"]' '{"aa": "aaa"}'`.
  it('set_yaml_file_update: --type json sets a mapping read from stdin, as sops set reads its JSON value', () => {
    const f = encrypted('upd.yaml', 'a: 2\nb: ba', 'yaml');
    const r = cli(['set', f, '["a"]', '--type', 'json'], '{"aa": "aaa"}\n');
    expect(r.stderr).toBe('');
    expect(readFileSync(join(t.dir, f), 'utf8')).toMatch(/^a:\n {4}aa: ENC\[AES256_GCM,data:/);
    expect(cli(['decrypt', f]).stdout).toBe('a:\n    aa: aaa\nb: ba\n');
  });

  // sops (Tree.Set's default case) replaces the scalar a: 2 on the way with a mapping, silently; envcrypt asks
  // for --force and names the path, never a value (README Decisions, "set paths").
  it('a path through a scalar is refused (exit 9) without --force, replaced with it and a warning', () => {
    const f = encrypted('through.yaml', 'a: 2\nb: ba\n', 'yaml');
    const refused = cli(['set', f, '["a"]["aa"]'], `${CANARY}\n`);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toContain('would replace an integer at a with a mapping');
    expect(refused.stderr).toContain('--force');
    const forced = cli(['set', f, '["a"]["aa"]', '--force'], `${CANARY}\n`);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe('envcrypt: warning: replaced an integer at a with a mapping\n');
    expect(`${refused.stderr}${forced.stderr}`).not.toContain(CANARY);
    expect(cli(['decrypt', f]).stdout).toBe(`a:\n    aa: ${CANARY}\nb: ba\n`);
    const raw = readFileSync(join(t.dir, f), 'utf8');
    expect(raw).toMatch(/^a:\n {4}aa: ENC\[AES256_GCM,data:/);
  });

  // Ported from getsops/sops functional-tests/src/lib.rs unset_json_file and unset_yaml_file (3.13.2).
  it('unset_json_file, unset_yaml_file: a key, then a list item; --idempotent (sops\'s name for --ignore-missing) writes nothing', () => {
    for (const [name, type] of [['unset.json', 'json'], ['unset.yaml', 'yaml']] as const) {
      const f = encrypted(name, '{"a": 2, "b": "ba", "c": [1,2]}', type);
      const path = join(t.dir, f);
      expect(cli(['unset', f, '["a"]']).code).toBe(0);
      const content = readFileSync(path);
      expect(cli(['unset', '--idempotent', f, '["a"]']).code).toBe(0);
      expect(readFileSync(path).equals(content)).toBe(true);
      expect(cli(['unset', f, '["c"][1]']).code).toBe(0);
      const after = readFileSync(path);
      expect(cli(['unset', '--idempotent', f, '["c"][1]']).code).toBe(0);
      expect(readFileSync(path).equals(after)).toBe(true);
      expect(cli(['decrypt', f, '--output-type', 'json']).stdout).toBe('{\n\t"b": "ba",\n\t"c": [\n\t\t1\n\t]\n}\n');
    }
  });

  it('--generate: 32 bytes base64url by default, N bytes, or N characters of a charset; new each run; never printed', () => {
    const f = encrypted('gen.env.enc', 'A=1\n', 'dotenv');
    const gen = (k: string, ...flags: string[]) => {
      const r = cli(['set', f, k, ...flags]);
      expect(r.code).toBe(0);
      const v = cli(['get', f, k]).stdout;
      expect(r.stderr + r.stdout).not.toContain(v);
      return v;
    };
    const a = gen('A1', '--generate');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(gen('A2', '--generate')).not.toBe(a);
    expect(Buffer.from(gen('B', '--generate=16'), 'base64url')).toHaveLength(16);
    expect(gen('C', '--generate=20', '--charset', 'hex')).toMatch(/^[0-9a-f]{20}$/);
    expect(gen('D', '--generate', '--charset', 'alnum')).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(gen('E', '--generate=12', '--charset', 'base64url')).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(gen('F', '--generate=30', '--charset', '01')).toMatch(/^[01]{30}$/);
    expect(cli(['set', f, 'G=x', '--generate']).code).toBe(2);
    expect(cli(['set', f, 'G', '--charset', 'hex']).code).toBe(2);
    expect(cli(['set', f, 'G', '--generate=abc']).code).toBe(2);
  });

  it('a lock held by a live process makes set wait, then fail with exit 10 naming its pid', () => {
    const f = encrypted('locked.env.enc', 'A=1\n', 'dotenv');
    writeFileSync(join(t.dir, `${f}.envcrypt-lock`), JSON.stringify({ pid: process.pid, hostname: hostname(), nonce: 'test' }));
    const r = runCli(['set', f, 'B'], { cwd: t.dir, env: { ...env, ENVCRYPT_LOCK_TIMEOUT_MS: '300' }, input: 'x' });
    expect(r.code).toBe(10);
    expect(r.stderr).toContain(`is locked by pid ${process.pid}`);
  });

  it('20 parallel set processes on one file: all 20 keys land and the MAC verifies', async () => {
    const f = encrypted('parallel.env.enc', 'BASE=1\n', 'dotenv');
    const runs = Array.from({ length: 20 }, (_, i) => {
      const child = startCli(['set', f, `KEY_${i}`], { cwd: t.dir, env: { ...env, ENVCRYPT_LOCK_TIMEOUT_MS: '60000' } });
      child.stdin.end(`value-${i}\n`);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise<{ code: number | null; stderr: string }>((r) => child.on('exit', (code) => r({ code, stderr })));
    });
    const results = await Promise.all(runs);
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    const dec = cli(['decrypt', f]);
    expect(dec.code).toBe(0);
    const lines = dec.stdout.trim().split('\n').sort();
    expect(lines).toEqual(['BASE=1', ...Array.from({ length: 20 }, (_, i) => `KEY_${i}=value-${i}`)].sort());
  }, 120_000);

  it('a value from stdin never appears in the process argv or environment (/proc)', async () => {
    const f = encrypted('argv.env.enc', 'A=1\n', 'dotenv');
    const child = startCli(['set', f, 'SECRET'], { cwd: t.dir, env });
    child.stdin.write(CANARY);
    await sleep(300);
    const pid = child.pid!;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(cmdline).toContain('set');
    expect(cmdline).toContain('SECRET');
    expect(cmdline).not.toContain(CANARY);
    expect(environ).not.toContain(CANARY);
    child.stdin.end('\n');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(cli(['get', f, 'SECRET']).stdout).toBe(CANARY);
  });

  it('on a TTY, set asks for the value without echoing it', async () => {
    const f = encrypted('tty.env.enc', 'A=1\n', 'dotenv');
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} set ${f} PROMPTED`, '/dev/null'], { cwd: t.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && out.includes('(input hidden)')) {
        sent = true;
        // Typed with a mistake fixed by backspace.
        child.stdin.write(`${CANARY}x\u007f\r`);
      }
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(out).toContain('value for PROMPTED (input hidden)');
    expect(out).not.toContain(CANARY);
    expect(code).toBe(0);
    expect(cli(['get', f, 'PROMPTED']).stdout).toBe(CANARY);
  });

  it('every command has --help', () => {
    for (const c of ['set', 'unset', 'get', 'edit']) {
      const r = runCli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`envcrypt ${c}`);
    }
  });
});
