import { describe, expect, it } from 'vitest';
import { createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { coveredOf, integrityInput, integrityRecord, verifyIntegrity, type CoveredMetadata } from '../../src/crypto/integrity.js';
import { EnvcryptError } from '../../src/errors.js';
import { comment, int, list, map, pair, str, type Branch } from '../../src/tree/types.js';
import type { Metadata } from '../../src/stores/metadata.js';

const KEY = new Uint8Array(32).map((_, i) => i);
const R1 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const R2 = 'age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg';

const MD: CoveredMetadata = {
  selector: { kind: 'unencrypted_suffix', value: '_unencrypted' },
  macOnlyEncrypted: false,
  lastmodified: '2026-12-03T10:00:00Z',
  mac: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
  version: '3.13.2',
  recipients: [R2, R1],
  unverified: [],
  groups: 1,
  shamirThreshold: 0,
  other: [],
};

const tree = (a: string, b: string): Branch[] => [map([pair('A_unencrypted', str(a)), pair('B_unencrypted', str(b))])];

describe('integrity record', () => {
  it('is HMAC-SHA256 under a key derived by HKDF-SHA256 (info "envcrypt integrity record v1"), never the data key itself', () => {
    const input = integrityInput(tree('1', '2'), MD);
    const k = Buffer.from(hkdfSync('sha256', KEY, new Uint8Array(0), 'envcrypt integrity record v1', 32));
    const want = createHmac('sha256', k).update(input).digest('base64');
    expect(integrityRecord(tree('1', '2'), MD, KEY)).toBe(`v1:${want}`);
    expect(integrityRecord(tree('1', '2'), MD, KEY)).not.toBe(`v1:${createHmac('sha256', KEY).update(input).digest('base64')}`);
  });

  it('known answer: the encoding is fixed (a change here breaks every record already written)', () => {
    const input = integrityInput([map([pair('A', str('ENC[x]')), comment(' c')])], MD).toString('utf16le');
    expect(input).toBe(
      'envcrypt-integrity-v1\nd1;m2;k1:As6:ENC[x]c2: c' +
        's18:unencrypted_suffixs12:_unencryptedo0t20:2026-12-03T10:00:00ZM42:ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]V6:3.13.2' +
        `g1;0;r2;r62:${R2}r62:${R1}u0;x0;`,
    );
  });

  it('a big tree is hashed in chunks with the same bytes as the whole encoding at once (lone surrogates included)', () => {
    // About 300,000 code units: several of the encoder's 64 Ki-unit chunks.
    const values = Array.from({ length: 3000 }, (_, i) => `é😀\ud800${'x'.repeat(90)}${i}`);
    const big: Branch[] = [map(values.map((v, i) => pair(`K${i}`, str(v))))];
    const tail = integrityInput([map([])], MD).toString('utf16le').slice('envcrypt-integrity-v1\nd1;m0;'.length);
    const whole = `envcrypt-integrity-v1\nd1;m3000;${values.map((v, i) => `k${`K${i}`.length}:K${i}s${v.length}:${v}`).join('')}${tail}`;
    const bytes = Buffer.from(whole, 'utf16le');
    expect(integrityInput(big, MD).equals(bytes)).toBe(true);
    const k = Buffer.from(hkdfSync('sha256', KEY, new Uint8Array(0), 'envcrypt integrity record v1', 32));
    expect(integrityRecord(big, MD, KEY)).toBe(`v1:${createHmac('sha256', k).update(bytes).digest('base64')}`);
  });

  it('moving the boundary between two values changes the record (the SOPS MAC cannot see this)', () => {
    expect(integrityRecord(tree('', 'trueprod'), MD, KEY)).not.toBe(integrityRecord(tree('true', 'prod'), MD, KEY));
  });

  it('sorts recipients, so their order in the file does not matter, but their set does', () => {
    const a = integrityRecord(tree('1', '2'), MD, KEY);
    expect(integrityRecord(tree('1', '2'), { ...MD, recipients: [R1, R2] }, KEY)).toBe(a);
    expect(integrityRecord(tree('1', '2'), { ...MD, recipients: [R1] }, KEY)).not.toBe(a);
    expect(integrityRecord(tree('1', '2'), { ...MD, unverified: [R2] }, KEY)).not.toBe(a);
  });

  it('covers every metadata field it names', () => {
    const base = integrityRecord(tree('1', '2'), MD, KEY);
    const variants: Partial<CoveredMetadata>[] = [
      { selector: { kind: 'encrypted_regex', value: '_unencrypted' } },
      { selector: { kind: 'unencrypted_suffix', value: '_plain' } },
      { macOnlyEncrypted: true },
      { lastmodified: '2026-12-03T10:00:01Z' },
      { mac: 'ENC[AES256_GCM,data:y,iv:y,tag:z,type:str]' },
      { version: '3.13.1' },
      { groups: 2 },
      { shamirThreshold: 1 },
      { other: [pair('pgp', list([map([pair('fp', str('F'))])]))] },
    ];
    for (const v of variants) expect(integrityRecord(tree('1', '2'), { ...MD, ...v }, KEY)).not.toBe(base);
  });

  it('covers structure: a value wrapped in a list, a nested key, a key renamed, an empty value, a type, a comment', () => {
    const r = (b: Branch[]) => integrityRecord(b, MD, KEY);
    const base = r([map([pair('JWT', str('x'))])]);
    expect(r([map([pair('JWT', list([str('x')]))])])).not.toBe(base);
    expect(r([map([pair('db', map([pair('JWT', str('x'))]))])])).not.toBe(base);
    expect(r([map([pair('db:JWT', str('x'))])])).not.toBe(base);
    expect(r([map([pair('JWT', str('x')), pair('PATH', str(''))])])).not.toBe(base);
    expect(r([map([pair('JWT', int(1n))])])).not.toBe(r([map([pair('JWT', str('1'))])]));
    expect(r([map([pair('JWT', str('x')), comment(' c')])])).not.toBe(base);
    expect(r([map([pair('JWT', str('x')), comment(' c', true)])])).not.toBe(r([map([pair('JWT', str('x')), comment(' c')])]));
    expect(r([map([pair('JWT', str('x'))]), map([])])).not.toBe(base);
  });

  it('property: two different flat files never share an HMAC input', () => {
    const entry = fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 4 }), fc.array(entry, { maxLength: 4 }), (a, b) => {
        const ta = [map(a.map(([k, v]) => pair(k, str(v))))];
        const tb = [map(b.map(([k, v]) => pair(k, str(v))))];
        const same = JSON.stringify(a) === JSON.stringify(b);
        expect(integrityInput(ta, MD).equals(integrityInput(tb, MD))).toBe(same);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  });

  it('verifies its own record; any change, a malformed record, or a newer version is exit 3', () => {
    const b = tree('1', '2');
    const rec = integrityRecord(b, MD, KEY);
    expect(() => verifyIntegrity(rec, b, MD, KEY)).not.toThrow();
    for (const [bad, msg] of [
      [rec.replace(/^v1:./, (m) => (m.endsWith('A') ? 'v1:B' : 'v1:A')), 'does not match'],
      ['v1:short', 'malformed'],
      // The same 32 bytes spelled with a spare bit set: refused, not accepted as the record.
      [rec.replace(/.=$/, (m) => `${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(m[0]!) ^ 1]}=`), 'malformed'],
      ['v2:abc', 'newer kind'],
    ] as const) {
      let e: unknown;
      try {
        verifyIntegrity(bad, b, MD, KEY);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(EnvcryptError);
      expect((e as EnvcryptError).exitCode).toBe(3);
      expect((e as EnvcryptError).message).toContain(msg);
    }
    expect(() => verifyIntegrity(rec, tree('1', '3'), MD, KEY)).toThrow(/does not match/);
    expect(() => verifyIntegrity(rec, b, MD, new Uint8Array(32))).toThrow(/does not match/);
  });

  it('coveredOf takes every age recipient across groups, and non-age keys and unknown fields as "other"', () => {
    const md: Metadata = {
      groups: [
        { age: [{ recipient: R1, enc: 'e1' }], other: [pair('pgp', str('p'))] },
        { age: [{ recipient: R2, enc: 'e2' }], other: [] },
      ],
      shamirThreshold: 2,
      lastmodified: MD.lastmodified,
      mac: MD.mac,
      selector: { kind: 'unencrypted_suffix', value: '_unencrypted' },
      macOnlyEncrypted: false,
      version: '3.13.2',
      unverified: [R2],
      extra: [pair('future_field', str('f'))],
    };
    const c = coveredOf(md);
    expect(c.recipients).toEqual([R1, R2]);
    expect(c.groups).toBe(2);
    expect(c.shamirThreshold).toBe(2);
    expect(c.unverified).toEqual([R2]);
    expect(c.other.map((p) => p.key)).toEqual(['pgp', 'future_field']);
  });
});
