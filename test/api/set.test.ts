import { copyFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { CHARSETS, generateSecret, getValue, jsonValue, keySteps, setValue, typedLeaf, unsetValue, valueText, type ChangeOptions } from '../../src/api/set.js';
import { EnvcryptError } from '../../src/errors.js';
import { deleteAt, setAt } from '../../src/tree/mutate.js';
import { getPath, type PathStep } from '../../src/tree/path.js';
import { int, list, map, nul, pair, str, type MapNode, type Node } from '../../src/tree/types.js';
import { FIXTURES, RUNS } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, tempDir } from '../helpers/run-cli.js';
import { rejected } from '../helpers/errors.js';

const CANARY = 'CANARY-set-4b1d-secret';
let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let opts: ChangeOptions;
let n = 0;

beforeAll(() => {
  t = tempDir('envcrypt-set-');
  key = ageKeygen(t.dir);
  opts = { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file }), onWarning: () => undefined };
});
afterAll(() => t.cleanup());

/** Encrypt `plain` into a fresh file named like `name` and return its path. */
async function encrypted(name: string, plain: string): Promise<string> {
  const path = join(t.dir, `${++n}-${name}`);
  writeFileSync(path, await encryptText(plain, path, { recipients: [key.recipient] }));
  return path;
}

/** Lines of `after` that differ from `before`, by the text before "=" or ":" (dotenv/YAML keys). */
function changedKeys(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return b.flatMap((l, i) => (l === a[i] ? [] : [l.trim().split(/[=:]/)[0]!]));
}

const plainOf = async (file: string) => (await decryptFile(file, opts)).branches;

describe('setValue', () => {
  it('dotenv: changes only that line, the MAC, lastmodified and the integrity record; keeps comments', async () => {
    const file = await encrypted('app.env.enc', `# db\nA=1\nB=two\nC=three\n`);
    const before = readFileSync(file, 'utf8');
    await new Promise((r) => setTimeout(r, 1100)); // a new lastmodified second
    expect(await setValue(file, 'B', str(CANARY), opts)).toEqual({ changed: true });
    const after = readFileSync(file, 'utf8');
    expect(after).not.toContain(CANARY);
    expect(changedKeys(before, after).sort()).toEqual(['B', 'sops_envcrypt_integrity', 'sops_lastmodified', 'sops_mac']);
    expect((await getValue(file, 'B', opts))).toEqual(str(CANARY));
  });

  it('dotenv: a new key is appended; a dotted key is one name', async () => {
    const file = await encrypted('.env.enc', 'A=1\n');
    await setValue(file, 'DB.HOST', str('h'), opts);
    const items = (await plainOf(file))[0]!.items;
    expect(items).toEqual([pair('A', str('1')), pair('DB.HOST', str('h'))]);
  });

  it('setting a key to its current value writes nothing (same bytes and mtime)', async () => {
    const file = await encrypted('same.env.enc', 'A=1\nB=2\n');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(file, old, old);
    const mtime = statSync(file).mtimeMs;
    const before = readFileSync(file);
    expect(await setValue(file, 'B', str('2'), opts)).toEqual({ changed: false });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('YAML: a nested path creates missing mappings; other lines and comments stay byte-identical', async () => {
    const file = await encrypted('config.enc.yaml', `# top\ndb:\n    user: admin # who\n    port: 5432\nlist:\n    - a\n    - b\n`);
    const before = readFileSync(file, 'utf8');
    await setValue(file, 'db.user', str('root'), opts);
    const mid = readFileSync(file, 'utf8');
    expect(changedKeys(before, mid).filter((k) => k !== 'lastmodified')).toEqual(['user', 'envcrypt_integrity', 'mac']);
    await setValue(file, '["api"]["keys"]["primary"]', str(CANARY), opts);
    const root = (await plainOf(file))[0]!;
    expect(getPath(root, ['db', 'user'])).toEqual(str('root'));
    expect(getPath(root, ['api', 'keys', 'primary'])).toEqual(str(CANARY));
    expect(getPath(root, ['db', 'port'])).toEqual(int(5432n));
    expect(root.items.filter((i) => i.kind === 'pair').map((i) => (i as { key: string }).key)).toEqual(['db', 'list', 'api']);
    expect(readFileSync(file, 'utf8')).not.toContain(CANARY);
  });

  it('YAML/JSON: --type values are typed leaves', async () => {
    const file = await encrypted('typed.json', '{"a": {"b": "x"}}');
    await setValue(file, 'a.n', typedLeaf('42', 'int'), opts);
    await setValue(file, 'a.f', typedLeaf('1.5', 'float'), opts);
    await setValue(file, 'a.t', typedLeaf('true', 'bool'), opts);
    const root = (await plainOf(file))[0]!;
    expect(getPath(root, ['a'])).toEqual(map([pair('b', str('x')), pair('n', int(42n)), pair('f', { kind: 'float', value: 1.5 }), pair('t', { kind: 'bool', value: true })]));
    expect(readFileSync(file, 'utf8')).toMatch(/type:int/);
  });

  it('refuses what cannot be stored, naming the key and never the value', async () => {
    const env = await encrypted('r.env.enc', 'A=1\n');
    expect((await rejected(setValue(env, '["a"]["b"]', str('x'), opts))).message).toContain('top-level');
    expect((await rejected(setValue(env, 'A', int(1n), opts))).code).toBe('USAGE');
    expect((await rejected(setValue(env, 'BAD KEY', str('x'), opts))).code).toBe('USAGE');
    const meta = await rejected(setValue(env, 'sops_mac', str(CANARY), opts));
    expect(meta.code).toBe('PARSE');
    expect(meta.message).not.toContain(CANARY);
    const yaml = await encrypted('r.yaml', 'a: text\n');
    expect((await rejected(setValue(yaml, 'sops', str('x'), opts))).code).toBe('PARSE');
    const through = await rejected(setValue(yaml, 'a.b', str(CANARY), opts));
    expect(through.code).toBe('REFUSED');
    expect(through.message).toBe('setting this path would replace a string at a with a mapping');
    expect(JSON.stringify(through)).not.toContain(CANARY);
  });

  // The file-level half of "TestSetNewKeyDeep" (sops sops_test.go): a scalar on the way is replaced only with force.
  it('force: a scalar on the way becomes a mapping, the replacement named on onWarning by path only; nothing is written when refused', async () => {
    const file = await encrypted('force.yaml', 'a: text\nb: 2\n');
    const before = readFileSync(file);
    const warnings: string[] = [];
    const wopts = { ...opts, onWarning: (m: string) => warnings.push(m) };
    expect((await rejected(setValue(file, '["a"]["b"]', str(CANARY), wopts))).code).toBe('REFUSED');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(warnings).toEqual([]);
    expect(await setValue(file, '["a"]["b"]', str(CANARY), { ...wopts, force: true })).toEqual({ changed: true });
    expect(warnings).toEqual(['replaced a string at a with a mapping']);
    const root = (await plainOf(file))[0]!;
    expect(root).toEqual(map([pair('a', map([pair('b', str(CANARY))])), pair('b', int(2n))]));
    // A list is created for index 0, and appended to at index = length.
    await setValue(file, 'c.0', str('x'), opts);
    await setValue(file, 'c.1', str('y'), opts);
    expect(getPath((await plainOf(file))[0]!, ['c'])).toEqual(list([str('x'), str('y')]));
    expect((await rejected(setValue(file, 'c.5', str('z'), opts))).code).toBe('USAGE');
  });

  it('a missing file is NOT_FOUND with a hint to create it', async () => {
    const e = await rejected(setValue(join(t.dir, 'nope.env.enc'), 'A', str('1'), opts));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.hints.join(' ')).toContain('envcrypt edit');
  });

  it('concurrent setValue calls in one process all land (the lock serialises them)', async () => {
    const file = await encrypted('many.env.enc', 'A=1\n');
    await Promise.all(Array.from({ length: 10 }, (_, i) => setValue(file, `K${i}`, str(`v${i}`), opts)));
    const keys = (await plainOf(file))[0]!.items.map((i) => (i as { key: string }).key).sort();
    expect(keys).toEqual(['A', ...Array.from({ length: 10 }, (_, i) => `K${i}`)].sort());
  });

  it('refuses to rewrite a file with PGP keys, which it could not keep (sops-nix fixture)', async () => {
    const file = join(t.dir, 'nix-secrets.yaml');
    copyFileSync(join(FIXTURES, 'sops-nix', 'secrets.yaml'), file);
    const before = readFileSync(file);
    const e = await rejected(setValue(file, 'x', str('1'), { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(FIXTURES, 'sops-nix', 'age-keys.txt') }), onWarning: () => undefined }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('pgp');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a file written by the real sops changes only the set line plus metadata (fluxcd dotenv fixture)', async () => {
    const file = join(t.dir, 'flux.env');
    copyFileSync(join(FIXTURES, 'fluxcd-kustomize-controller', 'envs', 'env.env'), file);
    const kopts = { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(FIXTURES, 'fluxcd-kustomize-controller', 'keys', 'age.txt') }), onWarning: () => undefined };
    const before = readFileSync(file, 'utf8');
    const firstKey = before.split('\n')[0]!.split('=')[0]!;
    await setValue(file, firstKey, str('changed'), kopts);
    // Lines are compared as a set: the record's two lines are inserted among the metadata.
    const after = readFileSync(file, 'utf8');
    const old = new Set(before.split('\n'));
    const changed = after.split('\n').filter((l) => !old.has(l)).map((l) => l.split('=')[0]!);
    expect(after.split('\n').length).toBe(before.split('\n').length + 2);
    expect(changed[0]).toBe(firstKey);
    // The first envcrypt write adds the integrity record; with no .sops.yaml rule vouching for
    // the recipients sops listed, they are recorded as unverified.
    expect(changed.slice(1).every((k) => ['sops_mac', 'sops_lastmodified', 'sops_version', 'sops_envcrypt_integrity', 'sops_envcrypt_unverified'].includes(k))).toBe(true);
    expect(changed).toContain('sops_envcrypt_integrity');
    expect(changed).toContain('sops_envcrypt_unverified');
    expect(await getValue(file, firstKey, kopts)).toEqual(str('changed'));
  });
});

// Ported from getsops/sops functional-tests/src/lib.rs (3.13.2): set_json_file_update, set_json_file_insert,
// set_yaml_file_update, set_yaml_file_insert, set_yaml_file_string and set_json_file_update_idempotent_nowrite.
// sops takes the value as JSON; here that is --type json (jsonValue).
describe('set with a JSON value, as sops set', () => {
  const encKey = (node: Node | undefined, k: string) => node?.kind === 'map' && node.items.some((i) => i.kind === 'pair' && i.key === k);
  for (const [name, plain] of [['json', '{"a": 2, "b": "ba"}'], ['yaml', 'a: 2\nb: ba']] as const) {
    it(`set_${name}_file_update, set_${name}_file_insert: a mapping replaces a scalar at the path, or is inserted; its values are encrypted`, async () => {
      const file = await encrypted(`upd.${name}`, plain);
      await setValue(file, '["a"]', jsonValue('{"aa": "aaa"}'), opts);
      await setValue(file, '["c"]', jsonValue('{"cc": "ccc"}'), opts);
      const raw = readFileSync(file, 'utf8');
      expect(raw).toMatch(name === 'json' ? /"aa": "ENC\[AES256_GCM,/ : /aa: ENC\[AES256_GCM,/);
      expect(raw).toMatch(name === 'json' ? /"cc": "ENC\[AES256_GCM,/ : /cc: ENC\[AES256_GCM,/);
      const root = (await plainOf(file))[0]!;
      expect(root).toEqual(map([pair('a', map([pair('aa', str('aaa'))])), pair('b', str('ba')), pair('c', map([pair('cc', str('ccc'))]))]));
      expect(encKey(getPath(root, ['a']), 'aa')).toBe(true);
    });
  }

  it('set_yaml_file_string: a JSON string sets a string; set_json_file_update_idempotent_nowrite: the same value writes nothing', async () => {
    const file = await encrypted('str.yaml', 'a: 2\nb: ba');
    await setValue(file, '["a"]', jsonValue('"aaa"'), opts);
    expect(getPath((await plainOf(file))[0]!, ['a'])).toEqual(str('aaa'));
    const before = readFileSync(file);
    expect(await setValue(file, '["b"]', jsonValue('"ba"'), opts)).toEqual({ changed: false });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('jsonValue: every JSON kind; anything but one JSON value is a usage error that never repeats the text', () => {
    expect(jsonValue(' [1, "x", true, null, 1.5] ')).toEqual(list([int(1n), str('x'), { kind: 'bool', value: true }, nul, { kind: 'float', value: 1.5 }]));
    for (const bad of [CANARY, `"${CANARY}`, `1, "w": "${CANARY}"`, `{"a": 1}}, "w": {"x": "${CANARY}"`, '', '{"a": 1, "a": 2}']) {
      const e = (() => { try { jsonValue(bad); } catch (x) { return x as EnvcryptError; } return undefined; })();
      expect(e?.code).toBe('USAGE');
      expect(JSON.stringify({ m: e?.message, h: e?.hints })).not.toContain(CANARY);
    }
  });
});

describe('unsetValue and getValue', () => {
  it('removes a key; a missing key is NOT_FOUND unless ignoreMissing', async () => {
    const file = await encrypted('u.yaml', 'a:\n    b: 1\n    c: 2\nd: 3\n');
    expect(await unsetValue(file, 'a.b', opts)).toEqual({ changed: true });
    expect(getPath((await plainOf(file))[0]!, ['a'])).toEqual(map([pair('c', int(2n))]));
    const e = await rejected(unsetValue(file, 'a.b', opts));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('a.b');
    const before = readFileSync(file);
    expect(await unsetValue(file, 'a.b', { ...opts, ignoreMissing: true })).toEqual({ changed: false });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('get returns a string raw and a subtree in the file format', async () => {
    const file = await encrypted('g.yaml', 'db:\n    user: admin\n    port: 5432\n');
    expect(await valueText(await getValue(file, 'db.user', opts), 'yaml')).toBe('admin');
    expect(await valueText(await getValue(file, 'db', opts), 'yaml')).toBe('user: admin\nport: 5432\n');
    expect(await valueText(await getValue(file, 'db.port', opts), 'yaml')).toBe('5432');
    expect((await rejected(getValue(file, 'db.nope', opts))).code).toBe('NOT_FOUND');
  });

  it('keySteps: dotted and bracketed paths; dotenv keys are whole names', () => {
    expect(keySteps('a.b.0', 'yaml')).toEqual(['a', 'b', 0]);
    expect(keySteps('["a.b"]', 'json')).toEqual(['a.b']);
    expect(keySteps('A.B', 'dotenv')).toEqual(['A.B']);
    expect(keySteps('["A"]', 'dotenv')).toEqual(['A']);
  });
});

describe('typedLeaf', () => {
  it('parses each type and refuses bad text without quoting it', () => {
    expect(typedLeaf(' 7 ', 'int')).toEqual(int(7n));
    expect(typedLeaf('false', 'bool')).toEqual({ kind: 'bool', value: false });
    expect(typedLeaf(' keep spaces ', 'str')).toEqual(str(' keep spaces '));
    for (const type of ['int', 'float', 'bool'] as const) {
      let e: unknown;
      try {
        typedLeaf(CANARY, type);
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(EnvcryptError);
      expect((e as Error).message).toBe(`the value is not a valid ${type}`);
    }
  });
});

describe('generateSecret', () => {
  it('defaults to 32 random bytes as unpadded base64url, different each time', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url').length).toBe(32);
    expect(generateSecret()).not.toBe(a);
    expect(Buffer.from(generateSecret({ length: 16 }), 'base64url').length).toBe(16);
  });

  it('with a charset, N is characters; the default gives at least 256 bits', () => {
    expect(generateSecret({ charset: 'hex' })).toMatch(/^[0-9a-f]{64}$/);
    expect(generateSecret({ charset: 'alnum' })).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(generateSecret({ charset: 'base64url', length: 10 })).toMatch(/^[A-Za-z0-9_-]{10}$/);
    expect(generateSecret({ charset: 'xyz', length: 50 })).toMatch(/^[xyz]{50}$/);
    expect([...generateSecret({ charset: 'äöü', length: 5 })]).toHaveLength(5);
  });

  it('has no modulo bias: bytes at or above the largest multiple are redrawn', () => {
    // Every byte value once: an unbiased mapping uses 255 of them (85 per char), rejecting 255.
    let calls = 0;
    const everyByte = (k: number) => {
      calls++;
      return Uint8Array.from({ length: k }, (_, i) => (calls === 1 ? i % 256 : 0));
    };
    const out = generateSecret({ charset: 'abc', length: 255, random: () => everyByte(256) });
    const counts = [...'abc'].map((c) => [...out].filter((x) => x === c).length);
    expect(counts).toEqual([85, 85, 85]);
    // Byte 255 maps to nothing for 3 chars; the next byte (0 → "a") is used instead.
    expect(generateSecret({ charset: 'abc', length: 1, random: () => Uint8Array.from([255, 255, 1]) })).toBe('b');
  });

  it('property: every charset and length gives exactly that many characters from the set', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(CHARSETS)), fc.integer({ min: 1, max: 300 }), (name, length) => {
        const out = [...generateSecret({ charset: name, length })];
        expect(out).toHaveLength(length);
        expect(out.every((c) => CHARSETS[name]!.includes(c))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses bad lengths and charsets', () => {
    for (const o of [{ length: 0 }, { length: 1.5 }, { charset: 'a' }, { charset: 'aab' }]) {
      expect(() => generateSecret(o)).toThrow(EnvcryptError);
    }
  });
});

describe('tree/mutate (setAt, deleteAt)', () => {
  const key = fc.constantFrom('a', 'b', 'c', 'd');
  const path = fc.array(key, { minLength: 1, maxLength: 4 });
  const leaf = fc.string().map((s): Node => str(s));
  const tree: fc.Arbitrary<MapNode> = fc.letrec<{ node: MapNode }>((tie) => ({
    node: fc.array(fc.tuple(key, fc.oneof({ depthSize: 'small' }, leaf, tie('node'))), { maxLength: 4 }).map((ps) => map(ps.map(([k, v]) => pair(k, v)))),
  })).node;

  /** Every (path, value) leaf of a tree, as getPath sees it (last duplicate wins). */
  const leaves = (m: MapNode, prefix: PathStep[] = []): Array<[PathStep[], Node]> => {
    const seen = new Map<string, Node>();
    for (const it of m.items) if (it.kind === 'pair') seen.set(it.key, it.value);
    return [...seen].flatMap(([k, v]) => (v.kind === 'map' ? leaves(v, [...prefix, k]) : [[[...prefix, k], v] as [PathStep[], Node]]));
  };
  const isPrefix = (p: PathStep[], q: PathStep[]) => p.length <= q.length && p.every((s, i) => s === q[i]);

  it('property: after setAt the value is there and unrelated leaves are unchanged', () => {
    fc.assert(
      fc.property(tree, path, fc.string(), (root, p, v) => {
        let next: MapNode;
        try {
          next = setAt(root, p, str(v));
        } catch (e) {
          // Only when the path runs through a string, or replaces a whole mapping; --force does it.
          expect((e as EnvcryptError).code).toBe('REFUSED');
          next = setAt(root, p, str(v), { force: true });
        }
        expect(getPath(next, p)).toEqual(str(v));
        for (const [lp, lv] of leaves(root)) if (!isPrefix(p, lp) && !isPrefix(lp, p)) expect(getPath(next, lp)).toEqual(lv);
      }),
      { numRuns: RUNS },
    );
  });

  it('property: after deleteAt the path is gone and unrelated leaves are unchanged', () => {
    fc.assert(
      fc.property(tree, path, (root, p) => {
        const next = deleteAt(root, p);
        if (next === undefined) {
          expect(getPath(root, p)).toBeUndefined();
          return;
        }
        expect(getPath(next, p)).toBeUndefined();
        for (const [lp, lv] of leaves(root)) if (!isPrefix(p, lp)) expect(getPath(next, lp)).toEqual(lv);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps untouched subtrees by identity and replaced keys in place', () => {
    const sub = map([pair('x', str('1'))]);
    const root = map([pair('a', str('old')), pair('b', sub)]);
    const next = setAt(root, ['a'], str('new'));
    expect(next.items[0]).toEqual(pair('a', str('new')));
    expect((next.items[1] as { value: Node }).value).toBe(sub);
    expect(root.items[0]).toEqual(pair('a', str('old')));
  });

  it('lists: an index replaces, index = length appends, beyond is an error', () => {
    const root = map([pair('l', { kind: 'list', items: [str('a'), { kind: 'comment', text: ' c' }, str('b')] })]);
    expect(getPath(setAt(root, ['l', 1], str('B')), ['l', 1])).toEqual(str('B'));
    expect(getPath(setAt(root, ['l', 2], str('C')), ['l', 2])).toEqual(str('C'));
    expect(() => setAt(root, ['l', 5], str('x'))).toThrow('the list at l has 2 elements');
    expect(() => setAt(root, ['new', 3], str('x'))).toThrow('the list at new has 0 elements');
    expect(getPath(setAt(root, ['new', 0], str('x')), ['new'])).toEqual(list([str('x')]));
    expect(getPath(deleteAt(root, ['l', 0])!, ['l', 0])).toEqual(str('b'));
  });
});

// Ported from getsops/sops sops_test.go (3.13.2), the TestSet* and TestUnset* table of Tree.Set / Tree.Unset.
describe('tree/mutate: sops Tree.Set and Tree.Unset semantics', () => {
  const force = { force: true };
  const deep = () => map([pair('foo', map([pair('bar', map([pair('baz', str('foobar'))]))]))]);

  it('TestSetNewKey, TestSetNewKeyUnchanged, TestSetExisting', () => {
    expect(getPath(setAt(deep(), ['foo', 'bar', 'foo'], str('hello')), ['foo', 'bar'])).toEqual(map([pair('baz', str('foobar')), pair('foo', str('hello'))]));
    const root = deep();
    expect(setAt(root, ['foo', 'bar', 'baz'], str('foobar'))).toEqual(root); // unchanged
    expect(setAt(map([pair('foo', str('foobar'))]), ['foo'], str('bar'))).toEqual(map([pair('foo', str('bar'))]));
  });

  it('TestSetNewBranch, TestSetNewKeyOnEmptyBranch: missing mappings are created, appended', () => {
    const want = pair('foo', map([pair('bar', map([pair('baz', str('hello'))]))]));
    expect(setAt(map([pair('key', str('value'))]), ['foo', 'bar', 'baz'], str('hello'))).toEqual(map([pair('key', str('value')), want]));
    expect(setAt(map([]), ['foo', 'bar', 'baz'], str('hello'))).toEqual(map([want]));
  });

  it('TestSetArray, TestSetArrayNew, TestSetArrayDeepNew: an index replaces, creates a list, appends at the end', () => {
    const three = map([pair('foo', list([str('one'), str('two'), str('three')]))]);
    expect(getPath(setAt(three, ['foo', 0], str('uno')), ['foo'])).toEqual(list([str('uno'), str('two'), str('three')]));
    expect(setAt(map([]), ['foo', 0, 0], str('uno'))).toEqual(map([pair('foo', list([list([str('uno')])]))]));
    const two = map([pair('foo', list([str('one'), str('two')]))]);
    expect(getPath(setAt(two, ['foo', 2, 'bar'], str('hello')), ['foo', 2])).toEqual(map([pair('bar', str('hello'))]));
  });

  it('TestSetArrayLeafNewItem: sops appends at any index past the end; envcrypt only at index = length (README Decisions)', () => {
    const root = map([pair('array', list([]))]);
    const e = (() => { try { setAt(root, ['array', 2], str('hello')); } catch (x) { return x as EnvcryptError; } return undefined; })();
    expect(e?.code).toBe('USAGE');
    expect(e?.hints).toEqual(['index 0 appends an element']);
    expect(setAt(root, ['array', 0], str('hello'))).toEqual(map([pair('array', list([str('hello')]))]));
  });

  it('TestSetNewKeyDeep, TestSetArrayNonLeaf: a scalar on the way becomes a mapping with --force, reported by path and kind', () => {
    const seen: string[][] = [];
    const onReplace = (...a: string[]) => seen.push(a);
    const scalar = map([pair('foo', str('bar'))]);
    const e = (() => { try { setAt(scalar, ['foo', 'bar', 'baz'], str('hello')); } catch (x) { return x as EnvcryptError; } return undefined; })();
    expect(e?.code).toBe('REFUSED');
    expect(e?.message).toBe('setting this path would replace a string at foo with a mapping');
    expect(setAt(scalar, ['foo', 'bar', 'baz'], str('hello'), { force: true, onReplace })).toEqual(map([pair('foo', map([pair('bar', map([pair('baz', str('hello'))]))]))]));
    const arr = map([pair('array', list([int(1n)]))]);
    expect(setAt(arr, ['array', 0, 'hello'], str('hello'), { ...force, onReplace })).toEqual(map([pair('array', list([map([pair('hello', str('hello'))])]))]));
    expect(seen).toEqual([['foo', 'a string', 'a mapping'], ['array[0]', 'an integer', 'a mapping']]);
    // An index through a scalar makes a list, as sops does; null and empty containers hold nothing to lose.
    expect(setAt(map([pair('a', str('1'))]), ['a', 0], str('x'), force)).toEqual(map([pair('a', list([str('x')]))]));
    expect(setAt(map([pair('a', nul)]), ['a', 'b'], str('x'))).toEqual(map([pair('a', map([pair('b', str('x'))]))]));
    expect(setAt(map([pair('a', map([]))]), ['a'], str('x'))).toEqual(map([pair('a', str('x'))]));
  });

  it('a whole mapping or list at the path is replaced only with --force; an equal one is no change', () => {
    const root = map([pair('db', map([pair('user', str('u')), pair('pass', str('p'))]))]);
    expect(() => setAt(root, ['db'], str('x'))).toThrow('would replace a mapping at db with a string');
    expect(setAt(root, ['db'], str('x'), force)).toEqual(map([pair('db', str('x'))]));
    expect(setAt(root, ['db'], map([pair('user', str('u')), pair('pass', str('p'))]))).toEqual(root);
  });

  it('what sops gets wrong is an error: an index into a mapping (sops: silently nothing), a key into a list (sops: a panic)', () => {
    expect(() => setAt(map([pair('m', map([]))]), ['m', 0], str('x'))).toThrow('m is a mapping, not a list');
    expect(() => setAt(map([pair('l', list([]))]), ['l', 'k'], str('x'))).toThrow('l is a list, not a mapping');
  });

  it('TestUnset*: leaves, branches, list items, the last item; missing keys and indexes are undefined (NOT_FOUND)', () => {
    const two = map([pair('foo', str('foo')), pair('foofoo', str('foofoo'))]);
    expect(deleteAt(two, ['foofoo'])).toEqual(map([pair('foo', str('foo'))])); // TestUnsetKeyRootLeaf
    const nested = map([pair('foo', map([pair('bar', str('bar')), pair('barbar', str('barbar'))]))]);
    expect(deleteAt(nested, ['foo', 'barbar'])).toEqual(map([pair('foo', map([pair('bar', str('bar'))]))])); // TestUnsetKeyBranchLeaf
    expect(deleteAt(map([pair('foo', str('foo')), pair('foofoo', map([pair('bar', str('bar'))]))]), ['foofoo'])).toEqual(map([pair('foo', str('foo'))])); // TestUnsetKeyBranch
    expect(deleteAt(map([pair('foo', str('foo'))]), ['foo'])).toEqual(map([])); // TestUnsetKeyRootLastLeaf
    expect(deleteAt(map([pair('foo', map([pair('bar', str('bar'))]))]), ['foo', 'bar'])).toEqual(map([pair('foo', map([]))])); // TestUnsetKeyBranchLastLeaf
    expect(deleteAt(map([pair('foo', map([pair('bar', list([map([pair('baz', str('baz'))])]))]))]), ['foo', 'bar'])).toEqual(map([pair('foo', map([]))])); // TestUnsetKeyArray
    const items = map([pair('foo', list([map([pair('bar', str('bar'))]), map([pair('barbar', str('barbar'))])]))]);
    expect(deleteAt(items, ['foo', 1])).toEqual(map([pair('foo', list([map([pair('bar', str('bar'))])]))])); // TestUnsetArrayItem
    const inItem = map([pair('foo', list([map([pair('bar', str('bar')), pair('barbar', str('barbar'))])]))]);
    expect(deleteAt(inItem, ['foo', 0, 'barbar'])).toEqual(map([pair('foo', list([map([pair('bar', str('bar'))])]))])); // TestUnsetKeyInArrayItem
    const one = map([pair('foo', list([map([pair('bar', str('bar'))])]))]);
    expect(deleteAt(one, ['foo', 0])).toEqual(map([pair('foo', list([]))])); // TestUnsetArrayLastItem
    expect(deleteAt(map([pair('foo', map([pair('bar', str('bar'))]))]), ['foo', 'unknown-value'])).toBeUndefined(); // TestUnsetKeyNotFound
    expect(deleteAt(one, ['foo', 0, 'unknown'])).toBeUndefined(); // TestUnsetKeyInArrayNotFound
    expect(deleteAt(one, ['foo', 99])).toBeUndefined(); // TestUnsetArrayItemOutOfBounds
    expect(deleteAt(map([pair('foo', int(99n))]), ['foo', 'bar'])).toBeUndefined(); // TestUnsetKeyNotABranch (sops: "Unsupported type")
  });
});
