import { describe, it, expect } from 'vitest';
import { EnvcryptError } from '../../../src/errors.js';
import { bcryptPbkdf, decryptOpenSshSection, openSshCipher, piFractionWords } from '../../../src/keys/ssh/bcrypt.js';
import { wireEncode } from '../../../src/keys/ssh/wire.js';

const fail = (why: string): EnvcryptError => new EnvcryptError('BAD_KEY', `test: ${why}`);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('bcrypt_pbkdf', () => {
  it('computes Blowfish\'s initial state from π: P[0], P[17], S0[0] and S3[255] as published', () => {
    const w = piFractionWords(18 + 1024);
    const h = (i: number): string => w[i]!.toString(16).padStart(8, '0');
    expect([h(0), h(1), h(2), h(3)]).toEqual(['243f6a88', '85a308d3', '13198a2e', '03707344']);
    expect(h(17)).toBe('8979fb1b');
    expect(h(18)).toBe('d1310ba6');
    expect(h(18 + 1023)).toBe('3ac372e6');
  });

  // OpenBSD regress/lib/libutil/bcrypt_pbkdf vectors.
  it.each([
    ['password', 'salt', 4, '5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9'],
    ['password', '\0', 4, 'c12b566235eee04c212598970a579a67'],
    ['\0', 'salt', 4, '6051be18c2f4f82cbf0efee5471b4bb9'],
  ])('bcrypt_pbkdf(%j, %j, %i) matches OpenBSD', (pass, salt, rounds, expected) => {
    expect(hex(bcryptPbkdf(enc(pass), enc(salt), rounds, expected.length / 2))).toBe(expected);
  });

  it('spreads blocks across the output: a longer key starts differently but shares every stride-th byte', () => {
    const k32 = bcryptPbkdf(enc('password'), enc('salt'), 2, 32);
    const k48 = bcryptPbkdf(enc('password'), enc('salt'), 2, 48);
    // With 48 bytes the stride is 2: block 1 fills the even bytes, block 2 the odd ones.
    expect(hex(k48.filter((_, i) => i % 2 === 0))).toBe(hex(k32.subarray(0, 24)));
    expect(hex(k48.subarray(0, 32))).not.toBe(hex(k32));
  });
});

describe('OpenSSH private section decryption', () => {
  it('names only the ciphers it supports', () => {
    expect(openSshCipher('aes256-ctr', 'bcrypt', fail).node).toBe('aes-256-ctr');
    expect(() => openSshCipher('chacha20-poly1305@openssh.com', 'bcrypt', fail)).toThrow(
      /unsupported cipher "chacha20-poly1305@openssh.com"/,
    );
    expect(() => openSshCipher('aes256-ctr', 'scrypt', fail)).toThrow(/unsupported key derivation/);
    expect(() => openSshCipher('toString', 'bcrypt', fail)).toThrow(/unsupported cipher/);
  });

  it('refuses absurd round counts and misaligned sections before doing any work', () => {
    const spec = openSshCipher('aes256-ctr', 'bcrypt', fail);
    const section = new Uint8Array(32);
    const opts = (rounds: number): Uint8Array => Buffer.concat([wireEncode(enc('saltsaltsaltsalt')), Buffer.from([rounds >>> 24, (rounds >>> 16) & 255, (rounds >>> 8) & 255, rounds & 255])]);
    expect(() => decryptOpenSshSection(spec, opts(0), section, 'p', fail)).toThrow(/out of range/);
    expect(() => decryptOpenSshSection(spec, opts(0xffffffff), section, 'p', fail)).toThrow(/out of range/);
    expect(() => decryptOpenSshSection(spec, opts(1), section.subarray(1), 'p', fail)).toThrow(/bad length/);
    expect(decryptOpenSshSection(spec, opts(1), section, 'p', fail)).toHaveLength(32);
  });
});
