import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalText } from '../../src/crypto/values.js';
import { EnvcryptError } from '../../src/errors.js';
import { jsonStore } from '../../src/stores/json.js';
import { bool, float, int, list, map, nul, pair, str } from '../../src/tree/types.js';
import type { Branch, Leaf, MapNode, Node } from '../../src/tree/types.js';
import { aadFor, forEachLeaf } from '../../src/tree/walk.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
import { FIXTURES } from '../helpers/paths.js';
import { caught } from '../helpers/errors.js';

interface VectorLeaf { aad: string; type?: string; plaintext: string; encrypted: boolean; comment?: boolean }

/** What the walk sees in a parsed encrypted file, in the shape of `leavesInOrder`. */
function observedLeaves(branches: Branch[]): Array<Omit<VectorLeaf, 'plaintext'> & { plaintext?: string }> {
  const out: Array<Omit<VectorLeaf, 'plaintext'> & { plaintext?: string }> = [];
  forEachLeaf(branches, (node, ctx) => {
    if (node.kind === 'null') return;
    const aad = aadFor(ctx.path);
    if (node.kind === 'str' && node.value.startsWith('ENC[')) {
      const type = /,type:([a-z]+)\]$/.exec(node.value)?.[1];
      out.push({ aad, type, encrypted: true });
    } else {
      out.push({ aad, plaintext: canonicalText(node), encrypted: false });
    }
  });
  return out;
}

function expectError(fn: () => unknown, code: string, message?: RegExp): EnvcryptError {
  const err = caught(fn);
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

function memberKeys(m: MapNode): string[] {
  return m.items.map((i) => (i.kind === 'pair' ? i.key : '#'));
}

describe('sops-written fixtures', () => {
  const fixtures = [
    { file: 'humphd-sops-age/secret.enc.json', vectors: 'humphd-secret.enc.json', indent: 2, version: '3.9.2' },
    { file: 'getsops-sops/functional-tests/res/format.enc.json', vectors: 'sops-format.enc.json', indent: undefined, version: '3.13.1' },
  ];

  it.each(fixtures)('$file: leaves, AADs and types match the vectors', ({ file, vectors }) => {
    const { branches, metadata } = jsonStore.parseEncrypted(readFileSync(join(FIXTURES, file), 'utf8'));
    const expected = (JSON.parse(readFileSync(join(FIXTURES, 'derived', `${vectors}.vectors.json`), 'utf8')) as {
      leavesInOrder: VectorLeaf[];
    }).leavesInOrder;
    expect(expected.length).toBeGreaterThan(0);
    expect(observedLeaves(branches)).toEqual(
      expected.map((l) => (l.encrypted ? { aad: l.aad, type: l.type, encrypted: true } : { aad: l.aad, plaintext: l.plaintext, encrypted: false })),
    );
    expect(metadata).not.toBeNull();
    expect(jsonStore.hasMetadata(branches)).toBe(false);
  });

  it.each(fixtures)('$file: metadata is split off in its own order', ({ file, version }) => {
    const { metadata } = jsonStore.parseEncrypted(readFileSync(join(FIXTURES, file), 'utf8'));
    const keys = memberKeys(metadata!);
    expect(keys.at(-1)).toBe('version');
    expect(metadata!.items.at(-1)).toEqual(pair('version', str(version)));
    if (version === '3.9.2') {
      // The ≤ 3.9 layout with explicit nulls.
      expect(keys.slice(0, 4)).toEqual(['kms', 'gcp_kms', 'azure_kv', 'hc_vault']);
      expect(metadata!.items[0]).toEqual(pair('kms', nul));
    } else {
      expect(keys).toEqual(['lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version']);
    }
  });

  it.each(fixtures)('$file: re-emitting gives the file byte for byte', ({ file, indent }) => {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const { branches, metadata } = jsonStore.parseEncrypted(text);
    const opts = indent === undefined ? undefined : { indent };
    expect(jsonStore.emitEncrypted(branches, metadata!, opts)).toBe(text);
  });
});

describe('the §16.2 JSON example', () => {
  const plain = '{"name":"app","secrets":{"token":"abc","n":7},"list":[1,2.5,false,null]}';

  it('parses to the listed leaf types and AADs', () => {
    const seen: Array<[string, string, string]> = [];
    let nulls = 0;
    forEachLeaf(jsonStore.parsePlain(plain), (node, ctx) => {
      if (node.kind === 'null') {
        nulls++;
        return;
      }
      seen.push([aadFor(ctx.path), node.kind, canonicalText(node)]);
    });
    expect(seen).toEqual([
      ['name:', 'str', 'app'],
      ['secrets:token:', 'str', 'abc'],
      ['secrets:n:', 'int', '7'],
      ['list:', 'int', '1'],
      ['list:', 'float', '2.5'],
      ['list:', 'bool', 'False'],
    ]);
    expect(nulls).toBe(1);
    // The MAC the spec gives for these values confirms the canonical texts.
    const mac = createHash('sha512').update(seen.map((s) => s[2]).join('')).digest('hex').toUpperCase();
    expect(mac).toBe(
      '302F83E57D915982B655FA780CCA7B9EF4EB54C2E68638EEE2FBC5047BF79A78E5320230C92D3C0BA4B565202814D4CA20949611901F894F1AE8AF54537A03B7',
    );
  });

  it('round-trips the encrypted text shown in the spec', () => {
    const encrypted = [
      '{',
      '\t"name": "ENC[AES256_GCM,data:E0XS,iv:TB+bRcnMewP9m+2qqV80f5tAc61aO1i/uK7OL65MJ/s=,tag:OHc34z0T01J2yu8C9RuWdA==,type:str]",',
      '\t"secrets": {',
      '\t\t"token": "ENC[AES256_GCM,data:1wxS,iv:KsJfyoZZTt5QQx9ieeJkCFfJilH4PCOjoNdMDkwF9fU=,tag:rCqJwKSWhBk6FjoVDDJ1IA==,type:str]",',
      '\t\t"n": "ENC[AES256_GCM,data:jw==,iv:FyNvkh4Nxf1n29O90B6ygmiIaGGlCGWR+HtmY0jpKOI=,tag:3mS8bKEyJLSkSyrw3TQtLg==,type:int]"',
      '\t},',
      '\t"list": [',
      '\t\t"ENC[AES256_GCM,data:6w==,iv:dqXpMEhbEFsRQ8+/dxWhM7Lp++B53gyj/jBB3KKN7hA=,tag:7CSdj23Q9Vu3P41+QkquFA==,type:int]",',
      '\t\t"ENC[AES256_GCM,data:Vwd6,iv:cufsqGxV0+tvf5EBaG1dyoEymz58zBzWBVuI3D05vuk=,tag:5rFs7pQmN6t3PnRWDLZSwQ==,type:float]",',
      '\t\t"ENC[AES256_GCM,data:6RCFNrw=,iv:hvaetD5xzOiKV0ilPWtj82a6inbjVq1VKP3Z6u1TJqM=,tag:XRMcxQnyPzpitowYvRB70g==,type:bool]",',
      '\t\tnull',
      '\t],',
      '\t"sops": {',
      '\t\t"age": [',
      '\t\t\t{',
      '\t\t\t\t"enc": "-----BEGIN AGE ENCRYPTED FILE-----\\n…\\n-----END AGE ENCRYPTED FILE-----\\n",',
      '\t\t\t\t"recipient": "age1…"',
      '\t\t\t}',
      '\t\t],',
      '\t\t"lastmodified": "2026-01-02T03:04:05Z",',
      '\t\t"mac": "ENC[AES256_GCM,data:8PyVW/CpuoAcjM9RwaCS8Tc7e87wCPWb1yK+TeMva0TFsdL3sBn6S7EWEtqPadHx7rmDPgpsqczqGi3bzskNYtJ3GWM22NA22ZHWWxRCyf4j0M2aCMkmMFZIR8Y8YZOUidbfhCjppQjJpN2zQDbfJupZzyJ2tHSA26maHU8M1x0=,iv:y0ZnKEp4DHmwKb46WkuSt33MjJ7eLTt/mmnoQlrglUQ=,tag:BmEIOY/G+kuAhbAFSZDLSg==,type:str]",',
      '\t\t"unencrypted_suffix": "_unencrypted",',
      '\t\t"version": "3.13.2"',
      '\t}',
      '}',
      '',
    ].join('\n');
    const { branches, metadata } = jsonStore.parseEncrypted(encrypted);
    expect(memberKeys(branches[0]!)).toEqual(['name', 'secrets', 'list']);
    expect(memberKeys(metadata!)).toEqual(['age', 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    expect(jsonStore.emitEncrypted(branches, metadata!)).toBe(encrypted);
  });

  it('emits the plaintext with tabs and a final newline', () => {
    expect(jsonStore.emitPlain(jsonStore.parsePlain(plain))).toBe(
      '{\n\t"name": "app",\n\t"secrets": {\n\t\t"token": "abc",\n\t\t"n": 7\n\t},\n\t"list": [\n\t\t1,\n\t\t2.5,\n\t\tfalse,\n\t\tnull\n\t]\n}\n',
    );
  });
});

describe('parseEncrypted', () => {
  it('gives null metadata when there is no sops member', () => {
    const r = jsonStore.parseEncrypted('{"a": 1}');
    expect(r.metadata).toBeNull();
    expect(r.branches).toEqual([map([pair('a', int(1n))])]);
  });

  it('strips the sops member wherever it sits and keeps the order of the rest', () => {
    const r = jsonStore.parseEncrypted('{"a": 1, "sops": {"version": "3.13.2"}, "b": {"sops": 2}}');
    expect(r.branches).toEqual([map([pair('a', int(1n)), pair('b', map([pair('sops', int(2n))]))])]);
    expect(r.metadata).toEqual(map([pair('version', str('3.13.2'))]));
  });

  it.each([
    ['a string', '"x"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', '1'],
    ['a boolean', 'true'],
  ])('refuses a sops member that is %s', (kind, literal) => {
    const e = expectError(() => jsonStore.parseEncrypted(`{"a": "secret-value", "sops": ${literal}}`), 'BAD_METADATA');
    expect(e.message).toBe(`the top-level "sops" member is ${kind}, not an object`);
    expect(e.message).not.toContain('secret-value');
  });

  it('refuses two sops members as a duplicate key, with both positions', () => {
    const e = expectError(() => jsonStore.parseEncrypted('{"sops": {},\n "sops": {}}'), 'PARSE');
    expect(e.message).toBe('duplicate key "sops" at 2:2 (first at 1:2)');
    expect(e.position).toEqual({ line: 2, column: 2 });
  });

  it('refuses text after the top-level object in both parsers (a second object would be dropped)', () => {
    expectError(() => jsonStore.parseEncrypted('{"sops": {}}\n{}'), 'PARSE', /after the top-level object at 2:1$/);
    expectError(() => jsonStore.parsePlain('{"a": 1}\n{}'), 'PARSE', /after the top-level object at 2:1$/);
  });

  it('reports invalid JSON as PARSE', () => {
    expectError(() => jsonStore.parseEncrypted('{"a": 1,}'), 'PARSE', /trailing comma/);
    expectError(() => jsonStore.parsePlain('[1]'), 'PARSE', /must be an object, not an array/);
  });
});

describe('hasMetadata', () => {
  it('looks at top-level keys only', () => {
    expect(jsonStore.hasMetadata(jsonStore.parsePlain('{"a": 1, "sops": {}}'))).toBe(true);
    expect(jsonStore.hasMetadata(jsonStore.parsePlain('{"a": {"sops": {}}}'))).toBe(false);
    expect(jsonStore.hasMetadata(jsonStore.parsePlain('{}'))).toBe(false);
  });
});

describe('emitters', () => {
  const data = map([pair('a', str('x'))]);
  const meta = map([pair('version', str('3.13.2'))]);

  it('appends the sops object as the last member', () => {
    expect(jsonStore.emitEncrypted([data], meta)).toBe('{\n\t"a": "x",\n\t"sops": {\n\t\t"version": "3.13.2"\n\t}\n}\n');
    expect(jsonStore.emitEncrypted([data], meta, { indent: 1 })).toBe('{\n "a": "x",\n "sops": {\n  "version": "3.13.2"\n }\n}\n');
  });

  it('refuses data that already has a top-level sops key', () => {
    expectError(() => jsonStore.emitEncrypted([map([pair('sops', int(1n))])], meta), 'REFUSED', /reserved for SOPS metadata/);
  });

  it('refuses anything but exactly one document', () => {
    expectError(() => jsonStore.emitPlain([data, data]), 'UNSUPPORTED', /exactly one document, but there are 2/);
    expectError(() => jsonStore.emitPlain([]), 'UNSUPPORTED', /but there are 0/);
    expectError(() => jsonStore.emitEncrypted([data, data], meta), 'UNSUPPORTED');
  });

  it.each([
    [int(42n), '42'],
    [str('x'), '"x"'],
    [str('<&>'), '"\\u003c\\u0026\\u003e"'],
    [float(-0), '-0'],
    [bool(true), 'true'],
    [nul, 'null'],
  ])('emitValue writes the scalar %o without a newline', (node, text) => {
    expect(jsonStore.emitValue(node)).toBe(text);
  });

  it('emitValue writes a subtree indented, without a trailing newline', () => {
    const sub = map([pair('k', list([int(1n), str('v')]))]);
    expect(jsonStore.emitValue(sub)).toBe('{\n\t"k": [\n\t\t1,\n\t\t"v"\n\t]\n}');
    expect(jsonStore.emitValue(sub, { indent: 2 })).toBe('{\n  "k": [\n    1,\n    "v"\n  ]\n}');
    expect(jsonStore.emitValue(list([]))).toBe('[]');
  });

  it('names the key of a non-finite float', () => {
    expectError(() => jsonStore.emitPlain([map([pair('x', map([pair('y', float(Infinity))]))])]), 'UNSUPPORTED', /at x:y /);
  });
});

describe('properties', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: 'binary-ascii', maxLength: 12 }),
    fc.constantFrom('', '<>&', '\u2028\u2029', '"\\/', '😀漢', '1', '01', 'sops'),
  );
  const key = fc.oneof(fc.constantFrom('a', 'b', '1', '10', '__proto__', 'sops'), text);
  const INT64 = 2n ** 63n;
  // Integral floats below 2^63 are written without a fraction and come back as ints,
  // exactly as with sops; they are covered by the int leaves instead.
  const floatLeaf = fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((f) => !Number.isInteger(f) || Math.abs(f) >= 2 ** 63)
    .map(float);
  const leaf: fc.Arbitrary<Leaf> = fc.oneof(
    text.map(str),
    fc.bigInt({ min: -INT64, max: INT64 - 1n }).map(int),
    floatLeaf,
    fc.boolean().map(bool),
    fc.constant(nul),
  );
  const { tree } = fc.letrec<{ node: Node; tree: MapNode; seq: Node }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('tree'), tie('seq')),
    // Unique keys: a key given twice is refused by both parsers (tested on its own above).
    tree: fc.uniqueArray(fc.tuple(key, tie('node')), { maxLength: 5, selector: ([k]) => k }).map((ps) => map(ps.map(([k, v]) => pair(k, v)))),
    seq: fc.array(tie('node'), { maxLength: 5 }).map(list),
  }));

  it('parsePlain(emitPlain(t)) equals t', () => {
    fc.assert(
      fc.property(tree, fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }), (t, indent) => {
        const out = jsonStore.emitPlain([t], indent === undefined ? undefined : { indent });
        expect(jsonStore.parsePlain(out)).toEqual([t]);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseEncrypted(emitEncrypted(t, m)) gives back t and m', () => {
    const data = tree.map((t) => map(t.items.filter((i) => i.kind !== 'pair' || i.key !== 'sops')));
    fc.assert(
      fc.property(data, tree, (t, m) => {
        const r = jsonStore.parseEncrypted(jsonStore.emitEncrypted([t], m));
        expect(r).toEqual({ branches: [t], metadata: m });
      }),
      { numRuns: RUNS },
    );
  });

  it('emitting 10 times gives identical bytes', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const first = jsonStore.emitPlain([t]);
        for (let i = 0; i < 10; i++) expect(jsonStore.emitPlain([t])).toBe(first);
      }),
      { numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    );
  });
});
