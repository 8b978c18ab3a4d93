// Selector regexes follow Go RE2 and run in time linear in the text: a
// pattern written by whoever can push (`^(A+)+$`) cannot hang a command.
// The pathological cases below would not finish with a backtracking engine
// (JS RegExp): with one, these tests time out, which is the failing signal.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRe2, compileSelector, type Selector } from '../../src/crypto/selector.js';
import type { Leaf } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { keyedTempDir, put, runCli, type tempDir } from '../helpers/run-cli.js';

const N = 40_000;
const leaf = { kind: 'scalar' } as unknown as Leaf;
const encrypts = (sel: Selector, path: string[], comments: string[] = []) => compileSelector(sel)(leaf, { path, comments });

describe('compileRe2: linear time on pathological patterns', () => {
  it('^(A+)+$ against 40,000 As and a final !', () => {
    const re = compileRe2('^(A+)+$', 'encrypted_regex');
    expect(re.test(`${'A'.repeat(N)}!`)).toBe(false);
    expect(re.test('A'.repeat(N))).toBe(true);
  });

  it('(a|a)*b against 40,000 as', () => {
    const re = compileRe2('(a|a)*b', 'encrypted_regex');
    expect(re.test('a'.repeat(N))).toBe(false);
    expect(re.test(`${'a'.repeat(N)}b`)).toBe(true);
  });

  it('(a*)*$ against 40,000 as and a b', () => {
    // An unanchored search: the empty match at the end counts, as in Go.
    expect(compileRe2('(a*)*$', 'encrypted_regex').test(`${'a'.repeat(N)}b`)).toBe(true);
    expect(compileRe2('^(a*)*$', 'encrypted_regex').test(`${'a'.repeat(N)}b`)).toBe(false);
  });

  it('nested quantifiers in a selector over a 50,000-character key name', () => {
    const key = `${'A'.repeat(50_000)}!`;
    expect(encrypts({ kind: 'encrypted_regex', value: '^(A+)+$' }, [key])).toBe(false);
    expect(encrypts({ kind: 'unencrypted_regex', value: '^(A+)+$' }, [key])).toBe(true);
    expect(encrypts({ kind: 'encrypted_comment_regex', value: '^(A|A)+$' }, ['k'], [`${'A'.repeat(50_000)}!`])).toBe(false);
  });
});

describe('compileRe2: Go RE2 semantics', () => {
  const re = (p: string) => compileRe2(p, 'encrypted_regex');

  it('is an unanchored search, as sops does it', () => {
    expect(re('pass').test('db_password')).toBe(true);
    expect(re('^pass').test('db_password')).toBe(false);
  });

  it('takes (?i), (?s), (?m) and (?U) flags, leading or inline', () => {
    expect(re('(?i)^db_pass').test('DB_PASSWORD')).toBe(true);
    expect(re('^db_pass').test('DB_PASSWORD')).toBe(false);
    expect(re('^DB_(?i:pass)').test('DB_PaSsWORD')).toBe(true);
    expect(re('a.b').test('a\nb')).toBe(false);
    expect(re('(?s)a.b').test('a\nb')).toBe(true);
    expect(re('^b$').test('a\nb\nc')).toBe(false);
    expect(re('(?m)^b$').test('a\nb\nc')).toBe(true);
    expect(re('(?U)^a+$').test('aaa')).toBe(true);
  });

  it('takes named groups in both spellings', () => {
    expect(re('(?P<kind>secret|token)_key$').test('api_token_key')).toBe(true);
    expect(re('(?<kind>secret|token)_key$').test('api_secret_key')).toBe(true);
    expect(re('(?P<kind>secret)_key$').test('api_public_key')).toBe(false);
  });

  it('has Unicode classes (\\pL, \\p{Greek}) and RE2 escapes (\\z), which a JS RegExp without u reads as letters', () => {
    expect(re('^\\pL+$').test('héllo')).toBe(true);
    expect(re('^\\pL+$').test('hello1')).toBe(false);
    expect(re('^\\pL+$').test('pL')).toBe(true);
    expect(re('^\\pL+$').test('p')).toBe(true);
    expect(re('\\p{Greek}').test('λόγος')).toBe(true);
    expect(re('\\p{Greek}').test('logos')).toBe(false);
    expect(re('^\\PL+$').test('123')).toBe(true);
    expect(re('^a\\z').test('a')).toBe(true);
    expect(re('^a\\z').test('az')).toBe(false);
  });

  it('takes identity escapes of punctuation (\\_, \\-) as Go does', () => {
    expect(re('^db\\_pass').test('db_password')).toBe(true);
  });

  it.each([
    ['a lookahead', 'secret(?=_key)'],
    ['a negative lookahead', '^(?!public)'],
    ['a lookbehind', '(?<=api_)key'],
    ['a negative lookbehind', '(?<!public_)key'],
    ['a backreference', '^(a)\\1$'],
  ])('refuses %s with BAD_METADATA naming where, and says RE2 has none', (_what, pattern) => {
    const e = caught(() => compileRe2(pattern, 'encrypted_regex'));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toMatch(/^invalid regex in encrypted_regex: /);
    expect(e.hints).toEqual(['sops regexes use Go RE2 syntax, which has no lookaround or backreferences: rewrite the pattern without them']);
  });

  it.each([
    ['(unclosed', 'invalid regex in path_regex of creation rule 1: missing closing ): `(unclosed`'],
    ['a{1001}', 'invalid regex in path_regex of creation rule 1: invalid repeat count: `{1001}`'],
    ['a\\Z', 'invalid regex in path_regex of creation rule 1: invalid escape sequence: `\\Z`'],
    ['(?x)a', 'invalid regex in path_regex of creation rule 1: invalid or unsupported Perl syntax: `(?x`'],
  ])('refuses %s with the reason RE2 gives', (pattern, message) => {
    const e = caught(() => compileRe2(pattern, 'path_regex of creation rule 1'));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toBe(message);
    expect(e.hints).toEqual(['sops regexes use Go RE2 syntax (https://github.com/google/re2/wiki/Syntax): fix the pattern']);
  });

  it('never echoes a terminal escape or a long stretch of the pattern into the message', () => {
    const esc = caught(() => compileRe2('(\u001b]0;owned\u0007', 'encrypted_regex'));
    expect(esc.message).toBe('invalid regex in encrypted_regex: missing closing )');
    const long = caught(() => compileRe2(`(${'x'.repeat(500)}`, 'encrypted_regex'));
    expect(long.message).toBe('invalid regex in encrypted_regex: missing closing )');
  });
});

describe('compileSelector', () => {
  it('tests every key of the path with a regex selector', () => {
    const sel: Selector = { kind: 'encrypted_regex', value: '^(data|stringData)$' };
    expect(encrypts(sel, ['data', 'password'])).toBe(true);
    expect(encrypts(sel, ['metadata', 'name'])).toBe(false);
    expect(encrypts({ kind: 'unencrypted_regex', value: '^(apiVersion|kind)$' }, ['kind'])).toBe(false);
  });

  it('answers the same for a key it has already tested (results are remembered per key)', () => {
    const isEnc = compileSelector({ kind: 'encrypted_regex', value: '(?i)secret' });
    for (let i = 0; i < 3; i++) {
      expect(isEnc(leaf, { path: ['app', 'Secret'], comments: [] })).toBe(true);
      expect(isEnc(leaf, { path: ['app', 'public'], comments: [] })).toBe(false);
    }
  });

  it('refuses a bad selector regex when compiled, naming the selector', () => {
    const e = caught(() => compileSelector({ kind: 'unencrypted_comment_regex', value: '[' }));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toBe('invalid regex in unencrypted_comment_regex: missing closing ]: `[`');
  });

  it('compiles suffix selectors without a regex engine', () => {
    // Even a pattern RE2 would refuse is just a suffix here.
    expect(encrypts({ kind: 'encrypted_suffix', value: '(' }, ['key('])).toBe(true);
    expect(encrypts({ kind: 'unencrypted_suffix', value: '_unencrypted' }, ['A_unencrypted'])).toBe(false);
  });
});

describe('the CLI on a file whose metadata holds encrypted_regex: ^(A+)+$ and a 40,001-character key', () => {
  const LONG = `${'A'.repeat(40_000)}B`;
  const CANARY = 'CANARY-selector-9d3f1a';
  let t: ReturnType<typeof tempDir>;
  let key: { file: string; recipient: string };
  let env: NodeJS.ProcessEnv;

  /** The built CLI, killed if it never ends (then the exit assertions fail). */
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: t.dir, env, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    ({ t, key, env } = keyedTempDir());
    put(t.dir, 'app.env', `AAAA=${CANARY}\n${LONG}=long-value\nOTHER=plain\n`);
    const r = runCli(['encrypt', 'app.env', '-r', key.recipient, '--encrypted-regex', '^(A+)+$', '-o', 'app.env.enc'], { cwd: t.dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(() => t.cleanup());

  it('encrypt applied the regex: only AAAA is encrypted', () => {
    const text = readFileSync(join(t.dir, 'app.env.enc'), 'utf8');
    expect(text).toMatch(/^AAAA=ENC\[AES256_GCM,/m);
    expect(text).toContain(`\n${LONG}=long-value\n`);
    expect(text).toMatch(/^sops_encrypted_regex=\^\(A\+\)\+\$$/m);
    expect(text).not.toContain(CANARY);
  });

  it('decrypt finishes with the values', () => {
    const r = run(['decrypt', 'app.env.enc']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`AAAA=${CANARY}\n${LONG}=long-value\nOTHER=plain\n`);
  });

  it('status finishes and verifies the MAC', () => {
    const r = run(['status', 'app.env.enc']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MAC: +ok \(verified\)$/m);
  });

  it('exec finishes and passes the values', () => {
    const r = run(['exec', '-f', 'app.env.enc', '--', 'sh', '-c', 'printf %s "$AAAA"']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(CANARY);
  });

  // As sops writes it: without envcrypt's integrity record, which would
  // refuse a changed selector before any regex runs.
  const sopsWritten = () => readFileSync(join(t.dir, 'app.env.enc'), 'utf8').replace(/^sops_envcrypt_integrity=.*\n/m, '');

  it('a pathological regex an attacker writes into the metadata ends in an error, not a hang', () => {
    const text = sopsWritten().replace('sops_encrypted_regex=^(A+)+$', 'sops_encrypted_regex=(A|A)*C');
    writeFileSync(join(t.dir, 'forged.env.enc'), text.replace(`${LONG}=`, `${'A'.repeat(40_000)}=`));
    const r = run(['decrypt', 'forged.env.enc']);
    expect(r.signal).toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^envcrypt: error: /);
    expect(r.stdout).not.toContain(CANARY);
  });

  it('a selector regex RE2 refuses is a BAD_METADATA error (exit 5) naming the file and the selector', () => {
    const text = sopsWritten().replace('sops_encrypted_regex=^(A+)+$', 'sops_encrypted_regex=^(?=A)');
    writeFileSync(join(t.dir, 'lookahead.env.enc'), text);
    const r = run(['decrypt', 'lookahead.env.enc']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      'envcrypt: error: lookahead.env.enc: invalid regex in encrypted_regex: invalid or unsupported Perl syntax: `(?=`\n' +
        'envcrypt: hint: sops regexes use Go RE2 syntax, which has no lookaround or backreferences: rewrite the pattern without them\n',
    );
  });
});

describe('re2js is loaded on the first regex compile, not at start-up', () => {
  // Each case runs in a fresh node; require.cache is node's one module
  // cache, which the bundles' require and dist/index.js's share.
  let t: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  const LOADED = "Object.keys(require.cache).some((k) => /[\\/](re2js[\\/]|vendor[\\/]re2js)/.test(k))";

  beforeAll(() => {
    let key: { file: string; recipient: string };
    ({ t, key, env } = keyedTempDir());
    put(t.dir, 'a.env', 'A=1\nB_unencrypted=2\n');
    put(t.dir, 'a.yaml', 'a: 1\n');
    for (const [src, out, extra] of [['a.env', 'plain.env.enc', []], ['a.env', 'regex.env.enc', ['--encrypted-regex', '^A$']], ['a.yaml', 'plain.enc.yaml', []]] as const) {
      const r = runCli(['encrypt', src, '-r', key.recipient, ...extra, '-o', out], { cwd: t.dir, env });
      if (r.code !== 0) throw new Error(r.stderr);
    }
  });
  afterAll(() => t.cleanup());

  const inNode = (code: string, args: string[] = []) => {
    const r = spawnSync(process.execPath, [...args, '-e', code], { cwd: t.dir, env, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const loader = JSON.stringify(join(ROOT, 'bin', 'envcrypt.js'));
  const fastExec = (file: string) =>
    inNode(`const L = require(${loader});
L.loadBundle('fast-exec').exports.execFast(['-f', ${JSON.stringify(file)}, '--', 'true']).then((code) => process.stdout.write(JSON.stringify({ code, re2js: ${LOADED} })));`);

  it('fast-exec on a file with the default selector does not load it', () => {
    const r = fastExec('plain.env.enc');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ code: 0, re2js: false });
  });

  it('fast-exec on a file with encrypted_regex loads it, and runs the command', () => {
    const r = fastExec('regex.env.enc');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ code: 0, re2js: true });
  });

  it('the preload (dist/config.cjs) and the runtime do not load it for the default selector', () => {
    for (const file of ['plain.env.enc', 'plain.enc.yaml']) {
      const r = spawnSync(process.execPath, ['-r', join(ROOT, 'dist', 'config.cjs'), '-e', `process.stdout.write(JSON.stringify({ A: process.env.A ?? process.env.a ?? null, re2js: ${LOADED} }))`], {
        cwd: t.dir,
        env: { ...env, ENVCRYPT_CONFIG_PATH: file },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ A: '1', re2js: false });
    }
  });

  it('the ESM and CommonJS library builds decrypt a regex-selector file, loading it only then', () => {
    const esm = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { decryptFile } = await import(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
await decryptFile('plain.env.enc');
const before = ${LOADED};
const d = await decryptFile('regex.env.enc');
process.stdout.write(JSON.stringify({ before, after: ${LOADED}, A: d.branches.length > 0 }));`;
    const e = inNode(esm, ['--input-type=module']);
    expect(e.stderr).toBe('');
    expect(JSON.parse(e.stdout)).toEqual({ before: false, after: true, A: true });
    const cjs = `const { decryptFile } = require(${JSON.stringify(join(ROOT, 'dist', 'index.cjs'))});
(async () => { await decryptFile('plain.env.enc'); const before = ${LOADED}; await decryptFile('regex.env.enc');
process.stdout.write(JSON.stringify({ before, after: ${LOADED} })); })();`;
    const c = inNode(cjs);
    expect(c.stderr).toBe('');
    expect(JSON.parse(c.stdout)).toEqual({ before: false, after: true });
  });
});
