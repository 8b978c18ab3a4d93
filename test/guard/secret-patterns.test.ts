import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BINARY_SNIFF_BYTES, isBinary, scanSecrets } from '../../src/guard/secret-patterns.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
// Built at run time so that this file itself holds no key-shaped text.
const AGE_KEY = `AGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`;
const PQ_KEY = `AGE-SECRET-KEY-PQ-1${'Z8QMHKQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`;
const begin = (kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----`;

describe('scanSecrets', () => {
  it('finds an age secret key and reports its line', () => {
    const hits = scanSecrets(Buffer.from(`# created: now\n# public key: age1xyz\n${AGE_KEY}\n`));
    expect(hits).toEqual([{ line: 3, rule: 'age-secret-key', what: 'an age secret key' }]);
  });

  it('tells post-quantum age keys apart', () => {
    expect(scanSecrets(Buffer.from(`x\n${PQ_KEY}`))).toEqual([{ line: 2, rule: 'age-secret-key', what: 'an age post-quantum secret key' }]);
  });

  it('finds every kind of private key block', () => {
    const kinds = ['', 'RSA ', 'EC ', 'OPENSSH ', 'DSA ', 'ENCRYPTED '];
    const text = kinds.map((k) => `${begin(k)}\nMIIB...\n`).join('');
    const hits = scanSecrets(Buffer.from(text));
    expect(hits.map((h) => h.line)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(hits.every((h) => h.rule === 'private-key')).toBe(true);
    expect(hits[2]!.what).toBe('a private key block (EC)');
    expect(hits[0]!.what).toBe('a private key block');
  });

  it('finds a PGP private key block', () => {
    expect(scanSecrets(Buffer.from(`${begin('PGP ').slice(0, -5)} BLOCK-----\n`))).toHaveLength(1);
  });

  it('ignores public keys, short look-alikes and lowercase text', () => {
    const text = [
      '-----BEGIN PUBLIC KEY-----',
      '-----BEGIN CERTIFICATE-----',
      'AGE-SECRET-KEY-1TOOSHORT',
      AGE_KEY.toLowerCase(),
      'the regex is AGE-SECRET-KEY-1[0-9A-Z]{58}',
      'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    ].join('\n');
    expect(scanSecrets(Buffer.from(text))).toEqual([]);
  });

  it('reports one hit per line and kind, and both kinds on the same line', () => {
    const hits = scanSecrets(Buffer.from(`${AGE_KEY} ${AGE_KEY} ${begin('RSA ')}\n`));
    expect(hits.map((h) => h.rule).sort()).toEqual(['age-secret-key', 'private-key']);
  });

  it('counts CRLF lines and finds keys far into a large buffer', () => {
    const filler = 'x'.repeat(100) + '\r\n';
    const text = filler.repeat(20_000) + AGE_KEY + '\r\n';
    expect(scanSecrets(Buffer.from(text))).toEqual([{ line: 20_001, rule: 'age-secret-key', what: 'an age secret key' }]);
  });

  it('never returns the matched text', () => {
    const hits = scanSecrets(Buffer.from(`${AGE_KEY}\n${begin('')}`));
    expect(JSON.stringify(hits)).not.toContain(AGE_KEY.slice(16));
    for (const h of hits) expect(Object.keys(h).sort()).toEqual(['line', 'rule', 'what']);
  });

  it('property: a key inserted at any line of arbitrary text is found at that line', () => {
    const lineArb = fc.string({ unit: fc.constantFrom('a', 'B', ' ', '-', '1', 'é', '\t'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 30 }), fc.nat(), (lines, at) => {
        const i = lines.length === 0 ? 0 : at % (lines.length + 1);
        const all = [...lines.slice(0, i), `secret: ${AGE_KEY}`, ...lines.slice(i)];
        const hits = scanSecrets(Buffer.from(all.join('\n')));
        expect(hits).toEqual([{ line: i + 1, rule: 'age-secret-key', what: 'an age secret key' }]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('isBinary', () => {
  it('is true for a NUL byte within the sniffed prefix only', () => {
    expect(isBinary(Buffer.from('text\0more'))).toBe(true);
    expect(isBinary(Buffer.from('plain text\n'))).toBe(false);
    const late = Buffer.alloc(BINARY_SNIFF_BYTES + 10, 0x61);
    late[BINARY_SNIFF_BYTES + 5] = 0;
    expect(isBinary(late)).toBe(false);
    late[BINARY_SNIFF_BYTES - 1] = 0;
    expect(isBinary(late)).toBe(true);
  });

  it('is false for an empty buffer', () => {
    expect(isBinary(Buffer.alloc(0))).toBe(false);
  });
});
