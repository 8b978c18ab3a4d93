import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../src/api/decrypt.js';
import { encryptFile, type EncryptFileOptions } from '../../src/api/encrypt-file.js';
import { readMetadata } from '../../src/stores/metadata.js';
import { parseJsonObject } from '../../src/stores/json-parse.js';
import type { MapNode, Pair } from '../../src/tree/types.js';
import { rejected } from '../helpers/errors.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-outtype-77c2';
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
let warnings: string[];

beforeAll(() => {
  t = tempDir('envcrypt-outtype-');
  key = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file });
});
afterAll(() => t.cleanup());

const opts = (extra: Partial<EncryptFileOptions> = {}): EncryptFileOptions => {
  warnings = [];
  return { recipients: [key.recipient], env, onWarning: (m) => warnings.push(m), ...extra };
};

/** One sops value opened with node:crypto alone: ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]. */
function open(dek: Buffer, enc: string, aad: string): string {
  const f = Object.fromEntries([...enc.matchAll(/(data|iv|tag):([^,\]]*)/g)].map((m) => [m[1], Buffer.from(m[2]!, 'base64')]));
  const d = createDecipheriv('aes-256-gcm', dek, f.iv!);
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(f.tag!);
  return Buffer.concat([d.update(f.data!), d.final()]).toString('utf8');
}

describe('encrypt --output-type', () => {
  it('YAML to JSON: the real age CLI opens the data key, node:crypto every value and the MAC; the metadata reader reads it', async () => {
    const src = put(t.dir, 'app.yaml', `# a comment JSON cannot hold\ndb:\n  password: ${CANARY}\n  port: 5432\nlist: [a, b]\n`);
    const out = join(t.dir, 'app.enc.json');
    await encryptFile(src, opts({ output: out, outputFormat: 'json' }));
    expect(warnings).toEqual(['1 comment of ' + src + ' dropped: json cannot hold comments']);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(CANARY);
    const doc = JSON.parse(text) as { db: { password: string; port: string }; list: string[]; sops: { age: Array<{ enc: string }>; mac: string; lastmodified: string } };
    expect(readMetadata((parseJsonObject(text).items.find((i): i is Pair => i.kind === 'pair' && i.key === 'sops')!.value as MapNode)).groups[0]!.age.map((e) => e.recipient)).toEqual([key.recipient]);
    writeFileSync(join(t.dir, 'dek.age'), doc.sops.age[0]!.enc);
    const dek = execFileSync('age', ['-d', '-i', key.file, join(t.dir, 'dek.age')]);
    expect(open(dek, doc.db.password, 'db:password:')).toBe(CANARY);
    expect(doc.db.port).toMatch(/type:int\]$/);
    const values = [open(dek, doc.db.password, 'db:password:'), open(dek, doc.db.port, 'db:port:'), open(dek, doc.list[0]!, 'list:'), open(dek, doc.list[1]!, 'list:')];
    expect(values).toEqual([CANARY, '5432', 'a', 'b']);
    expect(open(dek, doc.sops.mac, doc.sops.lastmodified)).toBe(createHash('sha512').update(values.join('')).digest('hex').toUpperCase());
    expect((await decryptFile(out, { env })).integrity).toBe('verified');
  });

  it('dotenv to YAML keeps comments; YAML to dotenv refuses a nested value, naming the key', async () => {
    const src = put(t.dir, 'p.env', `A=1\n# note\nB=${CANARY}\n`);
    const r = await encryptFile(src, opts({ outputFormat: 'yaml' }));
    expect(r.text).toMatch(/^A: ENC\[AES256_GCM,.*type:str\]\n#ENC\[AES256_GCM,.*type:comment\]\nB: ENC\[/);
    const nested = put(t.dir, 'n.yaml', `top: 1\ndb:\n  password: ${CANARY}\n`);
    const e = await rejected(encryptFile(nested, opts({ outputFormat: 'dotenv' })));
    expect(e.message).toContain('nested value of key db');
    expect(JSON.stringify(e)).not.toContain(CANARY);
  });

  it('an -o whose name says another format is a usage error; an encrypted OUT in another format is replaced only with force, keeping its data key', async () => {
    const src = put(t.dir, 's.yaml', `k: ${CANARY}\n`);
    expect((await rejected(encryptFile(src, opts({ output: join(t.dir, 's.enc.yaml'), outputFormat: 'json' })))).code).toBe('USAGE');
    const out = join(t.dir, 'secrets.enc');
    await encryptFile(src, opts({ output: out }));
    const before = await decryptFile(out, { env, format: 'yaml' });
    const refused = await rejected(encryptFile(src, opts({ output: out, outputFormat: 'json' })));
    expect(refused.code).toBe('REFUSED');
    expect(refused.message).toBe(`refusing to rewrite ${out}, an encrypted yaml file, as json`);
    await encryptFile(src, opts({ output: out, outputFormat: 'json', force: true }));
    const after = await decryptFile(out, { env, format: 'json' });
    expect(Buffer.from(after.dataKey).equals(Buffer.from(before.dataKey))).toBe(true);
    expect(after.branches).toEqual(before.branches);
  });

  // Ported from getsops/sops functional-tests/src/lib.rs encrypt_from_stdin (3.13.2): YAML on stdin, --output-type json.
  it('encrypt_from_stdin: YAML on stdin comes out as JSON with sops metadata and every value encrypted', () => {
    const r = runCli(['encrypt', '/dev/stdin', '--input-type', 'yaml', '--output-type', 'json', '-r', key.recipient], { cwd: t.dir, env, input: 'foo: 2\nbar: baz\n' });
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['foo', 'bar', 'sops']);
    expect(doc.foo).toMatch(/^ENC\[AES256_GCM,.*type:int\]$/);
    expect(doc.bar).toMatch(/^ENC\[AES256_GCM,.*type:str\]$/);
  });
});
