import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chachaOpen, chachaSeal, hkdf } from '../../src/keys/age-aead.js';
import { decodeBase64NoPad } from '../../src/io/base64.js';
import { parseAgeFile } from '../../src/keys/age/header.js';
import { parseX25519Identity } from '../../src/keys/age/native.js';
import { x25519Shared } from '../../src/keys/x25519-key.js';
import { cctvVectors } from '../helpers/cctv.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const ZERO_NONCE = Buffer.alloc(12);

describe('hkdf', () => {
  it("is RFC 5869's HKDF-SHA-256 (test case 3: no salt, no info), to 32 bytes", () => {
    expect(hkdf(Buffer.alloc(22, 0x0b), new Uint8Array(0), '').toString('hex')).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d');
  });
});

// The CCTV `x25519` vector states its file key, so every step of age's
// scheme can be checked against it: the stanza's wrap key (HKDF) and body
// (ChaCha20-Poly1305 both ways), the header MAC key, and the payload key.
describe("age's primitives, checked against the CCTV x25519 vector", () => {
  const v = cctvVectors().find((x) => x.name === 'x25519')!;
  const fileKey = Buffer.from(/^file key: ([0-9a-f]+)$/m.exec(v.header)![1]!, 'hex');
  const file = parseAgeFile(v.body);
  const stanza = file.stanzas[0]!;
  const id = parseX25519Identity(v.identities[0]!);
  const share = decodeBase64NoPad(stanza.args[0]!)!;
  const wrapKey = hkdf(x25519Shared(id.secretKey, share)!, Buffer.concat([share, id.publicKey]), 'age-encryption.org/v1/X25519');

  it('the stanza body opens to the file key, and sealing the file key gives the body byte for byte', () => {
    expect(chachaOpen(wrapKey, ZERO_NONCE, stanza.body)?.equals(fileKey)).toBe(true);
    expect(chachaSeal(wrapKey, ZERO_NONCE, fileKey).equals(Buffer.from(stanza.body))).toBe(true);
  });

  it('the header MAC and the payload verify with keys derived from the file key', () => {
    const macKey = hkdf(fileKey, new Uint8Array(0), 'header');
    expect(createHmac('sha256', macKey).update(file.headerForMac).digest().equals(Buffer.from(file.mac))).toBe(true);
    const nonce = file.payload.subarray(0, 16);
    const streamKey = hkdf(fileKey, nonce, 'payload');
    // One chunk: counter 0 with the last-chunk flag.
    const plain = chachaOpen(streamKey, Buffer.from([...new Uint8Array(11), 1]), file.payload.subarray(16));
    expect(plain).not.toBeNull();
    expect(createHash('sha256').update(plain!).digest('hex')).toBe(v.payload);
  });

  it('a stanza body with any byte changed, or shorter than a tag, does not open', () => {
    fc.assert(
      fc.property(fc.nat(stanza.body.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const body = Buffer.from(stanza.body);
        body[at]! ^= x;
        expect(chachaOpen(wrapKey, ZERO_NONCE, body)).toBeNull();
      }),
      { numRuns: RUNS },
    );
    expect(chachaOpen(wrapKey, ZERO_NONCE, stanza.body.subarray(0, 15))).toBeNull();
  });
});

describe('chachaSeal / chachaOpen', () => {
  it('round-trip any message under any key and nonce; the sealed form is 16 bytes longer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 200 }), (key, nonce, msg) => {
        const sealed = chachaSeal(key, nonce, msg);
        expect(sealed).toHaveLength(msg.length + 16);
        expect(chachaOpen(key, nonce, sealed)?.equals(Buffer.from(msg))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
