// The in-process post-quantum opener (mlkem.ts) against the C2SP CCTV hybrid
// vectors and age-encryption (typage), which wrote envcrypt's PQ files so far.
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { Decrypter, Encrypter, armor, generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { EnvcryptError } from '../../../src/errors.js';
import { decodeArmor } from '../../../src/keys/age/armor.js';
import { parsePqIdentity } from '../../../src/keys/age/mlkem.js';
import { parseX25519Identity, unwrapNative, type NativeIdentity } from '../../../src/keys/age/native.js';
import { cctvVectors, type CctvVector } from '../../helpers/cctv.js';
import { caught } from '../../helpers/errors.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hybridVectors = cctvVectors().filter((v) => v.passphrases.length === 0 && v.identities.some((id) => id.startsWith('AGE-SECRET-KEY-PQ-')));

function identities(v: CctvVector): NativeIdentity[] {
  return v.identities.map((s) => (s.startsWith('AGE-SECRET-KEY-PQ-') ? parsePqIdentity(s) : parseX25519Identity(s)));
}

type Outcome = { kind: 'plaintext'; bytes: Uint8Array } | { kind: 'null' } | { kind: 'error'; error: EnvcryptError };

function runNative(v: CctvVector): Outcome {
  try {
    const file = v.armored ? decodeArmor(Buffer.from(v.body).toString('latin1')) : v.body;
    const r = unwrapNative(file, identities(v));
    return r instanceof Uint8Array ? { kind: 'plaintext', bytes: r } : { kind: 'null' };
  } catch (error) {
    if (!(error instanceof EnvcryptError)) throw error;
    return { kind: 'error', error };
  }
}

async function runTypage(v: CctvVector): Promise<Uint8Array | null> {
  const d = new Decrypter();
  for (const id of v.identities) d.addIdentity(id);
  try {
    return await d.decrypt(v.armored ? armor.decode(Buffer.from(v.body).toString('latin1')) : v.body);
  } catch {
    return null;
  }
}

describe('CCTV hybrid (mlkem768x25519) vectors, opened in-process', () => {
  it('the corpus has them', () => {
    expect(hybridVectors.map((v) => v.name)).toEqual(expect.arrayContaining(['hybrid', 'hybrid_low_order', 'hybrid_multiple_recipients', 'armor_hybrid']));
  });

  for (const v of hybridVectors) {
    it(`${v.name}: ${v.expect}`, async () => {
      const out = runNative(v);
      if (v.expect === 'success') {
        expect(out.kind).toBe('plaintext');
        if (out.kind === 'plaintext') expect(sha256(out.bytes)).toBe(v.payload);
      } else if (v.expect === 'no match') {
        expect(out.kind).toBe('null');
      } else {
        expect(out.kind).toBe('error');
        if (out.kind === 'error') expect(out.error.code).toBe('DECRYPT_FAILED');
      }
      const typage = await runTypage(v);
      if (out.kind === 'plaintext') expect(typage && sha256(typage)).toBe(sha256(out.bytes));
      else expect(typage).toBeNull();
    });
  }
});

describe('parsePqIdentity', () => {
  it('derives the recipient age-encryption derives, and opens what it encrypts', async () => {
    for (let i = 0; i < 2; i++) {
      const s = await generateHybridIdentity();
      const id = parsePqIdentity(s);
      const recipient = await identityToRecipient(s);
      expect(id.recipient()).toBe(recipient);
      const e = new Encrypter();
      e.addRecipient(recipient);
      const plain = new Uint8Array([1, 2, 3]);
      expect(unwrapNative(await e.encrypt(plain), [id])).toEqual(plain);
    }
  });

  it('refuses a malformed identity without quoting it', () => {
    for (const bad of ['AGE-SECRET-KEY-PQ-1QQQQ', 'age-secret-key-pq-1xyz', 'AGE-SECRET-KEY-1QQ']) {
      const e = caught(() => parsePqIdentity(bad));
      expect(e.code).toBe('BAD_KEY');
      expect(e.message).not.toContain(bad);
    }
  });
});
