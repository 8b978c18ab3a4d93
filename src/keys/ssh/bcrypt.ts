/**
 * Decryption of passphrase-protected OpenSSH private keys: the `bcrypt` KDF
 * (OpenBSD `bcrypt_pbkdf`) and the AES modes `ssh-keygen` writes.
 *
 * Blowfish's initial state is the fractional part of π in hex (Schneier,
 * "Description of a New Variable-Length Key, 64-Bit Block Cipher", 1993);
 * it is computed here once, on first use, rather than kept as a 4 KiB table.
 * `node:crypto` has no usable Blowfish (OpenSSL 3 moved it to the legacy
 * provider), and bcrypt needs its own key schedule anyway.
 */

import { createDecipheriv, createHash } from 'node:crypto';
import type { EnvcryptError } from '../../errors.js';
import { wireReader } from './wire.js';

type Fail = (why: string) => EnvcryptError;

/** How an OpenSSH private section is encrypted. */
export interface OpenSshCipher {
  /** The `node:crypto` cipher name. */
  readonly node: string;
  readonly keySize: number;
  readonly ivSize: number;
  /** The private section is padded to a multiple of this. */
  readonly blockSize: number;
}

const CIPHERS: Record<string, OpenSshCipher> = {
  'aes128-ctr': { node: 'aes-128-ctr', keySize: 16, ivSize: 16, blockSize: 16 },
  'aes192-ctr': { node: 'aes-192-ctr', keySize: 24, ivSize: 16, blockSize: 16 },
  'aes256-ctr': { node: 'aes-256-ctr', keySize: 32, ivSize: 16, blockSize: 16 },
  'aes128-cbc': { node: 'aes-128-cbc', keySize: 16, ivSize: 16, blockSize: 16 },
  'aes192-cbc': { node: 'aes-192-cbc', keySize: 24, ivSize: 16, blockSize: 16 },
  'aes256-cbc': { node: 'aes-256-cbc', keySize: 32, ivSize: 16, blockSize: 16 },
};

// A hostile file could ask for 2^32 rounds; ssh-keygen's default is 16 and -a 100 is a common choice.
const MAX_ROUNDS = 10_000;

/**
 * Look up the cipher of a protected OpenSSH key.
 *
 * @throws {@link EnvcryptError} (from `fail`) for a cipher or KDF this module cannot undo.
 */
export function openSshCipher(cipher: string, kdf: string, fail: Fail): OpenSshCipher {
  const spec = Object.hasOwn(CIPHERS, cipher) ? CIPHERS[cipher] : undefined;
  if (spec === undefined) {
    const name = /^[A-Za-z0-9@.-]{1,64}$/.test(cipher) ? `"${cipher}"` : '(unreadable)';
    throw fail(`it is encrypted with the unsupported cipher ${name}; "ssh-keygen -p -Z aes256-ctr -f <file>" re-encrypts it`);
  }
  if (kdf !== 'bcrypt') throw fail('it uses an unsupported key derivation function');
  return spec;
}

/**
 * Decrypt the private section of a protected OpenSSH key. A wrong passphrase
 * is not detected here but by the section's check ints.
 *
 * @param spec - From {@link openSshCipher}.
 * @param kdfOptions - The KDF options field: `string salt, uint32 rounds`.
 * @param section - The encrypted private section.
 * @param passphrase - The passphrase, as UTF-8.
 * @param fail - Builds the error for malformed options.
 * @returns The plaintext section.
 */
export function decryptOpenSshSection(
  spec: OpenSshCipher,
  kdfOptions: Uint8Array,
  section: Uint8Array,
  passphrase: string,
  fail: Fail,
): Uint8Array {
  const r = wireReader(kdfOptions, fail);
  const salt = r.string();
  const rounds = r.u32();
  if (!r.done() || rounds < 1 || rounds > MAX_ROUNDS) throw fail('its key derivation options are out of range');
  if (section.length % spec.blockSize !== 0) throw fail('its private section has a bad length');
  const km = bcryptPbkdf(Buffer.from(passphrase, 'utf8'), salt, rounds, spec.keySize + spec.ivSize);
  const d = createDecipheriv(spec.node, km.subarray(0, spec.keySize), km.subarray(spec.keySize));
  d.setAutoPadding(false);
  const out = new Uint8Array(Buffer.concat([d.update(section), d.final()]));
  km.fill(0);
  return out;
}

/**
 * OpenBSD's `bcrypt_pbkdf`: PBKDF2-like, with SHA-512 pre-hashing and
 * `bcrypt_hash` as the PRF, and the output bytes spread across blocks.
 *
 * @param pass - The password bytes.
 * @param salt - The salt.
 * @param rounds - Iterations per output block (at least 1).
 * @param keyLen - Bytes of output.
 * @returns `keyLen` bytes.
 */
export function bcryptPbkdf(pass: Uint8Array, salt: Uint8Array, rounds: number, keyLen: number): Uint8Array {
  const stride = Math.ceil(keyLen / 32);
  const amt = Math.ceil(keyLen / stride);
  const key = new Uint8Array(keyLen);
  const sha2pass = sha512(pass);
  let remaining = keyLen;
  for (let block = 1; remaining > 0; block++) {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(block);
    let tmp = bcryptHash(sha2pass, sha512(Buffer.concat([salt, count])));
    const out = Uint8Array.from(tmp);
    for (let i = 1; i < rounds; i++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < out.length; j++) out[j]! ^= tmp[j]!;
    }
    // Output byte i of block b lands at i * stride + (b - 1): each block feeds every stride-th byte.
    let i = 0;
    for (; i < Math.min(amt, remaining); i++) {
      const dest = i * stride + (block - 1);
      if (dest >= keyLen) break;
      key[dest] = out[i]!;
    }
    remaining -= i;
  }
  sha2pass.fill(0);
  return key;
}

function sha512(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(b).digest());
}

const MAGIC = Buffer.from('OxychromaticBlowfishSwatDynamite', 'latin1');

/** `bcrypt_hash`: 64 rounds of the expensive key schedule, then encrypt the magic 64 times. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const st = initialState();
  expand(st, sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    expand(st, sha2salt, null);
    expand(st, sha2pass, null);
  }
  const cdata = new Uint32Array(8);
  for (let i = 0; i < 8; i++) cdata[i] = MAGIC.readUInt32BE(4 * i);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 8; j += 2) encipher(st, cdata, j);
  // bcrypt_pbkdf emits the words little-endian, unlike Blowfish's big-endian input.
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeUInt32LE(cdata[i]!, 4 * i);
  st.fill(0);
  return new Uint8Array(out);
}

// State layout: P-array at 0..17, then the four S-boxes of 256 words each.
const P_WORDS = 18;
const STATE_WORDS = P_WORDS + 4 * 256;
let piWords: Uint32Array | undefined;

function initialState(): Uint32Array {
  piWords ??= piFractionWords(STATE_WORDS);
  return Uint32Array.from(piWords);
}

/** The first `count` 32-bit words of π's fractional part, by Machin's formula in fixed point. */
export function piFractionWords(count: number): Uint32Array {
  const guard = 64n;
  const bits = BigInt(count * 32) + guard;
  const one = 1n << bits;
  // arctan(1/x) = Σ (-1)^k / ((2k+1) x^(2k+1)); each term's truncation costs < 1 ulp, well under the guard bits.
  const arctanInv = (x: bigint): bigint => {
    let sum = 0n;
    let power = one / x;
    const x2 = x * x;
    for (let k = 0n; power !== 0n; k++) {
      sum += (k % 2n === 0n ? 1n : -1n) * (power / (2n * k + 1n));
      power /= x2;
    }
    return sum;
  };
  const pi = 4n * (4n * arctanInv(5n) - arctanInv(239n));
  const fraction = (pi - 3n * one) >> guard;
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) words[i] = Number((fraction >> BigInt((count - 1 - i) * 32)) & 0xffffffffn);
  return words;
}

function f(st: Uint32Array, x: number): number {
  const a = st[P_WORDS + (x >>> 24)]!;
  const b = st[P_WORDS + 256 + ((x >>> 16) & 0xff)]!;
  const c = st[P_WORDS + 512 + ((x >>> 8) & 0xff)]!;
  const d = st[P_WORDS + 768 + (x & 0xff)]!;
  return ((((a + b) >>> 0) ^ c) + d) >>> 0;
}

/** Encrypt the block `lr[at], lr[at + 1]` in place (16 Feistel rounds). */
function encipher(st: Uint32Array, lr: Uint32Array, at: number): void {
  let l = lr[at]! ^ st[0]!;
  let r = lr[at + 1]!;
  for (let i = 1; i <= 16; i += 2) {
    r ^= f(st, l) ^ st[i]!;
    l ^= f(st, r) ^ st[i + 1]!;
  }
  lr[at] = r ^ st[17]!;
  lr[at + 1] = l;
}

/**
 * The EksBlowfish key schedule: XOR the key into P, then re-encrypt the whole
 * state, mixing in `data` when given (Blowfish_expandstate) or not
 * (Blowfish_expand0state). Both inputs are read as cyclic big-endian words.
 */
function expand(st: Uint32Array, key: Uint8Array, data: Uint8Array | null): void {
  const nextKey = cyclicWords(key);
  for (let i = 0; i < P_WORDS; i++) st[i] = st[i]! ^ nextKey();
  const nextData = data === null ? () => 0 : cyclicWords(data);
  const lr = new Uint32Array(2);
  for (let i = 0; i < STATE_WORDS; i += 2) {
    lr[0] = lr[0]! ^ nextData();
    lr[1] = lr[1]! ^ nextData();
    encipher(st, lr, 0);
    st[i] = lr[0]!;
    st[i + 1] = lr[1]!;
  }
}

function cyclicWords(bytes: Uint8Array): () => number {
  let j = 0;
  return () => {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      w = ((w << 8) | bytes[j]!) >>> 0;
      j = (j + 1) % bytes.length;
    }
    return w;
  };
}
