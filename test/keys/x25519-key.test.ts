import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralX25519, importX25519Secret, x25519PublicRaw } from '../../src/keys/x25519-key.js';
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
