import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../src/api/decrypt.js';
import { editFile, tempFileName, type EditOptions } from '../../src/api/edit.js';
import { encryptText } from '../../src/api/encrypt.js';
import { EnvcryptError } from '../../src/errors.js';
import { acquireLock } from '../../src/io/lock.js';
import { tempRoot } from '../../src/io/tempdir.js';
import { getPath } from '../../src/tree/path.js';
import { str } from '../../src/tree/types.js';
import { FIXTURES } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, tempDir } from '../helpers/run-cli.js';
import { rejected } from '../helpers/errors.js';
import { bundleScript } from '../helpers/bundle.js';

const CANARY = 'CANARY-edit-93c2-secret';
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
let root: string;
let n = 0;

beforeAll(() => {
  t = tempDir('envcrypt-edit-');
  key = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
  root = join(t.dir, 'tmproot');
  mkdirSync(root);
});
afterAll(() => t.cleanup());

async function encrypted(name: string, plain: string): Promise<string> {
  const dir = join(t.dir, `case-${++n}`);
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, await encryptText(plain, path, { recipients: [key.recipient] }));
  return path;
}

/** Options with a scripted editor: each call of the editor applies the next step to the temp file. */
function scripted(steps: Array<(text: string, path: string) => string | void>, extra: Partial<EditOptions> = {}) {
  const seen: { paths: string[]; texts: string[]; reopenErrors: EnvcryptError[] } = { paths: [], texts: [], reopenErrors: [] };
  const opts: EditOptions = {
    env,
    onWarning: () => undefined,
    tempRoot: root,
    runEditor: async (path) => {
      const step = steps[seen.paths.length];
      seen.paths.push(path);
      const text = readFileSync(path, 'utf8');
      seen.texts.push(text);
      if (!step) throw new Error('editor opened too often');
      const out = step(text, path);
      if (typeof out === 'string') writeFileSync(path, out);
    },
    confirmReopen: async (e) => {
      seen.reopenErrors.push(e);
      return seen.paths.length < steps.length;
    },
    ...extra,
  };
  return { opts, seen };
}

function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return b.flatMap((l, i) => (l === a[i] ? [] : [l.trim().split(/[=:]/)[0]!]));
}

const rootEmpty = () => expect(readdirSync(root)).toEqual([]);

describe('tempFileName', () => {
  it('keeps the base name so editors highlight it, minus a trailing .enc', () => {
    expect(tempFileName('/x/.env.enc')).toBe('.env');
    expect(tempFileName('secrets.enc.yaml')).toBe('secrets.enc.yaml');
    expect(tempFileName('dir/app.json.enc')).toBe('app.json');
    expect(tempFileName('config.yaml')).toBe('config.yaml');
    expect(tempFileName('.enc')).toBe('.enc');
  });

  it('the default temp root is /dev/shm when it is writable', () => {
    let shm = false;
    try {
      shm = statSync('/dev/shm').isDirectory();
    } catch {
      /* no /dev/shm here */
    }
    expect(tempRoot()).toBe(shm ? '/dev/shm' : tmpdir());
  });
});

describe('editFile', () => {
  it('unchanged text: nothing written (same bytes and mtime); a private 0600 file in a 0700 dir, removed after', async () => {
    const file = await encrypted('.env.enc', `A=1\nTOKEN=${CANARY}\n`);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(file, old, old);
    const mtime = statSync(file).mtimeMs;
    const before = readFileSync(file);
    let modes: number[] = [];
    const { opts, seen } = scripted([
      (_text, path) => {
        modes = [statSync(path).mode & 0o777, statSync(dirname(path)).mode & 0o777];
      },
    ]);
    expect(await editFile(file, opts)).toEqual({ status: 'unchanged', created: false });
    expect(seen.texts[0]).toBe(`A=1\nTOKEN=${CANARY}\n`);
    expect(basename(seen.paths[0]!)).toBe('.env');
    expect(dirname(dirname(seen.paths[0]!))).toBe(root);
    expect(modes).toEqual([0o600, 0o700]);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
    rootEmpty();
  });

  it('dotenv: one changed value re-encrypts that line, the MAC, lastmodified and the integrity record only', async () => {
    const file = await encrypted('app.env.enc', `# settings\nA=1\nB=two\nC=three\n`);
    const before = readFileSync(file, 'utf8');
    await new Promise((r) => setTimeout(r, 1100));
    const { opts } = scripted([(text) => text.replace('B=two', `B=${CANARY}`)]);
    expect(await editFile(file, opts)).toEqual({ status: 'written', created: false });
    const after = readFileSync(file, 'utf8');
    expect(after).not.toContain(CANARY);
    expect(changedLines(before, after).sort()).toEqual(['B', 'sops_envcrypt_integrity', 'sops_lastmodified', 'sops_mac']);
    expect(getPath((await decryptFile(file, { env })).branches[0]!, ['B'])).toEqual(str(CANARY));
    rootEmpty();
  });

  it('YAML: one changed nested value re-encrypts that line plus mac, lastmodified and the integrity record; comments stay', async () => {
    const file = await encrypted('secrets.enc.yaml', `# top comment\ndb:\n    user: admin\n    password: hunter2 # inline\nlist:\n    - x\n    - y\n`);
    const before = readFileSync(file, 'utf8');
    await new Promise((r) => setTimeout(r, 1100));
    const { opts, seen } = scripted([(text) => text.replace('hunter2', CANARY)]);
    await editFile(file, opts);
    expect(basename(seen.paths[0]!)).toBe('secrets.enc.yaml');
    expect(changedLines(before, readFileSync(file, 'utf8')).sort()).toEqual(['envcrypt_integrity', 'lastmodified', 'mac', 'password']);
  });

  it('text changed but values equal (only layout): nothing is written', async () => {
    const file = await encrypted('c.json', '{"a": "1", "b": {"c": true}}');
    const before = readFileSync(file);
    const { opts } = scripted([(text) => JSON.stringify(JSON.parse(text), null, 8) + '\n\n']);
    expect(await editFile(file, opts)).toEqual({ status: 'unchanged', created: false });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('invalid syntax: confirmReopen gets a PARSE error with line:column and no content; reopening lets it be fixed', async () => {
    const file = await encrypted('fix.env.enc', 'A=1\n');
    const { opts, seen } = scripted([(text) => `${text}${CANARY} not valid\n`, (text) => text.replace(`${CANARY} not valid\n`, 'B=2\n')]);
    expect(await editFile(file, opts)).toEqual({ status: 'written', created: false });
    expect(seen.paths).toHaveLength(2);
    expect(seen.paths[1]).toBe(seen.paths[0]);
    // The editor was reopened on the broken text, not on the original.
    expect(seen.texts[1]).toContain('not valid');
    const e = seen.reopenErrors[0]!;
    expect(e.code).toBe('PARSE');
    expect(e.position?.line).toBe(2);
    expect(`${e.message} ${e.hints.join(' ')}`).not.toContain(CANARY);
    expect(e.hints.join(' ')).toContain('was not changed');
    expect(getPath((await decryptFile(file, { env })).branches[0]!, ['B'])).toEqual(str('2'));
  });

  it('invalid syntax without reopening: the error is thrown, the file untouched, the temp dir removed', async () => {
    const file = await encrypted('bad.yaml', 'a: 1\n');
    const before = readFileSync(file);
    const { opts } = scripted([() => 'a: [unclosed\n'], { confirmReopen: async () => false });
    const e = await rejected(editFile(file, opts));
    expect(e.code).toBe('PARSE');
    expect(e.exitCode).toBe(5);
    expect(e.position).toBeDefined();
    expect(readFileSync(file).equals(before)).toBe(true);
    rootEmpty();
  });

  it.each([
    ['dotenv', 'm.env.enc', (t: string) => `${t}sops_mac=x\n`],
    ['YAML', 'm.yaml', (t: string) => `${t}sops:\n    mac: x\n`],
    ['JSON', 'm.json', () => '{"a": "1", "sops": {}}\n'],
  ])('%s: a sops metadata key in the edited text is refused like invalid syntax', async (_f, name, edit) => {
    const file = await encrypted(name, name.endsWith('.json') ? '{"a": "1"}' : name.endsWith('.yaml') ? 'a: "1"\n' : 'a=1\n');
    const before = readFileSync(file);
    const { opts, seen } = scripted([edit], {
      confirmReopen: async (e) => {
        seen.reopenErrors.push(e);
        return false;
      },
    });
    const e = await rejected(editFile(file, opts));
    expect(e.code).toBe('PARSE');
    expect(e.message).toContain('reserved for the sops metadata');
    expect(seen.reopenErrors).toHaveLength(1);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('an editor failure aborts: nothing written, temp dir removed', async () => {
    const file = await encrypted('abort.env.enc', 'A=1\n');
    const before = readFileSync(file);
    const opts = scripted([]).opts;
    opts.runEditor = async (path) => {
      writeFileSync(path, 'A=changed\n');
      throw new EnvcryptError('IO', 'the editor exited with status 1');
    };
    expect((await rejected(editFile(file, opts))).message).toContain('status 1');
    expect(readFileSync(file).equals(before)).toBe(true);
    rootEmpty();
  });

  it('file changed by someone else meanwhile: CONFLICT, nothing written, the edit kept in a 0600 file named in a hint', async () => {
    const file = await encrypted('race.env.enc', 'A=1\n');
    const { opts } = scripted([
      (text) => {
        writeFileSync(file, readFileSync(file, 'utf8') + '#someone else\n');
        return text.replace('A=1', `A=${CANARY}`);
      },
    ]);
    const theirs = async () => readFileSync(file, 'utf8');
    const e = await rejected(editFile(file, opts));
    expect(e.code).toBe('CONFLICT');
    expect(e.exitCode).toBe(10);
    expect(e.message).toContain('was changed by another program');
    expect(await theirs()).toContain('#someone else');
    const kept = /kept, in plaintext, in (\S+) \(mode 0600\)/.exec(e.hints.join('\n'))?.[1];
    expect(kept).toBeDefined();
    expect(statSync(kept!).mode & 0o777).toBe(0o600);
    expect(readFileSync(kept!, 'utf8')).toBe(`A=${CANARY}\n`);
    expect(`${e.message}`).not.toContain(CANARY);
    rmSync(dirname(kept!), { recursive: true });
  });

  it('a lock held by another writer past the timeout: CONFLICT, edit kept', async () => {
    const file = await encrypted('locked.env.enc', 'A=1\n');
    const lock = await acquireLock(file);
    try {
      const { opts } = scripted([(text) => text.replace('A=1', 'A=2')], { timeoutMs: 100 });
      const e = await rejected(editFile(file, opts));
      expect(e.code).toBe('CONFLICT');
      expect(e.message).toContain('is locked by pid');
      const kept = /in (\S+) \(mode 0600\)/.exec(e.hints.join('\n'))![1]!;
      expect(readFileSync(kept, 'utf8')).toBe('A=2\n');
      rmSync(dirname(kept), { recursive: true });
    } finally {
      lock.release();
    }
  });

  it('a missing file is created with the given recipients; the editor starts empty (JSON: {})', async () => {
    const dir = join(t.dir, 'new');
    mkdirSync(dir);
    const file = join(dir, 'new.env.enc');
    const { opts, seen } = scripted([() => `KEY=${CANARY}\n`], { recipients: [key.recipient] });
    expect(await editFile(file, opts)).toEqual({ status: 'written', created: true });
    expect(seen.texts[0]).toBe('');
    expect(readFileSync(file, 'utf8')).toContain(`sops_age__list_0__map_recipient=${key.recipient}`);
    expect(getPath((await decryptFile(file, { env })).branches[0]!, ['KEY'])).toEqual(str(CANARY));
    const json = join(dir, 'new.json');
    const j = scripted([(text) => text], { recipients: [key.recipient] });
    expect(await editFile(json, j.opts)).toEqual({ status: 'unchanged', created: false });
    expect(j.seen.texts[0]).toBe('{}\n');
    expect(existsSync(json)).toBe(false);
  });

  it('a missing file with no recipients fails before the editor opens', async () => {
    const { opts, seen } = scripted([() => 'A=1\n']);
    const e = await rejected(editFile(join(t.dir, 'norecip', 'x.env.enc'), opts));
    expect(e.code).toBe('NO_RECIPIENTS');
    expect(seen.paths).toHaveLength(0);
  });

  it('a file with PGP keys is refused before the editor opens (sops-nix fixture)', async () => {
    const file = join(t.dir, 'nix.yaml');
    copyFileSync(join(FIXTURES, 'sops-nix', 'secrets.yaml'), file);
    const { opts, seen } = scripted([() => 'a: 1\n'], { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(FIXTURES, 'sops-nix', 'age-keys.txt') }) });
    expect((await rejected(editFile(file, opts))).code).toBe('UNSUPPORTED');
    expect(seen.paths).toHaveLength(0);
    rootEmpty();
  });

  it('a tampered file (bad MAC) is refused before the editor opens', async () => {
    const file = await encrypted('tamper.env.enc', 'A=1\nB=2\n');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^A=(.*)$/m, (_m, v) => `B2=${v}`));
    const { opts, seen } = scripted([() => 'A=1\n']);
    expect((await rejected(editFile(file, opts))).exitCode).toBe(3);
    expect(seen.paths).toHaveLength(0);
  });

  it('used as a library without signal handlers: SIGTERM removes the temp dir, then kills the process as before', async () => {
    const file = await encrypted('lib.env.enc', `A=${CANARY}\n`);
    const driver = join(t.dir, 'edit-driver.mjs');
    await bundleScript(
      driver,
      [
        "import { editFile } from './src/api/edit.ts';",
        'setInterval(() => {}, 1 << 30);',
        'await editFile(process.argv[2], {',
        '  env: process.env, tempRoot: process.argv[3], confirmReopen: async () => false,',
        "  runEditor: (path) => { process.stdout.write(path + '\\n'); return new Promise(() => {}); },",
        '});',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [driver, file, root], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const path = await new Promise<string>((r) => child.stdout.once('data', (d: Buffer) => r(d.toString().trim())));
    expect(readFileSync(path, 'utf8')).toBe(`A=${CANARY}\n`);
    const end = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    child.kill('SIGTERM');
    expect(await end).toBe('SIGTERM');
    expect(existsSync(dirname(path))).toBe(false);
    rootEmpty();
  });
});
