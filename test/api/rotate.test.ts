import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptFile } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { changedFiles, commitPlan, encryptedKeyPaths, planRotate, type ChangePlan } from '../../src/api/rotate.js';
import { identityFileText, newIdentity } from '../../src/keys/keygen.js';
import { map, pair, str, comment, list } from '../../src/tree/types.js';
import { FIXTURES } from '../helpers/paths.js';
import { rejected } from '../helpers/errors.js';

const RUNS = Math.min(30, Number(process.env.FUZZ_RUNS ?? 15));
interface Key { file: string; recipient: string }
let root: string;
let A: Key, B: Key;
const only = (...keys: Key[]) => ({ identityFiles: keys.map((k) => k.file), env: {}, onWarning: () => {} });

async function key(name: string): Promise<Key> {
  const id = await newIdentity(false);
  const file = join(root, name);
  writeFileSync(file, identityFileText(id), { mode: 0o600 });
  return { file, recipient: id.recipient };
}

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'envcrypt-rotate-')));
  [A, B] = await Promise.all([key('a.txt'), key('b.txt')]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('planRotate', () => {
  it('gives a new data key with the same recipients and values; the old key opens nothing new', async () => {
    const f = join(root, 'app.enc.json');
    writeFileSync(f, await encryptText('{"db": {"password": "pw", "port": 5432}, "list": ["x", true]}\n', f, { recipients: [A.recipient, B.recipient] }));
    const old = await decryptFile(f, only(A));
    const plan = await planRotate([f], only(A));
    expect(plan.files[0]!.keys).toEqual(['db.password', 'db.port', 'list']);
    commitPlan(plan);
    const now = await decryptFile(f, only(B));
    expect(now.branches).toEqual(old.branches);
    expect(now.metadata.groups[0]!.age.map((e) => e.recipient)).toEqual([A.recipient, B.recipient]);
    expect(Buffer.from(now.dataKey).equals(Buffer.from(old.dataKey))).toBe(false);
    await expect(decryptFile(f, { ...only(), dataKey: old.dataKey, ignoreMac: true })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('rotates a file written by the real sops when its .sops.yaml rule vouches for the recipients, announcing them', async () => {
    const dir = join(root, 'sops-written');
    mkdirSync(dir);
    const f = join(dir, 'secret.enc.yaml');
    copyFileSync(join(FIXTURES, 'humphd-sops-age', 'secret.enc.yaml'), f);
    const k: Key = { file: join(FIXTURES, 'humphd-sops-age', 'key.txt'), recipient: '' };
    const old = await decryptFile(f, only(k));
    const listed = old.metadata.groups[0]!.age.map((e) => e.recipient);
    // No integrity record and no rule: nothing vouches for the listed recipient, so no new key is wrapped for it.
    const before = readFileSync(f, 'utf8');
    const refused = await rejected(planRotate([f], only(k)));
    expect(refused.code).toBe('UNVOUCHED');
    expect(refused.exitCode).toBe(3);
    expect(refused.message).toContain(listed[0]!);
    expect(readFileSync(f, 'utf8')).toBe(before);
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${listed.join(',')}\n`);
    const warnings: string[] = [];
    commitPlan(await planRotate([f], { ...only(k), onWarning: (m) => warnings.push(m) }));
    for (const r of listed) expect(warnings.join('\n')).toContain(`${r} (from `);
    expect(warnings.join('\n')).toContain('.sops.yaml:2:5 (creation rule 1)');
    const now = await decryptFile(f, only(k));
    expect(now.integrity).toBe('verified');
    expect(now.metadata.unverified).toEqual([]);
    expect(now.branches).toEqual(old.branches);
    expect(now.metadata.groups[0]!.age.map((e) => e.recipient)).toEqual(listed);
  });

  it('refuses a file that also has PGP master keys, which a new data key would lock out', async () => {
    const f = join(root, 'nix.yaml');
    copyFileSync(join(FIXTURES, 'sops-nix', 'secrets.yaml'), f);
    const e = await rejected(planRotate([f], only({ file: join(FIXTURES, 'sops-nix', 'age-keys.txt'), recipient: '' })));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('pgp');
  });

  it('verifies the MAC and writes nothing when any file fails', async () => {
    const good = join(root, 'good.env.enc');
    const bad = join(root, 'bad.env.enc');
    writeFileSync(good, await encryptText('A=1\n', good, { recipients: [A.recipient] }));
    const text = await encryptText('A=1\nB=2\n', bad, { recipients: [A.recipient] });
    // Drop a line: every remaining value still authenticates, but the MAC does not.
    writeFileSync(bad, text.split('\n').filter((l) => !l.startsWith('B=')).join('\n'));
    const before = readFileSync(good, 'utf8');
    const e = await rejected(planRotate([good, bad], only(A)));
    expect(e.code).toBe('MAC_MISMATCH');
    expect(e.file).toBe(bad);
    expect(readFileSync(good, 'utf8')).toBe(before);
  });
});

describe('commitPlan', () => {
  const plan = (configsFirst: boolean): ChangePlan => ({
    files: [
      { file: join(root, 'f1'), before: 'o1', after: 'n1', keys: [] },
      { file: join(root, 'f2'), before: 'o2', after: null, note: 'unchanged', keys: [] },
    ],
    configs: [{ file: join(root, 'cfg'), before: 'oc', after: 'nc', rules: [1] }],
    configsFirst,
    notes: [],
  });

  it('writes configs first or last as the plan says, and skips unchanged files', () => {
    for (const first of [true, false]) {
      for (const [n, t] of [['f1', 'o1'], ['f2', 'o2'], ['cfg', 'oc']] as const) writeFileSync(join(root, n), t);
      const order: string[] = [];
      commitPlan(plan(first), { onWritten: (p) => order.push(p.slice(root.length + 1)) });
      expect(order).toEqual(first ? ['cfg', 'f1'] : ['f1', 'cfg']);
      expect(readFileSync(join(root, 'f2'), 'utf8')).toBe('o2');
      expect(changedFiles(plan(first)).map((f) => f.after)).toEqual(['n1']);
    }
  });
});

describe('encryptedKeyPaths', () => {
  it('lists each encrypted value path once, not comments or plain values', () => {
    const branches = [
      map([
        comment('ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]'),
        pair('a', str('ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]')),
        pair('b_unencrypted', str('plain')),
        pair('l', list([str('ENC[AES256_GCM,data:1,iv:y,tag:z,type:str]'), str('ENC[AES256_GCM,data:2,iv:y,tag:z,type:str]')])),
      ]),
    ];
    expect(encryptedKeyPaths(branches)).toEqual(['a', 'l']);
  });

  it('property: rotation never changes a value, for any dotenv content', async () => {
    const f = join(root, 'prop.env.enc');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/), fc.stringMatching(/^[a-zA-Z0-9 _.:/-]{0,20}$/), { minKeys: 1, maxKeys: 6 }), async (vars) => {
        const text = Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
        writeFileSync(f, await encryptText(text, f, { recipients: [A.recipient] }));
        const old = await decryptFile(f, only(A));
        commitPlan(await planRotate([f], only(A)));
        expect((await decryptFile(f, only(A))).branches).toEqual(old.branches);
      }),
      { numRuns: RUNS },
    );
  });
});
