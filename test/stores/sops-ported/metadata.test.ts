/**
 * Ported from getsops/sops 3.13.2 stores/metadata_test.go (TestExtractMetadata, TestSerializeMetadata),
 * in process, against envcrypt's metadata reader and writer (`src/stores/metadata.ts`) and the stores
 * that find the `sops` entry. envcrypt reads age keys and keeps every other key type (pgp, kms, gcp_kms,
 * hckms, azure_kv, hc_vault) verbatim, so for those the test checks that they are found and kept, in
 * file order, rather than parsed into sops's key structs.
 *
 * Differences asserted as envcrypt's:
 * - sops's ExtractMetadata accepts a missing or non-semver `version` ("barbaz"); the sops CLI then
 *   fails on it when it checks for the KMS encryption-context bug (cmd/sops/common
 *   DetectKMSEncryptionContextBug parses the version). envcrypt refuses it when reading the metadata,
 *   so the cases that only test other fields get a valid version, and the refusal is tested apart.
 * - error texts are envcrypt's.
 *
 * Not ported: nothing (the KMS key struct of TestSerializeMetadata is kept as a verbatim entry).
 */
import { describe, expect, it } from 'vitest';
import { jsonStore } from '../../../src/stores/json.js';
import { flattenMetadata } from '../../../src/stores/flatten.js';
import { readMetadata, writeMetadata } from '../../../src/stores/metadata.js';
import { yamlStore } from '../../../src/stores/yaml.js';
import { int, list, map, pair, str, bool, type MapNode, type Pair } from '../../../src/tree/types.js';
import { caught } from '../../helpers/errors.js';

const LM = '2025-03-23T10:20:30Z';
const pgp = (suffix = '') => pair('pgp', list([map([pair('created_at', str('2025-03-23T10:20:29Z')), pair('enc', str(`ABCD${suffix}`)), pair('fp', str('1234'))])]));
const VERSION = pair('version', str('3.13.2'));

/** The key entries of sops's completeKeyGroup (and of everything1 at the top level), with a suffix. */
function allKeys(s: string): Pair[] {
  const entry = (...kv: Array<[string, string]>) => list([map([pair('created_at', str('2025-03-23T10:20:29Z')), ...kv.map(([k, v]) => pair(k, str(v)))])]);
  return [
    pair('kms', list([map([
      pair('created_at', str('2025-03-23T10:20:29Z')), pair('enc', str(`ABCD AWS KMS${s}`)), pair('arn', str(`AWS KMS ARN${s}`)),
      pair('role', str(`AWS KMS role${s}`)), pair('context', map([pair('foo', str('bar'))])), pair('aws_profile', str(`AWS KMS profile${s}`)),
    ])])),
    pair('gcp_kms', entry(['enc', `ABCD GCP KMS${s}`], ['resource_id', `GCP KMS resource ID${s}`])),
    pair('hckms', entry(['enc', `ABCD HC KMS${s}`], ['key_id', `HC KMS${s}:key ID${s}`])),
    pair('azure_kv', entry(['enc', `ABCD AZKV${s}`], ['vault_url', `AZKV vault URL${s}`], ['name', `AZKV name${s}`], ['version', `AZKV version${s}`])),
    pair('hc_vault', entry(['enc', `ABCD HC Vault${s}`], ['vault_address', `HC Vault address${s}`], ['engine_path', `HC Vault engine path${s}`], ['key_name', `HC Vault key name${s}`])),
    pair('age', list([map([pair('recipient', str(`age recipient${s}`)), pair('enc', str(`ABCD age${s}`))])])),
    pair('pgp', list([map([pair('created_at', str('2025-03-23T10:20:29Z')), pair('enc', str(`ABCD PGP${s}`)), pair('fp', str(`PGP fingerprint${s}`))])])),
  ];
}

/** The common fields of everything1 and everything2 (with a valid version; see the header). */
const everythingFields = (): Pair[] => [
  pair('shamir_threshold', int(2n)),
  pair('lastmodified', str(LM)),
  pair('mac', str('asdf')),
  pair('encrypted_comment_regex', str('bazbam')),
  pair('mac_only_encrypted', bool(true)),
  VERSION,
];

describe('sops stores/metadata_test.go TestExtractMetadata', () => {
  it('broken1: a document without `sops` has no metadata (sops: MetadataNotFound)', () => {
    expect(yamlStore.parseEncrypted('foo: bar\n').metadata).toBeNull();
    expect(jsonStore.parseEncrypted('{"foo": "bar"}').metadata).toBeNull();
  });

  it('broken2: a `sops` entry that is not a mapping is refused', () => {
    expect(caught(() => yamlStore.parseEncrypted('sops: foo\n')).code).toBe('BAD_METADATA');
    expect(caught(() => jsonStore.parseEncrypted('{"sops": "foo"}')).code).toBe('BAD_METADATA');
  });

  it('empty: an empty mapping is refused (sops: parsing time "")', () => {
    expect(caught(() => readMetadata(map([]))).code).toBe('BAD_METADATA');
  });

  it('minimal1: `LastModified` is not `lastmodified`, and there are no keys: refused (sops: "No keys found in file")', () => {
    const e = caught(() => readMetadata(map([pair('LastModified', str(LM)), VERSION])));
    expect(e.message).toContain('no keys found in the file');
  });

  it('minimal2: lastmodified and one pgp key; the selector defaults to unencrypted_suffix "_unencrypted"', () => {
    const md = readMetadata(map([pair('lastmodified', str(LM)), pgp(), VERSION]));
    expect(md.lastmodified).toBe(LM);
    expect(md.selector).toEqual({ kind: 'unencrypted_suffix', value: '_unencrypted' });
    expect(md.groups).toHaveLength(1);
    expect(md.groups[0]!.age).toEqual([]);
    expect(md.groups[0]!.other).toEqual([pgp()]);
    expect(md.shamirThreshold).toBeUndefined();
    expect(md.macOnlyEncrypted).toBe(false);
  });

  it('multiple: more than one selector is refused', () => {
    const e = caught(() => readMetadata(map([
      pair('lastmodified', str(LM)),
      pair('unencrypted_suffix', str('foo')),
      pair('encrypted_suffix', str('bar')),
      pair('unencrypted_regex', str('baz')),
      pair('encrypted_regex', str('bam')),
      pair('unencrypted_comment_regex', str('foobar')),
      pair('encrypted_comment_regex', str('bazbam')),
      pgp(),
      VERSION,
    ])));
    expect(e.code).toBe('BAD_METADATA');
    expect(e.message).toContain('more than one selector');
  });

  it('single1 to single6: each selector alone is read', () => {
    const cases: Array<[string, string]> = [
      ['unencrypted_suffix', 'foo'],
      ['encrypted_suffix', 'bar'],
      ['unencrypted_regex', 'baz'],
      ['encrypted_regex', 'bam'],
      ['unencrypted_comment_regex', 'foobar'],
      ['encrypted_comment_regex', 'bazbam'],
    ];
    for (const [kind, value] of cases) {
      const md = readMetadata(map([pair('lastmodified', str(LM)), pair(kind, str(value)), pgp(), VERSION]));
      expect(md.selector).toEqual({ kind, value });
      expect(md.groups[0]!.other).toEqual([pgp()]);
    }
  });

  it('everything1: top-level keys of every type; the key_groups beside them are ignored', () => {
    const md = readMetadata(map([...everythingFields(), ...allKeys(''), pair('key_groups', list([map(allKeys(' (inner)'))]))]));
    expect(md.shamirThreshold).toBe(2);
    expect(md.lastmodified).toBe(LM);
    expect(md.mac).toBe('asdf');
    expect(md.selector).toEqual({ kind: 'encrypted_comment_regex', value: 'bazbam' });
    expect(md.macOnlyEncrypted).toBe(true);
    expect(md.groups).toHaveLength(1);
    expect(md.groups[0]!.age).toEqual([{ recipient: 'age recipient', enc: 'ABCD age' }]);
    expect(md.groups[0]!.other.map((p) => p.key)).toEqual(['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp']);
    expect(md.groups[0]!.other).toEqual(allKeys('').filter((p) => p.key !== 'age'));
  });

  it('everything2: the same keys inside key_groups', () => {
    const md = readMetadata(map([...everythingFields(), pair('key_groups', list([map(allKeys(' (inner)'))]))]));
    expect(md.shamirThreshold).toBe(2);
    expect(md.groups).toHaveLength(1);
    expect(md.groups[0]!.age).toEqual([{ recipient: 'age recipient (inner)', enc: 'ABCD age (inner)' }]);
    expect(md.groups[0]!.other).toEqual(allKeys(' (inner)').filter((p) => p.key !== 'age'));
  });

  it('everything1 with sops\'s own version "barbaz" is refused (the sops CLI refuses it too; see the header)', () => {
    const fields = everythingFields().map((p) => (p.key === 'version' ? pair('version', str('barbaz')) : p));
    expect(caught(() => readMetadata(map([...fields, ...allKeys('')]))).message).toContain('version');
  });
});

describe('sops stores/metadata_test.go TestSerializeMetadata', () => {
  it('a KMS encryption context value is flattened as its string', () => {
    const kms: Pair = pair('kms', list([map([
      pair('arn', str('arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000')),
      pair('context', map([pair('tenant', str('example-tenant'))])),
      pair('created_at', str('1970-01-01T00:00:00Z')),
      pair('enc', str('')),
    ])]));
    const md = readMetadata(map([kms, pair('lastmodified', str('1970-01-01T00:00:00Z')), pair('version', str('3.0.0'))]));
    const flat = flattenMetadata(writeMetadata(md) as MapNode);
    expect(flat.find((e) => e.key === 'sops_kms__list_0__map_context__map_tenant')?.value).toBe('example-tenant');
  });
});
