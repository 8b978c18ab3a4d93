/**
 * sops's own value-cipher tests, ported: getsops/sops 3.13.2 `aes/cipher_test.go`
 * (commit 15e36f97a8641769712da76b64aec4ea566be81e, MPL-2.0). Each `it` names the
 * Go test it ports. The Go tests call `aes.Cipher.Encrypt/Decrypt` on typed
 * values; envcrypt splits that into `canonicalText`/`typeOf` (value → text),
 * `encryptValue`/`decryptParts` (the AES-256-GCM ENC string) and
 * `leafFromPlaintext` (text → value), so each port goes through all three.
 *
 * Not ported: nothing; all 10 tests of the file apply (Go's `testing/quick`
 * generators become fast-check's).
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptParts, encryptValue, parseEnc } from '../../src/crypto/cipher.js';
import { DEFAULT_SELECTOR } from '../../src/crypto/selector.js';
import { decryptTree, encryptTree } from '../../src/crypto/tree-cipher.js';
import { canonicalText, leafFromPlaintext, typeOf } from '../../src/crypto/values.js';
import { bool, comment, float, int, map, pair, str, type Leaf, type Node } from '../../src/tree/types.js';
import { RUNS } from '../helpers/paths.js';

const KEY = new Uint8Array(Buffer.from('f'.repeat(32)));
const MESSAGE = 'ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]';
const LM = '2024-01-01T00:00:00Z';
const opts = { selector: DEFAULT_SELECTOR, macOnlyEncrypted: false, lastmodified: LM };

/** sops's `Cipher.Encrypt` then `Cipher.Decrypt` of one typed value. */
function roundtrip(leaf: Exclude<Leaf, { kind: 'null' }>, aad: string, key = KEY): Node {
  // sops's Cipher returns "" for an empty value both ways; in envcrypt the tree
  // cipher does that (see TestEncryptEmptyComment and TestDecryptEmptyValue below).
  if (canonicalText(leaf) === '') return leaf;
  const enc = encryptValue(key, canonicalText(leaf), aad, typeOf(leaf));
  const text = decryptParts(key, parseEnc(enc, 'x')!, aad, 'x');
  return leafFromPlaintext(typeOf(leaf), text, 'x') as Node;
}

describe('getsops/sops aes/cipher_test.go', () => {
  it('TestDecrypt: the sops known answer decrypts to "foo" under AAD "bar:"', () => {
    expect(decryptParts(KEY, parseEnc(MESSAGE, 'x')!, 'bar:', 'x')).toBe('foo');
  });

  it('TestDecryptInvalidAad: the same message fails under another AAD', () => {
    expect(() => decryptParts(KEY, parseEnc(MESSAGE, 'x')!, '', 'x')).toThrow();
  });

  it('TestRoundtripString: any string under any AAD and a random key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (x, aad) => {
        const key = new Uint8Array(randomBytes(32));
        expect(roundtrip(str(x), aad, key)).toEqual(str(x));
      }),
      { numRuns: RUNS },
    );
  });

  it('TestRoundtripFloat: any finite float64', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const back = roundtrip(float(x), '') as { kind: 'float'; value: number };
        // Go compares with ==, so -0 equals 0 there as here.
        expect(back.kind).toBe('float');
        expect(back.value === x).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('TestRoundtripInt: any int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (x) => {
        expect(roundtrip(int(x), '')).toEqual(int(x));
      }),
      { numRuns: RUNS },
    );
  });

  it('TestRoundtripBool: true and false', () => {
    for (const x of [true, false]) expect(roundtrip(bool(x), '')).toEqual(bool(x));
  });

  it('TestRoundtripTime: the eight times of the Go test, as the RFC 3339 text sops stores', () => {
    // time.UnixMilli(…) in UTC and in a +03:25 zone (12300 s), and 2006-01-02T15:04:05+07:00,
    // written as Go's time.RFC3339Nano writes them.
    const values = [
      '1970-01-01T00:00:00Z',
      '1970-01-01T00:02:03.456Z',
      '1970-01-01T03:27:03.456+03:25',
      '1970-01-02T10:17:36.789Z',
      '1970-01-02T13:42:36.789+03:25',
      '1970-01-15T06:56:07.89Z',
      '1970-01-15T10:21:07.89+03:25',
      '2006-01-02T15:04:05+07:00',
    ];
    for (const v of values) expect(roundtrip({ kind: 'time', value: v }, 'foo')).toEqual({ kind: 'time', value: v });
  });

  it('TestEncryptEmptyComment: an empty comment stays empty (no ENC string)', () => {
    const { branches } = encryptTree([map([comment(''), pair('a', str('b'))])], KEY, opts);
    expect(branches[0]!.items[0]).toEqual(comment(''));
  });

  it('TestDecryptEmptyValue: an empty value decrypts to the empty string', () => {
    const enc = encryptTree([map([pair('a', str(''))])], KEY, opts);
    const plain = decryptTree(enc.branches, { ...opts, mac: enc.mac }, KEY);
    expect(enc.branches[0]!.items[0]).toEqual(pair('a', str('')));
    expect(plain[0]!.items[0]).toEqual(pair('a', str('')));
  });

  it('TestTimestamps: time values encrypt to something else and decrypt back to the same times', () => {
    const unixTime = { kind: 'time', value: '1970-01-02T10:17:36.789Z' } as const;
    const parsedTime = { kind: 'time', value: '2006-01-02T15:04:05+07:00' } as const;
    const tree = [map([pair('foo', unixTime), pair('bar', map([pair('foo', parsedTime)]))])];
    const enc = encryptTree(tree, KEY, opts);
    expect(enc.branches).not.toEqual(tree);
    expect(decryptTree(enc.branches, { ...opts, mac: enc.mac }, KEY)).toEqual(tree);
  });
});
