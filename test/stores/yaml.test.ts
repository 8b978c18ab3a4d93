import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalText, typeOf } from '../../src/crypto/values.js';
import { yamlStore } from '../../src/stores/yaml.js';
import { MAX_ALIAS_NODES } from '../../src/stores/yaml-read.js';
import { parseYamlTimestamp } from '../../src/stores/yaml-resolve.js';
import type { Branch, Comment, Leaf, ListNode, MapNode, Node, Pair } from '../../src/tree/types.js';
import { aadFor, forEachLeaf } from '../../src/tree/walk.js';
import { FIXTURES, RUNS } from '../helpers/paths.js';
import { caught } from '../helpers/errors.js';

const str = (value: string): Leaf => ({ kind: 'str', value });
const pair = (key: string, value: Node): Pair => ({ kind: 'pair', key, value });
const map = (...items: Array<Pair | Comment>): MapNode => ({ kind: 'map', items });
const list = (...items: Array<Node | Comment>): ListNode => ({ kind: 'list', items });
const comment = (text: string, inline?: boolean): Comment => (inline ? { kind: 'comment', text, inline } : { kind: 'comment', text });

/** Each visited leaf or comment (nulls skipped, as the cipher and MAC skip them) with its AAD. */
function leaves(branches: Branch[]): Array<{ node: Leaf | Comment; aad: string }> {
  const out: Array<{ node: Leaf | Comment; aad: string }> = [];
  forEachLeaf(branches, (node, ctx) => {
    if (node.kind !== 'null') out.push({ node, aad: aadFor(ctx.path) });
  });
  return out;
}

function get(m: MapNode, key: string): Node | undefined {
  const p = m.items.find((i): i is Pair => i.kind === 'pair' && i.key === key);
  return p?.value;
}

// ─── 1. sops-written fixtures against the derived vectors ─────────────────

interface Vector {
  lastmodified: string;
  leavesInOrder: Array<{ aad: string; type?: string; macBytes?: string; encrypted: boolean; comment?: boolean }>;
}

const FIXTURE_CASES: Array<{ file: string; vectors: string; age: string[]; pgp: number; version: string }> = [
  {
    file: 'humphd-sops-age/secret.enc.yaml',
    vectors: 'humphd-secret.enc.yaml',
    age: [
      'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr',
      'age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd',
      'age13runq29jhy9kfpaegczrzttykerswh0qprq59msgd754yermtfmsa3hwg2',
    ],
    pgp: 0,
    version: '3.8.1',
  },
  {
    file: 'fluxcd-kustomize-controller/algorithms/age.yaml',
    vectors: 'flux-algorithms-age.yaml',
    age: ['age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29'],
    pgp: 0,
    version: '3.9.0',
  },
  { file: 'fluxcd-kustomize-controller/algorithms/age-pq.yaml', vectors: 'flux-algorithms-age-pq.yaml', age: ['age1pq1'], pgp: 0, version: '' },
  {
    file: 'fluxcd-kustomize-controller/global/secret.yaml',
    vectors: 'flux-global-secret.yaml',
    age: ['age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph'],
    pgp: 0,
    version: '3.10.2',
  },
  {
    file: 'sops-nix/secrets.yaml',
    vectors: 'sops-nix-secrets.yaml',
    age: ['age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw', 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs'],
    pgp: 2,
    version: '3.7.1',
  },
  { file: 'getsops-sops/functional-tests/res/comments.enc.yaml', vectors: 'sops-comments.enc.yaml', age: [], pgp: 1, version: '3.6.1' },
  { file: 'getsops-sops/functional-tests/res/format.enc.yaml', vectors: 'sops-format.enc.yaml', age: [], pgp: 1, version: '3.13.1' },
];

const ENC = /^ENC\[AES256_GCM,data:.+,iv:.+,tag:.+,type:(.+)\]/;

describe('sops-written YAML fixtures', () => {
  for (const c of FIXTURE_CASES) {
    const text = readFileSync(join(FIXTURES, c.file), 'utf8');
    const vec = JSON.parse(readFileSync(join(FIXTURES, 'derived', `${c.vectors}.vectors.json`), 'utf8')) as Vector;

    it(`${c.file}: leaves, AADs, types and MAC bytes match the vectors`, () => {
      const { branches } = yamlStore.parseEncrypted(text);
      const got = leaves(branches);
      expect(got.map((g) => g.aad)).toEqual(vec.leavesInOrder.map((v) => v.aad));
      got.forEach(({ node }, i) => {
        const v = vec.leavesInOrder[i]!;
        if (v.encrypted) {
          expect(node.kind).toBe(v.comment ? 'comment' : 'str');
          const raw = node.kind === 'comment' ? node.text : (node as { value: string }).value;
          expect(ENC.exec(raw)?.[1]).toBe(v.type);
        } else {
          // Unencrypted values are MACed in canonical form: this is what makes `sops -d` accept the MAC.
          expect(node.kind).not.toBe('comment');
          expect(canonicalText(node as Exclude<Leaf, { kind: 'null' }>)).toBe(v.macBytes);
        }
      });
    });

    it(`${c.file}: metadata is read from the first document and stripped from the data`, () => {
      const { branches, metadata } = yamlStore.parseEncrypted(text);
      expect(yamlStore.hasMetadata(branches)).toBe(false);
      expect(yamlStore.hasMetadata(yamlStore.parsePlain(text))).toBe(true);
      expect(metadata).not.toBeNull();
      const m = metadata!;
      expect(get(m, 'lastmodified')).toEqual(str(vec.lastmodified));
      const mac = get(m, 'mac');
      expect(mac?.kind === 'str' && ENC.exec(mac.value)?.[1]).toBe('str');
      if (c.version) expect(get(m, 'version')).toEqual(str(c.version));
      const age = get(m, 'age');
      const ageItems = age?.kind === 'list' ? age.items : [];
      expect(ageItems).toHaveLength(c.age.length);
      ageItems.forEach((entry, i) => {
        expect(entry.kind).toBe('map');
        const recipient = get(entry as MapNode, 'recipient');
        expect(recipient?.kind === 'str' && recipient.value.startsWith(c.age[i]!)).toBe(true);
        const enc = get(entry as MapNode, 'enc');
        expect(enc?.kind === 'str' && enc.value.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
      });
      const pgp = get(m, 'pgp');
      expect(pgp?.kind === 'list' ? pgp.items.length : 0).toBe(c.pgp);
    });
  }
});

// ─── 2. Byte-for-byte re-emission of go-yaml v3 output ───────────────────

describe('emitEncrypted reproduces files written by sops with go-yaml v3', () => {
  it.each(['getsops-sops/functional-tests/res/format.enc.yaml', 'sops-nix/secrets.yaml'])('%s', (file) => {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const { branches, metadata } = yamlStore.parseEncrypted(text);
    expect(yamlStore.emitEncrypted(branches, metadata!)).toBe(text);
  });

  it('the 3.13 layout of the SOPS-FORMAT §16.2 example', () => {
    const text = SPEC_ENCRYPTED;
    const { branches, metadata } = yamlStore.parseEncrypted(text);
    expect(yamlStore.emitEncrypted(branches, metadata!)).toBe(text);
  });

  it('appends the same metadata to every document, after a `---`', () => {
    const meta = map(pair('lastmodified', str('2026-01-02T03:04:05Z')), pair('version', str('3.13.2')));
    const out = yamlStore.emitEncrypted([map(pair('a', str('v'))), map(pair('b', str('w')))], meta);
    const block = 'sops:\n    lastmodified: "2026-01-02T03:04:05Z"\n    version: 3.13.2\n';
    expect(out).toBe(`a: v\n${block}---\nb: w\n${block}`);
    const back = yamlStore.parseEncrypted(out);
    expect(back.metadata).toEqual(meta);
    expect(back.branches).toEqual([map(pair('a', str('v'))), map(pair('b', str('w')))]);
  });
});

// ─── 3. The §16.2 worked example ──────────────────────────────────────────

const SPEC_PLAIN = `# top comment
db:
    user: admin
    port: 5432
    replicas:
        - host-a
        - host-b
    enabled: true
    ratio: 0.5
    note_unencrypted: visible
empty: ""
nothing: null
`;

const SPEC_ENCRYPTED = `#ENC[AES256_GCM,data:F6rMui8E6bwdQ8MR,iv:/VNnhkA6RPT4Ln9WMoWmiNPr1HdpyhBkZEhcXLFXnyk=,tag:moQmcz9TVxsEUdzllGZksA==,type:comment]
db:
    user: ENC[AES256_GCM,data:nLCMeus=,iv:KwK4kqQfZX8jUVbBMN6XDGqUx1rNSe+Cui7DRZrLub0=,tag:j7I5HQBgd24jqOh7aZoi1g==,type:str]
    port: ENC[AES256_GCM,data:lUiZow==,iv:rLX2Md/JLv+14Gr0t7WZAQqffKGCXDPOTCM1VcgNKtY=,tag:46MPVdqM+VEFeXYEbFhulg==,type:int]
    replicas:
        - ENC[AES256_GCM,data:ayAW7Pmu,iv:iDl1r50rpYxTtVuuxCUD+oVnEqb6EevIjF1isMdBXOY=,tag:c+UuT8+lSiZrtHufyQEzBg==,type:str]
        - ENC[AES256_GCM,data:k3oQChfu,iv:mObOcuhIjfGcWQcOIrzZlZf7QUFXpAdujoJcLcRBsdo=,tag:rJLnzXtwV4d/pCx9PDlLDg==,type:str]
    enabled: ENC[AES256_GCM,data:ALh6sg==,iv:5Rn2FdeJN3OcKGn91cqZlJziERJmDEJcM51Fgrh2pqY=,tag:EPE0XfrIze5Y8T9dupz3ng==,type:bool]
    ratio: ENC[AES256_GCM,data:fGuR,iv:4j933tFMKUCzydQeG9ECUVfaQWeE53KicvbJP+5W6Lw=,tag:1nbdP/h+MiFpd1+KFDr77w==,type:float]
    note_unencrypted: visible
empty: ""
nothing: null
sops:
    age:
        - enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            …
            -----END AGE ENCRYPTED FILE-----
          recipient: age1…
    lastmodified: "2026-01-02T03:04:05Z"
    mac: ENC[AES256_GCM,data:/yHK/XbWwl9x/voYMOygA/NM/kJCd9JtVezUjUhTbU3fCNkX//+G2SOIHNL4BIL4HMrJrLYofs/rjWW95ZWl0eh7+Xc1ix3BujQ9WTE2hD4lrdixh5z4n+rQRfDSmYTMxOOAuk/OWTZlF5Zr1jvz5iyOtc3lu0NBryUu6y7Iks4=,iv:H2NFssHV/w4f3ZL+JXacGsFnjwOrJTzfoTOnbSKDrnY=,tag:B8o3p09Bt4T26f+bZqTHHA==,type:str]
    unencrypted_suffix: _unencrypted
    version: 3.13.2
`;

describe('SOPS-FORMAT §16.2 YAML example', () => {
  it('gives the leaves, types and AADs of the spec table', () => {
    const got = leaves(yamlStore.parsePlain(SPEC_PLAIN)).map(({ node, aad }) => [
      aad,
      typeOf(node as Exclude<Leaf, { kind: 'null' }>),
      canonicalText(node as Exclude<Leaf, { kind: 'null' }>),
    ]);
    expect(got).toEqual([
      [':', 'comment', ' top comment'],
      ['db:user:', 'str', 'admin'],
      ['db:port:', 'int', '5432'],
      ['db:replicas:', 'str', 'host-a'],
      ['db:replicas:', 'str', 'host-b'],
      ['db:enabled:', 'bool', 'True'],
      ['db:ratio:', 'float', '0.5'],
      ['db:note_unencrypted:', 'str', 'visible'],
      ['empty:', 'str', ''],
    ]);
  });

  it('keeps the null leaf, and writes the plaintext back byte for byte, every time', () => {
    const branches = yamlStore.parsePlain(SPEC_PLAIN);
    expect(get(branches[0]!, 'nothing')).toEqual({ kind: 'null' });
    const first = yamlStore.emitPlain(branches);
    expect(first).toBe(SPEC_PLAIN);
    for (let i = 0; i < 10; i++) expect(yamlStore.emitPlain(yamlStore.parsePlain(first))).toBe(first);
  });

  it('encrypted layout: comments, ENC strings, metadata with a literal enc and a quoted lastmodified', () => {
    const { branches, metadata } = yamlStore.parseEncrypted(SPEC_ENCRYPTED);
    expect(branches[0]!.items[0]).toEqual(comment(SPEC_ENCRYPTED.split('\n')[0]!.slice(1)));
    expect(get(metadata!, 'lastmodified')).toEqual(str('2026-01-02T03:04:05Z'));
    const age = get(metadata!, 'age') as ListNode;
    expect(get(age.items[0] as MapNode, 'enc')).toEqual(
      str('-----BEGIN AGE ENCRYPTED FILE-----\n…\n-----END AGE ENCRYPTED FILE-----\n'),
    );
  });
});

// ─── Comments, aliases, documents ─────────────────────────────────────────

describe('comments are placed as sops places go-yaml comments', () => {
  it('sops TestLoadPlainFile: document head and foot comments, two documents', () => {
    const text = '---\n# comment 0\nkey1: value\nkey1_a: value\n# ^ comment 1\n---\nkey2: value2';
    expect(yamlStore.parsePlain(text)).toEqual([
      map(comment(' comment 0'), pair('key1', str('value')), pair('key1_a', str('value')), comment(' ^ comment 1')),
      map(pair('key2', str('value2'))),
    ]);
  });

  it.each([
    ['sops TestComment1', '# test\na:\n    b: null\n    # foo\n'],
    ['sops TestComment2', 'a:\n    # foo\n    b: null\n'],
  ])('%s round-trips byte for byte', (_name, text) => {
    expect(yamlStore.emitPlain(yamlStore.parsePlain(text))).toBe(text);
  });

  it('sops TestComment3: re-indents to 4 and drops the blank line', () => {
    const input = `## Configuration for prometheus-node-exporter subchart
##
prometheus-node-exporter:
  podLabels:
    ## Add the 'node-exporter' label
    ##

    jobLabel: node-exporter
  extraArgs:
    - --collector.filesystem.ignored-mount-points=^/(dev|proc|sys|var/lib/docker/.+)($|/)
`;
    const output = `## Configuration for prometheus-node-exporter subchart
##
prometheus-node-exporter:
    podLabels:
        ## Add the 'node-exporter' label
        ##
        jobLabel: node-exporter
    extraArgs:
        - --collector.filesystem.ignored-mount-points=^/(dev|proc|sys|var/lib/docker/.+)($|/)
`;
    expect(yamlStore.emitPlain(yamlStore.parsePlain(input))).toBe(output);
  });

  it('comments above a nested key go into the nested mapping (AAD of that mapping)', () => {
    const b = yamlStore.parsePlain('# top\na:\n    # inner\n    b: 1\n    # trailing inner\nc: 2\n# end\n');
    expect(leaves(b).filter((l) => l.node.kind === 'comment').map((l) => [(l.node as Comment).text, l.aad])).toEqual([
      [' top', ':'],
      [' inner', 'a:'],
      [' trailing inner', 'a:'],
      [' end', ':'],
    ]);
  });

  it('line comments: inline before a scalar pair or item; on a key with a block value, before the pair', () => {
    const text = 'a: 1 # one\nb:\n    - x # ex\n    - "y"\nc: | # lit\n    line1\nd: # key line\n    e: 2\n';
    expect(yamlStore.parsePlain(text)).toEqual([
      map(
        comment(' one', true),
        pair('a', { kind: 'int', value: 1n }),
        pair('b', list(comment(' ex', true), str('x'), str('y'))),
        comment(' lit', true),
        pair('c', str('line1\n')),
        comment(' key line'),
        pair('d', map(pair('e', { kind: 'int', value: 2n }))),
      ),
    ]);
    // Inline comments stay on their line (3.13); a key's line comment moves above the key.
    expect(yamlStore.emitPlain(yamlStore.parsePlain(text))).toBe(
      'a: 1 # one\nb:\n    - x # ex\n    - "y"\nc: | # lit\n    line1\n# key line\nd:\n    e: 2\n',
    );
  });

  it('writes encrypted comments as #ENC[…] with no space, inline ones after the value', () => {
    const enc = 'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:comment]';
    const t = [map(comment(enc), pair('k', str('v')), comment(enc, true), pair('x', str('w')))];
    expect(yamlStore.emitPlain(t)).toBe(`#${enc}\nk: v\nx: w #${enc}\n`);
    expect(yamlStore.parsePlain(yamlStore.emitPlain(t))).toEqual(t);
  });

  it('a comment-only mapping or list keeps its comments inside', () => {
    const t = [map(pair('m', map(comment(' c'))), pair('l', list(comment(' d'))))];
    const out = yamlStore.emitPlain(t);
    expect(out).toBe('m:\n    # c\n    {}\nl:\n    # d\n    []\n');
    expect(yamlStore.parsePlain(out)).toEqual(t);
  });
});

describe('aliases and merge keys', () => {
  it('expands aliases as copies and keeps `<<` as an ordinary key', () => {
    const b = yamlStore.parsePlain('base: &b\n    x: 1\nderived:\n    <<: *b\n    z: 3\nl: &l [a]\nagain: *l\n');
    const x = map(pair('x', { kind: 'int', value: 1n }));
    expect(b).toEqual([
      map(pair('base', x), pair('derived', map(pair('<<', x), pair('z', { kind: 'int', value: 3n }))), pair('l', list(str('a'))), pair('again', list(str('a')))),
    ]);
    expect(leaves(b).map((l) => l.aad)).toEqual(['base:x:', 'derived:<<:x:', 'derived:z:', 'l:', 'again:']);
    expect(yamlStore.emitPlain(b)).toContain('derived:\n    <<:\n        x: 1\n');
  });
});

describe('documents', () => {
  it('an empty file has no documents; `---` alone is one empty document', () => {
    expect(yamlStore.parsePlain('')).toEqual([]);
    expect(yamlStore.parsePlain('\n\n')).toEqual([]);
    expect(yamlStore.parsePlain('---\n')).toEqual([map()]);
    expect(yamlStore.parsePlain('---\n~\n---\na: 1\n')).toEqual([map(), map(pair('a', { kind: 'int', value: 1n }))]);
    expect(yamlStore.emitPlain([])).toBe('');
    expect(yamlStore.emitPlain([map()])).toBe('{}\n');
  });

  it('sops is stripped from every document but read from the first only', () => {
    const text = 'a: 1\nsops:\n    version: 3.13.2\n---\nb: 2\nsops:\n    version: 9.9.9\n';
    const { branches, metadata } = yamlStore.parseEncrypted(text);
    expect(branches).toEqual([map(pair('a', { kind: 'int', value: 1n })), map(pair('b', { kind: 'int', value: 2n }))]);
    expect(metadata).toEqual(map(pair('version', str('3.13.2'))));
    expect(yamlStore.parseEncrypted('a: 1\n---\nsops: {}\n').metadata).toBeNull();
  });

  it('metadata scalars keep their text (sops decodes them into Go strings) and lose their comments', () => {
    const { metadata } = yamlStore.parseEncrypted('sops:\n    # note\n    lastmodified: 2024-01-02T03:04:05Z\n    version: 3.10\n    shamir_threshold: 2\n    mac_only_encrypted: true\n');
    expect(metadata).toEqual(
      map(
        pair('lastmodified', str('2024-01-02T03:04:05Z')),
        pair('version', str('3.10')),
        pair('shamir_threshold', { kind: 'int', value: 2n }),
        pair('mac_only_encrypted', { kind: 'bool', value: true }),
      ),
    );
  });

  it('a sops value that is not a mapping is bad metadata, with a position', () => {
    const e = caught(() => yamlStore.parseEncrypted('a: 1\nsops: 3\n'));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.position).toEqual({ line: 2, column: 1 });
  });
});

// ─── Emitting ─────────────────────────────────────────────────────────────

describe('emitting like go-yaml v3', () => {
  it('quotes strings that would read back as something else, and only those', () => {
    const keys = ['yes', 'n', 'On', '017', '0x1F', '1e3', '1_000', '.5', '2024-01-02', 'true', 'null', '~', '', '12:30', '<<', 'plain', 'ENC[x]'];
    const out = yamlStore.emitPlain([map(...keys.map((k) => pair(k, str(k))))]);
    expect(out).toBe(
      [
        '"yes": "yes"', '"n": "n"', '"On": "On"', '"017": "017"', '"0x1F": "0x1F"', '"1e3": "1e3"', '"1_000": "1_000"',
        '".5": ".5"', '"2024-01-02": "2024-01-02"', '"true": "true"', '"null": "null"', '"~": "~"', '"": ""',
        '"12:30": "12:30"', '<<: <<', 'plain: plain', 'ENC[x]: ENC[x]',
      ].join('\n') + '\n',
    );
  });

  it('single-quotes strings that plain YAML syntax cannot carry, double-quotes escapes', () => {
    const vals = [' lead', 'trail ', '#x', 'a #b', ': x', 'x: y', '- x', '-', '---', "it's", '@a', 'tab\tx', 'cr\rx', '😀', 'bom\ufeff', 'é 中'];
    const out = yamlStore.emitPlain([map(...vals.map((v, i) => pair(`k${i}`, str(v))))]);
    expect(out.split('\n').slice(0, -1).map((l) => l.slice(l.indexOf(': ') + 2))).toEqual([
      "' lead'", "'trail '", "'#x'", "'a #b'", "': x'", "'x: y'", "'- x'", "'-'", "'---'", "it's", "'@a'",
      '"tab\\tx"', '"cr\\rx"', '"\\U0001F600"', '"bom\\uFEFF"', 'é 中',
    ]);
  });

  it('multi-line strings become | or |- literal blocks; trailing spaces force double quotes', () => {
    const t = [map(pair('a', str('x\ny\n')), pair('b', str('x\ny')), pair('c', str('x\n\n')), pair('d', str(' x\ny')), pair('e', str('x \ny')))];
    expect(yamlStore.emitPlain(t)).toBe('a: |\n    x\n    y\nb: |-\n    x\n    y\nc: |+\n    x\n\nd: |4-\n     x\n    y\ne: "x \\ny"\n');
    expect(yamlStore.parsePlain(yamlStore.emitPlain(t))).toEqual(t);
  });

  it('writes ints, floats (%g), bools, nulls, times and empty collections', () => {
    const t = [
      map(
        pair('i', { kind: 'int', value: -9223372036854775808n }),
        pair('f1', { kind: 'float', value: 1 }),
        pair('f2', { kind: 'float', value: 1e21 }),
        pair('f3', { kind: 'float', value: 0.5 }),
        pair('f4', { kind: 'float', value: -Infinity }),
        pair('f5', { kind: 'float', value: NaN }),
        pair('t', { kind: 'time', value: '2024-01-02T00:00:00Z' }),
        pair('b', { kind: 'bool', value: false }),
        pair('n', { kind: 'null' }),
        pair('m', map()),
        pair('l', list(map(), list())),
      ),
    ];
    expect(yamlStore.emitPlain(t)).toBe(
      'i: -9223372036854775808\nf1: 1\nf2: 1e+21\nf3: 0.5\nf4: -.inf\nf5: .nan\nt: 2024-01-02T00:00:00Z\nb: false\n"n": null\nm: {}\nl:\n    - {}\n    - []\n',
    );
  });

  it('indents sequences under their key and maps inside items after `- `', () => {
    const t = [map(pair('l', list(map(pair('a', str('1')), pair('b', list(str('x')))), list(str('y'), str('z')))))];
    expect(yamlStore.emitPlain(t)).toBe('l:\n    - a: "1"\n      b:\n        - x\n    - - "y"\n      - z\n');
    expect(yamlStore.emitPlain(t, { indent: 2 })).toBe('l:\n  - a: "1"\n    b:\n      - x\n  - - "y"\n    - z\n');
  });

  it('indent: 0 means 4, 1 and 10 fall back to 2 as in go-yaml, negative is an error', () => {
    const t = [map(pair('a', map(pair('b', str('c')))))];
    expect(yamlStore.emitPlain(t, { indent: 0 })).toBe('a:\n    b: c\n');
    expect(yamlStore.emitPlain(t, { indent: 1 })).toBe('a:\n  b: c\n');
    expect(yamlStore.emitPlain(t, { indent: 10 })).toBe('a:\n  b: c\n');
    expect(yamlStore.emitPlain(t, { indent: 3 })).toBe('a:\n   b: c\n');
    expect(caught(() => yamlStore.emitPlain(t, { indent: -1 })).code).toBe('USAGE');
  });

  it('long and multi-line keys use the `? key` form and read back', () => {
    const long = 'k'.repeat(129);
    const t = [map(pair(long, str('v')), pair('two\nlines', map(pair('a', str('b')))))];
    const out = yamlStore.emitPlain(t);
    expect(out).toBe(`? ${long}\n: v\n? |-\n    two\n    lines\n:\n    a: b\n`);
    expect(yamlStore.parsePlain(out)).toEqual(t);
    expect(yamlStore.emitPlain([map(pair('k'.repeat(128), str('v')))])).toBe(`${'k'.repeat(128)}: v\n`);
  });

  it('emitValue: a scalar on its own line, a subtree as YAML', () => {
    expect(yamlStore.emitValue({ kind: 'int', value: 42n })).toBe('42\n');
    expect(yamlStore.emitValue(str('yes'))).toBe('"yes"\n');
    expect(yamlStore.emitValue(str('a\nb'))).toBe('|-\n    a\n    b\n');
    expect(yamlStore.emitValue(map(pair('a', list(str('x')))))).toBe('a:\n    - x\n');
    expect(yamlStore.emitValue(list(str('x'), map(pair('k', str('v')))))).toBe('- x\n- k: v\n');
    expect(yamlStore.emitValue(map())).toBe('{}\n');
  });
});

// ─── 4. Round-trip property ───────────────────────────────────────────────

const TRICKY = [
  'yes', 'no', 'on', 'off', 'y', 'n', 'Yes', 'NO', '017', '0x1F', '0o7', '0b1', '1e3', '1_000', '08', '.5', '+1', '-1',
  '2024-01-02', '2024-01-02T03:04:05Z', '2024-01-02 03:04:05', ' leading', 'trailing ', 'multi\nline', 'multi\nline\n',
  'two\n\n', '\n', '\n\n', ' \n x', ' x\ny', 'x\n  y', 'a\n\tb', '#x', 'a #b', 'a#b', ': x', 'x: y', 'x:', '- x', '-', '?', '? x',
  '---', '...', '--- x', '', '~', 'null', 'Null', 'true', 'True', 'FALSE', '<<', '12:30', '1:2:3', '.inf', '-.inf', '.nan', 'é',
  '中文', '😀 emoji', 'tab\there', 'cr\rhere', 'crlf\r\nx', 'nul\0x', '"quoted"', "'single'", "it's", '@at', '%pct', '`tick`',
  '!bang', '&amp', '*star', '|pipe', '>gt', '[a]', '{a: b}', 'a, b', 'a,b]', 'ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]',
  'trailing space \nnext', 'line\u2028sep', 'nbsp\u00a0', 'bom\ufeff', 'nel\u0085x', '\u007f', 'x'.repeat(200), 'a\\b', '%YAML',
];

const anyString = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const keyString = fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) }, { weight: 1, arbitrary: anyString }, {
  weight: 1,
  arbitrary: fc.constant('long'.repeat(40)),
});

const timeLeaf = fc
  .tuple(
    fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }),
    fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
    fc.constantFrom('', '.5', '.123456789', '.100'),
  )
  .map(([d, off, frac]): Leaf => {
    const sign = off < 0 ? '-' : '+';
    const a = Math.abs(off);
    const zone = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
    return { kind: 'time', value: parseYamlTimestamp(d.toISOString().slice(0, 19) + frac + zone)! };
  });

const leafArb: fc.Arbitrary<Leaf> = fc.oneof(
  { weight: 4, arbitrary: anyString.map(str) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): Leaf => ({ kind: 'int', value })) },
  {
    weight: 1,
    // Integral floats are written like ints (`1`) and read back as ints, as in sops (§10.2).
    arbitrary: fc.double().filter((f) => !Number.isInteger(f)).map((value): Leaf => ({ kind: 'float', value })),
  },
  { weight: 1, arbitrary: fc.boolean().map((value): Leaf => ({ kind: 'bool', value })) },
  { weight: 1, arbitrary: fc.constant<Leaf>({ kind: 'null' }) },
  { weight: 1, arbitrary: timeLeaf },
);

const commentText = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/[\r\n\u0085\u2028\u2029]/.test(s));
const heads = fc.array(commentText.map((t) => comment(t)), { maxLength: 2 });
const inlineFor = (v: Node): fc.Arbitrary<Comment[]> =>
  v.kind === 'map' || v.kind === 'list' ? fc.constant([]) : fc.option(commentText.map((t) => comment(t, true)), { nil: undefined }).map((c) => (c ? [c] : []));

/** Nested collections inside lists: go-yaml prints their leading comments above the `-`, so they move to the list. */
function withoutLeadingComments(n: Node): Node {
  if (n.kind !== 'map' && n.kind !== 'list') return n;
  const first = n.items.findIndex((i) => i.kind !== 'comment');
  const items = first < 0 ? [] : n.items.slice(first);
  return { ...n, items } as Node;
}

const { node: nodeArb } = fc.letrec<{ node: Node; map: MapNode; list: ListNode }>((tie) => ({
  node: fc.oneof({ maxDepth: 3, depthIdentifier: 'tree' }, leafArb, tie('map'), tie('list')),
  map: fc
    .tuple(
      fc.uniqueArray(fc.tuple(keyString, tie('node'), heads), { selector: (t) => t[0], maxLength: 4 }),
      heads,
    )
    .chain(([entries, trailing]) =>
      fc.tuple(...entries.map(([, v]) => inlineFor(v))).map((inlines): MapNode => ({
        kind: 'map',
        items: [...entries.flatMap(([k, v, h], i) => [...h, ...inlines[i]!, pair(k, v)]), ...trailing],
      })),
    ),
  list: fc
    .tuple(fc.array(fc.tuple(tie('node'), heads), { maxLength: 4 }), heads)
    .chain(([entries, trailing]) =>
      fc.tuple(...entries.map(([v]) => inlineFor(v))).map((inlines): ListNode => ({
        kind: 'list',
        items: [...entries.flatMap(([v, h], i) => [...h, ...inlines[i]!, withoutLeadingComments(v)]), ...trailing],
      })),
    ),
}));

const branchArb = nodeArb.map((n): Branch => (n.kind === 'map' ? n : map(pair('v', n))));

describe('round trip (property)', () => {
  it('parsePlain(emitPlain(t)) == t for generated trees, and emitting is stable', () => {
    fc.assert(
      fc.property(fc.array(branchArb, { minLength: 1, maxLength: 3 }), fc.constantFrom(2, 4), (branches, indent) => {
        const out = yamlStore.emitPlain(branches, { indent });
        const back = yamlStore.parsePlain(out);
        expect(back).toEqual(branches);
        expect(yamlStore.emitPlain(back, { indent })).toBe(out);
      }),
      { numRuns: RUNS },
    );
  });
});

// ─── 5. Bad input ─────────────────────────────────────────────────────────

const CANARY = 's3cr3t-canary-value';
const BAD: Array<[string, string, string | RegExp]> = [
  ['invalid YAML', `a: [1, ${CANARY}\nb: 3\n`, /BAD_INDENT|UNEXPECTED|MISSING/],
  ['unterminated quote', `a: "${CANARY}\n`, /MISSING_CHAR/],
  ['tab indentation', `a:\n\tb: ${CANARY}\n`, /TAB_AS_INDENT/],
  ['duplicate key', `a: ${CANARY}\nb: 2\na: 3\n`, 'duplicate key "a" at 3:1 (first at 1:1)'],
  ['duplicate key in a later document', `a: 1\n---\nb: 2\nb: ${CANARY}\n`, 'duplicate key "b" at 4:1 (first at 3:1)'],
  ['duplicate nested key', `a:\n  x: 1\n  y: 2\n  "x": ${CANARY}\n`, 'duplicate key "x" at 4:3 (first at 2:3)'],
  ['duplicate key through an alias', `k: &k x\nm:\n  x: 1\n  *k : ${CANARY}\n`, 'duplicate key "x" at 4:3 (first at 3:3)'],
  ['top-level list', `- ${CANARY}\n`, 'top level of the document is not a mapping at 1:1'],
  ['top-level scalar', `${CANARY}\n`, 'top level of the document is not a mapping at 1:1'],
  ['alias cycle', `a: &x [${CANARY}, *x]\n`, 'alias refers to a node that contains it at 1:7'],
  ['undefined alias', `a: *${CANARY}\n`, 'alias to an undefined anchor at 1:4'],
  ['non-string key', `123: ${CANARY}\n`, 'non-string key (int) at 1:1'],
  ['null key', `~: ${CANARY}\n`, 'non-string key (null) at 1:1'],
  ['collection key', `? [a]\n: ${CANARY}\n`, /non-string key \(collection\) at 1:3/],
  ['uint64 value', `port: 18446744073709551615 # ${CANARY}\n`, /value at port is an integer beyond the signed 64-bit range.* at 1:7/],
  ['tag mismatch', `a: !!int ${CANARY}\n`, /value at a does not match its explicit tag at 1:/],
];

describe('bad input is a PARSE error with a position and no input text', () => {
  it.each(BAD)('%s', (_name, text, want) => {
    const e = caught(() => yamlStore.parsePlain(text));
    expect(e.code).toBe('PARSE');
    expect(e.position?.line).toBeGreaterThan(0);
    expect(e.position?.column).toBeGreaterThan(0);
    if (typeof want === 'string') expect(e.message).toBe(want);
    else expect(e.message).toMatch(want);
    expect(e.message).not.toContain(CANARY);
    expect(e.message).not.toContain('\n');
  });

  it('billion laughs is refused, at the alias that crosses the budget', () => {
    let text = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const e = caught(() => yamlStore.parsePlain(text));
    expect(e.code).toBe('PARSE');
    // a1..a3 add 10·10 + 10·110 + 10·1110 = 12,300 nodes; each *a3 on line 5 adds 11,110: the 8th crosses 100,000.
    expect(e.message).toBe(`yaml aliases expand the file by more than ${MAX_ALIAS_NODES} nodes (all documents together) at 5:45, in document 1`);
    expect(e.position).toEqual({ line: 5, column: 45 });
  });

  it.each([
    ['flow sequences', 'a: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n'],
    ['flow mappings', 'a: ' + '{a: '.repeat(10_000) + '1' + '}'.repeat(10_000) + '\n'],
    ['block mappings', Array.from({ length: 1200 }, (_, i) => ' '.repeat(i) + 'k:\n').join('')],
  ])('10,000-deep %s give a clean error, not a crash', (_name, text) => {
    const e = caught(() => yamlStore.parsePlain(text));
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/nesting|deep/);
    expect(e.position?.line).toBeGreaterThan(0);
  });
});

// ─── Size ─────────────────────────────────────────────────────────────────

// How fast this is is not asserted here (npm run bench).
describe('a 2,000-key file', () => {
  it('parses and emits byte for byte, comments included', () => {
    let text = '';
    for (let i = 0; i < 2000; i++) text += `key${i}: value number ${i} # comment ${i}\n`;
    expect(yamlStore.emitPlain(yamlStore.parsePlain(text))).toBe(text);
  });
});

// ─── 6. Alias expansion is limited per file, not per document ────────────

/**
 * One document of nested aliases that adds 90,070 nodes: 10 uses of a (10
 * each), of b (110 each), of c (1,110 each), and 7 of d (11,110 each).
 * Under a per-document cap of 100,000 it passes; 300 of them add 27 million.
 */
function laughs(doc: number): string {
  const ten = (name: string) => `[${Array(10).fill(`*${name}`).join(', ')}]`;
  return [
    `a${doc}: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]`,
    `b: &b ${ten('a')}`,
    `c: &c ${ten('b')}`,
    `d: &d ${ten('c')}`,
    `e: [${Array(7).fill('*d').join(', ')}]`,
  ].join('\n') + '\n';
}

describe('alias budget per file', () => {
  it('one document of 90,070 alias nodes is read, and its aliases are expanded', () => {
    const [doc] = yamlStore.parsePlain(laughs(0));
    const e = get(doc!, 'e') as ListNode;
    expect(e.items).toHaveLength(7);
    expect(((e.items[6] as ListNode).items[9] as ListNode).items).toHaveLength(10);
  });

  it('300 such documents are refused in the second document, which crosses the file budget', () => {
    const text = Array.from({ length: 300 }, (_, i) => laughs(i)).join('---\n');
    for (const read of [() => yamlStore.parsePlain(text), () => yamlStore.parseEncrypted(text)]) {
      const e = caught(read);
      expect(e.code).toBe('PARSE');
      expect(e.exitCode).toBe(5);
      expect(e.message).toMatch(/^yaml aliases expand the file by more than 100000 nodes \(all documents together\) at \d+:\d+, in document 2$/);
      // Document 2 starts on line 7 (after its `---`); the crossing alias is on its line of *b or later.
      expect(e.position!.line).toBeGreaterThanOrEqual(8);
      expect(e.position!.line).toBeLessThanOrEqual(11);
    }
  });

  it('documents that each stay small are not limited by their number', () => {
    const text = Array.from({ length: 300 }, (_, i) => `k${i}: &x [1, 2, 3]\nv: [*x, *x]\n`).join('---\n');
    const docs = yamlStore.parsePlain(text);
    expect(docs).toHaveLength(300);
  });
});

describe('parseEncrypted: a key given twice', () => {
  it.each([
    ['in the data', 'a: ENC[x]\nb: 1\na: ""\nsops:\n    mac: m\n', 'duplicate key "a" at 3:1 (first at 1:1)'],
    ['in the metadata', 'a: ENC[x]\nsops:\n    mac: m\n    lastmodified: t\n    mac: n\n', 'duplicate key "mac" at 5:5 (first at 3:5)'],
    ['in a later document', 'a: 1\nsops:\n    mac: m\n---\nb: 1\nb: ""\n', 'duplicate key "b" at 6:1 (first at 5:1)'],
    ['the sops key itself', 'a: 1\nsops:\n    mac: m\nsops:\n    mac: n\n', 'duplicate key "sops" at 4:1 (first at 2:1)'],
  ])('%s: PARSE (exit 5) naming both positions', (_name, text, message) => {
    const e = caught(() => yamlStore.parseEncrypted(text));
    expect(e.code).toBe('PARSE');
    expect(e.exitCode).toBe(5);
    expect(e.message).toBe(message);
    expect(e.hints.join(' ')).toContain('tampered');
  });
});
