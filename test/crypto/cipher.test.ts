import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptParts, encryptValue, parseEnc } from '../../src/crypto/cipher.js';
import { EnvcryptError } from '../../src/errors.js';
import { FIXTURES, RUNS } from '../helpers/paths.js';

const kat = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'known-answer-tests.json'), 'utf8'));
const key = Buffer.from(kat.dataKeyHex, 'hex');
const iv = Buffer.from(kat.ivHex, 'hex');

describe('ENC value cipher (known answers computed independently of envcrypt)', () => {
  for (const v of kat.values as { plaintext: string; aad: string; type: string; enc: string }[]) {
    it(`encrypts ${v.type} at ${v.aad} to the known ENC string`, () => {
      expect(encryptValue(key, v.plaintext, v.aad, v.type, iv)).toBe(v.enc);
    });
    it(`decrypts the known ${v.type} ENC string at ${v.aad}`, () => {
      const p = parseEnc(v.enc, 'x')!;
      expect(p.type).toBe(v.type);
      expect(decryptParts(key, p, v.aad, 'x')).toBe(v.plaintext);
    });
  }

  it('encrypts the MAC with lastmodified as AAD to the known answer', () => {
    expect(encryptValue(key, kat.macOverBar42True3_14, '2024-01-01T00:00:00Z', 'str', iv)).toBe(kat.macEncWithAAD_2024_01_01);
  });

  it('uses a fresh 32-byte IV per call when none is given', () => {
    const a = parseEnc(encryptValue(key, 'x', 'k:', 'str'), 'k')!;
    const b = parseEnc(encryptValue(key, 'x', 'k:', 'str'), 'k')!;
    expect(a.iv.length).toBe(32);
    expect(a.iv.equals(b.iv)).toBe(false);
  });

  it('accepts 12-byte IVs written by other tools', () => {
    const enc = encryptValue(key, 'hello', 'a:', 'str', Buffer.alloc(12, 7));
    expect(decryptParts(key, parseEnc(enc, 'a')!, 'a:', 'a')).toBe('hello');
  });

  it('refuses a value moved to another key path (AAD)', () => {
    const enc = encryptValue(key, 'secret', 'a:', 'str');
    expect(() => decryptParts(key, parseEnc(enc, 'b')!, 'b:', 'b')).toThrow(EnvcryptError);
  });

  it('round-trips any UTF-8 text at any path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.array(fc.string(), { maxLength: 4 }), (text, path) => {
        const aad = path.join(':') + ':';
        const enc = encryptValue(key, text, aad, 'str');
        expect(decryptParts(key, parseEnc(enc, 'p')!, aad, 'p')).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parseEnc on malformed input', () => {
  const good = encryptValue(key, 'value', 'k:', 'str', iv);
  const cases: [string, string][] = [
    ['truncated', good.slice(0, 40)],
    ['bad base64 in data', good.replace('data:', 'data:*')],
    ['missing tag', good.replace(/,tag:[^,]+/, '')],
    ['short tag', good.replace(/tag:[^,]+/, 'tag:AAAA')],
    ['empty iv', good.replace(/iv:[^,]+/, 'iv:')],
    ['non-canonical base64 padding bits', good.replace(/data:([^,]+)/, (_m, d: string) => `data:${d.slice(0, -2)}y=`)],
  ];
  for (const [name, text] of cases) {
    it(`rejects ${name} with DECRYPT_FAILED and no value in the message`, () => {
      try {
        parseEnc(text, 'k');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(EnvcryptError);
        expect((e as EnvcryptError).code).toBe('DECRYPT_FAILED');
        expect((e as Error).message).not.toContain(text.slice(20, 30));
      }
    });
  }
  it('returns null for strings that are not ENC values at all', () => {
    expect(parseEnc('plain text', 'k')).toBeNull();
  });
});

describe('bytes that are not UTF-8 (what sops stores for a binary file that is not text)', () => {
  it('are refused as UNSUPPORTED naming the key, never decoded with replacement characters', async () => {
    const { createCipheriv } = await import('node:crypto');
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from('data:'));
    const data = Buffer.concat([c.update(Buffer.from([0x30, 0x82, 0xff, 0xfe])), c.final()]);
    const e = (() => {
      try {
        decryptParts(key, { data, iv, tag: c.getAuthTag(), type: 'str' }, 'data:', 'data');
      } catch (err) {
        return err as EnvcryptError;
      }
      throw new Error('decrypted');
    })();
    expect([e.code, e.message]).toEqual(['UNSUPPORTED', 'the value at data is not UTF-8 text']);
  });
});
