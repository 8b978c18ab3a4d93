import fc from 'fast-check';
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { BINARY_SNIFF_BYTES, isBinary, scanSecrets } from '../../src/check/secret-patterns.js';
import { beginPrivateKey as begin, KEY_DATA_LINE, privateKeyBlock, throwawayAgeKey } from '../helpers/key-text.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
// Built at run time so that this file itself holds no key-shaped text.
const AGE_KEY = throwawayAgeKey(1);
const PQ_KEY = throwawayAgeKey(2, { pq: true });
/** The uppercase bech32 alphabet. */
const CHARSET = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L';
const scan = (text: string) => scanSecrets(Buffer.from(text));

describe('scanSecrets: age identities', () => {
  it('finds an age secret key and reports its line', () => {
    const hits = scan(`# created: now\n# public key: age1xyz\n${AGE_KEY}\n`);
    expect(hits).toEqual([{ line: 3, rule: 'age-secret-key', what: 'an age secret key' }]);
  });

  it('tells post-quantum age keys apart', () => {
    expect(scan(`x\n${PQ_KEY}`)).toEqual([{ line: 2, rule: 'age-secret-key', what: 'an age post-quantum secret key' }]);
  });

  it('finds a key that age-encryption generates, checksum and all', () => {
    const bytes = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
    expect(scan(bech32.encodeFromBytes('AGE-SECRET-KEY-', bytes).toUpperCase())).toHaveLength(1);
  });

  it('ignores key-shaped text whose bech32 checksum is wrong: placeholders, redactions, typos', () => {
    const text = [
      `AGE-SECRET-KEY-1${'Q'.repeat(58)}`,
      `AGE-SECRET-KEY-PQ-1${'Q'.repeat(58)}`,
      `AGE-SECRET-KEY-1${CHARSET.repeat(2).slice(0, 58)}`,
      // The right key with its last two characters swapped.
      AGE_KEY.slice(0, -2) + AGE_KEY.slice(-1) + AGE_KEY.slice(-2, -1),
    ].join('\n');
    expect(AGE_KEY.slice(-1)).not.toBe(AGE_KEY.slice(-2, -1));
    expect(scan(text)).toEqual([]);
  });

  it('ignores public keys, short look-alikes and lowercase text', () => {
    const text = [
      '-----BEGIN PUBLIC KEY-----',
      KEY_DATA_LINE,
      '-----BEGIN CERTIFICATE-----',
      KEY_DATA_LINE,
      'AGE-SECRET-KEY-1TOOSHORT',
      AGE_KEY.toLowerCase(),
      'the regex is AGE-SECRET-KEY-1[0-9A-Z]{58}',
      'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    ].join('\n');
    expect(scan(text)).toEqual([]);
  });

  it('property: any 32-byte secret, X25519 or post-quantum, is found', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (bytes, pq) => {
        const key = bech32.encodeFromBytes(pq ? 'AGE-SECRET-KEY-PQ-' : 'AGE-SECRET-KEY-', bytes).toUpperCase();
        expect(scan(`key: ${key}\n`)).toHaveLength(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('property: one changed character of a key is never flagged (bech32 detects it)', () => {
    const start = AGE_KEY.indexOf('1') + 1;
    fc.assert(
      fc.property(fc.integer({ min: start, max: AGE_KEY.length - 1 }), fc.constantFrom(...CHARSET), (at, c) => {
        fc.pre(AGE_KEY[at] !== c);
        expect(scan(AGE_KEY.slice(0, at) + c + AGE_KEY.slice(at + 1))).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('scanSecrets: private key blocks', () => {
  it('finds every kind of private key block', () => {
    const kinds = ['', 'RSA ', 'EC ', 'OPENSSH ', 'DSA ', 'ENCRYPTED '];
    const hits = scan(kinds.map((k) => privateKeyBlock(k)).join(''));
    expect(hits.map((h) => h.line)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(hits.every((h) => h.rule === 'private-key')).toBe(true);
    expect(hits[2]!.what).toBe('a private key block (EC)');
    expect(hits[0]!.what).toBe('a private key block');
  });

  it('finds a PGP private key block after its armor headers and blank line', () => {
    const pgp = `${begin('PGP ').slice(0, -5)} BLOCK-----`;
    expect(scan(`${pgp}\n\n${KEY_DATA_LINE}\n`)).toHaveLength(1);
    expect(scan(`x\n${pgp}\nVersion: GnuPG v2\nComment: test\n\n${KEY_DATA_LINE}\n`)).toEqual([{ line: 2, rule: 'private-key', what: 'a private key block (PGP)' }]);
  });

  it('finds an encrypted PEM key with Proc-Type and DEK-Info headers', () => {
    expect(scan(`${begin('RSA ')}\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\n${KEY_DATA_LINE}\n`)).toHaveLength(1);
  });

  it('finds a block with CRLF lines, a short last data line, and padding', () => {
    expect(scan(`a\r\n${privateKeyBlock('RSA ', '\r\n')}`)).toEqual([{ line: 2, rule: 'private-key', what: 'a private key block (RSA)' }]);
    expect(scan(`${begin()}\n${KEY_DATA_LINE.slice(0, 18)}==`)).toHaveLength(1);
  });

  it('finds a key inside a JSON string, with escaped line breaks (a service-account key file)', () => {
    const json = JSON.stringify({ type: 'service_account', private_key: privateKeyBlock() }, null, 2);
    expect(json).toContain('\\n');
    expect(scan(json)).toEqual([{ line: 3, rule: 'private-key', what: 'a private key block' }]);
  });

  it('ignores a BEGIN line without base64 key data on the next line', () => {
    const text = [
      // In prose or a comment, or a string with a template after it.
      ` * (\`${begin('OPENSSH ')}\`) or PEM PKCS#1/PKCS#8.`,
      `const pem = \`${begin('OPENSSH ')}\\n\${lines.join('\\n')}\`;`,
      `'${begin('OPENSSH ')}\\n@@@@\\n'`,
      // A header alone, a truncated sample, too little data, a placeholder.
      begin(),
      '',
      begin('RSA '),
      'MIIEvQIBADANBg...',
      begin('EC '),
      'AAAA',
      begin('OPENSSH '),
      '<your key here>',
      begin(),
      `${KEY_DATA_LINE} and more words`,
    ].join('\n');
    expect(scan(text)).toEqual([]);
  });

  it('reports one hit per line and kind, and both kinds on the same line', () => {
    const hits = scan(`${AGE_KEY} ${AGE_KEY} ${begin('RSA ')}\n${KEY_DATA_LINE}\n`);
    expect(hits.map((h) => h.rule).sort()).toEqual(['age-secret-key', 'private-key']);
    expect(hits.map((h) => h.line)).toEqual([1, 1]);
  });
});

describe('scanSecrets', () => {
  it('counts CRLF lines and finds keys far into a large buffer', () => {
    const filler = 'x'.repeat(100) + '\r\n';
    const text = filler.repeat(20_000) + AGE_KEY + '\r\n';
    expect(scan(text)).toEqual([{ line: 20_001, rule: 'age-secret-key', what: 'an age secret key' }]);
  });

  it('never returns the matched text', () => {
    const hits = scan(`${AGE_KEY}\n${privateKeyBlock()}`);
    expect(hits).toHaveLength(2);
    expect(JSON.stringify(hits)).not.toContain(AGE_KEY.slice(16));
    expect(JSON.stringify(hits)).not.toContain(KEY_DATA_LINE.slice(0, 16));
    for (const h of hits) expect(Object.keys(h).sort()).toEqual(['line', 'rule', 'what']);
  });

  it('property: a key inserted at any line of arbitrary text is found at that line', () => {
    const lineArb = fc.string({ unit: fc.constantFrom('a', 'B', ' ', '-', '1', 'é', '\t'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 30 }), fc.nat(), (lines, at) => {
        const i = lines.length === 0 ? 0 : at % (lines.length + 1);
        const all = [...lines.slice(0, i), `secret: ${AGE_KEY}`, ...lines.slice(i)];
        const hits = scan(all.join('\n'));
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
