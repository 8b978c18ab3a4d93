import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dotenv from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvcryptError } from '../../src/errors.js';
import { dotenvStore as store } from '../../src/stores/dotenv.js';
import { formatDotenvValue } from '../../src/stores/dotenv-format.js';
import { formatEnvFloat, formatGoFloatUpperG, scalarText } from '../../src/tree/scalar-text.js';
import { aadFor, forEachLeaf } from '../../src/tree/walk.js';
import { bool, comment, float, int, list, map, type MapNode, type Node, nul, pair, str, type Pair, type Comment } from '../../src/tree/types.js';
import { FIXTURES } from '../helpers/paths.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

const fixture = (p: string) => readFileSync(join(FIXTURES, p), 'utf8');
const pairs = (m: MapNode) => m.items.filter((i): i is Pair => i.kind === 'pair');
const keysOf = (m: MapNode | Node) => (m.kind === 'map' ? pairs(m).map((p) => p.key) : []);
const get = (m: Node, k: string): Node => {
  if (m.kind !== 'map') throw new Error('not a map');
  const p = pairs(m).find((x) => x.key === k);
  if (!p) throw new Error(`no ${k}`);
  return p.value;
};
const listOf = (n: Node) => (n.kind === 'list' ? n.items : []);
const ENC_RE = /^ENC\[AES256_GCM,data:[^,]*,iv:[^,]+,tag:[^,]+,type:(str|comment)\]$/;

describe('parsePlain', () => {
  it('returns one branch of string pairs and comments', () => {
    expect(store.parsePlain('# top\nA=1\nexport B="two words" # inline\n\nC=\n')).toEqual([
      map([comment(' top'), pair('A', str('1')), pair('B', str('two words')), pair('C', str(''))]),
    ]);
  });

  it('reads an empty file as an empty branch', () => {
    expect(store.parsePlain('')).toEqual([map([])]);
  });

  it('reports parse errors with position and without the input', () => {
    const e = caught(() => store.parsePlain('A=1\nB="never closed\n'));
    expect(e.code).toBe('PARSE');
    expect(e.position).toEqual({ line: 2, column: 3 });
    expect(e.message).not.toContain('never');
  });
});

describe('parseEncrypted: the sops dialect', () => {
  it('takes the key before the first "=" and the value after it, byte for byte', () => {
    const { branches, metadata } = store.parseEncrypted('foo =bar \n export X="q"\n  # x=1\na=b=c\nml=one\\ntwo\\\\n\n#c\n');
    expect(metadata).toBeNull();
    expect(branches).toEqual([
      map([
        pair('foo ', str('bar ')),
        pair(' export X', str('"q"')),
        pair('  # x', str('1')),
        pair('a', str('b=c')),
        pair('ml', str('one\ntwo\\\n')),
        comment('c'),
      ]),
    ]);
  });

  it('keeps CR (no trimming) and drops empty lines', () => {
    expect(store.parseEncrypted('a=b\r\n\n\n#c\r\n').branches).toEqual([map([pair('a', str('b\r')), comment('c\r')])]);
  });

  it('refuses a line without "=" with its line number and without its text', () => {
    const e = caught(() => store.parseEncrypted('a=b\n#c\nsecret-line-here\n'));
    expect(e.code).toBe('PARSE');
    expect(e.position).toEqual({ line: 3, column: 1 });
    expect(e.message).toMatch(/^line 3: /);
    expect(e.message).not.toContain('secret');
  });

  it('refuses a blank CRLF line (a lone CR), as sops does', () => {
    expect(caught(() => store.parseEncrypted('a=b\r\n\r\nc=d\r\n')).position).toEqual({ line: 2, column: 1 });
  });

  it('refuses binary garbage at line 1', () => {
    const garbage = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]).toString('utf8');
    const e = caught(() => store.parseEncrypted(garbage));
    expect(e.position?.line).toBe(1);
    expect(e.message).not.toContain('PNG');
  });

  it('reads an empty file, or one without sops_ keys, with null metadata', () => {
    expect(store.parseEncrypted('')).toEqual({ branches: [map([])], metadata: null });
    expect(store.parseEncrypted('a=b\n').metadata).toBeNull();
  });

  it('collects sops_ keys from anywhere in the file', () => {
    const { branches, metadata } = store.parseEncrypted('sops_version=3.13.2\na=b\nsops_mac=m\n');
    expect(branches).toEqual([map([pair('a', str('b'))])]);
    expect(metadata).toEqual(map([pair('version', str('3.13.2')), pair('mac', str('m'))]));
  });

  it('refuses broken metadata', () => {
    const twice = caught(() => store.parseEncrypted('sops_mac=a\nsops_mac=b\n'));
    expect(twice.message).toBe('duplicate key "sops_mac" at 2:1 (first at 1:1)');
    expect(twice.exitCode).toBe(5);
    expect(caught(() => store.parseEncrypted('sops_age__list_1__map_enc=x\n')).code).toBe('BAD_METADATA');
  });
});

describe('parseEncrypted: a key given twice', () => {
  const ENC = 'ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]';

  it.each([
    ['an empty plaintext duplicate before the real value', `A=\nA=${ENC}\nsops_mac=m\n`, 'duplicate key "A" at 2:1 (first at 1:1)'],
    ['an empty plaintext duplicate after it', `A=${ENC}\nB=x\nA=\nsops_mac=m\n`, 'duplicate key "A" at 3:1 (first at 1:1)'],
    ['the same ciphertext twice', `# c\nA=${ENC}\nA=${ENC}\n`, 'duplicate key "A" at 3:1 (first at 2:1)'],
    ['a metadata key twice', `A=${ENC}\nsops_version=3.9.0\nsops_version=3.9.0\n`, 'duplicate key "sops_version" at 3:1 (first at 2:1)'],
  ])('%s: PARSE (exit 5) at the second line', (_name, text, message) => {
    const e = caught(() => store.parseEncrypted(text));
    expect(e.code).toBe('PARSE');
    expect(e.exitCode).toBe(5);
    expect(e.message).toBe(message);
    expect(e.position).toEqual({ line: Number(/at (\d+):/.exec(message)![1]), column: 1 });
    expect(e.hints.join(' ')).toContain('tampered');
  });

  it('keys that differ only in case are different keys', () => {
    const { branches } = store.parseEncrypted('a=1\nA=2\n');
    expect(keysOf(branches[0]!)).toEqual(['a', 'A']);
  });

  it('escapes control characters in metadata key names in other errors too', () => {
    const e = caught(() => store.parseEncrypted('sops_x\u001b[2J__list_y=1\n'));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toBe('metadata key sops_x\\x1b[2J__list_y (line 1) has a list index that is not a decimal number');
  });

  it('escapes a control character in the key it names', () => {
    const e = caught(() => store.parseEncrypted('\u001b[2JA=1\n\u001b[2JA=2\n'));
    expect(e.message).toBe('duplicate key "\\x1b[2JA" at 2:1 (first at 1:1)');
  });
});

describe('hasMetadata', () => {
  it('is true only for a top-level key starting with sops_', () => {
    expect(store.hasMetadata([map([pair('A', str('1')), pair('sops_version', str('3'))])])).toBe(true);
    expect(store.hasMetadata([map([pair('A', str('sops_x')), comment('sops_x'), pair('SOPS_X', str('1')), pair('sops', str('1'))])])).toBe(false);
  });
});

describe('emitPlain', () => {
  it('writes KEY=value lines with quoting where dotenv needs it', () => {
    const out = store.emitPlain([
      map([comment(' top'), pair('A', str('1')), pair('B', str(' padded ')), pair('C', str('a\nb')), pair('D', str('')), pair('E', str('x#y'))]),
    ]);
    expect(out).toBe("# top\nA=1\nB=' padded '\nC=\"a\\nb\"\nD=\nE='x#y'\n");
  });

  it('writes non-string scalars as sops exec-env does', () => {
    const out = store.emitPlain([
      map([pair('T', bool(true)), pair('F', bool(false)), pair('I', int(-9007199254740993n)), pair('X', float(7)), pair('Y', float(3.14)), pair('Z', float(1e21)), pair('N', nul)]),
    ]);
    expect(out).toBe('T=true\nF=false\nI=-9007199254740993\nX=7.0\nY=3.14\nZ=1E+21\nN=\n');
  });

  it('writes only the first branch', () => {
    expect(store.emitPlain([map([pair('A', str('1'))]), map([pair('B', str('2'))])])).toBe('A=1\n');
    expect(store.emitPlain([])).toBe('');
  });

  it('splits a comment that spans lines into comment lines', () => {
    expect(store.emitPlain([map([comment(' a\n b\r\nc\u2028d')])])).toBe('# a\n# b\n#c\n#d\n');
  });

  it('refuses nested values, naming the key and suggesting YAML or JSON', () => {
    for (const value of [map([pair('x', str('1'))]), list([str('1')])]) {
      const e = caught(() => store.emitPlain([map([pair('db', value)])]));
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toBe('cannot write nested value of key db to dotenv');
      expect(e.hints.join(' ')).toMatch(/--output-type yaml/);
    }
  });

  it('refuses keys dotenv cannot read and duplicate keys', () => {
    expect(caught(() => store.emitPlain([map([pair('my key', str('1'))])])).message).toBe('key "my key" cannot be written to a dotenv file');
    expect(caught(() => store.emitPlain([map([pair('A', str('1')), pair('A', str('2'))])])).code).toBe('UNSUPPORTED');
  });

  it('refuses a value no dotenv form can hold, naming the key', () => {
    const e = caught(() => store.emitPlain([map([pair('TOKEN', str(' secret\\'))])]));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('TOKEN');
    expect(e.message).not.toContain('secret');
  });
});

// ---- round trips ------------------------------------------------------------------------------

const keyArb = fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/).filter((k) => k !== '__proto__');
const tricky = fc.constantFrom('a', ' ', '\t', '#', '=', "'", '"', '`', '\\', 'n', 'r', '\n', '\r', 'é', '🔐', '\u2028', '\u00a0', '\\n', "\\'");
const valueArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ unit: tricky, maxLength: 16 }));
const commentArb = fc.string({ unit: 'binary', maxLength: 16 }).map((s) => s.replace(/[\r\n\u2028\u2029]/g, ''));

/** The documented cases formatDotenvValue refuses (a necessary condition, checked independently). */
function mayBeRefused(v: string): boolean {
  const single = v.includes("'") || v.includes('\r');
  const back = v.includes('`') || v.includes('\r');
  const double = v.includes('"') || /\\[nr]/.test(v);
  return v.endsWith('\\') || (single && back && double);
}

describe('emitPlain round trips', () => {
  it('dotenv.parse(emitPlain(x)) and parsePlain(emitPlain(x)) give back x', () => {
    let refused = 0;
    let total = 0;
    /** Values formatDotenvValue refuses leave the tree, after checking that the refusal is a documented case. */
    const representable = ([, v]: [string, string]): boolean => {
      total++;
      try {
        formatDotenvValue(v);
        return true;
      } catch (e) {
        expect((e as EnvcryptError).code).toBe('UNSUPPORTED');
        expect(mayBeRefused(v)).toBe(true);
        refused++;
        return false;
      }
    };
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(keyArb, valueArb), { selector: ([k]) => k, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(10), commentArb), { maxLength: 3 }),
        (all, comments) => {
          const entries = all.filter(representable);
          const items: Array<Pair | Comment> = entries.map(([k, v]) => pair(k, str(v)));
          for (const [at, text] of comments) items.splice(at % (items.length + 1), 0, comment(text));
          const text = store.emitPlain([map(items)]);
          expect(Object.entries(dotenv.parse(text))).toEqual(Object.entries(Object.fromEntries(entries)));
          expect(store.parsePlain(text)).toEqual([map(items)]);
        },
      ),
      { numRuns: RUNS * 5 },
    );
    // The refused class must stay a small corner of the input space.
    expect(refused / total).toBeLessThan(0.2);
  });

  it('parseEncrypted(emitEncrypted(x)) gives back x for dialect-safe trees', () => {
    const dialectKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).filter((k) => !/[=\n]/.test(k) && !k.startsWith('#') && !k.startsWith('sops_'));
    const dialectValue = fc.string({ unit: tricky, maxLength: 16 }).filter((v) => !v.includes('\\n'));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.tuple(dialectKey, dialectValue), commentArb), { maxLength: 8 }), (raw) => {
        const items = raw.map((x) => (typeof x === 'string' ? comment(x) : pair(x[0], str(x[1]))));
        const meta = map([pair('age', list([map([pair('enc', str('a\nb\n')), pair('recipient', str('age1x'))])])), pair('version', str('3.13.2'))]);
        const text = store.emitEncrypted([map(items)], meta);
        // Comments that are empty lines of zero length would be dropped: a comment always starts with "#".
        expect(store.parseEncrypted(text)).toEqual({ branches: [map(items)], metadata: meta });
        expect(store.emitEncrypted(store.parseEncrypted(text).branches, meta)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('emitEncrypted', () => {
  const meta = map([pair('lastmodified', str('2026-01-02T03:04:05Z')), pair('version', str('3.13.2'))]);

  it('writes the dialect: newlines as \\n, comments as #text, metadata last', () => {
    const out = store.emitEncrypted([map([comment('c'), pair('A', str('x\ny')), pair('foo ', str(' v'))])], meta);
    expect(out).toBe('#c\nA=x\\ny\nfoo = v\nsops_lastmodified=2026-01-02T03:04:05Z\nsops_version=3.13.2\n');
  });

  it('refuses what the dialect cannot hold, naming the key', () => {
    const cases: Array<[string, string]> = [
      ['PATH_unencrypted', 'C:\\new\\dir'],
      ['a=b', 'v'],
      ['a\nb', 'v'],
      ['#a', 'v'],
      ['sops_x', 'v'],
    ];
    for (const [key, value] of cases) {
      const e = caught(() => store.emitEncrypted([map([pair(key, str(value))])], meta));
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toContain(key === 'sops_x' ? 'sops_x' : JSON.stringify(key));
      expect(e.message).not.toContain('new');
    }
    expect(caught(() => store.emitEncrypted([map([comment('a\nb')])], meta)).code).toBe('UNSUPPORTED');
  });

  it('refuses nested values', () => {
    expect(caught(() => store.emitEncrypted([map([pair('db', map([]))])], meta)).message).toBe('cannot write nested value of key db to dotenv');
  });

  it('reproduces the SOPS-FORMAT §16.2 dotenv example byte for byte', () => {
    const enc = '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n';
    const branch = map([
      comment('ENC[AES256_GCM,data:APXXvt2fyFTN,iv:NnEGZNYbkpXlQl/wDWX7+pBx82JsJ7JPEYnAFKb1MfU=,tag:QeiCWtdgsptaHSkviM9ddQ==,type:comment]'),
      pair('DB_USER', str('ENC[AES256_GCM,data:HQlp9tI=,iv:1XnxZdbjZprNDgdcwuR+32Iq06MAnxMFoqaZs08TCDU=,tag:ySRihwkb5ye502Zlbwzeag==,type:str]')),
      pair('API_URL_unencrypted', str('https://example.com')),
    ]);
    const md = map([
      pair('age', list([map([pair('enc', str(enc)), pair('recipient', str('age1xyz'))])])),
      pair('lastmodified', str('2026-01-02T03:04:05Z')),
      pair('mac', str('ENC[AES256_GCM,data:qGjb,iv:7UNE,tag:bQ1S,type:str]')),
      pair('unencrypted_suffix', str('_unencrypted')),
      pair('version', str('3.13.2')),
    ]);
    expect(store.emitEncrypted([branch], md)).toBe(
      [
        '#ENC[AES256_GCM,data:APXXvt2fyFTN,iv:NnEGZNYbkpXlQl/wDWX7+pBx82JsJ7JPEYnAFKb1MfU=,tag:QeiCWtdgsptaHSkviM9ddQ==,type:comment]',
        'DB_USER=ENC[AES256_GCM,data:HQlp9tI=,iv:1XnxZdbjZprNDgdcwuR+32Iq06MAnxMFoqaZs08TCDU=,tag:ySRihwkb5ye502Zlbwzeag==,type:str]',
        'API_URL_unencrypted=https://example.com',
        'sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\nAAAA\\n-----END AGE ENCRYPTED FILE-----\\n',
        'sops_age__list_0__map_recipient=age1xyz',
        'sops_lastmodified=2026-01-02T03:04:05Z',
        'sops_mac=ENC[AES256_GCM,data:qGjb,iv:7UNE,tag:bQ1S,type:str]',
        'sops_unencrypted_suffix=_unencrypted',
        'sops_version=3.13.2',
        '',
      ].join('\n'),
    );
  });
});

describe('emitValue', () => {
  it('writes strings raw and scalars as text; refuses nested values', () => {
    expect(store.emitValue(str('a\nb "c"'))).toBe('a\nb "c"');
    expect(store.emitValue(bool(false))).toBe('false');
    expect(store.emitValue(int(42n))).toBe('42');
    expect(store.emitValue(float(0.5))).toBe('0.5');
    expect(caught(() => store.emitValue(list([]))).message).toBe('cannot write a nested value to dotenv');
  });
});

describe('scalar text (Go %G with at least one decimal)', () => {
  const table: Array<[number, string]> = [
    [7, '7.0'], [3.14, '3.14'], [1e21, '1E+21'], [1e6, '1E+06'], [123456, '123456.0'], [1234567, '1.234567E+06'],
    [0.0001, '0.0001'], [0.00001, '1E-05'], [1.5e-7, '1.5E-07'], [1e100, '1E+100'], [-2.5, '-2.5'], [0, '0.0'], [-0, '-0.0'],
    [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [5e-324, '5E-324'], [1.7976931348623157e308, '1.7976931348623157E+308'],
  ];
  for (const [f, want] of table) {
    it(`writes ${Object.is(f, -0) ? '-0' : f} as ${want}`, () => {
      expect(formatEnvFloat(f)).toBe(want);
      expect(scalarText(float(f))).toBe(want);
    });
  }
  it('keeps %G without the decimal', () => {
    expect(formatGoFloatUpperG(7)).toBe('7');
    expect(formatGoFloatUpperG(100000)).toBe('100000');
  });
  it('round-trips every finite double through its text', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
      expect(Object.is(Number(formatEnvFloat(f)), f)).toBe(true);
    }), { numRuns: RUNS });
  });
});

// ---- files written by real sops ------------------------------------------------------------------

describe('sops-written dotenv files', () => {
  const vectors = (name: string) =>
    JSON.parse(fixture(`derived/${name}.vectors.json`)) as { leavesInOrder: { aad: string; comment?: boolean }[] };
  const aads = (m: MapNode) => {
    const out: string[] = [];
    forEachLeaf([m], (n, ctx) => out.push(n.kind === 'comment' ? ':' : aadFor(ctx.path)));
    return out;
  };

  it('flux env.env (sops 3.9.0): one age key, re-emitted byte for byte', () => {
    const text = fixture('fluxcd-kustomize-controller/envs/env.env');
    const { branches, metadata } = store.parseEncrypted(text);
    expect(keysOf(branches[0]!)).toEqual(['key']);
    expect((get(branches[0]!, 'key') as { value: string }).value).toMatch(ENC_RE);
    expect(aads(branches[0]!)).toEqual(vectors('flux-envs-env.env').leavesInOrder.map((l) => l.aad));
    expect(keysOf(metadata!)).toEqual(['age', 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    const age = listOf(get(metadata!, 'age'));
    expect(age).toHaveLength(1);
    expect(keysOf(age[0] as MapNode)).toEqual(['enc', 'recipient']);
    const enc = (get(age[0] as MapNode, 'enc') as { value: string }).value;
    expect(enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END AGE ENCRYPTED FILE-----\n$/);
    expect(get(age[0] as MapNode, 'recipient')).toEqual(str('age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29'));
    expect(get(metadata!, 'version')).toEqual(str('3.9.0'));
    expect(store.emitEncrypted(branches, metadata!)).toBe(text);
  });

  it('humphd secret.enc.env (sops 3.8.1): three age keys, re-emitted byte for byte', () => {
    const text = fixture('humphd-sops-age/secret.enc.env');
    const { branches, metadata } = store.parseEncrypted(text);
    expect(keysOf(branches[0]!)).toEqual(['secret', 'another_secret']);
    expect(aads(branches[0]!)).toEqual(vectors('humphd-secret.enc.env').leavesInOrder.map((l) => l.aad));
    const age = listOf(get(metadata!, 'age'));
    expect(age.map((a) => (get(a as MapNode, 'recipient') as { value: string }).value)).toEqual([
      'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr',
      'age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd',
      'age13runq29jhy9kfpaegczrzttykerswh0qprq59msgd754yermtfmsa3hwg2',
    ]);
    expect(store.emitEncrypted(branches, metadata!)).toBe(text);
  });

  it('sops format.enc.env (sops 3.13.1, PGP): key "foo " with its space, re-emitted byte for byte', () => {
    const text = fixture('getsops-sops/functional-tests/res/format.enc.env');
    const { branches, metadata } = store.parseEncrypted(text);
    expect(keysOf(branches[0]!)).toEqual(['foo ']);
    expect(aads(branches[0]!)).toEqual(['foo :']);
    expect(aads(branches[0]!)).toEqual(vectors('sops-format.enc.env').leavesInOrder.map((l) => l.aad));
    expect(keysOf(metadata!)).toEqual(['lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version']);
    const pgp = listOf(get(metadata!, 'pgp'));
    expect(keysOf(pgp[0] as MapNode)).toEqual(['created_at', 'enc', 'fp']);
    expect((get(pgp[0] as MapNode, 'enc') as { value: string }).value).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n[^]*-----END PGP MESSAGE-----\n?$/);
    expect(get(pgp[0] as MapNode, 'fp')).toEqual(str('FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'));
    expect(store.emitEncrypted(branches, metadata!)).toBe(text);
  });

  it('sops-nix secrets.env (sops 3.7.3, PGP, unsorted metadata, encrypted comment)', () => {
    const text = fixture('sops-nix/secrets.env');
    const { branches, metadata } = store.parseEncrypted(text);
    const b = branches[0]!;
    expect(b.items[0]!.kind).toBe('comment');
    expect((b.items[0] as Comment).text).toMatch(ENC_RE);
    expect(keysOf(b)).toEqual(['hello', 'example_key', 'example_multiline', 'never_gonna']);
    for (const p of pairs(b)) expect((p.value as { value: string }).value).toMatch(ENC_RE);
    expect(aads(b)).toEqual(vectors('sops-nix-secrets.env').leavesInOrder.map((l) => l.aad));
    // Mappings keep the order in which their keys first appear; lists are in index order.
    expect(keysOf(metadata!)).toEqual(['pgp', 'mac', 'version', 'unencrypted_suffix', 'lastmodified']);
    const pgp = listOf(get(metadata!, 'pgp'));
    expect(pgp.map((p) => keysOf(p as MapNode))).toEqual([
      ['fp', 'created_at', 'enc'],
      ['enc', 'fp', 'created_at'],
    ]);
    expect(get(pgp[0] as MapNode, 'fp')).toEqual(str('7FB89715AADA920D65D25E63F9BA9DEBD03F57C0'));

    // Re-emitting keeps every line, but not sops 3.7's random metadata order: the data
    // lines come back identical, the metadata in list-index order, as asserted here.
    const again = store.emitEncrypted(branches, metadata!);
    expect(again).not.toBe(text);
    const lines = (t: string) => t.split('\n').filter(Boolean);
    expect([...lines(again)].sort()).toEqual([...lines(text)].sort());
    expect(lines(again).slice(0, 5)).toEqual(lines(text).slice(0, 5));
    expect(lines(again).slice(5).map((l) => l.slice(0, l.indexOf('=')))).toEqual([
      'sops_pgp__list_0__map_fp',
      'sops_pgp__list_0__map_created_at',
      'sops_pgp__list_0__map_enc',
      'sops_pgp__list_1__map_enc',
      'sops_pgp__list_1__map_fp',
      'sops_pgp__list_1__map_created_at',
      'sops_mac',
      'sops_version',
      'sops_unencrypted_suffix',
      'sops_lastmodified',
    ]);
    expect(store.parseEncrypted(again)).toEqual({ branches, metadata });
  });
});
