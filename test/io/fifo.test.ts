import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFifo, serveFifoOnce } from '../../src/io/fifo.js';
import { caught } from '../helpers/errors.js';
import { tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let n = 0;
beforeAll(() => {
  t = tempDir('envcrypt-fifo-');
});
afterAll(() => t.cleanup());
const fresh = () => {
  const path = join(t.dir, `f${++n}`);
  makeFifo(path);
  return path;
};

describe('io/fifo', () => {
  it('makeFifo makes a 0600 FIFO; without mkfifo on PATH it is an IO error pointing to --no-fifo', () => {
    const path = fresh();
    const st = statSync(path);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const e = caught(() => makeFifo(join(t.dir, 'nope'), { PATH: '/nonexistent' }));
    expect(e.code).toBe('IO');
    expect(e.hints.join(' ')).toContain('--no-fifo');
  });

  it('serves 1 MiB whole to the first reader (more than a pipe holds), then unlinks the FIFO', async () => {
    const path = fresh();
    const text = 'x'.repeat(1 << 20);
    const server = serveFifoOnce(path, text);
    expect(server.opened).toBe(false);
    // An asynchronous read: its open waits in the thread pool for the writer, which the event loop polls for.
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(server.opened).toBe(true);
    expect(existsSync(path)).toBe(false);
    server.stop();
  });

  it('a reader that stops early ends the writing quietly; stop() with no reader leaves the FIFO unopened', async () => {
    const path = fresh();
    const server = serveFifoOnce(path, 'y'.repeat(1 << 20));
    const fh = await open(path, 'r');
    const { bytesRead } = await fh.read(Buffer.alloc(16), 0, 16, null);
    expect(bytesRead).toBe(16);
    await fh.close();
    await new Promise((r) => setTimeout(r, 50));
    server.stop();
    const idle = fresh();
    const never = serveFifoOnce(idle, 'z');
    never.stop();
    await new Promise((r) => setTimeout(r, 30));
    expect(never.opened).toBe(false);
    expect(existsSync(idle)).toBe(true);
  });
});

describe('io/fifo: the mkfifo program', () => {
  it('is never run from the current directory through an empty or relative PATH entry (an attack: a committed ./mkfifo)', () => {
    const repo = join(t.dir, 'repo');
    mkdirSync(repo);
    const marker = join(t.dir, 'planted-ran');
    writeFileSync(join(repo, 'mkfifo'), `#!/bin/sh\necho ran > ${JSON.stringify(marker)}\n`, { mode: 0o755 });
    const cwd = process.cwd();
    process.chdir(repo);
    try {
      // Only empty and relative entries: nothing absolute to search, so no mkfifo at all.
      const e = caught(() => makeFifo(join(t.dir, 'f1'), { PATH: ':.' }));
      expect(e.code).toBe('IO');
      // With a real directory after them, the real mkfifo is found and the planted one never runs.
      makeFifo(join(t.dir, 'f2'), { PATH: `:.:${process.env['PATH']}` });
    } finally {
      process.chdir(cwd);
    }
    expect(statSync(join(t.dir, 'f2')).isFIFO()).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });
});
