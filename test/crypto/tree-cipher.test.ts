import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptValue } from '../../src/crypto/cipher.js';
import { IvStash } from '../../src/crypto/iv-stash.js';
import { DEFAULT_SELECTOR } from '../../src/crypto/selector.js';
import { decryptTree, describePath, encryptTree } from '../../src/crypto/tree-cipher.js';
import { bool, comment, float, int, list, map, nul, pair, str, type Branch, type MapNode } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';

const kat = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'known-answer-tests.json'), 'utf8'));
const KEY = new Uint8Array(Buffer.from(kat.dataKeyHex, 'hex'));
const IV = new Uint8Array(Buffer.from(kat.ivHex, 'hex'));
const LM = '2024-01-01T00:00:00Z';
const opts = { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, lastmodified: LM };
const meta = (mac: string) => ({ selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, mac, lastmodified: LM });
const enc = (plain: readonly Branch[], key = KEY) => encryptTree(plain, key, opts);
const katTree = () => map([pair('foo', str('bar')), pair('a', map([pair('b', int(42n))])), pair('flags', bool(true)), pair('pi', float(3.14))]);
const value = (b: MapNode, i: number): string => (b.items[i] as { value: { value: string } }).value.value;

describe('encryptTree (sops known answers)', () => {
  it('reproduces the sops ciphertexts and the encrypted MAC when the stash supplies the IVs', () => {
    const stash = new IvStash();
    for (const v of kat.values) stash.remember(v.plaintext, v.aad, IV);
    stash.remember(kat.macOverBar42True3_14, LM, IV);
    const { branches, mac } = encryptTree([katTree()], KEY, { ...opts, stash });
    const byAad = Object.fromEntries(kat.values.map((v: { aad: string; enc: string }) => [v.aad, v.enc]));
    expect(branches).toEqual([
      map([pair('foo', str(byAad['foo:'])), pair('a', map([pair('b', str(byAad['a:b:']))])), pair('flags', str(byAad['flags:'])), pair('pi', str(byAad['pi:']))]),
    ]);
    expect(mac).toBe(kat.macEncWithAAD_2024_01_01);
  });

  it('encrypts a top-level comment under the AAD ":" (known answer)', () => {
    const stash = new IvStash();
    stash.remember(' a comment', ':', IV);
    const { branches } = encryptTree([map([comment(' a comment'), pair('foo', str('bar'))])], KEY, { ...opts, stash });
    expect(branches[0]!.items[0]).toEqual(comment(kat.values.find((v: { type: string }) => v.type === 'comment').enc));
  });

  it('uses fresh IVs without a stash, and leaves nulls, empty strings and _unencrypted values alone', () => {
    const plain = [map([pair('s', str('x')), pair('n', nul), pair('e', str('')), pair('k_unencrypted', str('visible'))])];
    const a = enc(plain);
    const b = enc(plain);
    expect(value(a.branches[0]!, 0)).toMatch(/^ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:str\]$/);
    expect(value(a.branches[0]!, 0)).not.toBe(value(b.branches[0]!, 0));
    expect(a.mac).not.toBe(b.mac);
    expect(a.branches[0]!.items.slice(1)).toEqual(plain[0]!.items.slice(1));
  });
});

describe('decryptTree', () => {
  it('round-trips encryptTree for every scalar type, lists, comments and inline comments', () => {
    const plain = [
      map([
        comment(' top'),
        pair('s', str('héllo "wörld"\nline two')),
        pair('n', map([pair('i', int(-9007199254740993n)), pair('f', float(0.5)), pair('b', bool(false)), comment(' in n', true)])),
        pair('l', list([str('a'), comment(' between'), map([pair('deep', str('d'))])])),
        pair('z', nul),
        pair('e', str('')),
        pair('plain_unencrypted', str('clear')),
      ]),
      map([pair('second', str('doc'))]),
    ];
    const { branches, mac } = enc(plain);
    const stash = new IvStash();
    expect(decryptTree(branches, meta(mac), KEY, { stash })).toEqual(plain);
    // Every encrypted value (7), comment (3) and the MAC left its IV behind, so re-encryption is byte-identical.
    expect(stash.size).toBe(7 + 3 + 1);
    expect(encryptTree(plain, KEY, { ...opts, stash })).toEqual({ branches, mac });
  });

  it('decrypts a file sops wrote (humphd-sops-age, known data key)', () => {
    const v = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'humphd-secret.enc.env.vectors.json'), 'utf8'));
    const lines = Object.fromEntries(
      readFileSync(join(FIXTURES, 'humphd-sops-age', 'secret.enc.env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const tree = map([pair('secret', str(lines.secret!)), pair('another_secret', str(lines.another_secret!))]);
    const out = decryptTree([tree], { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, mac: lines.sops_mac!, lastmodified: lines.sops_lastmodified! }, new Uint8Array(Buffer.from(v.dataKeyHex, 'hex')));
    expect(out).toEqual([map([pair('secret', str('this is a secret')), pair('another_secret', str('7'))])]);
  });

  it('refuses a plaintext string where ciphertext belongs (DECRYPT_FAILED, exit 3), naming the path and never the value', () => {
    const { branches, mac } = enc([map([pair('db', map([pair('password', str('hunter2'))]))])]);
    const tampered = [map([pair('db', map([pair('password', str('CANARY-plain'))]))])];
    const e = caught(() => decryptTree(tampered, meta(mac), KEY));
    expect(e.code).toBe('DECRYPT_FAILED');
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe('value at "db.password" should be encrypted but is plaintext');
    expect(e.message + e.hints.join('')).not.toContain('CANARY');
    expect(branches).toHaveLength(1);
  });

  it('refuses a plain non-string where ciphertext belongs', () => {
    const { mac } = enc([map([pair('port', int(1n))])]);
    const e = caught(() => decryptTree([map([pair('port', int(5432n))])], meta(mac), KEY));
    expect([e.code, e.exitCode, e.message]).toEqual(['DECRYPT_FAILED', 3, 'value at "port" should be encrypted but is a plain int']);
  });

  it('refuses a value moved to another key path (GCM AAD) and a wrong key', () => {
    const { branches, mac } = enc([map([pair('a', str('1')), pair('b', str('2'))])]);
    const swapped = [map([pair('a', branches[0]!.items[1]!.kind === 'pair' ? branches[0]!.items[1]!.value : nul), pair('b', str(value(branches[0]!, 0)))])];
    const moved = caught(() => decryptTree(swapped, meta(mac), KEY));
    expect([moved.code, moved.exitCode, moved.message]).toEqual(['DECRYPT_FAILED', 3, 'could not authenticate the value at "a"']);
    const wrong = caught(() => decryptTree(branches, meta(mac), new Uint8Array(32).fill(7)));
    expect([wrong.code, wrong.exitCode]).toEqual(['DECRYPT_FAILED', 3]);
  });

  it('checks the MAC: a removed value, a missing or unencrypted MAC and a changed lastmodified are MAC_MISMATCH (exit 3)', () => {
    const { branches, mac } = enc([map([pair('a', str('1')), pair('b', str('2'))])]);
    const removed = [map([branches[0]!.items[0]!])];
    const e1 = caught(() => decryptTree(removed, meta(mac), KEY));
    expect([e1.code, e1.exitCode]).toEqual(['MAC_MISMATCH', 3]);
    expect(e1.message).toMatch(/^MAC mismatch/);
    expect(caught(() => decryptTree(branches, meta(''), KEY)).message).toBe('the file has no MAC');
    expect(caught(() => decryptTree(branches, meta('0123ABCD'), KEY)).message).toBe('the MAC is not encrypted');
    const lm = caught(() => decryptTree(branches, { ...meta(mac), lastmodified: '2024-01-02T00:00:00Z' }, KEY));
    expect([lm.code, lm.message]).toEqual(['MAC_MISMATCH', 'the MAC does not authenticate (lastmodified or the MAC was changed)']);
  });

  it('ignoreMac reads a tree whose MAC does not match (recovery)', () => {
    const { branches, mac } = enc([map([pair('a', str('1')), pair('b', str('2'))])]);
    expect(decryptTree([map([branches[0]!.items[0]!])], meta(mac), KEY, { ignoreMac: true })).toEqual([map([pair('a', str('1'))])]);
  });

  it('decrypts a comment encrypted for an ancestor path (YAML libraries attach comments differently)', () => {
    const forA = encryptValue(KEY, ' about a', 'a:', 'comment');
    const forRoot = encryptValue(KEY, ' about root', ':', 'comment', IV);
    const plain = [map([pair('a', map([pair('b', map([pair('c', str('x'))]))]))])];
    const { branches, mac } = enc(plain);
    const b = branches[0]!.items[0]! as { value: MapNode };
    const inner = b.value.items[0] as { key: string; value: MapNode };
    const withComments = [map([pair('a', map([pair('b', map([comment(forA), comment(forRoot, true), ...inner.value.items]))]))])];
    const stash = new IvStash();
    const warnings: string[] = [];
    const out = decryptTree(withComments, meta(mac), KEY, { stash, onWarning: (m) => warnings.push(m) });
    expect(out).toEqual([map([pair('a', map([pair('b', map([comment(' about a'), comment(' about root', true), pair('c', str('x'))]))]))])]);
    expect(warnings).toEqual([]);
    // The IV is remembered under the AAD that opened it, so re-encryption gives the same bytes.
    expect(Buffer.from(stash.lookup(' about root', ':')!)).toEqual(Buffer.from(IV));
  });

  it('keeps a comment no ancestor opens as it is, with a warning', () => {
    const foreign = encryptValue(KEY, ' elsewhere', 'other:', 'comment');
    const { branches, mac } = enc([map([pair('a', str('1'))])]);
    const warnings: string[] = [];
    const out = decryptTree([map([comment(foreign), ...branches[0]!.items])], meta(mac), KEY, { onWarning: (m) => warnings.push(m) });
    expect(out).toEqual([map([comment(foreign), pair('a', str('1'))])]);
    expect(warnings).toEqual(['a comment in the top level could not be decrypted and is kept as it is']);
  });
});

describe('describePath', () => {
  it('names a path dotted and quoted, or the top level', () => {
    expect(describePath(['db', 'password'])).toBe('"db.password"');
    expect(describePath([])).toBe('the top level');
  });
});
