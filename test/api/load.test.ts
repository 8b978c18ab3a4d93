import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, load, parse, populate } from '../../src/index.js';
import { EnvcryptError } from '../../src/errors.js';
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

  it('populate only merges into the object it is given', () => {
    const target: Record<string, string | undefined> = { A: 'x' };
    expect(populate(target, { A: 'y', B: 'z' })).toEqual(['B']);
    expect(target).toEqual({ A: 'x', B: 'z' });
  });

  it('parse reads plaintext dotenv strictly', async () => {
    expect(await parse('A="x\\ny"\nexport B=2 # c\n')).toEqual({ A: 'x\ny', B: '2' });
    await expect(parse('A="unterminated\n')).rejects.toMatchObject({ code: 'PARSE' });
  });
});
