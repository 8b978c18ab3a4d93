// The INI and binary stores end to end: what envcrypt writes, read by the age
// CLI plus test code that uses none of envcrypt's modules (the issue's
// acceptance test for a new store), and every command on both stores, in
// process where the CLI adds nothing, to keep the suite fast.
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../src/api/decrypt.js';
import { editFile } from '../../src/api/edit.js';
import { textconv } from '../../src/api/git.js';
import { listKeys } from '../../src/api/keys.js';
import { mergeTexts } from '../../src/api/merge-file.js';
import { planAddRecipient } from '../../src/api/recipients.js';
import { revealFile } from '../../src/api/reveal.js';
import { commitPlan, planRotate } from '../../src/api/rotate.js';
import { getValue, setValue, unsetValue } from '../../src/api/set.js';
import { fileStatus } from '../../src/api/status.js';
import { str } from '../../src/tree/types.js';
import { rejected } from '../helpers/errors.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

// go-ini reads \`…\` as a quoted value; "a;b" would be "a plus the comment ;b", in sops as here.
const INI = `timeout = 30
; team database
[database]
user = "admin"
; rotate quarterly
password = \`s3cr3t; with semicolon\`
port_unencrypted = 5432
`;
// UTF-8 with a BOM, CRLF, a NUL and no final newline: every byte must come back.
const KEY_FILE = Buffer.from('\ufeff-----BEGIN PRIVATE KEY-----\r\nMIIE\0vQ==\r\n-----END PRIVATE KEY-----', 'utf8');

let t: ReturnType<typeof tempDir>;
let a: { file: string; recipient: string };
let b: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
let keys: { env: NodeJS.ProcessEnv; onWarning: () => void };
const at = (name: string) => join(t.dir, name);

beforeAll(() => {
  t = tempDir();
  a = ageKeygen(t.dir, 'a.txt');
  b = ageKeygen(t.dir, 'b.txt');
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: a.file });
  keys = { env, onWarning: () => undefined };
  put(t.dir, 'app.ini', INI);
  writeFileSync(at('tls.key'), KEY_FILE);
  for (const args of [['app.ini', '-o', 'app.enc.ini'], ['tls.key', '--input-type', 'binary', '-o', 'tls.key.enc']]) {
    const r = runCli(['encrypt', ...args, '-r', a.recipient], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
afterAll(() => t.cleanup());

/** Decrypt a value with node:crypto only. */
function open(dek: Buffer, enc: string, aad: string): Buffer {
  const m = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/.exec(enc)!;
  const d = createDecipheriv('aes-256-gcm', dek, Buffer.from(m[2]!, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m[3]!, 'base64'));
  return Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]);
}
function dataKey(armored: string): Buffer {
  writeFileSync(at('dek.age'), armored);
  return execFileSync('age', ['-d', '-i', a.file, at('dek.age')]);
}

describe('independent decoder (the age CLI, node:crypto and a few lines of parsing)', () => {
  it('INI: every value, comment and the MAC open; sections and [sops] as sops writes them', () => {
    const text = readFileSync(at('app.enc.ini'), 'utf8');
    // Sections, "key = value" lines (keys aligned with spaces), and "; comment" lines, which belong to
    // the header or key below them.
    const entries: Array<{ section: string; key: string | null; value: string }> = [];
    let section = 'DEFAULT';
    let pending: string[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const header = /^\[(.*)\]$/.exec(line);
      if (line.startsWith('; ')) {
        pending.push(line.slice(2));
        continue;
      }
      if (header) section = header[1]!;
      entries.push(...pending.map((value) => ({ section, key: null, value })));
      pending = [];
      if (!header) entries.push({ section, key: /^(\S+) *= /.exec(line)![1]!, value: line.replace(/^\S+ *= /, '') });
    }
    const meta = Object.fromEntries(entries.filter((e) => e.section === 'sops').map((e) => [e.key, e.value.replaceAll('\\n', '\n')]));
    expect(Object.keys(meta)).toEqual(['age__list_0__map_enc', 'age__list_0__map_recipient', 'envcrypt_integrity', 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    const dek = dataKey(meta.age__list_0__map_enc!);
    const h = createHash('sha512');
    const plain = entries.filter((e) => e.section !== 'sops').map((e) => {
      const aad = e.key === null ? `${e.section}:` : `${e.section}:${e.key}:`;
      const value = e.value.startsWith('ENC[') ? open(dek, e.value, aad).toString() : e.value;
      if (e.key !== null) h.update(value);
      return [e.section, e.key, value];
    });
    // The comment before [database] belongs to it; "; rotate quarterly" to password, written above it.
    expect(plain).toEqual([
      ['DEFAULT', 'timeout', '30'],
      ['database', null, 'team database'],
      ['database', 'user', 'admin'],
      ['database', null, 'rotate quarterly'],
      ['database', 'password', 's3cr3t; with semicolon'],
      ['database', 'port_unencrypted', '5432'],
    ]);
    expect(text).toMatch(/^timeout = ENC\[.*\]\n\n; ENC\[.*\]\n\[database\]\n/);
    expect(open(dek, meta.mac!, meta.lastmodified!).toString()).toBe(h.digest('hex').toUpperCase());
  });

  it('binary: {"data", "sops"} as sops writes it; the data opens to the exact bytes and the MAC is their SHA-512', () => {
    const doc = JSON.parse(readFileSync(at('tls.key.enc'), 'utf8'));
    expect(Object.keys(doc)).toEqual(['data', 'sops']);
    const dek = dataKey(doc.sops.age[0].enc);
    expect(open(dek, doc.data, 'data:').equals(KEY_FILE)).toBe(true);
    expect(open(dek, doc.sops.mac, doc.sops.lastmodified).toString()).toBe(createHash('sha512').update(KEY_FILE).digest('hex').toUpperCase());
  });
});

describe('the CLI', () => {
  it('decrypt of a binary file with a name envcrypt does not know gives back every byte', () => {
    const r = execFileSync(process.execPath, [join(__dirname, '../../bin/envcrypt.js'), 'decrypt', 'tls.key.enc'], { cwd: t.dir, env });
    expect(r.equals(KEY_FILE)).toBe(true);
  });

  it('exec and export refuse a binary file, which has no variables (sops would set one named "data")', () => {
    const r = runCli(['exec', '-f', 'tls.key.enc', '--', 'true'], { cwd: t.dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('envcrypt: error: tls.key.enc is a binary file (one whole file stored as one value), which has no variables');
  });

  it('encrypting bytes that are not UTF-8 is refused, nothing written (sops stores raw bytes; envcrypt values are text)', () => {
    writeFileSync(at('raw.der'), Buffer.from([0x30, 0x82, 0xff, 0xfe]));
    const r = runCli(['encrypt', 'raw.der', '--input-type', 'binary', '-r', a.recipient, '-o', 'raw.der.enc'], { cwd: t.dir, env });
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([1, 'envcrypt: error: raw.der is not UTF-8 text, so envcrypt cannot store it byte for byte']);
  });
});

describe('every command on both stores (in process)', () => {
  it('decrypt, --output-type, status and keys', async () => {
    expect(await revealFile(at('app.enc.ini'), { ...keys })).toBe('timeout = 30\n\n; team database\n[database]\nuser             = admin\n; rotate quarterly\npassword         = `s3cr3t; with semicolon`\nport_unencrypted = 5432\n');
    expect(await revealFile(at('app.enc.ini'), { ...keys, outputType: 'json', extract: 'database.port_unencrypted' })).toBe('5432');
    expect(await revealFile(at('app.enc.ini'), { ...keys, outputType: 'yaml' })).toMatch(/^DEFAULT:\n {4}timeout: "30"\ndatabase:\n/);
    expect(JSON.parse((await revealFile(at('tls.key.enc'), { ...keys, outputType: 'json' }))!)).toEqual({ data: KEY_FILE.toString('utf8') });
    const st = await fileStatus(at('tls.key.enc'), keys);
    expect([st.format, st.mac]).toEqual(['binary', 'ok']);
    expect((await listKeys(at('app.enc.ini'), keys)).keys).toEqual(['DEFAULT.timeout', 'database.user', 'database.password', 'database.port_unencrypted']);
  });

  it('set, get and unset in an INI section; a binary file has the one key "data"', async () => {
    await setValue(at('app.enc.ini'), 'database.host', str('db.internal'), keys);
    expect(await getValue(at('app.enc.ini'), 'database.host', keys)).toEqual(str('db.internal'));
    await unsetValue(at('app.enc.ini'), 'database.host', keys);
    expect((await rejected(getValue(at('app.enc.ini'), 'database.host', keys))).code).toBe('NOT_FOUND');
    const bin = at('copy.key.enc');
    writeFileSync(bin, readFileSync(at('tls.key.enc')));
    await setValue(bin, 'data', str('new key\n'), { ...keys, format: 'binary' });
    expect(runCli(['decrypt', 'copy.key.enc'], { cwd: t.dir, env }).stdout).toBe('new key\n');
  });

  it('edit an INI file: only the changed value gets new ciphertext', async () => {
    const before = readFileSync(at('app.enc.ini'), 'utf8');
    await editFile(at('app.enc.ini'), {
      ...keys,
      runEditor: async (p) => writeFileSync(p, readFileSync(p, 'utf8').replace('timeout = 30', 'timeout = 60')),
      confirmReopen: async () => false,
    });
    const after = readFileSync(at('app.enc.ini'), 'utf8');
    const changed = after.split('\n').filter((l, i) => l !== before.split('\n')[i]).map((l) => l.split(' ')[0]);
    // lastmodified changes too, unless the previous write was in the same second.
    expect(changed.filter((k) => k !== 'lastmodified')).toEqual(['timeout', 'envcrypt_integrity', 'mac']);
  });

  it('recipients add and rotate, then decrypt with the other key', async () => {
    commitPlan(await planAddRecipient(b.recipient, [at('app.enc.ini'), at('tls.key.enc')], keys));
    commitPlan(await planRotate([at('tls.key.enc')], keys));
    const withB = { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: b.file }) };
    expect((await decryptFile(at('app.enc.ini'), withB)).integrity).toBe('verified');
    expect(Buffer.from((await revealFile(at('tls.key.enc'), withB))!, 'utf8').equals(KEY_FILE)).toBe(true);
  });

  it('git: textconv shows the plaintext, the merge driver merges INI by key', async () => {
    expect((await textconv(at('tls.key.enc'), keys)).text).toContain('-----BEGIN PRIVATE KEY-----');
    const base = readFileSync(at('app.enc.ini'), 'utf8');
    await setValue(at('app.enc.ini'), 'database.user', str('ours'), keys);
    const ours = readFileSync(at('app.enc.ini'), 'utf8');
    writeFileSync(at('app.enc.ini'), base);
    await setValue(at('app.enc.ini'), 'DEFAULT.timeout', str('90'), keys);
    const theirs = readFileSync(at('app.enc.ini'), 'utf8');
    const merged = await mergeTexts(base, ours, theirs, { ...keys, name: at('app.enc.ini') });
    expect(merged.conflicts).toEqual([]);
    writeFileSync(at('merged.enc.ini'), merged.text);
    const out = await revealFile(at('merged.enc.ini'), keys);
    expect(out).toContain('user             = ours\n');
    expect(out).toContain('timeout = 90\n');
  });
});
