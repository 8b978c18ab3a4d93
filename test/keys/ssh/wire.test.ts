import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EnvcryptError } from '../../../src/errors.js';
import { bigintToBytes, bytesToBigint, wireEncode, wireReader } from '../../../src/keys/ssh/wire.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const fail = (why: string): EnvcryptError => new EnvcryptError('BAD_KEY', `test: ${why}`);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ssh wire encoding', () => {
  it('encodes mpints as the examples of RFC 4251 §5', () => {
    expect(hex(wireEncode(0n))).toBe('00000000');
    expect(hex(wireEncode(0x9a378f9b2e332a7n))).toBe('0000000809a378f9b2e332a7');
    expect(hex(wireEncode(0x80n))).toBe('000000020080');
  });

  it('encodes strings with a length prefix', () => {
    expect(hex(wireEncode('ssh-rsa'))).toBe('00000007' + Buffer.from('ssh-rsa').toString('hex'));
    expect(hex(wireEncode(new Uint8Array(0)))).toBe('00000000');
  });

  it('reads back what it writes (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 4096n) - 1n }), fc.string(), fc.uint8Array(), (n, s, b) => {
        const r = wireReader(wireEncode(n, s, b), fail);
        expect(r.mpint()).toBe(n);
        expect(r.text()).toBe(s);
        expect(hex(r.string())).toBe(hex(b));
        expect(r.done()).toBe(true);
        expect(bytesToBigint(bigintToBytes(n))).toBe(n);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects negative mpints and reads past the end with the caller\'s error', () => {
    expect(() => wireReader(Buffer.from('0000000180', 'hex'), fail).mpint()).toThrow('test: it holds a negative integer');
    expect(() => wireReader(Buffer.from('000000', 'hex'), fail).u32()).toThrow('test: its data is truncated');
    expect(() => wireReader(Buffer.from('00000005abcd', 'hex'), fail).string()).toThrow('test: its data is truncated');
    const r = wireReader(Buffer.from('00000001ff01', 'hex'), fail);
    expect(hex(r.string())).toBe('ff');
    expect(r.done()).toBe(false);
    expect(hex(r.rest())).toBe('01');
    expect(r.done()).toBe(true);
  });
});
