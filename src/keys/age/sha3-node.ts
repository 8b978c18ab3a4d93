/**
 * SHA-3 and SHAKE from `node:crypto`, in the shape `@noble/hashes/sha3.js`
 * gives them, for the ML-KEM that the build vendors (dist/vendor/ml-kem.cjs,
 * see scripts/build.mjs). There, noble's Keccak ran cold in JavaScript at
 * every launch with a post-quantum key, about a third of ML-KEM's time;
 * OpenSSL's is native. Only what `@noble/post-quantum`'s ML-KEM calls is
 * here: the one-shot hashes, `create().update().digest()`, and SHAKE's
 * `xofInto` and `destroy`. The output is byte for byte noble's
 * (test/keys/age/sha3-node.test.ts checks these, and the built ML-KEM,
 * against `@noble`'s own).
 */
import { createHash, type Hash } from 'node:crypto';

/** One hashing in progress, as noble's `Keccak` object is used by ML-KEM. */
class NodeKeccak {
  private hash: Hash | null;
  private readonly outputLen: number;
  private readonly xof: boolean;
  /** How much of a SHAKE output stream `xofInto` has handed out. */
  private squeezed = 0;

  constructor(algorithm: string, outputLen: number, xof: boolean) {
    this.hash = createHash(algorithm);
    this.outputLen = outputLen;
    this.xof = xof;
  }

  private live(): Hash {
    if (this.hash === null) throw new Error('the hash was already finished or destroyed');
    return this.hash;
  }

  update(data: Uint8Array): this {
    this.live().update(data);
    return this;
  }

  digest(): Uint8Array {
    const hash = this.live();
    this.hash = null;
    return new Uint8Array(this.xof ? hash.copy({ outputLength: this.outputLen }).digest() : hash.digest());
  }

  /** The next `out.length` bytes of the SHAKE output stream. */
  xofInto(out: Uint8Array): Uint8Array {
    // Node gives an XOF's output as one digest of a chosen length: the stream
    // up to here is recomputed from a copy of the absorbed state, and its
    // new tail kept (ML-KEM reads 3 or 4 blocks per matrix entry).
    const end = this.squeezed + out.length;
    out.set(this.live().copy({ outputLength: end }).digest().subarray(this.squeezed));
    this.squeezed = end;
    return out;
  }

  destroy(): void {
    this.hash = null;
  }
}

type Hasher = ((message: Uint8Array, options?: { dkLen?: number }) => Uint8Array) & {
  create(options?: { dkLen?: number }): NodeKeccak;
  blockLen: number;
  outputLen: number;
};

function hasher(algorithm: string, blockLen: number, outputLen: number, xof: boolean): Hasher {
  const create = (options: { dkLen?: number } = {}): NodeKeccak => new NodeKeccak(algorithm, xof ? (options.dkLen ?? outputLen) : outputLen, xof);
  const once = (message: Uint8Array, options?: { dkLen?: number }): Uint8Array => create(options).update(message).digest();
  return Object.assign(once, { create, blockLen, outputLen });
}

/** SHA3-256 (FIPS 202). */
export const sha3_256 = hasher('sha3-256', 136, 32, false);
/** SHA3-512 (FIPS 202). */
export const sha3_512 = hasher('sha3-512', 72, 64, false);
/** SHAKE128 (FIPS 202); 16 bytes unless `dkLen` says otherwise, as in noble. */
export const shake128 = hasher('shake128', 168, 16, true);
/** SHAKE256 (FIPS 202); 32 bytes unless `dkLen` says otherwise, as in noble. */
export const shake256 = hasher('shake256', 136, 32, true);
