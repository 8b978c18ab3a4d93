/**
 * Key groups end to end through the library: a `.sops.yaml` rule with
 * `key_groups` and `shamir_threshold`, then decrypt, set, `recipients
 * add --group`, `recipients remove`, `rotate`, and the attacks on the group
 * structure. Keys are made in-process; the age CLI and the independent
 * encoder's Shamir check what envcrypt wrote.
 */
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, decryptText } from '../../src/api/decrypt.js';
import { encryptFile, encryptWithRules } from '../../src/api/encrypt-file.js';
import { mergeTexts } from '../../src/api/merge-file.js';
import { planAddRecipient, planRemoveRecipient } from '../../src/api/recipients.js';
import { commitPlan, planRotate } from '../../src/api/rotate.js';
import { setValue } from '../../src/api/set.js';
import { authenticationFindings } from '../../src/check/rules-check.js';
import { identityFileText, newIdentity } from '../../src/keys/keygen.js';
import { readMetadata } from '../../src/stores/metadata.js';
import { dotenvStore } from '../../src/stores/dotenv.js';
import { str } from '../../src/tree/types.js';
import { rejected } from '../helpers/errors.js';
import { ageUnwrap, referenceCombine } from '../helpers/sops-shamir-encoder.js';

interface Key { file: string; recipient: string }
let root: string;
let A: Key, B: Key, C: Key, D: Key, E: Key;
const PLAIN = 'DB_PASSWORD=hunter2\nAPI_TOKEN=abc123\n';

async function key(name: string): Promise<Key> {
  const id = await newIdentity(false);
  const file = join(root, name);
  writeFileSync(file, identityFileText(id), { mode: 0o600 });
  return { file, recipient: id.recipient };
}
const only = (...keys: Key[]) => ({ identityFiles: keys.map((k) => k.file), env: {}, onWarning: () => {} });
const metaOf = (file: string) => readMetadata(dotenvStore.parseEncrypted(readFileSync(file, 'utf8')).metadata!);

/** Encrypt PLAIN as NAME under a rule: groups [A], [B], [C], threshold 2. */
async function grouped(name: string, extra = ''): Promise<string> {
  const dir = mkdtempSync(join(root, 'repo-'));
  writeFileSync(
    join(dir, '.sops.yaml'),
    `creation_rules:\n  - path_regex: \\.env\\.enc$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${A.recipient}]\n      - age:\n          - ${B.recipient}\n      - age: [${C.recipient}]\n${extra}`,
  );
  writeFileSync(join(dir, '.env'), PLAIN);
  const out = join(dir, name);
  await encryptWithRules(join(dir, '.env'), { output: out, env: {}, onWarning: () => {} });
  return out;
}

async function plain(file: string, ...keys: Key[]): Promise<string> {
  const dec = await decryptFile(file, only(...keys));
  return dotenvStore.emitPlain(dec.branches);
}

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'envcrypt-groups-')));
  [A, B, C, D, E] = (await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => key(`${n}.txt`)))) as [Key, Key, Key, Key, Key];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('envcrypt audit on a file with key groups', () => {
  it('opens a version with keys from enough groups (one unwrap for versions sharing their stanzas), and is a gap with too few', async () => {
    const { VersionOpener } = await import('../../src/api/audit/open.js');
    const text = Buffer.from(readFileSync(await grouped('.env.enc'), 'utf8'));
    const two = new VersionOpener(only(A, C));
    const opened = await two.open(text, '.env.enc', 'dotenv');
    expect(opened.kind === 'open' && [...opened.values.keys()]).toEqual(['DB_PASSWORD', 'API_TOKEN']);
    expect((await two.open(text, '.env.enc', 'dotenv')).kind).toBe('open');
    expect(two.unwraps).toBe(1);
    expect(await new VersionOpener(only(B)).open(text, '.env.enc', 'dotenv')).toMatchObject({ kind: 'gap', reason: 'too few of its key groups open with your identity' });
  });
});

describe('a .sops.yaml rule with key_groups and shamir_threshold', () => {
  it('writes key_groups and shamir_threshold as sops does, and opens with any 2 of the 3 groups', async () => {
    const f = await grouped('.env.enc');
    const text = readFileSync(f, 'utf8');
    expect(text).toMatch(/^sops_key_groups__list_0__map_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\n/m);
    expect(text).toMatch(/^sops_key_groups__list_2__map_age__list_0__map_recipient=age1/m);
    expect(text).toMatch(/^sops_shamir_threshold=2$/m);
    expect(text).not.toMatch(/^sops_age__/m);
    for (const keys of [[A, B], [B, C], [A, C], [C, A, B]]) expect(await plain(f, ...keys)).toBe(PLAIN);
  });

  it('fails with one group: NO_IDENTITY (exit 4), 1 of 3 opened, 2 needed', async () => {
    const f = await grouped('.env.enc');
    const e = await rejected(decryptFile(f, only(B)));
    expect([e.code, e.exitCode]).toEqual(['NO_IDENTITY', 4]);
    expect(e.message).toContain('opened 1 of the 3 key groups');
    expect(e.message).toContain('2 are needed');
  });

  it('is independent-decoder readable: age -d opens each share, the reference Shamir rebuilds the key, node:crypto the value', async () => {
    const f = await grouped('.env.enc');
    const md = metaOf(f);
    const shares = [ageUnwrap(md.groups[0]!.age[0]!.enc, A.file), ageUnwrap(md.groups[2]!.age[0]!.enc, C.file)];
    expect(shares.map((s) => s.length)).toEqual([33, 33]);
    const key = referenceCombine(shares);
    const m = /^DB_PASSWORD=ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:str\]$/m.exec(readFileSync(f, 'utf8'))!;
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2]!, 'base64'));
    d.setAAD(Buffer.from('DB_PASSWORD:'));
    d.setAuthTag(Buffer.from(m[3]!, 'base64'));
    expect(Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString()).toBe('hunter2');
  });

  it('--shamir-secret-sharing-threshold replaces the rule threshold; an impossible one is a usage error', async () => {
    const dir = mkdtempSync(join(root, 'flag-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - key_groups:\n      - age: [${A.recipient}]\n      - age: [${B.recipient}]\n      - age: [${C.recipient}]\n`);
    writeFileSync(join(dir, '.env'), PLAIN);
    await encryptWithRules(join(dir, '.env'), { output: join(dir, 'all.env.enc'), env: {}, onWarning: () => {} });
    expect(metaOf(join(dir, 'all.env.enc')).shamirThreshold).toBe(3);
    await expect(decryptFile(join(dir, 'all.env.enc'), only(A, B))).rejects.toMatchObject({ code: 'NO_IDENTITY' });
    await encryptWithRules(join(dir, '.env'), { output: join(dir, 'two.env.enc'), shamirThreshold: 2, env: {}, onWarning: () => {} });
    expect(await plain(join(dir, 'two.env.enc'), A, B)).toBe(PLAIN);
    const e = await rejected(encryptWithRules(join(dir, '.env'), { output: join(dir, 'bad.env.enc'), shamirThreshold: 1, env: {}, onWarning: () => {} }));
    expect([e.code, e.exitCode]).toEqual(['USAGE', 2]);
  });
});

describe('changing a grouped file', () => {
  it('set keeps every group\'s stanzas and the threshold', async () => {
    const f = await grouped('.env.enc');
    const before = metaOf(f);
    await setValue(f, 'NEW', str('x'), only(A, B));
    const after = metaOf(f);
    expect(after.groups.map((g) => g.age.map((e) => e.enc))).toEqual(before.groups.map((g) => g.age.map((e) => e.enc)));
    expect(after.shamirThreshold).toBe(2);
    expect(await plain(f, B, C)).toBe(`${PLAIN}NEW=x\n`);
  });

  it('recipients add --group wraps that group\'s share for the newcomer; without --group it is a usage error naming the groups', async () => {
    const f = await grouped('.env.enc');
    const e = await rejected(planAddRecipient(D.recipient, [f], only(A, B)));
    expect([e.code, e.exitCode]).toEqual(['USAGE', 2]);
    expect(e.hints.slice(0, 3).map((h) => h.slice(0, 8))).toEqual(['group 1:', 'group 2:', 'group 3:']);
    commitPlan(await planAddRecipient(D.recipient, [f], { ...only(A, C), group: 3 }));
    expect(metaOf(f).groups.map((g) => g.age.length)).toEqual([1, 1, 2]);
    expect(await plain(f, D, B)).toBe(PLAIN);
    // D is in group 3 only: with C (group 3 too) that is still one group.
    await expect(decryptFile(f, only(D, C))).rejects.toMatchObject({ code: 'NO_IDENTITY' });
  });

  it('recipients add --group N for a group this process cannot open re-splits the same data key (values unchanged)', async () => {
    const f = await grouped('.env.enc');
    const before = readFileSync(f, 'utf8');
    commitPlan(await planAddRecipient(D.recipient, [f], { ...only(A, B), group: 3 }));
    const after = readFileSync(f, 'utf8');
    expect(after.match(/^DB_PASSWORD=.*$/m)![0]).toBe(before.match(/^DB_PASSWORD=.*$/m)![0]);
    expect(await plain(f, D, A)).toBe(PLAIN);
    expect(await plain(f, C, B)).toBe(PLAIN);
  });

  it('recipients remove takes the key out of its group and rotates the data key; the last of a group is refused', async () => {
    const f = await grouped('.env.enc');
    const e = await rejected(planRemoveRecipient(B.recipient, [f], only(A, B)));
    expect([e.code, e.exitCode]).toEqual(['REFUSED', 9]);
    expect(e.message).toContain('last recipient of key group 2');
    commitPlan(await planAddRecipient(E.recipient, [f], { ...only(A, B), group: 2 }));
    const oldKey = (await decryptFile(f, only(A, B))).dataKey;
    commitPlan(await planRemoveRecipient(B.recipient, [f], only(A, C)));
    const md = metaOf(f);
    expect(md.groups.map((g) => g.age.map((x) => x.recipient))).toEqual([[A.recipient], [E.recipient], [C.recipient]]);
    const dec = await decryptFile(f, only(E, C));
    expect(Buffer.from(dec.dataKey).equals(Buffer.from(oldKey))).toBe(false);
    await expect(decryptFile(f, only(B, A))).rejects.toMatchObject({ code: 'NO_IDENTITY' });
  });

  it('rotate makes a new data key, re-split with the same groups and threshold', async () => {
    const f = await grouped('.env.enc');
    const before = await decryptFile(f, only(A, B));
    commitPlan(await planRotate([f], only(A, B)));
    const after = await decryptFile(f, only(B, C));
    expect(Buffer.from(after.dataKey).equals(Buffer.from(before.dataKey))).toBe(false);
    expect(after.metadata.groups.map((g) => g.age.map((x) => x.recipient))).toEqual(before.metadata.groups.map((g) => g.age.map((x) => x.recipient)));
    expect(after.metadata.shamirThreshold).toBe(2);
  });
});

describe('JSON and YAML files with key groups', () => {
  it('write key_groups with age and hc_vault in each group, sorted, as sops 3.13.2 does, and read back', async () => {
    const dir = mkdtempSync(join(root, 'json-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - key_groups:\n      - age: [${A.recipient}]\n      - age: [${B.recipient}]\n`);
    writeFileSync(join(dir, 'a.json'), '{"k": "v"}\n');
    writeFileSync(join(dir, 'a.yaml'), 'k: v\n');
    await encryptWithRules(join(dir, 'a.json'), { output: join(dir, 'a.enc.json'), env: {}, onWarning: () => {} });
    await encryptWithRules(join(dir, 'a.yaml'), { output: join(dir, 'a.enc.yaml'), env: {}, onWarning: () => {} });
    const json = readFileSync(join(dir, 'a.enc.json'), 'utf8');
    expect(json).toMatch(/"key_groups": \[\n\t\t\t\{\n\t\t\t\t"age": \[\n\t\t\t\t\t\{\n\t\t\t\t\t\t"enc": /);
    expect(json).toMatch(/\t\t\t\t\],\n\t\t\t\t"hc_vault": \[\]\n\t\t\t\}/);
    expect(json).toMatch(/"shamir_threshold": 2,/);
    const yaml = readFileSync(join(dir, 'a.enc.yaml'), 'utf8');
    expect(yaml).toMatch(/^ {4}key_groups:\n {8}- age:\n {12}- enc: \|\n/m);
    expect(yaml).toMatch(/^ {10}hc_vault: \[\]$/m);
    for (const f of ['a.enc.json', 'a.enc.yaml']) expect((await decryptFile(join(dir, f), only(A, B))).integrity).toBe('verified');
  });
});

describe('what would collapse the groups is refused', () => {
  it('encrypt -r onto a grouped file refuses to merge the groups into one (exit 9); the merge driver refuses grouped files', async () => {
    const f = await grouped('.env.enc');
    const e = await rejected(encryptFile(join(f, '..', '.env'), { recipients: [A.recipient, B.recipient], output: f, ...only(A, B) }));
    expect([e.code, e.exitCode]).toEqual(['REFUSED', 9]);
    const text = readFileSync(f, 'utf8');
    const m = await rejected(mergeTexts(text, text, text, { name: f, ...only(A, B) }));
    expect([m.code, m.message]).toEqual(['UNSUPPORTED', expect.stringContaining('key groups, which the merge driver does not merge')]);
  });
});

describe('attacks on the group structure (the attacker can write the file, holds at most one group\'s key)', () => {
  const edit = (f: string, fn: (t: string) => string) => writeFileSync(f, fn(readFileSync(f, 'utf8')));

  it('lowering shamir_threshold: the record refuses it (exit 3); without the record the shares do not combine to the key', async () => {
    const f = await grouped('.env.enc');
    const t3 = await grouped('three.env.enc', '');
    edit(t3, (t) => t.replace('sops_shamir_threshold=2', 'sops_shamir_threshold=3'));
    // Raised: now more groups are needed than the holder has (a denial, never a disclosure).
    await expect(decryptFile(t3, only(A, B))).rejects.toMatchObject({ code: 'NO_IDENTITY' });
    // A file split 3-of-3 whose threshold is lowered to 2: two shares make a wrong key, refused (exit 3).
    const dir = mkdtempSync(join(root, 'low-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - key_groups:\n      - age: [${A.recipient}]\n      - age: [${B.recipient}]\n      - age: [${C.recipient}]\n`);
    writeFileSync(join(dir, '.env'), PLAIN);
    const all = join(dir, '.env.enc');
    await encryptWithRules(join(dir, '.env'), { output: all, env: {}, onWarning: () => {} });
    edit(all, (t) => t.replace('sops_shamir_threshold=3', 'sops_shamir_threshold=2'));
    const e = await rejected(decryptFile(all, only(A, B)));
    expect(e.exitCode).toBe(3);
    // Someone holding all three groups (one key file) rebuilds the real key: the record sees the lowered threshold.
    const abc = join(dir, 'abc.txt');
    writeFileSync(abc, [A, B, C].map((k) => readFileSync(k.file, 'utf8')).join(''), { mode: 0o600 });
    const r = await rejected(decryptFile(all, { identityFiles: [abc], env: {}, onWarning: () => {} }));
    expect([r.code, r.exitCode, r.message]).toEqual(['MAC_MISMATCH', 3, 'the integrity record does not match the file']);
    void f;
  });

  it('moving a recipient to another group, or reordering the groups: the record refuses it (exit 3)', async () => {
    const f = await grouped('.env.enc');
    const text = readFileSync(f, 'utf8');
    // Swap groups 2 and 3 wholesale (stanzas and all): every share still opens and combines.
    const swapped = text.replaceAll('__list_1__', '__list_X__').replaceAll('__list_2__', '__list_1__').replaceAll('__list_X__', '__list_2__');
    const e1 = await rejected(decryptText(swapped, 'f.env', only(A, B)));
    expect([e1.code, e1.exitCode]).toEqual(['MAC_MISMATCH', 3]);
    // Copy C's stanza into group 2 next to B: C would now hold two groups' worth of membership.
    const cEnc = /^sops_key_groups__list_2__map_age__list_0__map_enc=(.*)$/m.exec(text)![1]!;
    const moved = `${text}sops_key_groups__list_1__map_age__list_1__map_enc=${cEnc}\nsops_key_groups__list_1__map_age__list_1__map_recipient=${C.recipient}\n`;
    const e2 = await rejected(decryptText(moved, 'f.env', only(A, B)));
    expect([e2.code, e2.exitCode]).toEqual(['MAC_MISMATCH', 3]);
  });

  it('a share copied into another group (duplicate x-coordinate) is refused (exit 3), never combined', async () => {
    const f = await grouped('.env.enc');
    const text = readFileSync(f, 'utf8');
    // Group 1's stanza for A copied over group 2's, listed for A: A opens "two" groups holding the same share.
    const aEnc = /^sops_key_groups__list_0__map_age__list_0__map_enc=(.*)$/m.exec(text)![1]!;
    const dup = text
      .replace(/^sops_key_groups__list_1__map_age__list_0__map_enc=.*$/m, `sops_key_groups__list_1__map_age__list_0__map_enc=${aEnc}`)
      .replace(/^sops_key_groups__list_1__map_age__list_0__map_recipient=.*$/m, `sops_key_groups__list_1__map_age__list_0__map_recipient=${A.recipient}`);
    const e = await rejected(decryptText(dup, 'f.env', only(A)));
    expect([e.code, e.exitCode]).toEqual(['DECRYPT_FAILED', 3]);
    expect(e.message).toContain('same share');
  });

  it('a first record on a sops-written grouped file does not launder an unvouched threshold: it is marked, and a later re-split still refuses it', async () => {
    const f = await grouped('.env.enc');
    // The rule says 3; the file (as if sops wrote it, no record) says 2.
    writeFileSync(join(f, '..', '.sops.yaml'), readFileSync(join(f, '..', '.sops.yaml'), 'utf8').replace('shamir_threshold: 2', 'shamir_threshold: 3'));
    edit(f, (t) => t.replace(/^sops_envcrypt_integrity=.*\n/m, ''));
    await setValue(f, 'NEW', str('x'), only(A, B));
    expect(metaOf(f).unverified).toContain('shamir_threshold');
    const findings = authenticationFindings(f, metaOf(f), null).map((x) => x.message);
    expect(findings).toContain('the key-group shamir_threshold 2 is not vouched for (set it in the .sops.yaml creation rule to confirm it)');
    expect(findings.join('\n')).not.toContain('recipients nothing vouches for: shamir_threshold');
    expect((await decryptFile(f, only(A, B))).integrity).toBe('verified');
    const e = await rejected(planRotate([f], only(A, B)));
    expect([e.code, e.exitCode]).toEqual(['UNVOUCHED', 3]);
  });

  it('without the record, a re-split refuses a threshold nothing vouches for (UNVOUCHED, exit 3)', async () => {
    const f = await grouped('.env.enc');
    // As sops would leave it: no record; and the threshold lowered from 3 to 2 in a 3-group file whose rule says 3.
    writeFileSync(join(f, '..', '.sops.yaml'), readFileSync(join(f, '..', '.sops.yaml'), 'utf8').replace('shamir_threshold: 2', 'shamir_threshold: 3'));
    edit(f, (t) => t.replace(/^sops_envcrypt_integrity=.*\n/m, ''));
    const e = await rejected(planRotate([f], only(A, B)));
    expect([e.code, e.exitCode]).toEqual(['UNVOUCHED', 3]);
    expect(e.message).toContain('shamir_threshold 2');
  });
});
