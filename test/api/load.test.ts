import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, decryptFile, encryptFile, load, parse, populate } from '../../src/index.js';
import { EnvcryptError } from '../../src/errors.js';
import { alreadySet, loadDetailed, loadDetailedSync } from '../../src/api/load.js';
import { preloadHost } from '../../src/start/sync-host.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';
import { sopsLike, withPlainValue, withSelector } from '../helpers/sops-like.js';

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

// Values no MAC or integrity record authenticates: unencrypted and empty
// values of a file without an integrity record (a file sops wrote, or one
// whose record was deleted). See src/api/load.ts.
describe('unauthenticated values', () => {
  let u: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  const p = (name: string) => join(u.dir, name);
  beforeAll(() => {
    u = tempDir();
    const key = ageKeygen(u.dir);
    env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
    put(u.dir, 'a.env', 'SECRET=s3cret\nPORT_unencrypted=3000\n');
    put(u.dir, 'b.env', 'SECRET=from-b\nPORT_unencrypted=4000\nOTHER_unencrypted=o\n');
    put(u.dir, 'c.yaml', 'db:\n    host: h\n    port_unencrypted: 5432\nempty: ""\n');
    put(u.dir, 'd.json', '{"api": {"token": "t", "url_unencrypted": "https://example.com"}, "flag_unencrypted": true}');
    for (const [src, out, extra] of [['a.env', 'a.env.enc', ['--mac-only-encrypted']], ['b.env', 'b.env.enc', []], ['c.yaml', 'c.enc.yaml', []], ['d.json', 'd.enc.json', []]] as const) {
      const r = runCli(['encrypt', src, '-r', key.recipient, '-o', out, ...extra], { cwd: u.dir, env });
      if (r.code !== 0) throw new Error(r.stderr);
    }
    for (const f of ['a.env.enc', 'b.env.enc', 'c.enc.yaml', 'd.enc.json']) sopsLike(u.dir, f, `sops-${f}`);
    sopsLike(u.dir, 'a.env.enc', 'inject.env.enc', (text, format) =>
      withPlainValue(withSelector(text, format, 'unencrypted_regex', '_unencrypted$|^NODE_OPTIONS$'), format, 'NODE_OPTIONS', '--require ./evil.js'));
    sopsLike(u.dir, 'b.env.enc', 'path.env.enc', (text, format) => withPlainValue(text, format, 'PATH', ''));
    sopsLike(u.dir, 'c.enc.yaml', 'path.enc.yaml', (text, format) => withPlainValue(text, format, 'Path', ''));
    // Unencrypted by the selector, so not decrypted: its text is taken as it is, ENC[ prefix or not.
    sopsLike(u.dir, 'a.env.enc', 'fake-enc.env.enc', (text, format) =>
      withPlainValue(withSelector(text, format, 'unencrypted_regex', '_unencrypted$|^NODE_OPTIONS$'), format, 'NODE_OPTIONS', 'ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]'));
  });
  afterAll(() => u.cleanup());

  it('loadDetailed names the unencrypted and empty values of each file, with the file', async () => {
    const warnings: string[] = [];
    const r = await loadDetailed({ path: [p('sops-c.enc.yaml'), p('sops-d.enc.json')], env, onWarning: (m) => warnings.push(m) });
    expect(r.values).toEqual({ DB_HOST: 'h', DB_PORT_UNENCRYPTED: '5432', empty: '', API_TOKEN: 't', API_URL_UNENCRYPTED: 'https://example.com', flag_unencrypted: 'true' });
    expect(r.unauthenticated).toEqual({ DB_PORT_UNENCRYPTED: p('sops-c.enc.yaml'), empty: p('sops-c.enc.yaml'), API_URL_UNENCRYPTED: p('sops-d.enc.json'), flag_unencrypted: p('sops-d.enc.json') });
    expect(warnings).toEqual([]);
  });

  it('layering: a later value wins when it is authenticated, or when the earlier one was not either', async () => {
    const warnings: string[] = [];
    // b's SECRET (encrypted) replaces a's; b's PORT (unencrypted) replaces a's unencrypted PORT.
    const ab = await loadDetailed({ path: [p('sops-a.env.enc'), p('sops-b.env.enc')], env, onWarning: (m) => warnings.push(m) });
    expect(ab.values).toEqual({ SECRET: 'from-b', PORT_unencrypted: '4000', OTHER_unencrypted: 'o' });
    expect(ab.unauthenticated).toEqual({ PORT_unencrypted: p('sops-b.env.enc'), OTHER_unencrypted: p('sops-b.env.enc') });
    expect(warnings).toEqual([]);
    const ba = await loadDetailed({ path: [p('sops-b.env.enc'), p('sops-a.env.enc')], env, onWarning: (m) => warnings.push(m) });
    expect(ba.values.SECRET).toBe('s3cret');
    expect(ba.origin.SECRET).toBe(p('sops-a.env.enc'));
    expect(warnings).toEqual([]);
  });

  it('an unauthenticated value never replaces an encrypted one from an earlier file, with a warning naming both files', async () => {
    put(u.dir, 'e.env', 'PORT_unencrypted=9\n');
    const key = env.ENVCRYPT_AGE_KEY_FILE!;
    const recipient = readFileSync(key, 'utf8').match(/public key: (age1\S+)/)![1]!;
    // PORT_unencrypted encrypted on purpose: the selector says so.
    const r = runCli(['encrypt', 'e.env', '-r', recipient, '-o', 'e.env.enc', '--encrypted-regex', '^PORT'], { cwd: u.dir, env });
    expect(r.code, r.stderr).toBe(0);
    sopsLike(u.dir, 'e.env.enc', 'sops-e.env.enc');
    const warnings: string[] = [];
    const l = await loadDetailed({ path: [p('sops-e.env.enc'), p('sops-a.env.enc')], env, onWarning: (m) => warnings.push(m) });
    expect(l.values.PORT_unencrypted).toBe('9');
    expect(l.origin.PORT_unencrypted).toBe(p('sops-e.env.enc'));
    expect(l.unauthenticated).toEqual({});
    expect(warnings).toEqual([
      `${p('sops-a.env.enc')}: PORT_unencrypted is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace the value from ${p('sops-e.env.enc')}`,
    ]);
  });

  it.each([
    ['inject.env.enc', 'NODE_OPTIONS', 'an unencrypted value'],
    ['path.env.enc', 'PATH', 'an empty value'],
    ['path.enc.yaml', 'Path', 'an empty value'],
    ['fake-enc.env.enc', 'NODE_OPTIONS', 'an unencrypted value'],
  ])('load refuses %s: %s is a loader-sensitive name with %s (exit 3)', async (file, name, what) => {
    const err = await load({ path: p(file), env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    const e = err as EnvcryptError;
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.exitCode).toBe(3);
    expect(e.file).toBe(p(file));
    expect(e.message).toBe(`${name} is not authenticated (${what} in a file without an integrity record)`);
    expect(e.hints.join('\n')).toContain(`re-write the file with envcrypt (e.g. "envcrypt rotate ${p(file)}") so that an integrity record covers it`);
    expect(JSON.stringify([e.message, e.hints])).not.toContain('evil');
  });

  it('refuses a sensitive name even when another file layered later holds it too', async () => {
    await expect(load({ path: [p('inject.env.enc'), p('sops-b.env.enc')], env })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('config refuses before setting anything, and never lets an unauthenticated value replace a variable, even with override', async () => {
    const target: Record<string, string | undefined> = { KEEP: 'k' };
    await expect(config({ path: p('inject.env.enc'), env, processEnv: target, override: true })).rejects.toMatchObject({ code: 'UNAUTHENTICATED', exitCode: 3 });
    expect(target).toEqual({ KEEP: 'k' });

    const warnings: string[] = [];
    const t2: Record<string, string | undefined> = { PORT_unencrypted: 'from-env', SECRET: 'from-env' };
    const r = await config({ path: p('sops-a.env.enc'), env, processEnv: t2, override: true, onWarning: (m) => warnings.push(m) });
    expect(t2).toEqual({ PORT_unencrypted: 'from-env', SECRET: 's3cret' });
    expect(r.set).toEqual(['SECRET']);
    expect(warnings).toEqual([
      `${p('sops-a.env.enc')}: PORT_unencrypted is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace the variable already set`,
    ]);
    // Nothing set yet: the unauthenticated value is used.
    const t3: Record<string, string | undefined> = {};
    await config({ path: p('sops-a.env.enc'), env, processEnv: t3, override: true });
    expect(t3).toEqual({ SECRET: 's3cret', PORT_unencrypted: '3000' });
  });

  it('populate: without override nothing set is replaced and nothing is said', () => {
    const warnings: string[] = [];
    const target: Record<string, string | undefined> = { A: 'env', B: 'env' };
    expect(populate(target, { A: 'file', B: 'file', C: 'file' }, { unauthenticated: { A: 'f.env.enc', C: 'f.env.enc' }, onWarning: (m) => warnings.push(m) })).toEqual(['C']);
    expect(target).toEqual({ A: 'env', B: 'env', C: 'file' });
    expect(warnings).toEqual([]);
    expect(populate(target, { A: 'file', B: 'file' }, { override: true, unauthenticated: { A: 'f.env.enc' }, onWarning: (m) => warnings.push(m) })).toEqual(['B']);
    expect(target).toEqual({ A: 'env', B: 'file', C: 'file' });
    expect(warnings).toEqual(['f.env.enc: A is not authenticated (unencrypted or empty, in a file without an integrity record), so it does not replace the variable already set']);
  });

  it('alreadySet compares names case-insensitively where asked (Windows)', () => {
    expect(alreadySet({ Path: 'x' }, 'PATH', false)).toBe(false);
    expect(alreadySet({ Path: 'x' }, 'PATH', true)).toBe(true);
    expect(alreadySet({}, 'toString', true)).toBe(false);
  });

  it('config removes the identity variables from the environment the keys came from, unless keepIdentity', async () => {
    const own: NodeJS.ProcessEnv = { ...env, SOPS_AGE_KEY_FILE: '/nonexistent-but-unused', ENVCRYPT_AGE_RECIPIENTS: 'age1public' };
    const r = await config({ path: p('sops-b.env.enc'), env: own, processEnv: own });
    expect(r.set).toContain('SECRET');
    expect(own.ENVCRYPT_AGE_KEY_FILE).toBeUndefined();
    expect('SOPS_AGE_KEY_FILE' in own).toBe(false);
    expect(own.ENVCRYPT_AGE_RECIPIENTS).toBe('age1public');
    const kept: NodeJS.ProcessEnv = { ...env };
    await config({ path: p('sops-b.env.enc'), env: kept, processEnv: kept, keepIdentity: true });
    expect(kept.ENVCRYPT_AGE_KEY_FILE).toBe(env.ENVCRYPT_AGE_KEY_FILE);
    // Keys read from one object, values put in another: neither loses anything.
    const source: NodeJS.ProcessEnv = { ...env };
    const target: Record<string, string | undefined> = { ENVCRYPT_AGE_KEY_FILE: 'target-own' };
    await config({ path: p('sops-b.env.enc'), env: source, processEnv: target });
    expect(source.ENVCRYPT_AGE_KEY_FILE).toBe(env.ENVCRYPT_AGE_KEY_FILE);
    expect(target.ENVCRYPT_AGE_KEY_FILE).toBe('target-own');
  });

  it('every value of a file whose integrity record verifies is authenticated, an unencrypted NODE_OPTIONS and an empty PATH included', async () => {
    put(u.dir, 'rec.env', 'NODE_OPTIONS=--max-old-space-size=100\nPATH=\nSECRET=s\n');
    const recipient = readFileSync(env.ENVCRYPT_AGE_KEY_FILE!, 'utf8').match(/public key: (age1\S+)/)![1]!;
    const r = runCli(['encrypt', 'rec.env', '-r', recipient, '-o', 'rec.env.enc', '--unencrypted-regex', '^NODE_OPTIONS$'], { cwd: u.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(p('rec.env.enc'), 'utf8')).toMatch(/^NODE_OPTIONS=--max-old-space-size=100$/m);
    const l = await loadDetailed({ path: p('rec.env.enc'), env });
    expect(l.values).toEqual({ NODE_OPTIONS: '--max-old-space-size=100', PATH: '', SECRET: 's' });
    expect(l.unauthenticated).toEqual({});
    // The same file without its record: refused.
    sopsLike(u.dir, 'rec.env.enc', 'norec.env.enc');
    await expect(load({ path: p('norec.env.enc'), env })).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/^NODE_OPTIONS is not authenticated/) });
  });
});

describe('loadDetailedSync: the files are parsed, then their keys found together', () => {
  const host = () => preloadHost(join(t.dir, 'no-such-helper.js'));
  const errorOf = (paths: string[], env: NodeJS.ProcessEnv): EnvcryptError => {
    try {
      loadDetailedSync({ path: paths, env }, host());
    } catch (e) {
      return e as EnvcryptError;
    }
    throw new Error('expected a failure');
  };

  it('layers the files in order, as loadDetailed does', async () => {
    const paths = [join(t.dir, 'a.env.enc'), join(t.dir, 'b.enc.json')];
    expect(loadDetailedSync({ path: paths, env: keyEnv }, host()).values).toEqual((await loadDetailed({ path: paths, env: keyEnv })).values);
  });

  it('reports the first failure in file order: a damaged first file before a missing second, and a key failure before a later parse error', () => {
    put(t.dir, 'damaged.env.enc', 'A=ENC[AES256_GCM,data:x\n');
    put(t.dir, 'garbage.env.enc', 'not sops at all\n');
    const missing = join(t.dir, 'missing.env.enc');
    const first = errorOf([join(t.dir, 'damaged.env.enc'), missing], keyEnv);
    expect(first.file).toBe(join(t.dir, 'damaged.env.enc'));
    expect(first.code).not.toBe('NOT_FOUND');
    const noKey = errorOf([join(t.dir, 'a.env.enc'), join(t.dir, 'garbage.env.enc')], cleanEnv());
    expect([noKey.code, noKey.file]).toEqual(['NO_IDENTITY', join(t.dir, 'a.env.enc')]);
    const notFound = errorOf([join(t.dir, 'a.env.enc'), missing], keyEnv);
    expect([notFound.code, notFound.file]).toEqual(['NOT_FOUND', missing]);
  });
});
