import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { checkFilename, execWithFile, type ExecFileOptions } from '../../src/api/exec-file.js';
import { EnvcryptError } from '../../src/errors.js';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, tempDir } from '../helpers/run-cli.js';
import { rejected } from '../helpers/errors.js';

// getsops/sops cmd/sops/subcommand/exec/exec_unix_test.go (3.13.2) does not apply: its four tests
// (TestUserEnvReturnsCorrectVars, TestUserEnvDoesNotModifyProcessEnv, TestExecWithFilePassesUserEnvToChild,
// TestExecWithEnvPassesUserEnvToChild) test `--user`, which envcrypt does not have (README Decisions).
// What exec_unix.go does that envcrypt keeps (a 0600 FIFO, written by the parent; the command's status) is
// tested below, with sops's functional tests exec_file and exec_file_filename.

const CANARY = 'CANARY-execfile-5d1c-secret';
const READ_PATH = join(ROOT, 'test', 'fixtures', 'bin', 'read-path.sh');
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let tmpRoot: string;
let file: string;
let n = 0;
let warnings: string[];

beforeAll(async () => {
  t = tempDir('envcrypt-execfile-');
  key = ageKeygen(t.dir);
  tmpRoot = join(t.dir, 'tmp');
  mkdirSync(tmpRoot, { mode: 0o700 });
  // The plaintext of sops's functional test exec_file (functional-tests/src/lib.rs).
  file = join(t.dir, 'secrets.enc.yaml');
  writeFileSync(file, await encryptText(`foo: bar\nbar: |-\n  baz\n  bam\ntoken: ${CANARY}\n`, 'secrets.yaml', { recipients: [key.recipient] }));
});
afterAll(() => t.cleanup());

function options(command: string[], extra: Partial<ExecFileOptions> = {}): ExecFileOptions {
  warnings = [];
  const env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, ENVCRYPT_TMPDIR: tmpRoot, SOPS_AGE_KEY: 'not-a-key' });
  return { command, env, onWarning: (m) => warnings.push(m), ...extra };
}

/** Run read-path.sh on {} and return what it recorded: each read (or its error), fifo, mode, dirmode, argv, keys. */
async function readVia(extra: Partial<ExecFileOptions> = {}, times = 1) {
  const out = join(t.dir, `out-${++n}`);
  const result = await execWithFile(file, options([READ_PATH, out, '{}', String(times)], extra));
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  const field = (k: string) => lines.filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
  const reads = Array.from({ length: times }, (_, i) => (existsSync(`${out}.${i}`) ? readFileSync(`${out}.${i}`, 'utf8') : { error: readFileSync(`${out}.${i}.err`, 'utf8').trim() }));
  const seen = { reads, fifo: field('fifo')[0] === 'yes', mode: field('mode')[0], dirMode: field('dirmode')[0], argv: field('argv')[0]!.split(' '), keyVariables: field('key') };
  return { result, seen };
}

describe('execWithFile', () => {
  // Ported from getsops/sops functional-tests/src/lib.rs exec_file (3.13.2).
  it('exec_file: --output-type json through a FIFO (mode 0600, directory 0700); {} is the path; nothing is left after', async () => {
    const { result, seen } = await readVia({ outputType: 'json' });
    expect(result).toEqual({ code: 0 });
    expect(seen.reads).toEqual([`{\n\t"foo": "bar",\n\t"bar": "baz\\nbam",\n\t"token": "${CANARY}"\n}\n`]);
    expect(seen).toMatchObject({ fifo: true, mode: '600', dirMode: '700' });
    expect(seen.argv[1]).toMatch(/\/secrets\.json$/);
    expect(seen.argv.join(' ')).not.toContain(CANARY);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  // Ported from getsops/sops functional-tests/src/lib.rs exec_file_filename (3.13.2).
  it('exec_file_filename: --no-fifo --filename foobar is a 0600 file in a 0700 directory, in the input format, readable twice', async () => {
    const { seen } = await readVia({ fifo: false, filename: 'foobar' }, 2);
    expect(seen.argv[1]!.endsWith('/foobar')).toBe(true);
    expect(seen).toMatchObject({ fifo: false, mode: '600', dirMode: '700' });
    expect(seen.reads).toEqual([`foo: bar\nbar: |-\n    baz\n    bam\ntoken: ${CANARY}\n`, `foo: bar\nbar: |-\n    baz\n    bam\ntoken: ${CANARY}\n`]);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('a FIFO is served once: a second open fails at once (ENOENT) instead of hanging', async () => {
    const { seen } = await readVia({}, 2);
    expect(seen.reads[0]).toContain(CANARY);
    expect(seen.reads[1]).toEqual({ error: expect.stringContaining('No such file or directory') });
  });

  it('the command gets no key variables (unless keepIdentity)', async () => {
    expect((await readVia()).seen.keyVariables).toEqual([]);
    expect((await readVia({ keepIdentity: true })).seen.keyVariables).toEqual(['ENVCRYPT_AGE_KEY_FILE', 'SOPS_AGE_KEY']);
  });

  it('the exit status is the command\'s: a code, or the signal that killed it', async () => {
    expect(await execWithFile(file, options(['sh', '-c', 'cat "$1" > /dev/null; exit 7', 'sh', '{}']))).toEqual({ code: 7 });
    expect(await execWithFile(file, options(['sh', '-c', 'cat "$1" > /dev/null; kill -TERM $$', 'sh', '{}']))).toEqual({ signal: 'SIGTERM' });
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('a command that never opens the FIFO does not hang: it ends, a warning says so, nothing is left', async () => {
    expect(await execWithFile(file, options(['sh', '-c', 'exit 0', 'sh', '{}']))).toEqual({ code: 0 });
    expect(warnings).toEqual([expect.stringMatching(/^sh ended without opening .*secrets\.yaml, so it never read its secrets$/)]);
    expect(await execWithFile(file, options(['true']))).toEqual({ code: 0 });
    expect(warnings).toEqual(['no {} in the command: it is not told where its secrets are']);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('nothing runs and nothing is created when the MAC does not verify; errors never hold the plaintext', async () => {
    const marker = join(t.dir, 'ran');
    const text = readFileSync(file, 'utf8');
    const tampered = join(t.dir, 'tampered.enc.yaml');
    writeFileSync(tampered, text.replace(/^foo: ENC\[AES256_GCM,data:(.)/m, (m, c: string) => m.slice(0, -1) + (c === 'A' ? 'B' : 'A')));
    const e = await rejected(execWithFile(tampered, options(['touch', marker])));
    expect(e.exitCode).toBe(3);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(tmpRoot)).toEqual([]);
    const missing = await rejected(execWithFile(file, options(['no-such-command-envcrypt', '{}'])));
    expect(missing.code).toBe('CMD_NOT_FOUND');
    expect(JSON.stringify({ m: missing.message, h: missing.hints })).not.toContain(CANARY);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  it('--filename is one plain name; an unknown --output-type and an empty command are usage errors', async () => {
    for (const bad of ['', '.', '..', '../x', 'a/b', '/etc/x', 'a\\b', 'x'.repeat(256)]) expect(() => checkFilename(bad)).toThrow(EnvcryptError);
    for (const ok of ['credentials.json', '.env', 'a b', 'tmp-file']) expect(() => checkFilename(ok)).not.toThrow();
    expect((await rejected(execWithFile(file, options(['true'], { filename: '../x' })))).code).toBe('USAGE');
    expect((await rejected(execWithFile(file, options(['true'], { outputType: 'toml' })))).code).toBe('USAGE');
    expect((await rejected(execWithFile(file, options([])))).code).toBe('USAGE');
  });
});
