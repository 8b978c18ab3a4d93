/**
 * Files with key groups written as sops 3.13.2 writes them, made by the
 * independent test encoder (test/helpers/sops-shamir-encoder.ts: its own
 * GF(2^8) code, shares wrapped by the real age CLI) from sops-written
 * fixtures whose values and MAC stay exactly as sops wrote them.
 *
 * getsops/sops sops_test.go has no key-group case but TestSortKeyGroupIndices
 * (the order of key types tried within a group; envcrypt has one type, age).
 * shamir/shamir_test.go is ported in test/crypto/shamir.test.ts, and
 * config/config_test.go TestLoadConfigFileWithMerge in
 * test/repo/sops-config/rules.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptText } from '../../src/api/decrypt.js';
import { describeGroups, groupsNeeded } from '../../src/crypto/key-groups.js';
import { readMetadata, writeMetadata } from '../../src/stores/metadata.js';
import { storeFor } from '../../src/stores/index.js';
import { rejected } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, tempDir } from '../helpers/run-cli.js';
import { ageUnwrap, ageWrap, dotenvSopsLines, randomXs, referenceSplit, yamlSopsBlock, type Group } from '../helpers/sops-shamir-encoder.js';

const t = tempDir();
afterAll(() => t.cleanup());
const humphdKey = join(FIXTURES, 'humphd-sops-age/key.txt');
const humphdRecipient = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const b = ageKeygen(t.dir, 'b.txt');
const c = ageKeygen(t.dir, 'c.txt');
const d = ageKeygen(t.dir, 'd.txt');

const yamlFixture = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.yaml'), 'utf8');
const envFixture = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.env'), 'utf8');

// The data key of a sops-written fixture, opened by the real age CLI.
function dataKeyOf(text: string, format: 'yaml' | 'dotenv'): Uint8Array {
  const enc = format === 'yaml' ? /enc: \|\n((?: {8}.*\n)+)/.exec(text)![1]!.replace(/^ {8}/gm, '') : /^sops_age__list_0__map_enc=(.*)$/m.exec(text)![1]!.replaceAll('\\n', '\n');
  return ageUnwrap(enc, humphdKey);
}

// Three groups, threshold 2: group 1 the fixture's key, group 2 B (and D), group 3 C.
function grouped(format: 'yaml' | 'dotenv', xs?: number[]): string {
  const text = format === 'yaml' ? yamlFixture : envFixture;
  const shares = referenceSplit(dataKeyOf(text, format), 3, 2, xs);
  const groups: Group[] = [[humphdRecipient], [b.recipient, d.recipient], [c.recipient]].map((rs, i) => rs.map((r) => ({ recipient: r, enc: ageWrap(shares[i]!, r) })));
  if (format === 'yaml') {
    const rest = {
      lastmodified: /lastmodified: "(.*)"/.exec(text)![1]!,
      mac: /^ {2}mac: (.*)$/m.exec(text)![1]!,
      unencrypted_suffix: '_unencrypted',
    };
    return text.slice(0, text.indexOf('sops:')) + yamlSopsBlock(groups, 2, rest);
  }
  const rest = { lastmodified: /^sops_lastmodified=(.*)$/m.exec(text)![1]!, mac: /^sops_mac=(.*)$/m.exec(text)![1]!, unencrypted_suffix: '_unencrypted' };
  return text.replace(/^sops_.*\n/gm, '') + dotenvSopsLines(groups, 2, rest);
}

const env = cleanEnv();
const open = (text: string, name: string, keys: string[]) => decryptText(text, name, { identityFiles: keys, env, readOnly: true, onWarning: () => {} });

describe('a file with key groups written as sops 3.13.2 writes it (independent encoder + age CLI)', async () => {
  const yaml = grouped('yaml');
  const dotenv = grouped('dotenv');
  const plainYaml = (await open(yamlFixture, 'f.yaml', [humphdKey])).branches;
  const plainEnv = (await open(envFixture, 'f.env', [humphdKey])).branches;

  it('threshold 2 of 3: opens with the keys of any two groups, YAML and dotenv, MAC verified', async () => {
    for (const keys of [[humphdKey, b.file], [humphdKey, c.file], [c.file, b.file], [d.file, c.file]]) {
      expect((await open(yaml, 'g.yaml', keys)).branches).toEqual(plainYaml);
      expect((await open(dotenv, 'g.env', keys)).branches).toEqual(plainEnv);
    }
  });

  it('fails clearly with one group: exit 4, how many opened of how many needed, the groups named', async () => {
    const e = await rejected(open(yaml, 'g.yaml', [b.file, d.file]));
    expect([e.code, e.exitCode]).toEqual(['NO_IDENTITY', 4]);
    expect(e.message).toBe('your identities opened 1 of the 3 key groups of g.yaml (2); 2 are needed (shamir_threshold)');
    expect(e.hints[0]).toMatch(/^group 1: age1je6k…9dqvr$/);
    expect(e.hints[1]).toMatch(/^group 2: age1\S+, age1\S+ \(opened\)$/);
    expect(e.hints[2]).toMatch(/^group 3: age1\S+$/);
  });

  it('opens a split with random x-coordinates, as sops before 3.10 made them', async () => {
    const old = grouped('yaml', randomXs(3));
    expect((await open(old, 'g.yaml', [c.file, humphdKey])).branches).toEqual(plainYaml);
  });

  it('reads the metadata and writes it back byte for byte as sops 3.13.2 orders it (YAML and dotenv)', async () => {
    for (const [text, format] of [[yaml, 'yaml'], [dotenv, 'dotenv']] as const) {
      const store = await storeFor(format);
      const parsed = store.parseEncrypted(text);
      const md = readMetadata(parsed.metadata!);
      expect([md.groups.length, md.shamirThreshold, groupsNeeded(md)]).toEqual([3, 2, 2]);
      expect(md.groups.map((g) => g.age.length)).toEqual([1, 2, 1]);
      const out = store.emitEncrypted(parsed.branches, writeMetadata(md), {});
      // The values of this 3.8.1 fixture are indented by 2, which sops 3.13.2 would re-indent: compare the metadata.
      const meta = (s: string) => (format === 'yaml' ? s.slice(s.indexOf('\nsops:')) : s);
      expect(meta(out)).toBe(meta(text));
    }
  });

  it('describes each group by its recipients', async () => {
    const md = readMetadata((await storeFor('yaml')).parseEncrypted(yaml).metadata!);
    expect(describeGroups(md)[0]).toBe('group 1: age1je6k…9dqvr');
  });
});
