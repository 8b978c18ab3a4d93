import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { storeFor } from '../../src/stores/index.js';
import {
  ageRecipients,
  canonicalLastModified,
  DEFAULT_SELECTOR,
  isValidVersion,
  nowLastModified,
  readMetadata,
  writeMetadata,
  type Metadata,
} from '../../src/stores/metadata.js';
import { bool, comment, list, map, nul, pair, str, type ListNode, type MapNode, type Pair } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';

const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const B = 'age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd';
const ageEntry = (r: string) => map([pair('recipient', str(r)), pair('enc', str(`-----BEGIN AGE ENCRYPTED FILE-----\n${r}\n`))]);
const base = (extra: Pair[] = []): MapNode =>
  map([pair('age', list([ageEntry(A)])), pair('lastmodified', str('2024-03-26T00:43:54Z')), pair('mac', str('ENC[x]')), pair('version', str('3.8.1')), ...extra]);
const keys = (m: MapNode) => m.items.map((i) => (i.kind === 'pair' ? i.key : '#'));

describe('readMetadata', () => {
  it('reads a file sops wrote (humphd-sops-age, YAML and dotenv give the same metadata)', async () => {
    const yaml = (await storeFor('yaml')).parseEncrypted(readFileSync(join(FIXTURES, 'humphd-sops-age', 'secret.enc.yaml'), 'utf8')).metadata!;
    const dotenv = (await storeFor('dotenv')).parseEncrypted(readFileSync(join(FIXTURES, 'humphd-sops-age', 'secret.enc.env'), 'utf8')).metadata!;
    const md = readMetadata(dotenv);
    expect(ageRecipients(md)).toEqual([A, B, 'age13runq29jhy9kfpaegczrzttykerswh0qprq59msgd754yermtfmsa3hwg2']);
    expect(md.groups).toHaveLength(1);
    expect(md.groups[0]!.age[0]!.enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(md.lastmodified).toBe('2024-03-26T00:43:54Z');
    expect(md.version).toBe('3.8.1');
    expect(md.selector).toEqual(DEFAULT_SELECTOR);
    expect(md.macOnlyEncrypted).toBe(false);
    expect(md.mac).toMatch(/^ENC\[AES256_GCM,data:D3ihKMHL/);
    expect(md.integrity).toBeUndefined();
    expect(md.unverified).toEqual([]);
    expect(ageRecipients(readMetadata(yaml))).toEqual(ageRecipients(md));
  });

  it('reads key_groups, other key types verbatim, the selector, mac_only_encrypted, shamir_threshold, the record and unknown fields', () => {
    const pgp = pair('pgp', list([map([pair('fp', str('ABC'))])]));
    const md = readMetadata(
      map([
        pair('key_groups', list([map([pair('age', list([ageEntry(A)]))]), comment(' c'), map([pgp, pair('kms', list([]))])])),
        pair('lastmodified', str('2024-03-26T00:43:54+00:00')),
        pair('mac', str('ENC[x]')),
        pair('version', str('v3.9.0-rc.1+build')),
        pair('encrypted_regex', str('^data$')),
        pair('mac_only_encrypted', bool(true)),
        pair('shamir_threshold', str('2')),
        pair('envcrypt_integrity', str('v1:abc')),
        pair('envcrypt_unverified', str(` ${B} ,,`)),
        pair('custom', str('kept')),
      ]),
    );
    expect(md.groups).toEqual([{ age: [{ recipient: A, enc: `-----BEGIN AGE ENCRYPTED FILE-----\n${A}\n` }], other: [] }, { age: [], other: [pgp] }]);
    expect(md.selector).toEqual({ kind: 'encrypted_regex', value: '^data$' });
    expect(md.macOnlyEncrypted).toBe(true);
    expect(md.shamirThreshold).toBe(2);
    expect(md.integrity).toBe('v1:abc');
    expect(md.unverified).toEqual([B]);
    expect(md.extra).toEqual([pair('custom', str('kept'))]);
  });

  it('coerces fields loosely, as sops does (a dotenv file holds every field as a string)', () => {
    for (const v of ['true', 'True', '1']) expect(readMetadata(base([pair('mac_only_encrypted', str(v))])).macOnlyEncrypted).toBe(true);
    for (const v of ['false', 'yes', '']) expect(readMetadata(base([pair('mac_only_encrypted', str(v))])).macOnlyEncrypted).toBe(false);
    expect(readMetadata(base([pair('shamir_threshold', str('0'))])).shamirThreshold).toBeUndefined();
    expect(readMetadata(base([pair('unencrypted_suffix', str(''))])).selector).toEqual(DEFAULT_SELECTOR);
    expect(readMetadata(map(base().items.filter((i) => i.kind === 'pair' && i.key !== 'mac'))).mac).toBe('');
  });

  it.each<[string, MapNode, string]>([
    ['no keys', map([pair('lastmodified', str('2024-01-01T00:00:00Z')), pair('version', str('3.8.1'))]), 'no keys found in the file'],
    ['an empty age list and nothing else', map([pair('age', list([])), pair('key_groups', nul), pair('version', str('3.8.1'))]), 'no keys found in the file'],
    ['age not a list', map([pair('age', str('x')), ...base().items.slice(1)]), 'age is not a list'],
    ['an age entry without enc', map([pair('age', list([map([pair('recipient', str(A))])])), ...base().items.slice(1)]), 'age[0] needs both recipient and enc'],
    ['an age entry that is not a mapping', map([pair('age', list([str(A)])), ...base().items.slice(1)]), 'age[0] is not a mapping'],
    ['a key group that is not a mapping', map([pair('key_groups', list([str('x')])), ...base().items.slice(1)]), 'key_groups[0] is not a mapping'],
    ['no version', map(base().items.filter((i) => i.kind === 'pair' && i.key !== 'version')), 'version is missing or not semver'],
    ['a version that is not semver', map([...base().items.slice(0, 3), pair('version', str('3.8'))]), 'version is missing or not semver'],
    ['a bad lastmodified', map([base().items[0]!, pair('lastmodified', str('2024-03-26 00:43:54')), ...base().items.slice(2)]), 'lastmodified is missing or not an RFC 3339 time'],
    ['two selectors', base([pair('encrypted_regex', str('a')), pair('unencrypted_suffix', str('_u'))]), 'more than one selector is set (unencrypted_suffix, encrypted_regex)'],
    ['a bad shamir_threshold', base([pair('shamir_threshold', str('1.5'))]), 'shamir_threshold is not a positive integer'],
  ])('refuses %s (BAD_METADATA, exit 5)', (_what, node, msg) => {
    const e = caught(() => readMetadata(node));
    expect([e.code, e.exitCode, e.message]).toEqual(['BAD_METADATA', 5, `invalid sops metadata: ${msg}`]);
  });
});

describe('writeMetadata', () => {
  const md: Metadata = {
    groups: [{ age: [{ recipient: A, enc: 'E' }], other: [pair('pgp', list([str('fp')]))] }],
    lastmodified: '2024-01-01T00:00:00Z',
    mac: 'ENC[m]',
    selector: DEFAULT_SELECTOR,
    macOnlyEncrypted: true,
    version: '3.13.2',
    integrity: 'v1:r',
    unverified: [B, A],
    extra: [pair('zz_custom', str('kept'))],
  };

  it('writes keys in alphabetical order, age entries as enc then recipient, optional fields only when set', () => {
    const out = writeMetadata(md);
    expect(keys(out)).toEqual(['age', 'envcrypt_integrity', 'envcrypt_unverified', 'lastmodified', 'mac', 'mac_only_encrypted', 'pgp', 'unencrypted_suffix', 'version', 'zz_custom']);
    expect(out.items[0]).toEqual(pair('age', list([map([pair('enc', str('E')), pair('recipient', str(A))])])));
    expect(out.items[2]).toEqual(pair('envcrypt_unverified', str(`${B},${A}`)));
    const { integrity: _record, ...noRecord } = md;
    const plain = writeMetadata({ ...noRecord, macOnlyEncrypted: false, unverified: [], extra: [] });
    expect(keys(plain)).toEqual(['age', 'lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version']);
  });

  it('writes several groups as key_groups, each sorted, with age and hc_vault always there (sops 3.13.2 keygroup struct has no omitempty on them)', () => {
    const out = writeMetadata({ ...md, groups: [md.groups[0]!, { age: [{ recipient: B, enc: 'F' }], other: [] }], shamirThreshold: 2 });
    expect(keys(out)).toContain('key_groups');
    expect(keys(out)).toContain('shamir_threshold');
    const groups = (out.items.find((i) => i.kind === 'pair' && i.key === 'key_groups') as Pair).value as ListNode;
    expect(groups.items.map((g) => keys(g as MapNode))).toEqual([['age', 'hc_vault', 'pgp'], ['age', 'hc_vault']]);
  });

  it('round-trips through readMetadata', () => {
    expect(readMetadata(writeMetadata(md))).toEqual(md);
  });
});

describe('lastmodified and version', () => {
  it('canonicalLastModified re-formats as Go time.RFC3339: fraction dropped, UTC as Z', () => {
    expect(canonicalLastModified('2024-03-26T00:43:54Z')).toBe('2024-03-26T00:43:54Z');
    expect(canonicalLastModified('2024-03-26t00:43:54.123456789z')).toBe('2024-03-26T00:43:54Z');
    expect(canonicalLastModified('2024-03-26T00:43:54+00:00')).toBe('2024-03-26T00:43:54Z');
    expect(canonicalLastModified('2024-03-26T00:43:54-00:00')).toBe('2024-03-26T00:43:54Z');
    expect(canonicalLastModified('2024-03-26T02:43:54+02:00')).toBe('2024-03-26T02:43:54+02:00');
    expect(canonicalLastModified('2024-03-26 00:43:54Z')).toBeNull();
    expect(canonicalLastModified('2024-03-26T00:43Z')).toBeNull();
  });

  it('nowLastModified is UTC in whole seconds', () => {
    expect(nowLastModified(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)))).toBe('2025-01-02T03:04:05Z');
  });

  it('isValidVersion accepts semver (optional v, pre-release, build) and anything starting with "1."', () => {
    expect(['3.8.1', 'v3.13.2', '3.9.0-rc.1', '3.9.0+meta', '1.x', '1.'].map(isValidVersion)).toEqual([true, true, true, true, true, true]);
    expect(['3.8', '03.8.1', '', 'latest', '3.8.1.2'].map(isValidVersion)).toEqual([false, false, false, false, false]);
  });
});

// Both are checked by hand (no regex at start-up); the oracle is the regex each replaced.
describe('version and lastmodified checks against their regular expressions', () => {
  const runs = { numRuns: process.env.ENVCRYPT_TEST_LONG ? 50_000 : 2_000 };
  const from = (chars: string, maxLength: number) => fc.string({ unit: fc.constantFrom(...chars), maxLength });
  it('isValidVersion', () => {
    const re = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
    const sample = fc.oneof(from('v0123.-+aZ_ ', 12), fc.constantFrom('3.13.2', 'v1.2.3-rc.1+b.5', '01.2.3', '1.02.3', '1.', '3.7', '3.7.0-', '3.7.0+'));
    fc.assert(fc.property(sample, (v) => {
        expect(isValidVersion(v)).toBe(re.test(v) || v.startsWith('1.'));
      }), runs);
  });
  it('canonicalLastModified', () => {
    const re = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
    const oracle = (s: string): string | null => {
      const m = re.exec(s);
      if (!m) return null;
      const zone = m[3]!.toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
      return `${m[1]}T${m[2]}${zone}`;
    };
    const good = '2024-03-26T00:43:54';
    const sample = fc.oneof(
      fc.tuple(fc.constantFrom(good, '2024-03-26t00:43:54', '2024-3-26T00:43:54', '2024-03-26 00:43:54'), from('.0123456789Zz+-:', 9)).map(([a, b]) => a + b),
      from('0123456789-:Tt.Zz+', 28),
    );
    fc.assert(fc.property(sample, (s) => {
        expect(canonicalLastModified(s)).toBe(oracle(s));
      }), runs);
  });
});
