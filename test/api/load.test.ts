import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, decryptFile, encryptFile, load, parse, populate } from '../../src/index.js';
import { EnvcryptError } from '../../src/errors.js';
import { loadDetailed } from '../../src/api/load.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let keyEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  t = tempDir();
  const key = ageKeygen(t.dir);
  keyEnv = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
  put(t.dir, 'a.env', 'ONE=1\nTWO=two\n');
  put(t.dir, 'b.json', '{"TWO": "2", "nested": {"deep": {"x": 1.5}}}');
  runCli(['encrypt', 'a.env', '-r', key.recipient, '-o', 'a.env.enc'], { cwd: t.dir, env: keyEnv });
  runCli(['encrypt', 'b.json', '-r', key.recipient, '-o', 'b.enc.json'], { cwd: t.dir, env: keyEnv });
  put(t.dir, 'proto.env', '__proto__=proto-value\nconstructor=c\n');
  put(t.dir, 'proto.json', '{"__proto__": "from-json"}');
  runCli(['encrypt', 'proto.env', '-r', key.recipient, '-o', 'proto.env.enc'], { cwd: t.dir, env: keyEnv });
  runCli(['encrypt', 'proto.json', '-r', key.recipient, '-o', 'proto.enc.json'], { cwd: t.dir, env: keyEnv });
});
afterAll(() => t.cleanup());

describe('library API', () => {
  it('load returns values without touching process.env', async () => {
    const before = JSON.stringify(process.env);
    const v = await load({ path: [join(t.dir, 'a.env.enc'), join(t.dir, 'b.enc.json')], env: keyEnv });
    expect(v).toEqual({ ONE: '1', TWO: '2', NESTED_DEEP_X: '1.5' });
    expect(JSON.stringify(process.env)).toBe(before);
  });

  it('config populates an injected processEnv with exec precedence', async () => {
    const target: Record<string, string | undefined> = { ONE: 'kept' };
    const r = await config({ path: join(t.dir, 'a.env.enc'), env: keyEnv, processEnv: target });
    expect(target).toEqual({ ONE: 'kept', TWO: 'two' });
    expect(r.set).toEqual(['TWO']);
    const over: Record<string, string | undefined> = { ONE: 'kept' };
    await config({ path: join(t.dir, 'a.env.enc'), env: keyEnv, processEnv: over, override: true });
    expect(over.ONE).toBe('1');
  });

  it('config throws (never starts silently) when a file cannot be decrypted', async () => {
    put(t.dir, 'bad.env.enc', readFileSync(join(t.dir, 'a.env.enc'), 'utf8').replace(/^ONE=.*$/m, 'ONE=ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]'));
    const target: Record<string, string | undefined> = {};
    const err = await config({ path: join(t.dir, 'bad.env.enc'), env: keyEnv, processEnv: target }).catch((e) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect(err.exitCode).toBe(3);
    expect(target).toEqual({});
  });

  it('encryptFile writes diff-stably: an unchanged file is not rewritten', async () => {
    const key = keyEnv.ENVCRYPT_AGE_KEY_FILE!;
    const recipient = readFileSync(key, 'utf8').match(/public key: (age1\S+)/)![1]!;
    put(t.dir, 'lib.env', 'X=1\nY=2\n');
    const out = join(t.dir, 'lib.env.enc');
    const first = await encryptFile(join(t.dir, 'lib.env'), { recipients: [recipient], output: out, env: keyEnv });
    expect(first.unchanged).toBe(false);
    const again = await encryptFile(join(t.dir, 'lib.env'), { recipients: [recipient], output: out, env: keyEnv });
    expect(again.unchanged).toBe(true);
    expect(again.text).toBe(first.text);
    const dec = await decryptFile(out, { env: keyEnv });
    expect(dec.branches[0]!.items.length).toBe(2);
  });

  it('populate only merges into the object it is given', () => {
    const target: Record<string, string | undefined> = { A: 'x' };
    expect(populate(target, { A: 'y', B: 'z' })).toEqual(['B']);
    expect(target).toEqual({ A: 'x', B: 'z' });
  });

  it('populate refuses a NUL byte for process.env (node would cut the value there) before setting anything', () => {
    const before = { ...process.env };
    expect(() => populate(process.env, { ENVCRYPT_TEST_OK: 'fine', ENVCRYPT_TEST_NUL: 'sec\0ret' })).toThrow(
      expect.objectContaining({ code: 'USAGE', message: 'environment variable ENVCRYPT_TEST_NUL contains a NUL byte' }),
    );
    expect(process.env).toEqual(before);
    expect(() => populate(process.env, { 'BAD\0NAME': 'v' })).toThrow(expect.objectContaining({ message: 'environment variable BAD\\0NAME contains a NUL byte' }));
    // A plain object can hold it: only the real environment cuts strings.
    const target: Record<string, string | undefined> = {};
    expect(populate(target, { A: 'sec\0ret' })).toEqual(['A']);
    expect(target.A).toBe('sec\0ret');
  });

  it('parse reads plaintext dotenv strictly', async () => {
    expect(await parse('A="x\\ny"\nexport B=2 # c\n')).toEqual({ A: 'x\ny', B: '2' });
    await expect(parse('A="unterminated\n')).rejects.toMatchObject({ code: 'PARSE' });
  });
});

describe('a key named __proto__', () => {
  const own = (o: object, k: string): unknown => Object.getOwnPropertyDescriptor(o, k)?.value;

  it('is loaded as an ordinary value, with its origin, from every layer', async () => {
    const a = join(t.dir, 'proto.env.enc');
    const b = join(t.dir, 'proto.enc.json');
    const one = await loadDetailed({ path: a, env: keyEnv });
    expect(Object.entries(one.values)).toEqual([['__proto__', 'proto-value'], ['constructor', 'c']]);
    expect(own(one.origin, '__proto__')).toBe(a);
    expect(Object.getPrototypeOf(one.values)).toBe(Object.prototype);
    const both = await loadDetailed({ path: [a, b], env: keyEnv });
    expect(own(both.values, '__proto__')).toBe('from-json');
    expect(own(both.origin, '__proto__')).toBe(b);
  });

  it('populate defines it on a plain object without touching the prototype', () => {
    const target: Record<string, string | undefined> = {};
    expect(populate(target, { __proto__: 'x' } as Record<string, string>)).toEqual([]); // a literal __proto__ sets the prototype: nothing to copy
    const values = Object.defineProperty({} as Record<string, string>, '__proto__', { value: 'p', enumerable: true, writable: true, configurable: true });
    expect(populate(target, values)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(target, '__proto__')).toEqual({ value: 'p', writable: true, enumerable: true, configurable: true });
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    // Already set: kept unless override.
    const other = Object.defineProperty({} as Record<string, string>, '__proto__', { value: 'q', enumerable: true, writable: true, configurable: true });
    expect(populate(target, other)).toEqual([]);
    expect(own(target, '__proto__')).toBe('p');
    expect(populate(target, other, { override: true })).toEqual(['__proto__']);
    expect(own(target, '__proto__')).toBe('q');
  });

  it('config sets it in process.env, where child processes see it', async () => {
    expect(Object.prototype.hasOwnProperty.call(process.env, '__proto__')).toBe(false);
    const proto = Object.getPrototypeOf(process.env);
    try {
      const r = await config({ path: join(t.dir, 'proto.env.enc'), env: keyEnv, override: false });
      expect(r.set).toContain('__proto__');
      expect(own(process.env, '__proto__')).toBe('proto-value');
      expect(Object.getPrototypeOf(process.env)).toBe(proto);
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(Object.getOwnPropertyDescriptor(process.env, "__proto__")?.value ?? null))'], { encoding: 'utf8' });
      expect(child.stdout).toBe('"proto-value"');
    } finally {
      delete process.env['__proto__'];
      delete process.env['constructor'];
    }
    expect(Object.prototype.hasOwnProperty.call(process.env, '__proto__')).toBe(false);
  });

  it('populate refuses, naming the key, when the target cannot hold it', () => {
    const values = Object.defineProperty({} as Record<string, string>, '__proto__', { value: 'secret-value-9', enumerable: true, writable: true, configurable: true });
    const err = (() => {
      try {
        populate(Object.freeze({}) as Record<string, string | undefined>, values);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).code).toBe('UNSUPPORTED');
    expect((err as EnvcryptError).message).toBe('the variable __proto__ cannot be set in this environment object');
    expect(JSON.stringify([(err as EnvcryptError).message, (err as EnvcryptError).hints])).not.toContain('secret-value-9');
  });
});
