// SIGKILL at random moments during writes: every file must afterwards be the
// old or the new version, parse, decrypt, and no plaintext may be left in a
// temp file. CRASH_TRIALS sets trials per operation (4 in npm test, 50 in the long run).
// recipients remove / rotate have their own harness in test/cli/crash-safety.test.ts.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptText } from '../../src/api/decrypt.js';
import { sweepStale } from '../../src/io/tempdir.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 4);
const CANARY = 'CANARY-crash-77aa';
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
let shm: string;

beforeAll(() => {
  t = tempDir();
  key = ageKeygen(t.dir);
  shm = join(t.dir, 'shm');
  mkdirSync(shm);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, TMPDIR: shm, ENVCRYPT_TMPDIR: shm });
});
afterAll(() => t.cleanup());

/** Start the CLI and SIGKILL it after `ms`; resolves when it is gone. */
function killAfter(args: string[], cwd: string, ms: number, extra: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extra }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Every file left in `dir` (temp files included) must not hold the canary in clear. */
function noPlaintextLeft(dir: string, except: string[] = []): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (except.includes(name) || !statSync(p).isFile()) continue;
    expect(readFileSync(p, 'utf8'), `${name} holds plaintext`).not.toContain(CANARY);
  }
}

async function values(text: string, name: string): Promise<string> {
  const dec = await decryptText(text, name, { env });
  return JSON.stringify(dec.branches, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

describe(`crash safety (${TRIALS} trials each)`, () => {
  it('encrypt --in-place: the file is the plaintext or the full encryption', async () => {
    for (let i = 0; i < TRIALS; i++) {
      const dir = join(t.dir, `inplace-${i}`);
      mkdirSync(dir);
      const plain = Array.from({ length: 400 }, (_, k) => `K${k}=${CANARY}-${k}`).join('\n') + '\n';
      put(dir, 'app.env', plain);
      await killAfter(['encrypt', 'app.env', '-r', key.recipient, '--in-place'], dir, Math.random() * 250);
      const now = readFileSync(join(dir, 'app.env'), 'utf8');
      if (now !== plain) expect(await values(now, 'app.env')).toContain(`${CANARY}-399`);
      noPlaintextLeft(dir, ['app.env']);
    }
  });

  it('set: the file is the old or the new version and always decrypts', async () => {
    const dir = join(t.dir, 'set');
    mkdirSync(dir);
    put(dir, 'base.env', Array.from({ length: 300 }, (_, k) => `K${k}=v${k}`).join('\n') + '\n');
    expect(runCli(['encrypt', 'base.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: dir, env }).code).toBe(0);
    for (let i = 0; i < TRIALS; i++) {
      const before = readFileSync(join(dir, 'app.env.enc'), 'utf8');
      await killAfter(['set', 'app.env.enc', `NEW${i}=${CANARY}`], dir, Math.random() * 250);
      const after = readFileSync(join(dir, 'app.env.enc'), 'utf8');
      const v = await values(after, 'app.env.enc');
      if (after !== before) expect(v).toContain(`NEW${i}`);
      noPlaintextLeft(dir);
      // A lock left by the killed process belongs to a dead pid: the next set breaks it.
    }
    expect(runCli(['set', 'app.env.enc', 'FINAL=1'], { cwd: dir, env }).code).toBe(0);
  });

  it('edit write-back: the file is old or new, and no plaintext temp file survives the next run', async () => {
    const dir = join(t.dir, 'edit');
    mkdirSync(dir);
    put(dir, 'base.env', Array.from({ length: 300 }, (_, k) => `K${k}=v${k}`).join('\n') + '\n');
    expect(runCli(['encrypt', 'base.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: dir, env }).code).toBe(0);
    const editor = `node ${join(ROOT, 'test/fixtures/editors/replace.mjs')}`;
    for (let i = 0; i < TRIALS; i++) {
      const before = readFileSync(join(dir, 'app.env.enc'), 'utf8');
      await killAfter(['edit', 'app.env.enc'], dir, 60 + Math.random() * 250, { ENVCRYPT_EDITOR: editor, EDIT_APPEND: `E${i}=${CANARY}\n` });
      const after = readFileSync(join(dir, 'app.env.enc'), 'utf8');
      const v = await values(after, 'app.env.enc');
      if (after !== before) expect(v).toContain(`E${i}`);
      noPlaintextLeft(dir);
    }
    // A SIGKILL while the editor was open leaves its private dir; the next envcrypt run sweeps it.
    sweepStale(shm);
    const left = readdirSync(shm).filter((n) => n.startsWith('envcrypt-'));
    expect(left).toEqual([]);
  });
});

describe('sweepStale', () => {
  it('removes private dirs of dead envcrypt processes but keeps live and kept ones', () => {
    const root = join(t.dir, 'sweep');
    mkdirSync(root);
    const dead = join(root, 'envcrypt-999999-abcDEF');
    const live = join(root, `envcrypt-${process.pid}-abcDEF`);
    const kept = join(root, 'envcrypt-999998-keptXX');
    for (const d of [dead, live, kept]) {
      mkdirSync(d);
      writeFileSync(join(d, '.env'), `SECRET=${CANARY}`);
    }
    writeFileSync(join(kept, '.envcrypt-kept'), '');
    sweepStale(root);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(kept)).toBe(true);
  });
});
