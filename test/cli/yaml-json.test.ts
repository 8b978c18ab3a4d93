// YAML and JSON end to end: round trips, diff stability, an independent
// decoder (the age CLI plus test code, not envcrypt's modules), --extract,
// --output-type, and .sops.yaml rules choosing recipients.
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const yamlText = `# top comment
db:
    user: admin
    password: "s3cr3t: with colon"
    port: 5432
    ratio: 0.5
    enabled: true
    hosts:
        - a.internal
        - b.internal
anchors:
    base: &base
        retries: 3
    copy: *base
note_unencrypted: visible
---
second: doc
`;
const jsonText = `{"name": "app", "big": 9007199254740993, "float": 1.0, "uni": "héllo ✓", "list": [1, 2.5, false, null], "deep": {"a": {"b": {"c": "x"}}}}\n`;

let t: ReturnType<typeof tempDir>;
let a: { file: string; recipient: string };
let b: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  t = tempDir();
  a = ageKeygen(t.dir, 'a.txt');
  b = ageKeygen(t.dir, 'b.txt');
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: a.file });
  put(t.dir, 'config.yaml', yamlText);
  put(t.dir, 'data.json', jsonText);
  for (const [src, out] of [['config.yaml', 'config.enc.yaml'], ['data.json', 'data.enc.json']]) {
    const r = runCli(['encrypt', src!, '-r', a.recipient, '-o', out!], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
afterAll(() => t.cleanup());

/** Decrypt a value with node:crypto only. */
function open(dek: Buffer, enc: string, aad: string): string {
  const m = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/.exec(enc)!;
  const d = createDecipheriv('aes-256-gcm', dek, Buffer.from(m[2]!, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m[3]!, 'base64'));
  return Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString();
}
function dataKey(armored: string): Buffer {
  writeFileSync(join(t.dir, 'dek.age'), armored);
  return execFileSync('age', ['-d', '-i', a.file, join(t.dir, 'dek.age')]);
}

describe('independent decoder', () => {
  it('YAML: every value and the MAC open with the age CLI and node:crypto', () => {
    const docs = readFileSync(join(t.dir, 'config.enc.yaml'), 'utf8').split(/^---$/m).map((d) => parseYaml(d));
    const sops = docs[0].sops;
    const dek = dataKey(sops.age[0].enc);
    const h = createHash('sha512');
    const walk = (node: unknown, path: string[]): void => {
      if (Array.isArray(node)) return node.forEach((n) => walk(n, path));
      if (node && typeof node === 'object') return Object.entries(node).forEach(([k, v]) => k !== 'sops' && walk(v, [...path, k]));
      const s = String(node);
      h.update(s.startsWith('ENC[') ? open(dek, s, path.join(':') + ':') : s);
    };
    docs.forEach((d) => walk(d, []));
    expect(open(dek, sops.mac, sops.lastmodified)).toBe(h.digest('hex').toUpperCase());
    expect(open(dek, docs[0].db.password, 'db:password:')).toBe('s3cr3t: with colon');
    expect(open(dek, docs[0].db.enabled, 'db:enabled:')).toBe('True');
    expect(open(dek, docs[0].anchors.copy.retries, 'anchors:copy:retries:')).toBe('3');
    expect(docs[1].sops.mac).toBe(sops.mac);
  });

  it('JSON: big integers stay exact, values and MAC verify independently', () => {
    const text = readFileSync(join(t.dir, 'data.enc.json'), 'utf8');
    const doc = JSON.parse(text);
    const dek = dataKey(doc.sops.age[0].enc);
    expect(open(dek, doc.big, 'big:')).toBe('9007199254740993');
    expect(doc.big).toMatch(/type:int\]$/);
    expect(open(dek, doc.float, 'float:')).toBe('1');
    expect(doc.float).toMatch(/type:float\]$/);
    const macInput = ['app', '9007199254740993', '1', 'héllo ✓', '1', '2.5', 'False', 'x'].join('');
    expect(open(dek, doc.sops.mac, doc.sops.lastmodified)).toBe(createHash('sha512').update(macInput).digest('hex').toUpperCase());
  });
});

describe('inputs that would lose data are refused', () => {
  it('a JSON integer beyond 64 bits that a float cannot hold: exit 5 with its position, nothing written (sops would round it)', () => {
    put(t.dir, 'big.json', '{\n  "id": 12345678901234567890\n}\n');
    const r = runCli(['encrypt', 'big.json', '-r', a.recipient, '-o', 'big.enc.json'], { cwd: t.dir, env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('big.json:2:9: ');
    expect(r.stderr).toContain('integer beyond 64 bits');
    expect(r.stderr).not.toContain('1234567890123');
    expect(runCli(['status', 'big.enc.json'], { cwd: t.dir, env }).code).toBe(6);
    put(t.dir, 'big-quoted.json', '{"id": "12345678901234567890"}\n');
    expect(runCli(['encrypt', 'big-quoted.json', '-r', a.recipient, '-o', 'big.enc.json'], { cwd: t.dir, env }).code).toBe(0);
    expect(runCli(['get', 'big.enc.json', 'id'], { cwd: t.dir, env }).stdout).toBe('12345678901234567890');
  });

  it('an empty YAML file (or one of only comments) is refused with exit 5, as sops refuses it; nothing is written', () => {
    for (const text of ['', '# only a comment\n']) {
      put(t.dir, 'empty.yaml', text);
      const r = runCli(['encrypt', 'empty.yaml', '-r', a.recipient], { cwd: t.dir, env });
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('has no document to encrypt');
    }
  });
});

describe('round trips and stability', () => {
  it('YAML decrypts to the same data (anchors expanded, multi-document, every scalar type)', () => {
    const r = runCli(['decrypt', 'config.enc.yaml'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    const want = yamlText.split(/^---$/m).map((d) => parseYaml(d));
    expect(r.stdout.split(/^---$/m).map((d) => parseYaml(d))).toEqual(want);
    expect(r.stdout).toContain('# top comment');
  });

  it('JSON decrypts with key order, big ints, floats and unicode kept', () => {
    const r = runCli(['decrypt', 'data.enc.json'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"big": 9007199254740993');
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['name', 'big', 'float', 'uni', 'list', 'deep']);
    expect(r.stdout).toContain('héllo ✓');
  });

  it.each([['config.yaml', 'config.enc.yaml'], ['data.json', 'data.enc.json']])('re-encrypting unchanged %s is byte-identical', (src, out) => {
    const before = readFileSync(join(t.dir, out));
    expect(runCli(['encrypt', src, '-r', a.recipient, '-o', out], { cwd: t.dir, env }).code).toBe(0);
    expect(readFileSync(join(t.dir, out)).equals(before)).toBe(true);
  });
});

describe('--extract and --output-type', () => {
  it('extracts with sops syntax and the dotted form', () => {
    expect(runCli(['decrypt', 'config.enc.yaml', '--extract', '["db"]["hosts"][1]'], { cwd: t.dir, env }).stdout).toBe('b.internal');
    expect(runCli(['decrypt', 'config.enc.yaml', '--extract', 'db.password'], { cwd: t.dir, env }).stdout).toBe('s3cr3t: with colon');
    expect(runCli(['decrypt', 'config.enc.yaml', '--extract', 'db.port'], { cwd: t.dir, env }).stdout).toBe('5432\n');
    expect(parseYaml(runCli(['decrypt', 'config.enc.yaml', '--extract', 'anchors.copy'], { cwd: t.dir, env }).stdout)).toEqual({ retries: 3 });
    const miss = runCli(['decrypt', 'config.enc.yaml', '--extract', 'db.nope'], { cwd: t.dir, env });
    expect(miss.code).toBe(6); // not found, as "get" of a missing key
  });

  it('converts JSON to YAML, and refuses nested values into dotenv naming the key', () => {
    const y = runCli(['decrypt', 'data.enc.json', '--output-type', 'yaml'], { cwd: t.dir, env });
    expect(y.code).toBe(0);
    expect(parseYaml(y.stdout).deep.a.b.c).toBe('x');
    const d = runCli(['decrypt', 'data.enc.json', '--output-type', 'dotenv'], { cwd: t.dir, env });
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain('list');
    const bad = runCli(['decrypt', 'data.enc.json', '--output-type', 'toml'], { cwd: t.dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('dotenv, yaml, json');
  });
});

describe('.sops.yaml creation rules', () => {
  it('encrypts each file to the recipients of the first matching rule', () => {
    const repo = join(t.dir, 'repo');
    execFileSync('mkdir', ['-p', join(repo, 'secrets/prod'), join(repo, 'app')]);
    put(repo, '.sops.yaml', `creation_rules:\n  - path_regex: secrets/prod/.*\n    age: ${a.recipient}\n  - path_regex: .*\\.env$\n    age: [${b.recipient}]\n`);
    put(repo, 'secrets/prod/db.yaml', 'password: x\n');
    put(repo, 'app/.env', 'TOKEN=y\n');
    put(repo, 'secrets/prod/.env', 'TOKEN=z\n');
    for (const f of ['secrets/prod/db.yaml', 'app/.env', 'secrets/prod/.env']) {
      const r = runCli(['encrypt', f, '--in-place'], { cwd: repo, env });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readFileSync(join(repo, 'secrets/prod/db.yaml'), 'utf8')).toContain(`recipient: ${a.recipient}`);
    expect(readFileSync(join(repo, 'app/.env'), 'utf8')).toContain(`sops_age__list_0__map_recipient=${b.recipient}`);
    // First match wins: secrets/prod/.env matches both rules.
    expect(readFileSync(join(repo, 'secrets/prod/.env'), 'utf8')).toContain(`sops_age__list_0__map_recipient=${a.recipient}`);
    put(repo, 'README.yaml', 'a: 1\n');
    const none = runCli(['encrypt', 'README.yaml'], { cwd: repo, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('.sops.yaml');
  });
});
