// Fuzzing every parser that sees untrusted input: each input either parses
// or fails with an EnvcryptError carrying a code (and, for syntax errors, a
// position) — never another exception. FUZZ_RUNS scales the case counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnc } from '../../src/crypto/cipher.js';
import { readMetadata } from '../../src/stores/metadata.js';
import { decryptTree, encryptTree } from '../../src/crypto/tree-cipher.js';
import { DEFAULT_SELECTOR } from '../../src/crypto/selector.js';
import { EnvcryptError } from '../../src/errors.js';
import { parseIdentityText } from '../../src/keys/identity-text.js';
import { parseRecipient } from '../../src/keys/recipient.js';
import { parseConfig } from '../../src/repo/sops-config/rules.js';
import { dotenvStore } from '../../src/stores/dotenv.js';
import { jsonStore } from '../../src/stores/json.js';
import { yamlStore } from '../../src/stores/yaml.js';
import { nodesEqual } from '../../src/tree/equal.js';
import type { Branch, Node, Pair } from '../../src/tree/types.js';
import { RUNS } from '../helpers/paths.js';

/** Counts every generated case, so the long run can report its total. */
let cases = 0;

function parsesOrFailsCleanly(f: () => unknown, needsPosition: boolean): void {
  cases++;
  try {
    f();
  } catch (e) {
    if (!(e instanceof EnvcryptError)) throw new Error(`not an EnvcryptError: ${String(e)}`);
    expect(typeof e.code).toBe('string');
    if (needsPosition && e.code === 'PARSE') expect(e.position, `${e.message} has no position`).toBeDefined();
  }
}

// Text that is mostly the syntax of the formats, so the parsers get past the first byte.
const syntaxy = fc.string({ unit: fc.constantFrom(...'ab=#"\'`\\\n\r\t {}[]:,-.0123_xENC[]sops_ '.split('')), maxLength: 120 });
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), syntaxy);

const samples = {
  dotenv: 'A=1\n#c\nB="x\\ny"\nexport C=\'q\'\n',
  sops: 'A=ENC[AES256_GCM,data:AA==,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops_version=3.13.2\nsops_age__list_0__map_recipient=age1x\n',
  yaml: '# c\na:\n    b: [1, 2]\n    c: "x"\nd: &x {e: 1}\nf: *x\n',
  json: '{"a": {"b": [1, 2.5, true, null]}, "c": "\\u00e9"}',
  config: 'creation_rules:\n  - path_regex: \\.env$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n',
};
/** Random edits of a valid sample: deletions, insertions and truncations. */
const mutated = (s: string) =>
  fc.tuple(fc.nat(s.length), fc.nat(8), anyText).map(([at, del, ins]) => s.slice(0, at) + ins + s.slice(at + del));

describe('parsers never throw anything but EnvcryptError', () => {
  const opts = { numRuns: RUNS * 5 };
  it('plaintext dotenv', () => fc.assert(fc.property(fc.oneof(anyText, mutated(samples.dotenv)), (s) => parsesOrFailsCleanly(() => dotenvStore.parsePlain(s), true)), opts));
  it('sops dotenv dialect and its metadata', () =>
    fc.assert(fc.property(fc.oneof(anyText, mutated(samples.sops)), (s) => parsesOrFailsCleanly(() => {
      const r = dotenvStore.parseEncrypted(s);
      if (r.metadata) readMetadata(r.metadata);
    }, true)), opts));
  it('YAML store', () => fc.assert(fc.property(fc.oneof(anyText, mutated(samples.yaml)), (s) => parsesOrFailsCleanly(() => yamlStore.parseEncrypted(s), true)), opts));
  it('JSON store', () => fc.assert(fc.property(fc.oneof(anyText, mutated(samples.json)), (s) => parsesOrFailsCleanly(() => jsonStore.parseEncrypted(s), true)), opts));
  it('ENC strings', () =>
    fc.assert(fc.property(fc.oneof(anyText, mutated('ENC[AES256_GCM,data:YWJj,iv:MTIzNDU2Nzg5MDEy,tag:MTIzNDU2Nzg5MDEyMzQ1Ng==,type:str]')), (s) => parsesOrFailsCleanly(() => parseEnc(s, 'k'), false)), opts));
  it('identity files', () =>
    fc.assert(fc.property(fc.oneof(anyText, mutated(`# c\nAGE-SECRET-KEY-1${'Q'.repeat(58)}\n`)), (s) => parsesOrFailsCleanly(() => parseIdentityText(s, 'f'), false)), opts));
  it('recipients', () =>
    fc.assert(fc.property(fc.oneof(anyText, mutated('age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'), mutated('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHxO')), (s) => parsesOrFailsCleanly(() => parseRecipient(s), false)), opts));
  it('.sops.yaml', () => fc.assert(fc.property(fc.oneof(anyText, mutated(samples.config)), (s) => parsesOrFailsCleanly(() => parseConfig(s, '.sops.yaml'), true)), opts));
});

// Trees of every scalar kind, for the encrypt/decrypt round trip.
const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'sops');
const scalar: fc.Arbitrary<Node> = fc.oneof(
  fc.string().map((value) => ({ kind: 'str', value }) as const),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ kind: 'int', value }) as const),
  fc.double({ noNaN: true }).map((value) => ({ kind: 'float', value }) as const),
  fc.boolean().map((value) => ({ kind: 'bool', value }) as const),
  fc.constant({ kind: 'null' } as const),
);
const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((ps) => ({ kind: 'map', items: ps.map(([k, v]): Pair => ({ kind: 'pair', key: k, value: v })) }) as const),
    fc.array(tie('node'), { maxLength: 4 }).map((items) => ({ kind: 'list', items }) as const),
  ),
}));
const branch = fc.array(fc.tuple(key, node), { maxLength: 6 }).map((ps): Branch => ({ kind: 'map', items: ps.map(([k, v]) => ({ kind: 'pair', key: k, value: v })) }));

describe('decrypt(encrypt(x)) = x', () => {
  it('for arbitrary trees, with the MAC verified', () => {
    const dataKey = new Uint8Array(32).fill(7);
    fc.assert(
      fc.property(fc.array(branch, { minLength: 1, maxLength: 2 }), (branches) => {
        cases++;
        const lastmodified = '2026-01-02T03:04:05Z';
        const enc = encryptTree(branches, dataKey, { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, lastmodified });
        const dec = decryptTree(enc.branches, { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, mac: enc.mac, lastmodified }, dataKey);
        expect(dec.every((b, i) => nodesEqual(b, branches[i]!))).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

it('reports how many fuzz cases ran', () => {
  console.log(`fuzz: ${cases} cases`);
  expect(cases).toBeGreaterThan(0);
});
