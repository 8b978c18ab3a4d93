/**
 * age's post-quantum hybrid stanza, `mlkem768x25519`
 * (https://age-encryption.org/v1 and C2SP age "mlkem768x25519 recipient
 * stanza"), opened synchronously in-process: HPKE base mode (RFC 9180) with
 * the X-Wing KEM (ML-KEM-768 + X25519, KEM id 0x647a), HKDF-SHA256 and
 * ChaCha20-Poly1305. `node:crypto` does X25519, SHAKE256, SHA3-256, HMAC and
 * ChaCha20-Poly1305; node 20 has no ML-KEM, so `@noble/post-quantum`'s ML-KEM
 * (dist/vendor/ml-kem.cjs, ~40 kB) is `require`d on first use only: the
 * preload cannot wait for a promise, and needs no helper process for it.
 * Behaviour is pinned by the C2SP CCTV `hybrid*` vectors and age-encryption.
 */

import { createHash, createHmac, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { EnvcryptError } from '../../errors.js';
import { importX25519Secret, x25519PublicRaw, x25519Shared } from '../x25519-key.js';
import { builtin } from '../../io/builtin.js';
import { decodeBase64NoPad } from '../../io/base64.js';
import type { AgeStanza } from './header.js';
import type { FoundIdentity } from '../discovery.js';
import { chachaOpen } from '../age-aead.js';
import type { StanzaOpener } from './native.js';
import type { OtherOpeners, PreparedIdentity } from './unwrap.js';


type MlKemModule = typeof import('@noble/post-quantum/ml-kem.js');

let lib: MlKemModule | undefined;
/**
 * ML-KEM, loaded on first use. The bundles (CommonJS, and the ESM library
 * through its banner) have `require`, which the build points at
 * dist/vendor/ml-kem.cjs; run from source (the tests), node's require of the
 * ES module is used.
 */
function mlKem(): MlKemModule {
  if (lib) return lib;
  if (typeof require === 'function') lib = require('@noble/post-quantum/ml-kem.js') as MlKemModule;
  else lib = builtin<typeof import('node:module')>('node:module').createRequire(import.meta.url)('@noble/post-quantum/ml-kem.js') as MlKemModule;
  return lib;
}

const IDENTITY_PREFIX = 'AGE-SECRET-KEY-PQ-';
const STANZA_TYPE = 'mlkem768x25519';
const LABEL = 'age-encryption.org/mlkem768x25519';
const XWING_LABEL = Buffer.from('5c2e2f2f5e5c', 'hex'); // "\.//^\"
const SHARE_SIZE = 1120; // ML-KEM-768 ciphertext (1088) ‖ X25519 share (32)
const MLKEM_CT_SIZE = 1088;
const BODY_SIZE = 32; // 16-byte file key + 16-byte tag
// HPKE suite: KEM 0x647a (X-Wing), KDF 0x0001 (HKDF-SHA256), AEAD 0x0003 (ChaCha20-Poly1305).
const SUITE = Buffer.concat([Buffer.from('HPKE'), Buffer.from([0x64, 0x7a, 0x00, 0x01, 0x00, 0x03])]);
const HPKE_V1 = Buffer.from('HPKE-v1');

function failed(fact: string): EnvcryptError {
  return new EnvcryptError('DECRYPT_FAILED', fact);
}

const labeledExtract = (salt: Uint8Array, label: string, ikm: Uint8Array): Buffer =>
  createHmac('sha256', salt).update(Buffer.concat([HPKE_V1, SUITE, Buffer.from(label), ikm])).digest();

// HKDF-Expand to at most one hash block, which is all HPKE needs here.
const labeledExpand = (prk: Uint8Array, label: string, info: Uint8Array, length: number): Buffer =>
  createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from([length >> 8, length & 0xff]), HPKE_V1, SUITE, Buffer.from(label), info, Buffer.from([1])]))
    .digest()
    .subarray(0, length);

/** HPKE base-mode key schedule: the AEAD key and nonce of the first message. */
function hpkeKeyNonce(sharedSecret: Uint8Array): { key: Buffer; nonce: Buffer } {
  const empty = new Uint8Array(0);
  const context = Buffer.concat([Buffer.from([0]), labeledExtract(empty, 'psk_id_hash', empty), labeledExtract(empty, 'info_hash', Buffer.from(LABEL))]);
  const secret = labeledExtract(sharedSecret, 'secret', empty);
  const out = { key: labeledExpand(secret, 'key', context, 32), nonce: labeledExpand(secret, 'base_nonce', context, 12) };
  secret.fill(0);
  return out;
}

/** An `AGE-SECRET-KEY-PQ-1…` identity: a {@link StanzaOpener} that also knows its recipient. */
export interface PqIdentity extends StanzaOpener {
  /** The `age1pq1…` recipient (computing it expands the key: about a millisecond). */
  recipient(): string;
}

interface Expanded {
  mlkemSecret: Uint8Array;
  x25519Secret: KeyObject;
  /** ML-KEM public key ‖ X25519 public key: the recipient's 1216 bytes. */
  publicKey: Uint8Array;
  x25519Public: Uint8Array;
}

/** X-Wing key expansion: SHAKE256(seed, 96) → ML-KEM-768 seed (64) ‖ X25519 secret (32). */
function expand(seed: Uint8Array): Expanded {
  const wide = createHash('shake256', { outputLength: 96 }).update(seed).digest();
  const kem = mlKem().ml_kem768.keygen(wide.subarray(0, 64));
  const x25519Secret = importX25519Secret(wide.subarray(64));
  wide.fill(0);
  const x25519Public = x25519PublicRaw(x25519Secret);
  return { mlkemSecret: kem.secretKey, x25519Secret, publicKey: Buffer.concat([kem.publicKey, x25519Public]), x25519Public };
}

/** X-Wing decapsulation: SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ label). */
function decapsulate(k: Expanded, share: Uint8Array, where: string): Buffer {
  const ssM = mlKem().ml_kem768.decapsulate(share.subarray(0, MLKEM_CT_SIZE), k.mlkemSecret);
  const ctX = share.subarray(MLKEM_CT_SIZE);
  const ssX = x25519Shared(k.x25519Secret, ctX);
  if (ssX === null) throw failed(`${where} has an invalid or low-order X25519 share`);
  const ss = createHash('sha3-256').update(Buffer.concat([ssM, ssX, ctX, k.x25519Public, XWING_LABEL])).digest();
  ssM.fill(0);
  ssX.fill(0);
  return ss;
}

/**
 * Parse a post-quantum identity.
 *
 * @param text - `AGE-SECRET-KEY-PQ-1…`, as `age-keygen -pq` writes it.
 * @returns An opener for `mlkem768x25519` stanzas; the key is expanded (and
 *   ML-KEM loaded) only when a stanza or the recipient is first needed.
 * @throws {@link EnvcryptError} `BAD_KEY` if it is not a checksummed
 *   uppercase bech32 identity of 32 bytes; never quoting it.
 */
export function parsePqIdentity(text: string): PqIdentity {
  const s = text.trim();
  let seed: Uint8Array;
  try {
    if (!s.startsWith(`${IDENTITY_PREFIX}1`)) throw new Error('prefix');
    const d = bech32.decode(s as `${string}1${string}`, false);
    if (d.prefix.toUpperCase() !== IDENTITY_PREFIX) throw new Error('prefix');
    seed = bech32.fromWords(d.words);
  } catch {
    seed = new Uint8Array(0);
  }
  if (seed.length !== 32) throw new EnvcryptError('BAD_KEY', 'malformed post-quantum age identity (AGE-SECRET-KEY-PQ-1…)');
  let k: Expanded | undefined;
  const key = (): Expanded => (k ??= expand(seed));
  return {
    type: 'opener',
    recipient: () => bech32.encode('age1pq', bech32.toWords(key().publicKey), false),
    open(stanzas: readonly AgeStanza[]): Uint8Array | null {
      // As age and typage do: every stanza of this type is tried; one that is malformed is an error.
      for (const [i, st] of stanzas.entries()) {
        if (st.type !== STANZA_TYPE) continue;
        const where = `${STANZA_TYPE} stanza ${i + 1} of the age header`;
        if (st.args.length !== 1) throw failed(`${where} has ${st.args.length} arguments instead of 1`);
        const share = decodeBase64NoPad(st.args[0] ?? '');
        if (share === null || share.length !== SHARE_SIZE) throw failed(`${where} does not hold a canonical ${SHARE_SIZE}-byte share`);
        if (st.body.length !== BODY_SIZE) throw failed(`${where} has a ${st.body.length}-byte body instead of ${BODY_SIZE}`);
        const ss = decapsulate(key(), share, where);
        const { key: aeadKey, nonce } = hpkeKeyNonce(ss);
        ss.fill(0);
        const fileKey = chachaOpen(aeadKey, nonce, st.body);
        aeadKey.fill(0);
        if (fileKey !== null) return fileKey;
      }
      return null;
    },
  };
}

/**
 * The {@link OtherOpeners} for post-quantum identities only: the fast
 * start-up bundles use it, and carry no SSH key parser (ML-KEM itself loads
 * only for such a key, from dist/vendor/); an SSH key sends them to the full
 * runtime. The full runtime's `otherOpeners` (openers.ts) adds SSH keys.
 */
export const pqOpeners: OtherOpeners = (id: FoundIdentity): PreparedIdentity | null => {
  if (typeof id !== 'string' || !id.startsWith(IDENTITY_PREFIX)) return null;
  const pq = parsePqIdentity(id);
  return { id: pq, recipient: () => pq.recipient(), pq: true };
};
