import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageKeygen, cleanEnv, keyedTempDir, put, runCli, type tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-7f3a9c1e-secret';
const corpus = [
  `PLAIN=hello`,
  `MULTI="line one\nline two"`,
  `UNICODE="héllo wörld ✓ 日本"`,
  `EQUALS=a=b=c`,
  `HASH="value # not a comment"`,
  `SQ='single "quoted" value'`,
  `BACKSLASH="C:\\\\path\\\\to"`,
  `EMPTY=`,
  `SPACES="  padded  "`,
  `TOKEN=${CANARY}`,
  `export EXPORTED=yes`,
  `URL_unencrypted=https://example.com`,
].join('\n') + '\n';

let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  ({ t, key, env } = keyedTempDir());
  put(t.dir, 'app.env', corpus);
});
afterAll(() => t.cleanup());

describe('encrypt then decrypt (built CLI)', () => {
  it('round-trips every value of the corpus, as dotenv.parse reads the original', () => {
    const enc = runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: t.dir, env });
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    const text = readFileSync(join(t.dir, 'app.env.enc'), 'utf8');
    expect(text).not.toContain(CANARY);
    expect(text).toContain('URL_unencrypted=https://example.com');
    const dec = runCli(['decrypt', 'app.env.enc'], { cwd: t.dir, env });
    expect(dec.code).toBe(0);
    expect(dotenvParse(dec.stdout)).toEqual(dotenvParse(corpus));
  });

  it('is decrypted by an independent implementation: age -d for the data key, node:crypto for values and MAC', () => {
    const text = readFileSync(join(t.dir, 'app.env.enc'), 'utf8');
    const lines = text.trimEnd().split('\n');
    const meta = Object.fromEntries(lines.filter((l) => l.startsWith('sops_')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const armored = meta['sops_age__list_0__map_enc']!.replaceAll('\\n', '\n');
    const encFile = join(t.dir, 'dek.age');
    writeFileSync(encFile, armored);
    const dek = execFileSync('age', ['-d', '-i', key.file, encFile]);
    expect(dek.length).toBe(32);
    const open = (enc: string, aad: string) => {
      const m = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/.exec(enc)!;
      const d = createDecipheriv('aes-256-gcm', dek, Buffer.from(m[2]!, 'base64'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(Buffer.from(m[3]!, 'base64'));
      return Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString();
    };
    const h = createHash('sha512');
    const values: Record<string, string> = {};
    for (const l of lines) {
      if (l.startsWith('sops_') || l.startsWith('#')) continue;
      const k = l.slice(0, l.indexOf('='));
      const v = l.slice(l.indexOf('=') + 1);
      values[k] = v.startsWith('ENC[') ? open(v, `${k}:`) : v.replaceAll('\\n', '\n');
      h.update(values[k]!);
    }
    expect(values).toEqual(dotenvParse(corpus));
    expect(open(meta['sops_mac']!, meta['sops_lastmodified']!)).toBe(h.digest('hex').toUpperCase());
    expect(meta['sops_version']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('re-encrypting unchanged input through -o is byte-identical (no churn)', () => {
    const before = readFileSync(join(t.dir, 'app.env.enc'));
    const mtime = statSync(join(t.dir, 'app.env.enc')).mtimeMs;
    const r = runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'app.env.enc'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(readFileSync(join(t.dir, 'app.env.enc')).equals(before)).toBe(true);
    expect(statSync(join(t.dir, 'app.env.enc')).mtimeMs).toBe(mtime);
  });

  it('changing one value re-encrypts only that line plus the MAC and lastmodified', () => {
    const before = readFileSync(join(t.dir, 'app.env.enc'), 'utf8').split('\n');
    put(t.dir, 'app2.env', corpus.replace('PLAIN=hello', 'PLAIN=changed'));
    const r = runCli(['encrypt', 'app2.env', '-r', key.recipient, '-o', 'app.env.enc', '--input-type', 'dotenv'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    const after = readFileSync(join(t.dir, 'app.env.enc'), 'utf8').split('\n');
    const changed = after.filter((l, i) => l !== before[i]).map((l) => l.slice(0, l.indexOf('=')));
    expect(after.length).toBe(before.length);
    expect(changed).toContain('PLAIN');
    expect(changed).toContain('sops_mac');
    // lastmodified changes too unless both runs fell in the same second.
    expect(changed.filter((k) => !['PLAIN', 'sops_mac', 'sops_lastmodified'].includes(k))).toEqual([]);
  });

  it('refuses to encrypt an already encrypted file (exit 7)', () => {
    const r = runCli(['encrypt', 'app.env.enc', '-r', key.recipient], { cwd: t.dir, env });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^envcrypt: error: .*already encrypted/m);
    expect(r.stdout).toBe('');
  });

  it('refuses -o naming the input itself (that is what --in-place is for)', () => {
    const r = runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'app.env'], { cwd: t.dir, env });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('--in-place');
    expect(readFileSync(join(t.dir, 'app.env'), 'utf8')).toBe(corpus);
  });

  it('decrypt -o writes 0600 and refuses to overwrite without --force', () => {
    const r = runCli(['decrypt', 'app.env.enc', '-o', 'plain.env'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(statSync(join(t.dir, 'plain.env')).mode & 0o777).toBe(0o600);
    const again = runCli(['decrypt', 'app.env.enc', '-o', 'plain.env'], { cwd: t.dir, env });
    expect(again.code).toBe(9);
    expect(again.stderr).toContain('--force');
    const self = runCli(['decrypt', 'app.env.enc', '-o', 'app.env.enc', '--force'], { cwd: t.dir, env });
    expect(self.code).toBe(9);
  });

  it('--extract prints one raw value with no newline', () => {
    expect(runCli(['decrypt', 'app.env.enc', '--extract', 'MULTI'], { cwd: t.dir, env }).stdout).toBe('line one\nline two');
    expect(runCli(['decrypt', 'app.env.enc', '--extract', '["TOKEN"]'], { cwd: t.dir, env }).stdout).toBe(CANARY);
  });

  it('keygen writes 0600, prints the recipient, and never overwrites', () => {
    const r = runCli(['keygen', '-o', 'k.txt'], { cwd: t.dir });
    expect(r.code).toBe(0);
    const recipient = r.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(statSync(join(t.dir, 'k.txt')).mode & 0o777).toBe(0o600);
    // The real age-keygen agrees on the public key.
    expect(execFileSync('age-keygen', ['-y', join(t.dir, 'k.txt')], { encoding: 'utf8' }).trim()).toBe(recipient);
    const again = runCli(['keygen', '-o', 'k.txt'], { cwd: t.dir });
    expect(again.code).toBe(9);
    expect(runCli(['keygen', '-y', 'k.txt'], { cwd: t.dir }).stdout.trim()).toBe(recipient);
  });

  it('a file encrypted by the real age to our keygen key decrypts', () => {
    const r = runCli(['keygen', '--pq', '-o', 'pq.txt'], { cwd: t.dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^age1pq1/);
    const enc = runCli(['encrypt', 'app.env', '-r', r.stdout.trim(), '-o', 'pq.env.enc'], { cwd: t.dir, env });
    expect(enc.code).toBe(0);
    const dec = runCli(['decrypt', 'pq.env.enc', '-i', 'pq.txt'], { cwd: t.dir, env: cleanEnv() });
    expect(dec.code).toBe(0);
    expect(dotenvParse(dec.stdout)).toEqual(dotenvParse(corpus));
  });
});

describe('failures print no plaintext and use the documented codes', () => {
  const tamper = (name: string, f: (s: string) => string) => {
    const text = readFileSync(join(t.dir, 'app.env.enc'), 'utf8');
    put(t.dir, name, f(text));
    return runCli(['decrypt', name], { cwd: t.dir, env });
  };
  const cases: [string, (s: string) => string, number][] = [
    ['flipped ciphertext byte', (s) => s.replace(/^(PLAIN=ENC\[AES256_GCM,data:)(.)/m, (_m, a, c) => a + (c === 'A' ? 'B' : 'A')), 3],
    ['values swapped between two keys', (s) => {
      const a = /^PLAIN=(.*)$/m.exec(s)![1]!;
      const b = /^TOKEN=(.*)$/m.exec(s)![1]!;
      return s.replace(`PLAIN=${a}`, `PLAIN=${b}`).replace(`TOKEN=${b}`, `TOKEN=${a}`);
    }, 3],
    ['changed mac', (s) => s.replace(/^(sops_mac=ENC\[AES256_GCM,data:)(.)/m, (_m, a, c) => a + (c === 'A' ? 'B' : 'A')), 3],
    ['changed lastmodified', (s) => s.replace(/^sops_lastmodified=(\d{4})/m, 'sops_lastmodified=1999'), 3],
    ['renamed key', (s) => s.replace(/^TOKEN=/m, 'TOKEN2='), 3],
    ['deleted line', (s) => s.replace(/^PLAIN=.*\n/m, ''), 3],
    ['unencrypted value changed', (s) => s.replace('https://example.com', 'https://evil.example'), 3],
    ['missing mac', (s) => s.replace(/^sops_mac=.*\n/m, ''), 3],
    ['truncated ENC string', (s) => s.replace(/^(TOKEN=ENC\[AES256_GCM,data:[^,]*).*$/m, '$1'), 3],
    ['line without =', (s) => s.replace(/^PLAIN=.*$/m, 'PLAIN'), 5],
    ['bad version', (s) => s.replace(/^sops_version=.*$/m, 'sops_version=3.13'), 5],
  ];
  for (const [name, f, code] of cases) {
    it(`${name} → exit ${code}, no plaintext on stdout or stderr`, () => {
      const r = tamper(`t-${name.replaceAll(' ', '-')}.env.enc`, f);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^envcrypt: error: /);
      expect(r.stderr).not.toContain(CANARY);
      expect(r.stderr).not.toContain('hello');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('a wrong key → exit 4 with the recipients listed and no plaintext', () => {
    const other = ageKeygen(t.dir, 'other.txt');
    const r = runCli(['decrypt', 'app.env.enc', '-i', other.file], { cwd: t.dir, env: cleanEnv() });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no identity matched');
    expect(r.stderr).toContain(key.recipient.slice(0, 8));
    expect(r.stderr).not.toContain(CANARY);
  });

  it.each([
    ['an empty file', ''],
    ['a binary file', '\u0000\u0001\u0002binary'],
    ['a plaintext file', 'A=1\n'],
  ])('decrypting %s fails cleanly', (_name, content) => {
    put(t.dir, 'bad.env', content);
    const r = runCli(['decrypt', 'bad.env'], { cwd: t.dir, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n')[0]).toMatch(/^envcrypt: error: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unterminated quote in plaintext input is a parse error with line:column, and nothing is written', () => {
    put(t.dir, 'broken.env', `A=1\nB="${CANARY}\n`);
    const r = runCli(['encrypt', 'broken.env', '-r', key.recipient, '-o', 'broken.env.enc'], { cwd: t.dir, env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/broken\.env:2:\d+/);
    expect(r.stderr).not.toContain(CANARY);
    expect(existsSync(join(t.dir, 'broken.env.enc'))).toBe(false);
  });

  it('an unknown format is a usage error listing the valid ones', () => {
    put(t.dir, 'data.txt', 'A=1\n');
    const r = runCli(['encrypt', 'data.txt', '-r', key.recipient], { cwd: t.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dotenv|yaml|json');
  });

  it('no recipients → a hint naming -r and .sops.yaml', () => {
    const r = runCli(['encrypt', 'app.env'], { cwd: t.dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-r/--recipient');
  });

  it('conflicting or unknown flags are a usage error and run nothing', () => {
    const r = runCli(['encrypt', 'app.env', '-r', key.recipient, '-o', 'never.env.enc', '--in-place'], { cwd: t.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^envcrypt: error: .*mutually exclusive/m);
    expect(existsSync(join(t.dir, 'never.env.enc'))).toBe(false);
    expect(readFileSync(join(t.dir, 'app.env'), 'utf8')).toBe(corpus);
    const u = runCli(['decrypt', 'app.env.enc', '--bogus'], { cwd: t.dir, env });
    expect(u.code).toBe(2);
    expect(u.stdout).toBe('');
  });

  it('--help works on every command and --version prints a version', () => {
    for (const c of ['encrypt', 'decrypt', 'keygen', 'exec']) {
      const r = runCli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(c);
    }
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
