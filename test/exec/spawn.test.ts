import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FORWARDED_SIGNALS, reraise, runChild, shouldForward } from '../../src/exec/spawn.js';
import { EnvcryptError } from '../../src/errors.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const bin = (name: string): string => join(fixtures, 'bin', name);
const node = process.execPath;

let tmp: string;
let driver: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'envcrypt-spawn-'));
  driver = join(tmp, 'run-child.bundle.mjs');
  // Node 20 cannot import TypeScript, so the driver and spawn.ts are bundled.
  await build({
    entryPoints: [join(fixtures, 'run-child.mjs')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: driver,
    logLevel: 'silent',
  });
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Driver {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves once stdout (or stderr) contains `text`. */
  waitFor: (text: string, stream?: 'stdout' | 'stderr') => Promise<void>;
  /** The child's pid, reported by the driver's onSpawn hook. */
  childPid: () => Promise<number>;
  done: Promise<Outcome>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

// Drivers run detached: in a session of their own, without a controlling
// terminal, so they are never in a terminal's foreground group and relay
// every signal, wherever the tests are started from.
function startDriver(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer } = {},
): Driver {
  const proc = spawn(node, [driver, ...argv], {
    cwd: opts.cwd ?? tmp,
    env: { ...process.env, RUN_CHILD_REPORT_PID: '1', ...opts.env },
    stdio: 'pipe',
    detached: true,
  });
  running.add(proc);
  const out = { stdout: '', stderr: '' };
  const listeners: (() => void)[] = [];
  proc.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
    for (const l of listeners) l();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
    for (const l of listeners) l();
  });
  if (opts.input !== undefined) proc.stdin.end(opts.input);
  else proc.stdin.end();
  const done = new Promise<Outcome>((resolve) => {
    proc.on('close', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal, ...out });
    });
  });
  const waitFor = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (out[stream].includes(text)) resolve();
      };
      listeners.push(check);
      check();
      void done.then((o) => reject(new Error(`driver ended before printing ${JSON.stringify(text)}: ${JSON.stringify(o)}`)));
    });
  const childPid = async (): Promise<number> => {
    await waitFor('child-pid ', 'stderr');
    await waitFor('\n', 'stderr');
    return Number(/child-pid (\d+)/.exec(out.stderr)?.[1]);
  };
  return { proc, waitFor, childPid, done };
}

afterEach(() => {
  // A failed test must not leave a driver or its child behind: each driver
  // leads its own process group.
  for (const proc of running) {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
});

describe('runChild via the driver: exit status', () => {
  it.each([0, 1, 7, 255])('passes exit code %i through', async (code) => {
    const r = await startDriver(['--', node, bin('exit-with.js'), String(code)]).done;
    expect(r).toMatchObject({ code, signal: null, stdout: '' });
    expect(r.stderr).not.toContain('envcrypt:');
  });

  it('runs a script by its path through its #! line', async () => {
    const r = await startDriver(['--', bin('exit-with.js'), '7']).done;
    expect(r.code).toBe(7);
  });

  it('dies by SIGKILL when the child is killed by SIGKILL', async () => {
    const d = startDriver(['--', node, bin('sleep-forever.js')]);
    await d.waitFor('ready');
    process.kill(await d.childPid(), 'SIGKILL');
    const r = await d.done;
    expect(r.signal).toBe('SIGKILL');
    expect(r.code).toBeNull();
  });

  it('dies by SIGTERM when the forwarded SIGTERM kills the child', async () => {
    const d = startDriver(['--', node, bin('sleep-forever.js')]);
    await d.waitFor('ready');
    await d.childPid();
    d.proc.kill('SIGTERM');
    const r = await d.done;
    expect(r.signal).toBe('SIGTERM');
  });

  it('exits 141 when the child dies by SIGPIPE, which node ignores', async () => {
    const r = await startDriver(['--shell', '--', 'kill -PIPE $$']).done;
    expect(r).toMatchObject({ code: 141, signal: null });
  });

  it('exits 138 when the child dies by SIGUSR1, without opening the inspector', async () => {
    const r = await startDriver(['--shell', '--', 'kill -USR1 $$']).done;
    expect(r).toMatchObject({ code: 138, signal: null });
    expect(r.stderr).not.toContain('Debugger');
  });
});

describe('runChild via the driver: signals', { timeout: 10_000 }, () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const)(
    'forwards %s and waits for the child to finish its cleanup',
    async (signal) => {
      const d = startDriver(['--', node, bin('print-signal.js'), '42']);
      await d.waitFor('ready');
      await d.childPid();
      d.proc.kill(signal);
      const r = await d.done;
      // Exit 42 shows the driver survived the signal and waited for the child.
      expect(r).toMatchObject({ code: 42, signal: null });
      expect(r.stdout).toBe(`ready\ngot ${signal}\ncleanup done\n`);
    },
  );

  it('forwards a second signal during the cleanup and still waits', async () => {
    const d = startDriver(['--', node, bin('print-signal.js'), '3']);
    await d.waitFor('ready');
    await d.childPid();
    d.proc.kill('SIGTERM');
    await d.waitFor('got SIGTERM');
    d.proc.kill('SIGINT');
    const r = await d.done;
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stdout).toBe('ready\ngot SIGTERM\ngot SIGINT\ncleanup done\n');
  });

  it('forwards SIGWINCH and SIGQUIT when not in the foreground of a terminal', async () => {
    const d = startDriver(['--', node, bin('print-signal.js'), '5']);
    await d.waitFor('ready');
    await d.childPid();
    d.proc.kill('SIGWINCH');
    await d.waitFor('got SIGWINCH');
    d.proc.kill('SIGQUIT');
    const r = await d.done;
    expect(r).toMatchObject({ code: 5, signal: null });
    expect(r.stdout).toBe('ready\ngot SIGWINCH\ngot SIGQUIT\ncleanup done\n');
  });

  const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;
  const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

  it.skipIf(!hasScript)('does not deliver a Ctrl-C twice when run in the foreground of a terminal', async () => {
    // script(1) gives the driver a pseudo-terminal whose foreground group it
    // leads; ^C written to the terminal reaches the driver and the child.
    const cmd = `exec ${q(node)} ${q(driver)} -- ${q(node)} ${q(bin('print-signal.js'))} 9`;
    const proc = spawn('script', ['-qefc', cmd, '/dev/null'], {
      env: { ...process.env, SHELL: '/bin/sh' },
      stdio: 'pipe',
      detached: true,
    });
    running.add(proc);
    let out = '';
    const ready = new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
    });
    const done = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    await ready;
    proc.stdin.write('\x03');
    const code = await done;
    running.delete(proc);
    const lines = out.replaceAll('\r', '').split('\n');
    expect(lines.filter((l) => l.endsWith('got SIGINT'))).toHaveLength(1);
    expect(lines).toContain('cleanup done');
    expect(code).toBe(9);
  });
});

describe('runChild via the driver: stdio and arguments', () => {
  it('pipes stdin through unchanged', async () => {
    const input = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7 + 3) % 256));
    const proc = spawn(node, [driver, '--', node, bin('cat-stdin.js')], { stdio: 'pipe', detached: true });
    running.add(proc);
    const chunks: Buffer[] = [];
    proc.stdout.on('data', (d: Buffer) => chunks.push(d));
    proc.stdin.end(input);
    const code = await new Promise((resolve) => proc.on('close', resolve));
    running.delete(proc);
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).equals(input)).toBe(true);
  });

  it('passes arguments verbatim, with no shell interpretation', async () => {
    const args = [
      'a b', '"double"', "'single'", '$HOME', '${HOME}', 'x;y', 'a|b', '*', '?', '~', '',
      '\\', 'line\nbreak', '`id`', '$(id)', '--', '-c', '&&', '>out', 'ünï', '  lead',
    ];
    const r = await startDriver(['--', node, bin('print-args.js'), ...args]).done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(args);
  });

  it('passes argv[0] as typed, not the resolved path', async () => {
    const r = await startDriver(['--', 'sh', '-c', 'echo "$0"']).done;
    expect(r.stdout).toBe('sh\n');
  });

  it('gives the child the environment it was given', async () => {
    const r = await startDriver(['--', node, bin('print-env.js'), 'SPAWN_TEST_A', 'SPAWN_TEST_UNSET'], {
      env: { SPAWN_TEST_A: 'value with spaces' },
    }).done;
    expect(JSON.parse(r.stdout)).toEqual({ SPAWN_TEST_A: 'value with spaces', SPAWN_TEST_UNSET: null });
  });

  it('with --shell, runs the command as a script and keeps the arguments separate', async () => {
    const cwd = join(tmp, 'glob');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'f1.txt'), '');
    writeFileSync(join(cwd, 'f2.txt'), '');
    const script = 'echo "$1|$2" $SPAWN_TEST_VAR; echo *.txt; echo "$0"; printf "%s\\n" "$3"';
    const r = await startDriver(['--shell', '--', script, 'a  b', 'c', '$HOME;*'], {
      cwd,
      env: { SPAWN_TEST_VAR: 'from-env' },
    }).done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a  b|c from-env\nf1.txt f2.txt\nsh\n$HOME;*\n');
  });
});

describe('runChild via the driver: commands that cannot run', () => {
  it('exits 127 with a clear message for a missing command', async () => {
    const r = await startDriver(['--', 'envcrypt-test-no-such-command']).done;
    expect(r).toMatchObject({ code: 127, stdout: '' });
    expect(r.stderr.split('\n')[0]).toBe('envcrypt: error: command not found: envcrypt-test-no-such-command');
    expect(r.stderr).toContain('envcrypt: hint: searched PATH=');
  });

  it('exits 126 for a file without execute permission', async () => {
    const file = join(tmp, 'plain.sh');
    writeFileSync(file, '#!/bin/sh\necho ran\n');
    chmodSync(file, 0o644);
    const r = await startDriver(['--', './plain.sh']).done;
    expect(r).toMatchObject({ code: 126, stdout: '' });
    expect(r.stderr.split('\n')[0]).toBe('envcrypt: error: command not executable: ./plain.sh');
  });

  it('exits 126 for a directory', async () => {
    const r = await startDriver(['--', fixtures]).done;
    expect(r).toMatchObject({ code: 126, stdout: '' });
    expect(r.stderr.split('\n')[0]).toBe(`envcrypt: error: command is a directory: ${fixtures}`);
  });

  it('exits 126 when PATH holds only a non-executable file of that name', async () => {
    const dir = join(tmp, 'noexec-bin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'envcrypt-test-tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'envcrypt-test-tool'), 0o644);
    const r = await startDriver(['--', 'envcrypt-test-tool'], { env: { PATH: `${dir}:${process.env['PATH'] ?? ''}` } }).done;
    expect(r.code).toBe(126);
  });
});

describe('runChild in process', () => {
  const counts = (): number[] => FORWARDED_SIGNALS.map((s) => process.listenerCount(s));

  it('resolves with the exit code, reports the pid and removes its handlers', async () => {
    const before = counts();
    let during: number[] = [];
    let pid = 0;
    const result = await runChild({
      command: node,
      args: [bin('exit-with.js'), '7'],
      env: process.env,
      onSpawn: (p) => {
        pid = p;
        during = counts();
      },
    });
    expect(result).toEqual({ code: 7 });
    expect(pid).toBeGreaterThan(0);
    expect(during).toEqual(before.map((n) => n + 1));
    expect(counts()).toEqual(before);
  });

  it('rejects before starting anything and leaves no handlers behind', async () => {
    const before = counts();
    let spawned = false;
    const err = await runChild({
      command: 'envcrypt-test-no-such-command',
      args: [],
      env: process.env,
      onSpawn: () => {
        spawned = true;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).exitCode).toBe(127);
    expect(spawned).toBe(false);
    expect(counts()).toEqual(before);
  });

  it('refuses a NUL byte in the environment without quoting the value', async () => {
    const secret = 'canary-secret-7fQ2';
    const err = await runChild({
      command: node,
      args: [bin('exit-with.js')],
      env: { PATH: process.env['PATH'], API_TOKEN: `${secret}\0tail` },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    const e = err as EnvcryptError;
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe('environment variable API_TOKEN contains a NUL byte');
    expect(JSON.stringify([e.message, e.hints, String(e.cause)])).not.toContain(secret);
  });

  it('refuses a NUL byte in an argument, naming its position', async () => {
    const err = await runChild({ command: node, args: ['ok', 'x\0y'], env: process.env }).catch((e: unknown) => e);
    expect((err as EnvcryptError).message).toBe('argument 2 of the command contains a NUL byte');
  });

  it('maps an argument list over the system limit to 126, like a shell', async () => {
    const before = counts();
    const err = await runChild({ command: node, args: ['x'.repeat(256 * 1024)], env: process.env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).message).toBe(`could not start ${node}: the arguments and environment are too large`);
    expect((err as EnvcryptError).exitCode).toBe(126);
    expect(counts()).toEqual(before);
  });
});

describe('shouldForward', () => {
  it('holds back only the terminal-generated kinds, and only in the foreground', () => {
    for (const s of FORWARDED_SIGNALS) {
      const terminalKind = s === 'SIGINT' || s === 'SIGQUIT' || s === 'SIGWINCH';
      expect(shouldForward(s, true)).toBe(!terminalKind);
      expect(shouldForward(s, false)).toBe(true);
    }
  });
});

describe('reraise', () => {
  it('returns the exit code of a normal exit', async () => {
    expect(await reraise({ code: 0 })).toBe(0);
    expect(await reraise({ code: 255 })).toBe(255);
  });

  it('returns 128+N for a signal that cannot kill the process', async () => {
    // SIGWINCH is ignored by default, so re-raising it here is harmless.
    expect(await reraise({ signal: 'SIGWINCH' })).toBe(128 + constants.signals.SIGWINCH);
  });
});

describe('runChild with pipeOutput', () => {
  const collect = (s: NodeJS.ReadableStream | null): Promise<string> =>
    new Promise((resolve) => {
      let text = '';
      s!.on('data', (d: Buffer) => (text += d.toString()));
      s!.on('end', () => resolve(text));
    });

  it('hands over stdout and stderr as pipes, before onSpawn, and keeps the exit code', async () => {
    const order: string[] = [];
    let out = Promise.resolve('');
    let err = Promise.resolve('');
    const result = await runChild({
      command: node,
      args: ['-e', 'process.stdout.write("to out"); process.stderr.write("to err"); process.exitCode = 5'],
      env: process.env,
      pipeOutput: async (child) => {
        order.push('pipeOutput');
        out = collect(child.stdout);
        err = collect(child.stderr);
        await Promise.all([out, err]);
      },
      onSpawn: () => order.push('onSpawn'),
    });
    expect(result).toEqual({ code: 5 });
    expect(order).toEqual(['pipeOutput', 'onSpawn']);
    expect(await out).toBe('to out');
    expect(await err).toBe('to err');
  });

  it('resolves only after both the exit and the pipeOutput promise', async () => {
    const events: string[] = [];
    let exited = false;
    const result = await runChild({
      command: node,
      args: [bin('exit-with.js'), '0'],
      env: process.env,
      pipeOutput: (child) => {
        child.stdout!.resume();
        child.stderr!.resume();
        child.once('exit', () => (exited = true));
        // Settles well after the child has exited.
        return new Promise<void>((resolve) =>
          child.once('exit', () =>
            setTimeout(() => {
              events.push(`piped (exited: ${exited})`);
              resolve();
            }, 150),
          ),
        );
      },
    });
    events.push('resolved');
    expect(result).toEqual({ code: 0 });
    expect(events).toEqual(['piped (exited: true)', 'resolved']);
  });

  it('rejects with the pipeOutput error, only once the child has exited, and leaves no handlers', async () => {
    const before = FORWARDED_SIGNALS.map((s) => process.listenerCount(s));
    const boom = new Error('pipe failed');
    let exited = false;
    const err = await runChild({
      command: node,
      args: ['-e', 'setTimeout(() => {}, 200)'],
      env: process.env,
      pipeOutput: (child) => {
        child.once('exit', () => (exited = true));
        return Promise.reject(boom);
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(exited).toBe(true);
    expect(FORWARDED_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('treats a synchronous throw in pipeOutput like a rejection', async () => {
    const boom = new Error('thrown');
    const err = await runChild({
      command: node,
      args: [bin('exit-with.js'), '0'],
      env: process.env,
      pipeOutput: () => {
        throw boom;
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(boom);
  });

  it('is never called when the command cannot start', async () => {
    let called = false;
    const err = await runChild({
      command: 'envcrypt-test-no-such-command',
      args: [],
      env: process.env,
      pipeOutput: async () => {
        called = true;
      },
    }).catch((e: unknown) => e);
    expect((err as EnvcryptError).exitCode).toBe(127);
    expect(called).toBe(false);
  });
});
