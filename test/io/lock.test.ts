import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, lockPathFor, parseLockText, pidAlive, withLock } from '../../src/io/lock.js';
import { rejected } from '../helpers/errors.js';
import { bundleScript } from '../helpers/bundle.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-lock-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const target = () => join(dir, `file-${++n}.env.enc`);

/** The pid of a process that has already exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  expect(pidAlive(pid)).toBe(false);
  return pid;
}

describe('acquireLock', () => {
  it('creates FILE.envcrypt-lock holding pid, hostname and a nonce, and release removes it', async () => {
    const file = target();
    const lock = await acquireLock(file);
    expect(lock.path).toBe(`${file}.envcrypt-lock`);
    const holder = parseLockText(readFileSync(lock.path, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(holder!.nonce).toMatch(/^[0-9a-f]{24}$/);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lock.release(); // twice is harmless
  });

  it('waits out the timeout, then fails with CONFLICT (exit 10) naming the holder pid', async () => {
    const file = target();
    const lock = await acquireLock(file);
    // It waited: a timer due halfway through the timeout fires before it gives up.
    let halfway = false;
    setTimeout(() => (halfway = true), 150);
    const e = await rejected(acquireLock(file, { timeoutMs: 300 }));
    expect(halfway).toBe(true);
    expect(e.code).toBe('CONFLICT');
    expect(e.exitCode).toBe(10);
    expect(e.message).toContain(`locked by pid ${process.pid}`);
    expect(e.message).toContain('(waited 300 ms)');
    expect(e.hints.join('\n')).toContain(lockPathFor(file));
    lock.release();
  });

  it('reads the timeout from ENVCRYPT_LOCK_TIMEOUT_MS, and refuses a bad value', async () => {
    const file = target();
    const lock = await acquireLock(file);
    const e = await rejected(acquireLock(file, { env: { ENVCRYPT_LOCK_TIMEOUT_MS: '50' } }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('(waited 50 ms)');
    expect((await rejected(acquireLock(file, { env: { ENVCRYPT_LOCK_TIMEOUT_MS: 'soon' } }))).code).toBe('USAGE');
    lock.release();
  });

  it('waits for a holder that releases, then gets the lock', async () => {
    const file = target();
    const first = await acquireLock(file);
    setTimeout(() => first.release(), 150);
    const second = await acquireLock(file, { timeoutMs: 5000 });
    expect(parseLockText(readFileSync(second.path, 'utf8'))!.pid).toBe(process.pid);
    second.release();
  });

  it('breaks a stale lock whose pid is dead on this host', async () => {
    const file = target();
    writeFileSync(lockPathFor(file), JSON.stringify({ pid: deadPid(), hostname: hostname(), nonce: 'old' }));
    // A timeout of 0: the stale lock is broken on the first look, with no waiting.
    const lock = await acquireLock(file, { timeoutMs: 0 });
    expect(parseLockText(readFileSync(lock.path, 'utf8'))!.nonce).not.toBe('old');
    lock.release();
  });

  it('does not break a lock held on another host (its pid cannot be checked)', async () => {
    const file = target();
    writeFileSync(lockPathFor(file), JSON.stringify({ pid: deadPid(), hostname: `not-${hostname()}`, nonce: 'x' }));
    const e = await rejected(acquireLock(file, { timeoutMs: 100 }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain(`on not-${hostname()}`);
    rmSync(lockPathFor(file));
  });

  it('treats an unreadable lock as held while fresh and as stale once old', async () => {
    const file = target();
    writeFileSync(lockPathFor(file), '');
    expect((await rejected(acquireLock(file, { timeoutMs: 100 }))).message).toContain('locked by another process');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPathFor(file), old, old);
    const lock = await acquireLock(file, { timeoutMs: 1000 });
    lock.release();
  });

  it('two names for one file (a symlink) share one lock', async () => {
    const file = target();
    writeFileSync(file, 'x');
    const link = join(dir, `link-${n}.env.enc`);
    symlinkSync(file, link);
    expect(lockPathFor(link)).toBe(lockPathFor(file));
    const lock = await acquireLock(file);
    expect((await rejected(acquireLock(link, { timeoutMs: 50 }))).code).toBe('CONFLICT');
    lock.release();
  });

  it('release leaves alone a lock file that is no longer ours', async () => {
    const file = target();
    const lock = await acquireLock(file);
    const foreign = JSON.stringify({ pid: 1, hostname: 'elsewhere', nonce: 'theirs' });
    writeFileSync(lock.path, foreign);
    lock.release();
    expect(readFileSync(lock.path, 'utf8')).toBe(foreign);
    rmSync(lock.path);
  });

  it('fails with IO, not a timeout, when the lock file cannot be created', async () => {
    const e = await rejected(acquireLock(join(dir, 'no-such-dir', 'x.env.enc'), { timeoutMs: 5000 }));
    expect(e.code).toBe('IO');
    expect(e.message).toContain('ENOENT');
  });
});

describe('withLock', () => {
  it('runs holders one at a time, within one process too', async () => {
    const file = target();
    let active = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withLock(file, async () => {
          active++;
          most = Math.max(most, active);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          active--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(existsSync(lockPathFor(file))).toBe(false);
  });

  it('releases the lock when the function throws', async () => {
    const file = target();
    await expect(withLock(file, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lockPathFor(file))).toBe(false);
  });

  it('is released when the process exits without releasing it', async () => {
    const driver = join(dir, 'hold-and-exit.mjs');
    await bundleScript(driver, `import { acquireLock } from './src/io/lock.ts';\nawait acquireLock(process.argv[2]);\nprocess.stdout.write('held');\nprocess.exit(3);\n`);
    const file = target();
    const r = spawnSync(process.execPath, [driver, file], { encoding: 'utf8' });
    expect(r.stdout).toBe('held');
    expect(r.status).toBe(3);
    expect(existsSync(lockPathFor(file))).toBe(false);
  });
});
