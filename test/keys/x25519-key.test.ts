import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralX25519, importX25519Public, importX25519Secret, x25519PublicRaw, x25519Shared } from '../../src/keys/x25519-key.js';
import { ROOT } from '../helpers/paths.js';

const withoutComments = (code: string): string => code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('X25519 keys', () => {
  it('an ephemeral key: fresh each time, its share is its public key, and it agrees with a peer', () => {
    const a = ephemeralX25519();
    const b = ephemeralX25519();
    expect(a.share).toHaveLength(32);
    expect(a.share.equals(b.share)).toBe(false);
    expect(a.share.equals(Buffer.from(createPublicKey(a.privateKey).export({ format: 'der', type: 'spki' }).subarray(-32)))).toBe(true);
    const peer = generateKeyPairSync('x25519');
    const peerRaw = x25519PublicRaw(peer.publicKey);
    const ours = diffieHellman({ privateKey: a.privateKey, publicKey: peer.publicKey });
    const theirs = diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: a.share.toString('base64url') }, format: 'jwk' }) });
    expect(ours.equals(theirs)).toBe(true);
    expect(peerRaw).toHaveLength(32);
  });

  it('imports a raw scalar as the key whose public half RFC 7748 gives (its section 6.1 test vector)', () => {
    const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    expect(x25519PublicRaw(importX25519Secret(alice)).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });

  it('the shared secret is RFC 7748 section 6.1\'s, from a raw share or an imported one; a low-order or malformed share gives null', () => {
    const alice = importX25519Secret(Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex'));
    const bobPublic = Buffer.from('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', 'hex');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(x25519Shared(alice, bobPublic)?.toString('hex')).toBe(k);
    expect(x25519Shared(alice, importX25519Public(bobPublic))?.toString('hex')).toBe(k);
    // Low-order points (all give an all-zero secret), from the list in libsodium's and age's tests.
    for (const low of ['0000000000000000000000000000000000000000000000000000000000000000', '0100000000000000000000000000000000000000000000000000000000000000', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800']) {
      expect(x25519Shared(alice, Buffer.from(low, 'hex'))).toBeNull();
    }
    expect(x25519Shared(alice, Buffer.alloc(31, 9))).toBeNull();
  });

  it('src/ never calls generateKeyPairSync: on node 20 a GC inside a later key export can deadlock on its job', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && /\bgenerateKeyPair(Sync)?\(/.test(withoutComments(readFileSync(p, 'utf8')))) offenders.push(p);
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });
});
