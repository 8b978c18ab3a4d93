import { execFileSync, spawnSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as dotenvParse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
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
    // What sops reads of the metadata: its Metadata struct (stores/stores.go) has no envcrypt
    // field, and its decoders (json.Unmarshal after UnflattenMetadata for dotenv, yaml.Unmarshal,
    // json.Unmarshal) drop unknown ones; the MAC above is over the values only, so the extra
    // field changes nothing sops checks.
    const sopsFields = ['age', 'lastmodified', 'mac', 'unencrypted_suffix', 'version'];
    const unknown = Object.keys(meta).map((k) => k.slice(5)).filter((k) => !sopsFields.some((f) => k === f || k.startsWith(`${f}__`)));
    expect(unknown).toEqual(['envcrypt_integrity']);
    expect(meta['sops_envcrypt_integrity']).toMatch(/^v1:[A-Za-z0-9+/]{43}=$/);
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
    expect(changed.filter((k) => !['PLAIN', 'sops_mac', 'sops_lastmodified', 'sops_envcrypt_integrity'].includes(k))).toEqual([]);
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

describe('a key given twice in an encrypted file: exit 5 with its position, no value printed', () => {
  const DUP = 'CANARY-dup-9d41-secret';
  // Each adds an empty unencrypted `A` next to the real one: an empty string adds
  // nothing to the MAC, so before the stores refused duplicates the file verified
  // and `get A` could print the empty one.
  const files: Array<[format: string, name: string, plain: string, tamper: (enc: string) => string, at: RegExp]> = [
    ['dotenv', 'dup.env.enc', `A=${DUP}\nB=two\n`, (s) => s.replace(/^B=/m, 'A=\nB='), /duplicate key "A" at 2:1 \(first at 1:1\)/],
    ['yaml', 'dup.enc.yaml', `A: ${DUP}\nB: two\n`, (s) => s.replace(/^B: /m, 'A: ""\nB: '), /duplicate key "A" at 2:1 \(first at 1:1\)/],
    ['json', 'dup.enc.json', `{"A": "${DUP}", "B": "two"}\n`, (s) => s.replace(/^\{\n/, '{\n\t"A": "",\n'), /duplicate key "A" at 3:2 \(first at 2:2\)/],
  ];
  const printA = ['--', process.execPath, '-e', 'process.stdout.write("A=" + (process.env.A ?? "unset"))'];

  describe.each(files)('%s', (_format, name, plain, tamper, at) => {
    beforeAll(async () => {
      const { encryptText } = await import('../../src/api/encrypt.js');
      const enc = await encryptText(plain, name, { recipients: [key.recipient] });
      const bad = tamper(enc);
      expect(bad).not.toBe(enc);
      put(t.dir, name, bad);
    });

    it.each([
      ['decrypt', [] as string[]],
      ['get', ['A']],
      ['decrypt --extract', ['--extract', 'A']],
      ['exec', printA],
    ])('%s', (cmd, extra) => {
      const args = cmd === 'get' ? ['get', name, ...extra] : cmd === 'exec' ? ['exec', '-f', name, ...extra] : ['decrypt', name, ...extra];
      const r = runCli(args, { cwd: t.dir, env });
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^envcrypt: error: ${name.replaceAll('.', '\\.')}:\\d+:\\d+: ${at.source}`, 'm'));
      expect(r.stderr).not.toContain(DUP);
    });
  });
});

describe('control characters in keys, values and comments', () => {
  // Anyone with the public key can encrypt a file like this one (SECURITY.md).
  const HOSTILE_ENV = [
    '# \u001b[2J\u001b[Hcleared',
    'LINK="\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007"',
    'CR="ok\\rFAKE=1"',
    'BIDI="a\u202eb"',
    'PLAIN=fine',
  ].join('\n') + '\n';
  const HOSTILE_JSON = '{"k\\u001b[31m": "v\\b\\u0085", "n": "x"}\n';
  const RAW = /[\u001b\r\b\u0085\u202e]/;

  beforeAll(async () => {
    const { encryptBranches, encryptText } = await import('../../src/api/encrypt.js');
    const { writeMetadata } = await import('../../src/stores/metadata.js');
    const { dotenvStore } = await import('../../src/stores/dotenv.js');
    // A comment holding a carriage return and a backspace: no plaintext syntax
    // makes one, but whoever encrypts a file directly can.
    const [plain] = dotenvStore.parsePlain(HOSTILE_ENV);
    const branches = [{ kind: 'map' as const, items: [...plain!.items, { kind: 'comment' as const, text: ' real\rFAKE LINE\b' }] }];
    const enc = await encryptBranches(branches, { recipients: [key.recipient] });
    put(t.dir, 'hostile.env.enc', dotenvStore.emitEncrypted(enc.branches, writeMetadata(enc.metadata)));
    put(t.dir, 'hostile.enc.json', await encryptText(HOSTILE_JSON, 'hostile.enc.json', { recipients: [key.recipient] }));
  });

  /** Run the decrypt handler in-process with stdout a terminal or not. */
  async function decryptTo(tty: boolean, args: Record<string, unknown>): Promise<{ code: number; out: string }> {
    const { decryptCommand } = await import('../../src/cli/commands/decrypt.js');
    let out = '';
    const io = {
      stdout: (s: string | Uint8Array) => void (out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')),
      stderr: () => undefined,
      env,
      stdoutIsTTY: tty,
      stdinIsTTY: false,
    };
    const code = await decryptCommand.handler({ _: [], force: false, 'ignore-mac': false, identity: [], ...args }, io);
    return { code, out };
  }

  it('on a terminal, decrypt shows them escaped: comments, values, bidi; line structure kept', async () => {
    const r = await decryptTo(true, { file: join(t.dir, 'hostile.env.enc') });
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(RAW);
    expect(r.out).toContain('# \\x1b[2J\\x1b[Hcleared\n');
    expect(r.out).toContain('\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07');
    expect(r.out).toContain('CR="ok\\rFAKE=1"'); // the dotenv emitter's own escape in double quotes
    // The dotenv emitter already splits a comment at a carriage return; the backspace is escaped.
    expect(r.out).toContain('# real\n#FAKE LINE\\x08\n');
    expect(r.out).toContain('a\\u202eb');
    expect(r.out).toMatch(/^PLAIN=fine$/m);
  });

  it('on a terminal, a key with ESC and a value with backspace and a C1 control are escaped (JSON)', async () => {
    const r = await decryptTo(true, { file: join(t.dir, 'hostile.enc.json') });
    expect(r.out).not.toMatch(RAW);
    // The JSON emitter writes ESC and backspace as JSON escapes itself; U+0085 it writes raw, and the terminal view escapes it.
    expect(r.out).toContain('\\u001b[31m');
    expect(r.out).toContain('\\u0085');
  });

  it('on a terminal, --extract of one value is escaped too', async () => {
    const r = await decryptTo(true, { file: join(t.dir, 'hostile.env.enc'), extract: 'LINK' });
    expect(r.out).toBe('\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07');
    expect((await decryptTo(true, { file: join(t.dir, 'hostile.env.enc'), extract: 'CR' })).out).toBe('ok\\x0dFAKE=1');
  });

  it('to a pipe (in-process and through the built CLI), the output is byte-exact', async () => {
    const inproc = await decryptTo(false, { file: join(t.dir, 'hostile.env.enc') });
    expect(inproc.out).toContain('# \u001b[2J\u001b[Hcleared\n');
    const cli = runCli(['decrypt', 'hostile.env.enc'], { cwd: t.dir, env });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(inproc.out);
    expect(dotenvParse(cli.stdout)).toEqual(dotenvParse(HOSTILE_ENV));
    const one = runCli(['decrypt', 'hostile.env.enc', '--extract', 'CR'], { cwd: t.dir, env });
    expect(one.stdout).toBe('ok\rFAKE=1');
  });

  it('-o FILE gets the exact bytes', () => {
    const r = runCli(['decrypt', 'hostile.env.enc', '-o', 'hostile.out.env'], { cwd: t.dir, env });
    expect(r.code).toBe(0);
    expect(dotenvParse(readFileSync(join(t.dir, 'hostile.out.env'), 'utf8'))).toEqual(dotenvParse(HOSTILE_ENV));
    expect(readFileSync(join(t.dir, 'hostile.out.env'), 'utf8')).toContain('\u001b[2J');
  });

  const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('the built CLI on a real terminal (script) escapes', () => {
    const cmd = `${process.execPath} ${BIN} decrypt hostile.env.enc`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: t.dir, env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# \\x1b[2J\\x1b[Hcleared');
    expect(r.stdout).toContain('#FAKE LINE\\x08');
    expect(r.stdout).not.toContain('\u001b[2J');
    expect(r.stdout).not.toContain('\u001b]8');
  });
});
