/**
 * sops's functional tests, ported: getsops/sops 3.13.2 `functional-tests/src/lib.rs`
 * (commit 15e36f97a8641769712da76b64aec4ea566be81e, MPL-2.0), which run the sops
 * binary. Each `it` names the Rust test it ports. No sops binary is used: the
 * commands run through envcrypt's CLI (`src/cli/main.ts` in this process, or
 * `bin/envcrypt.js` where stdin or a child process is the point) or its API.
 *
 * Keys: sops's tests encrypt to a PGP key through `functional-tests/.sops.yaml`;
 * here the same rules name throwaway age keys (`test/fixtures/sops-ported/`),
 * with key A for the catch-all rule, and keys A and B in the environment (key C's
 * identity is missing, as sops's third PGP key is). Its encrypted fixtures
 * (`functional-tests/res/`, copied under `test/fixtures/sops/getsops-sops/`) are
 * PGP-encrypted: they are opened with their data keys, unwrapped once with gpg
 * (`test/fixtures/sops/derived/`; see PROVENANCE.md).
 *
 * Differences from sops's CLI that the ports follow (README, SOPS compatibility):
 * `encrypt -i` is `--in-place` (`-i` is `--identity`); `set` reads its value from stdin (`--type json`
 * for sops's JSON values; never from argv), so a JSON value given on sops's command line is set
 * through the library's `setValue`; `--value-file` is stdin redirected from the file.
 *
 * Not ported:
 * - publish_json_file_s3, publish_json_file_vault, publish_json_file_vault_version_1:
 *   `sops publish` (S3, Vault), which envcrypt does not have.
 * - encrypt_json_file_kms, roundtrip_kms_encryption_context: AWS KMS keys.
 * - set_json_file_update_idempotent_write: sops rewrites a file whose value is set to
 *   what it already is, converting it with `set --output-type`; envcrypt never rewrites an
 *   unchanged file (README, `set`), and `set` has no `--output-type`
 *   (set_json_file_update_idempotent_nowrite is ported).
 * - set_yaml_file_string_compat: sops's pre-3.9 syntax (`-e`, `-d`, `--set`), which envcrypt
 *   never had.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { revealFile } from '../../src/api/reveal.js';
import { setValue } from '../../src/api/set.js';
import { map, pair, str } from '../../src/tree/types.js';
import { rejected } from '../helpers/errors.js';
import { runMain } from '../helpers/in-process-cli.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';

const KEYS = join(ROOT, 'test', 'fixtures', 'sops-ported');
const RES = join(FIXTURES, 'getsops-sops', 'functional-tests', 'res');
const keyText = (n: string) => readFileSync(join(KEYS, `age-key-${n}.txt`), 'utf8');
const recipientOf = (n: string) => /# public key: (age1\w+)/.exec(keyText(n))![1]!;
const A = recipientOf('a');
const B = recipientOf('b');
const C = recipientOf('c');
const dataKeys = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'sops-functional-datakeys.json'), 'utf8')) as Record<string, string>;
const vectorKey = (name: string) => (JSON.parse(readFileSync(join(FIXTURES, 'derived', name), 'utf8')) as { dataKeyHex: string }).dataKeyHex;
const keyOf = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** functional-tests/.sops.yaml with each PGP fingerprint replaced by an age key (destination_rules, for publish, left out). */
const SOPS_YAML = `creation_rules:
    - path_regex: test_roundtrip_keygroups.yaml
      key_groups:
      - age:
        - ${A}
      - age:
        - ${B}
    - path_regex: test_roundtrip_keygroups_missing_decryption_key.yaml
      key_groups:
      - age:
        - ${A}
      - age:
        - ${C}
    - path_regex: test_no_keygroups.yaml
    - path_regex: test_zero_keygroups.yaml
      key_groups: []
    - path_regex: test_empty_keygroup.yaml
      key_groups:
        - {}
    - age: ${A}
`;

const t = tempDir('envcrypt-sops-functional-');
/** The environment of every run: keys A and B, none of the machine's. */
const env = cleanEnv({ ENVCRYPT_AGE_KEY: `${keyText('a')}${keyText('b')}` });
const opts = { env, onWarning: () => undefined };
beforeAll(() => writeFileSync(join(t.dir, '.sops.yaml'), SOPS_YAML));
afterAll(t.cleanup);

/** sops's prepare_temp_file. */
function prepare(name: string, contents: string): string {
  const p = join(t.dir, name);
  writeFileSync(p, contents);
  return p;
}
const read = (p: string) => readFileSync(p, 'utf8');
const cli = (...args: string[]) => runMain(args, env);
async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}
const isEnc = (v: unknown) => typeof v === 'string' && v.startsWith('ENC[');

describe('getsops/sops functional-tests/src/lib.rs: encrypt', () => {
  it('encrypt_json_file: every value encrypted, with a sops branch', async () => {
    const file = prepare('test_encrypt.json', '{\n    "foo": 2,\n    "bar": "baz"\n}');
    const data = JSON.parse(await ok('encrypt', file));
    expect(data.sops).toBeDefined();
    expect(isEnc(data.foo) && isEnc(data.bar)).toBe(true);
  });

  it('encrypt_yaml_file: every value encrypted, with a sops branch', async () => {
    const file = prepare('test_encrypt.yaml', 'foo: 2\nbar: baz');
    const data = parseYaml(await ok('encrypt', file));
    expect(data.sops).toBeDefined();
    expect(isEnc(data.foo) && isEnc(data.bar)).toBe(true);
  });

  it('encrypt_from_stdin: YAML on stdin, JSON out, keys from the .sops.yaml named with --config (sops: --filename-override)', () => {
    // .sops.yaml is looked for from the file's directory (/dev here), so it is named; its catch-all rule applies.
    const config = join(t.dir, '.sops.yaml');
    const r = runCli(['encrypt', '/dev/stdin', '--config', config, '--input-type', 'yaml', '--output-type', 'json'], { cwd: t.dir, env, input: 'foo: 2\nbar: baz\n' });
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.sops).toBeDefined();
    expect(isEnc(data.foo) && isEnc(data.bar)).toBe(true);
  });

  it('encrypt_comments: comments are encrypted', async () => {
    const out = await ok('encrypt', prepare('comments.yaml', read(join(RES, 'comments.yaml'))));
    expect(out).not.toContain('first comment in file');
    expect(out).not.toContain('this-is-a-comment');
  });

  it('encrypt_comments_list: a comment inside a list is encrypted', async () => {
    const out = await ok('encrypt', prepare('comments_list.yaml', read(join(RES, 'comments_list.yaml'))));
    expect(out).not.toContain('this-is-a-comment');
  });

  it('output_flag: --output writes the file and prints nothing (sops encrypts a binary file; a YAML one here)', async () => {
    const input = prepare('test_output_flag.yaml', 'foo: bar\n');
    const out = join(t.dir, 'output_flag.txt');
    expect(await ok('encrypt', '--output', out, input)).toBe('');
    expect(read(out)).not.toBe('');
  });

  it('test_no_keygroups: a rule with no keys is refused', async () => {
    const r = await cli('encrypt', '--in-place', prepare('test_no_keygroups.yaml', 'a: secret'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no recipients');
  });

  it('test_zero_keygroups: a rule with "key_groups: []" is refused', async () => {
    const r = await cli('encrypt', '--in-place', prepare('test_zero_keygroups.yaml', 'a: secret'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no recipients');
  });

  it('test_empty_keygroup: a rule with one empty key group is refused', async () => {
    const r = await cli('encrypt', '--in-place', prepare('test_empty_keygroup.yaml', 'a: secret'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no recipients');
  });

  it('roundtrip_shamir: two key groups, both keys at hand', async () => {
    const file = prepare('test_roundtrip_keygroups.yaml', 'a: secret');
    await ok('encrypt', '--in-place', file);
    expect(parseYaml(await ok('decrypt', file))).toEqual({ a: 'secret' });
  });

  it('roundtrip_shamir_missing_decryption_key: two key groups, one key missing', async () => {
    const file = prepare('test_roundtrip_keygroups_missing_decryption_key.yaml', 'a: secret');
    await ok('encrypt', '--in-place', file);
    expect((await cli('decrypt', file)).code).not.toBe(0);
  });

  // envcrypt asks for --input-type binary where sops falls back to binary for an unknown extension
  // (README "Decisions"); decrypt needs nothing: the file's layout says binary.
  it('roundtrip_binary: a whole file as one value', async () => {
    const data = '""{}this_is_binary_data';
    const file = prepare('test.binary', data);
    expect((await cli('encrypt', '--in-place', file)).code).toBe(2);
    await ok('encrypt', '--in-place', '--input-type', 'binary', file);
    expect(await ok('decrypt', file)).toBe(data);
  });
});

describe('getsops/sops functional-tests/src/lib.rs: decrypt', () => {
  it('decrypt_file_no_mac: a file without a MAC is refused, and read with --ignore-mac', async () => {
    const file = prepare('test_decrypt_no_mac.yaml', read(join(RES, 'no_mac.yaml')));
    const dataKey = keyOf(dataKeys['no_mac.yaml']!);
    expect((await rejected(revealFile(file, { ...opts, dataKey }))).code).toBe('MAC_MISMATCH');
    expect(parseYaml((await revealFile(file, { ...opts, dataKey, ignoreMac: true }))!)).toEqual({ myapp1: expect.any(String) });
  });

  it('decrypt_from_stdin: YAML on stdin, decrypted, without the sops branch', async () => {
    // sops pipes its PGP fixture comments.enc.yaml; the same plaintext is encrypted to key A here.
    const enc = await ok('encrypt', prepare('comments-stdin.yaml', read(join(RES, 'comments.yaml'))));
    const r = runCli(['decrypt', '/dev/stdin', '--input-type', 'yaml', '--output-type', 'yaml'], { cwd: t.dir, env, input: enc });
    expect(r.code, r.stderr).toBe(0);
    const data = parseYaml(r.stdout);
    expect(data.sops).toBeUndefined();
    expect(data).toEqual({ lorem: 'ipsum', dolor: 'sit' });
  });

  it('decrypt_comments: the comments of sops\'s encrypted fixture are decrypted', async () => {
    const out = (await revealFile(join(RES, 'comments.enc.yaml'), { ...opts, dataKey: keyOf(vectorKey('sops-comments.enc.yaml.vectors.json')) }))!;
    expect(out).toContain('first comment in file');
    expect(out).toContain('this-is-a-comment');
  });

  it('decrypt_comments_unencrypted_comments: plain comments in an encrypted file are kept', async () => {
    const out = (await revealFile(join(RES, 'comments_unencrypted_comments.yaml'), { ...opts, dataKey: keyOf(dataKeys['comments_unencrypted_comments.yaml']!) }))!;
    expect(out).toContain('first comment in file');
    expect(out).toContain('this-is-a-comment');
  });

  it('test_decrypt_file_multiple_keys: a file with two master keys decrypts (sops\'s two-PGP-key fixture, and a two-age-key file with either key)', async () => {
    const fixture = (await revealFile(join(RES, 'multiple_keys.yaml'), { ...opts, dataKey: keyOf(dataKeys['multiple_keys.yaml']!) }))!;
    expect(Object.keys(parseYaml(fixture))).toEqual(['message']);
    const file = prepare('test_decrypt_file_multiple_keys.yaml', 'message: hello\n');
    await ok('encrypt', file, '--in-place', '-r', `${A},${C}`);
    for (const k of ['a', 'c']) {
      const r = await runMain(['decrypt', file], cleanEnv({ ENVCRYPT_AGE_KEY: keyText(k) }));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('message: hello\n');
    }
  });

  it('test_yaml_time: a date and a timestamp come back as RFC 3339 times', async () => {
    const file = prepare('test_time.yaml', 'a: 2024-01-01\nb: 2006-01-02T15:04:05+07:06');
    await ok('encrypt', '--in-place', file);
    expect(await ok('decrypt', file)).toBe('a: 2024-01-01T00:00:00Z\nb: 2006-01-02T15:04:05+07:06\n');
  });

  it('extract_string: a literal block at the end of the file, without a final newline', async () => {
    const file = prepare('test_extract_string.yaml', 'multiline: |\n  multi\n  line');
    await ok('encrypt', '--in-place', file);
    expect(await ok('decrypt', '--extract', '["multiline"]', file)).toBe('multi\nline');
  });

  it('decrypt_format: YAML, JSON and dotenv files written by sops 3.13 (the dotenv key with a space is refused as plaintext dotenv)', async () => {
    const reveal = (name: string, vectors: string) => revealFile(join(RES, name), { ...opts, dataKey: keyOf(vectorKey(vectors)) });
    expect(await reveal('format.enc.yaml', 'sops-format.enc.yaml.vectors.json')).toBe('foo: bar\n');
    expect(await reveal('format.enc.json', 'sops-format.enc.json.vectors.json')).toBe('{\n\t"foo": "bar"\n}\n');
    // sops prints "foo = bar": its key is "foo " and its value " bar". envcrypt's plaintext dotenv must read back
    // the same through dotenv.parse, which would trim both, so it refuses the key rather than lose the spaces;
    // the values are sops's, as JSON shows.
    const dotenv = await rejected(reveal('format.enc.env', 'sops-format.enc.env.vectors.json'));
    expect([dotenv.code, dotenv.message]).toEqual(['UNSUPPORTED', 'key "foo " cannot be written to a dotenv file']);
    const asJson = await revealFile(join(RES, 'format.enc.env'), { ...opts, outputType: 'json', dataKey: keyOf(vectorKey('sops-format.enc.env.vectors.json')) });
    expect(JSON.parse(asJson!)).toEqual({ 'foo ': ' bar' });
  });

  it('decrypt_format: INI files written by sops 3.13.2 and by 3.13.0/3.13.1', async () => {
    for (const name of ['format.enc.ini', 'format-2.enc.ini']) {
      expect(await revealFile(join(RES, name), { ...opts, dataKey: keyOf(dataKeys[name]!) })).toBe('[foo]\nbar = baz\n');
    }
  });

  it('test_ini_values_as_strings: every YAML scalar type written to INI', async () => {
    const file = prepare(
      'test_ini_values_as_strings.yaml',
      'the_section:\n  int: 123\n  float: 1.23\n  bool: true\n  date: 2025-01-02\n  timestamp: 2025-01-02 03:04:05\n  utc_timestamp: 2025-01-02T03:04:05Z\n  string: this is a string',
    );
    await ok('encrypt', '--in-place', file);
    expect(await ok('decrypt', '--output-type', 'ini', file)).toBe(
      '[the_section]\nint           = 123\nfloat         = 1.23\nbool          = true\ndate          = 2025-01-02T00:00:00Z\ntimestamp     = 2025-01-02T03:04:05Z\nutc_timestamp = 2025-01-02T03:04:05Z\nstring        = this is a string\n',
    );
  });
});

describe('getsops/sops functional-tests/src/lib.rs: set and unset', () => {
  // sops's set and unset tests each encrypt the same small file anew; here each plaintext is
  // encrypted in place once and copied, which is the same file under another name.
  const once = new Map<string, string>();
  /** A new file of sops's set tests, encrypted in place. */
  async function encrypted(name: string, text: string): Promise<string> {
    const ext = name.slice(name.lastIndexOf('.'));
    const key = `${ext}\0${text}`;
    if (!once.has(key)) {
      const first = prepare(`first-${once.size}${ext}`, text);
      await ok('encrypt', '--in-place', first);
      once.set(key, read(first));
    }
    return prepare(name, once.get(key)!);
  }
  const aaMap = map([pair('aa', str('aaa'))]);

  it('set_json_file_update: a value replaced by a mapping, whose value is encrypted', async () => {
    const file = await encrypted('test_set_update.json', '{"a": 2, "b": "ba"}');
    await setValue(file, '["a"]', aaMap, opts);
    expect(isEnc(JSON.parse(read(file)).a.aa)).toBe(true);
  });

  it('set_json_file_update_idempotent_nowrite: setting a value to what it is leaves the file as it was', async () => {
    const file = await encrypted('test_set_update_idempotent_nowrite.json', '{"a": 2, "b": "ba"}');
    const before = read(file);
    await ok('set', file, '["b"]=ba');
    expect(read(file)).toBe(before);
  });

  it('set_json_file_insert: a new key holding a mapping', async () => {
    const file = await encrypted('test_set_insert.json', '{"a": 2, "b": "ba"}');
    await setValue(file, '["c"]', map([pair('cc', str('ccc'))]), opts);
    expect(isEnc(JSON.parse(read(file)).c.cc)).toBe(true);
  });

  it('set_json_file_insert_with_value_stdin: a JSON value from stdin (set --type json)', async () => {
    const file = await encrypted('test_set_json_file_insert_with_value_stdin.json', '{"a": 2, "b": "ba"}');
    const r = runCli(['set', '--type', 'json', file, '["c"]'], { env, input: '{"cc": "ccc"}' });
    expect(r.code, r.stderr).toBe(0);
    expect(isEnc(JSON.parse(read(file)).c.cc)).toBe(true);
  });

  it('set_json_file_insert_with_value_file: a JSON value from a file (sops --value-file; stdin redirected here)', async () => {
    const file = await encrypted('test_set_json_file_insert_with_value_file.json', '{"a": 2, "b": "ba"}');
    const valueFile = prepare('insert_value_file.json', '{"cc": "ccc"}');
    const r = runCli(['set', '--type', 'json', file, '["c"]'], { env, input: read(valueFile) });
    expect(r.code, r.stderr).toBe(0);
    expect(isEnc(JSON.parse(read(file)).c.cc)).toBe(true);
    expect(await ok('get', file, 'c.cc')).toBe('ccc');
  });

  it('set_yaml_file_update: a YAML value replaced by a mapping, whose value is encrypted', async () => {
    const file = await encrypted('test_set_update.yaml', 'a: 2\nb: ba');
    await setValue(file, '["a"]', aaMap, opts);
    expect(isEnc(parseYaml(read(file)).a.aa)).toBe(true);
  });

  it('set_yaml_file_insert: a new YAML key holding a mapping', async () => {
    const file = await encrypted('test_set_insert.yaml', 'a: 2\nb: ba');
    await setValue(file, '["c"]', map([pair('cc', str('ccc'))]), opts);
    expect(isEnc(parseYaml(read(file)).c.cc)).toBe(true);
  });

  it('set_yaml_file_string: an int replaced by a string, which decrypts (sops decrypts in place; to stdout here)', async () => {
    const file = await encrypted('test_set_string.yaml', 'a: 2\nb: ba');
    await ok('set', file, '["a"]=aaa');
    expect(parseYaml(await ok('decrypt', file)).a).toBe('aaa');
  });

  for (const [name, ext, parse, secondIndex] of [
    ['unset_json_file', 'json', (s: string) => JSON.parse(s), 1],
    ['unset_yaml_file', 'yaml', (s: string) => parseYaml(s), 0],
  ] as const) {
    it(`${name}: a key, then again (no change), then a list element, then again (no change)`, async () => {
      const file = await encrypted(`test_unset.${ext}`, '{"a": 2, "b": "ba", "c": [1,2]}');
      await ok('unset', file, '["a"]');
      let content = read(file);
      expect(parse(content).a).toBeUndefined();
      expect(parse(content).b).toBeDefined();
      await ok('unset', '--idempotent', file, '["a"]');
      expect(read(file)).toBe(content);
      await ok('unset', file, `["c"][${secondIndex}]`);
      content = read(file);
      expect(parse(content).c).toHaveLength(1);
      await ok('unset', '--idempotent', file, '["c"][1]');
      expect(read(file)).toBe(content);
    });
  }
});

describe('getsops/sops functional-tests/src/lib.rs: exec', () => {
  it('exec_env: the values in the child\'s environment, a literal block with its newline (one launch for both)', async () => {
    const file = join(t.dir, 'test_exec_env.yaml');
    writeFileSync(file, 'foo: bar\nbar: |-\n  baz\n  bam\n');
    await ok('encrypt', '--in-place', file);
    const r = runCli(['exec', '-f', file, '--', 'sh', '-c', 'printf "%s\\n" "$foo"; printf -- "---\\n"; printf "%s\\n" "$bar"'], { cwd: t.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('bar\n---\nbaz\nbam\n');
  });

  /** sops's exec tests' file, encrypted in place. */
  async function execFixture(name: string): Promise<string> {
    const file = join(t.dir, name);
    writeFileSync(file, 'foo: bar\nbar: |-\n  baz\n  bam\n');
    await ok('encrypt', '--in-place', file);
    return file;
  }

  it('exec_file: the decrypted file as JSON at the path "{}" stands for', async () => {
    const file = await execFixture('test_exec_file.yaml');
    const r = runCli(['exec-file', '--output-type', 'json', file, '--', 'cat', '{}'], { cwd: t.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('{\n\t"foo": "bar",\n\t"bar": "baz\\nbam"\n}\n');
  });

  it('exec_file_filename: --no-fifo --filename names the file', async () => {
    const file = await execFixture('test_exec_file_filename.yaml');
    const r = runCli(['exec-file', '--no-fifo', '--filename', 'foobar', file, '--', 'echo', '{}'], { cwd: t.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith('foobar\n')).toBe(true);
  });
});
