/**
 * age's `ssh-ed25519` and `ssh-rsa` recipient types, written against the
 * `Recipient`/`Identity` interfaces of `age-encryption` (typage), which has
 * no SSH support of its own. The stanza formats are those of the age CLI's
 * `agessh` package (https://github.com/FiloSottile/age, `agessh/agessh.go`):
 *
 *     -> ssh-ed25519 <tag> <ephemeral X25519 share>   body: ChaCha20-Poly1305(file key)
 *     -> ssh-rsa <tag>                                body: RSA-OAEP-SHA256(file key)
 *
 * where `tag` is the first 4 bytes of SHA-256 of the SSH public key blob.
 *
 * Only `node:crypto` is used, and `age-encryption` only for types, so this
 * module loads without typage's start-up cost.
 */

import { constants, createHash, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import type { Identity, Recipient, Stanza } from 'age-encryption';
import { EnvcryptError } from '../../errors.js';
import { decodeBase64NoPad, encodeBase64NoPad } from '../../io/base64.js';
import { chachaOpen, chachaSeal, hkdf } from '../age-aead.js';
import {
  formatSshPublicKey,
  parseSshPrivateKey,
  parseSshPublicKey,
  type SshPrivateKey,
  type SshPrivateKeyFile,
  type SshPublicKey,
} from './parse.js';
import { sshPassphrasePrompt } from './prompt.js';
import { ephemeralX25519, importX25519Secret, x25519PublicRaw, x25519Shared } from '../x25519-key.js';

/** Options for {@link sshIdentity}. */
export interface SshIdentityOptions {
  /**
   * Asked for the passphrase of a protected key, at most once, and only when
   * a file has a stanza for this key. Without it, protected keys are refused.
   */
  passphrase?: () => string | Promise<string>;
  /** How many times a wrong passphrase may be typed again (default 1: no retry). */
  attempts?: number;
}

const ED25519_LABEL = 'age-encryption.org/v1/ssh-ed25519';
const RSA_LABEL = 'age-encryption.org/v1/ssh-rsa';
const FILE_KEY_SIZE = 16;
// A zero nonce is safe: every wrapping key is fresh, derived from an ephemeral share.
const ZERO_NONCE = Buffer.alloc(12);
// 2^255 - 19, the field of Curve25519 and Ed25519.
const P = (1n << 255n) - 19n;

/** The stanza tag: base64 of the first 4 bytes of SHA-256 of the public key blob. */
function tagOf(wire: Uint8Array): string {
  return encodeBase64NoPad(createHash('sha256').update(wire).digest().subarray(0, 4));
}

/** X25519(scalar, point). Throws for a point that is not usable (low-order: an all-zero result); callers say which stanza or key. */
function x25519(scalar: KeyObject, point: Uint8Array): Buffer {
  const shared = x25519Shared(scalar, point);
  if (shared === null) throw new Error('not a usable X25519 point');
  return shared;
}

/** The tweak scalar that binds the shared secret to this exact SSH key. */
function tweakFor(wire: Uint8Array): KeyObject {
  return importX25519Secret(hkdf(new Uint8Array(0), wire, ED25519_LABEL));
}

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  for (let b = base % P, e = exp; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
}

/** Ed25519 public key → X25519 u-coordinate by the birational map u = (1 + y) / (1 − y). */
function ed25519ToX25519(edKey: Uint8Array): Uint8Array | null {
  const le = Buffer.from(edKey);
  le[31]! &= 0x7f; // the top bit is the sign of x, not part of y
  const y = BigInt('0x' + Buffer.from(le).reverse().toString('hex'));
  const denominator = (((1n - y) % P) + P) % P;
  if (denominator === 0n) return null;
  const u = ((1n + y) * modPow(denominator, P - 2n)) % P;
  return Buffer.from(u.toString(16).padStart(64, '0'), 'hex').reverse();
}

const oaep = (key: KeyObject) => ({
  key,
  padding: constants.RSA_PKCS1_OAEP_PADDING,
  oaepHash: 'sha256',
  oaepLabel: Buffer.from(RSA_LABEL),
});

/**
 * A recipient for an SSH public key line, as in a `.pub` file or
 * `authorized_keys` (`ssh-ed25519 AAAA… comment`, `ssh-rsa AAAA… comment`).
 *
 * @param publicKeyLine - The public key line.
 * @returns A {@link Recipient} that wraps file keys the way the age CLI does.
 * @throws {@link EnvcryptError} `BAD_KEY` naming the accepted forms if the line
 * is malformed, of another key type, or not a usable key.
 */
export function sshRecipient(publicKeyLine: string): Recipient {
  const pk = parseSshPublicKey(publicKeyLine);
  const tag = tagOf(pk.wire);
  if (pk.type === 'ssh-rsa') {
    return {
      wrapFileKey: (fileKey: Uint8Array): Stanza[] => [{ args: ['ssh-rsa', tag], body: new Uint8Array(publicEncrypt(oaep(pk.key), fileKey)) }],
    };
  }
  const theirs = ed25519ToX25519(pk.key);
  const tweak = tweakFor(pk.wire);
  // tweak·P is zero only for a low-order P, so this one multiplication rejects every key X25519 would refuse later.
  if (theirs === null || !usablePoint(tweak, theirs)) {
    throw new EnvcryptError('BAD_KEY', 'not a valid ssh public key: its ed25519 key is not a usable curve point', {
      hints: ['"ssh-keygen -y -f <private key file>" prints the right public key'],
    });
  }
  return {
    wrapFileKey(fileKey: Uint8Array): Stanza[] {
      const { privateKey: eph, share } = ephemeralX25519();
      const shared = x25519(tweak, x25519(eph, theirs));
      const wrapKey = hkdf(shared, Buffer.concat([share, theirs]), ED25519_LABEL);
      shared.fill(0);
      const body = chachaSeal(wrapKey, ZERO_NONCE, fileKey);
      wrapKey.fill(0);
      return [{ args: ['ssh-ed25519', tag, encodeBase64NoPad(share)], body }];
    },
  };
}

function usablePoint(scalar: KeyObject, point: Uint8Array): boolean {
  try {
    x25519(scalar, point);
    return true;
  } catch {
    return false;
  }
}

/** Unwraps one stanza already known, by type and tag, to be for this key. */
type Unwrap = (stanza: Stanza) => Uint8Array;

function broken(source: string, why: string, cause?: unknown): EnvcryptError {
  return new EnvcryptError('DECRYPT_FAILED', `cannot unwrap the file key with ssh key ${source}: ${why}`, {
    file: source,
    ...(cause === undefined ? {} : { cause }),
  });
}

function ed25519Unwrap(key: Extract<SshPrivateKey, { type: 'ssh-ed25519' }>, source: string): Unwrap {
  const seed = Buffer.from(key.key.export({ format: 'jwk' }).d ?? '', 'base64url');
  // As agessh does: the X25519 scalar is the first half of SHA-512(seed), which X25519 clamps.
  const digest = createHash('sha512').update(seed).digest();
  const ours = importX25519Secret(digest.subarray(0, 32));
  seed.fill(0);
  digest.fill(0);
  const ourPublic = x25519PublicRaw(ours);
  const tweak = tweakFor(key.publicKey.wire);
  return (stanza) => {
    const share = stanza.args.length === 3 ? decodeBase64NoPad(stanza.args[2]!) : null;
    if (share === null || share.length !== 32) throw broken(source, 'its ssh-ed25519 stanza is malformed');
    if (stanza.body.length !== FILE_KEY_SIZE + 16) throw broken(source, 'its ssh-ed25519 stanza body has the wrong length');
    let shared: Uint8Array;
    try {
      shared = x25519(tweak, x25519(ours, share));
    } catch (cause) {
      throw broken(source, 'its ssh-ed25519 stanza has an invalid ephemeral share', cause);
    }
    const wrapKey = hkdf(shared, Buffer.concat([share, ourPublic]), ED25519_LABEL);
    shared.fill(0);
    const fileKey = chachaOpen(wrapKey, ZERO_NONCE, stanza.body);
    wrapKey.fill(0);
    if (fileKey === null) throw broken(source, 'the ssh-ed25519 stanza does not decrypt; it was altered, or another key shares its tag');
    return fileKey;
  };
}

function rsaUnwrap(key: Extract<SshPrivateKey, { type: 'ssh-rsa' }>, source: string): Unwrap {
  return (stanza) => {
    if (stanza.args.length !== 2) throw broken(source, 'its ssh-rsa stanza is malformed');
    let fileKey: Uint8Array;
    try {
      fileKey = new Uint8Array(privateDecrypt(oaep(key.key), stanza.body));
    } catch (cause) {
      throw broken(source, 'the ssh-rsa stanza does not decrypt; it was altered, or another key shares its tag', cause);
    }
    if (fileKey.length !== FILE_KEY_SIZE) throw broken(source, 'the ssh-rsa stanza holds a file key of the wrong size');
    return fileKey;
  };
}

function unwrapFor(key: SshPrivateKey, source: string): Unwrap {
  return key.type === 'ssh-ed25519' ? ed25519Unwrap(key, source) : rsaUnwrap(key, source);
}

/** Hints for a protected key that cannot be unlocked here. */
const PROTECTED_HINTS = [
  'on a terminal, envcrypt asks for the passphrase (as age does)',
  'for scripts and CI: keep an unprotected copy in a private place (cp KEY COPY && ssh-keygen -p -N "" -f COPY) and point SOPS_AGE_SSH_PRIVATE_KEY_FILE at it',
  'or use an age identity instead ("envcrypt keygen"; a key holder adds its public key with "envcrypt recipients add")',
];

function protectedError(source: string): EnvcryptError {
  // Exit 4: the key is there but cannot be used, as when no identity matches (not a parse error).
  return new EnvcryptError('NO_IDENTITY', `ssh key ${source} is protected by a passphrase, and there is no terminal to ask for it`, {
    file: source,
    hints: PROTECTED_HINTS,
  });
}

function wrongPassphrase(e: unknown): boolean {
  return e instanceof EnvcryptError && e.code === 'BAD_KEY' && /passphrase is wrong/.test(e.message);
}

/**
 * An identity for an SSH private key: OpenSSH format (`-----BEGIN OPENSSH
 * PRIVATE KEY-----`) or PEM PKCS#1/PKCS#8, Ed25519 or RSA.
 *
 * `unwrapFileKey` returns null when no stanza is of this key's type with this
 * key's tag, and throws only for a stanza that is this key's but broken.
 *
 * A protected key is unlocked only when a file has a stanza for it (for
 * OpenSSH keys, whose public half is in the clear) or any SSH stanza (PEM),
 * with `options.passphrase`, else the prompt the CLI registered
 * (`setSshPassphrasePrompt` in `prompt.ts`); with neither, or no terminal, that is where it fails.
 *
 * @param privateKeyText - The private key file's text.
 * @param source - The file name, used in messages (never the key itself).
 * @param options - A passphrase callback for protected keys.
 * @returns An {@link Identity} for `Decrypter.addIdentity`.
 * @throws {@link EnvcryptError} `BAD_KEY` if the text is not a supported key;
 * from `unwrapFileKey`, `NO_IDENTITY` for a protected key with no way to ask
 * for its passphrase, or after as many wrong passphrases as `attempts`.
 */
export function sshIdentity(privateKeyText: string, source: string, options: SshIdentityOptions = {}): Identity {
  const file = parseSshPrivateKey(privateKeyText, source);
  if (!file.encrypted) return identityOf(file.key.publicKey, unwrapFor(file.key, source));
  const prompt = sshPassphrasePrompt();
  const ask: (() => string | null | Promise<string | null>) | undefined = options.passphrase ?? (prompt ? () => prompt.ask(source) : undefined);
  const attempts = Math.max(1, options.passphrase ? (options.attempts ?? 1) : (prompt?.attempts ?? 1));
  const tryUnlock = async (): Promise<SshPrivateKey> => {
    if (ask === undefined) throw protectedError(source);
    for (let i = 1; ; i++) {
      const passphrase = await ask();
      if (passphrase === null) throw protectedError(source);
      try {
        return file.decrypt(passphrase);
      } catch (e) {
        if (!wrongPassphrase(e)) throw e;
        if (i >= attempts) {
          throw new EnvcryptError('NO_IDENTITY', `wrong passphrase for ssh key ${source}${attempts > 1 ? ` (${attempts} attempts)` : ''}`, { file: source, cause: e, hints: PROTECTED_HINTS.slice(1) });
        }
      }
    }
  };
  let unlocked: Promise<SshPrivateKey> | undefined;
  const unlock = (): Promise<SshPrivateKey> =>
    (unlocked ??= tryUnlock().catch((e: unknown) => {
      unlocked = undefined; // a wrong passphrase may be retyped on the next file
      throw e;
    }));
  if (file.publicKey !== null) {
    // OpenSSH keeps the public key in the clear, so the passphrase is asked only for a stanza that is ours.
    let unwrap: Unwrap | undefined;
    return identityOf(file.publicKey, async (s) => (unwrap ??= unwrapFor(await unlock(), source))(s));
  }
  // Protected PEM hides even the public key: unlock as soon as any SSH stanza shows up.
  return {
    async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
      if (!stanzas.some((s) => s.args[0] === 'ssh-ed25519' || s.args[0] === 'ssh-rsa')) return null;
      const key = await unlock();
      return identityOf(key.publicKey, unwrapFor(key, source)).unwrapFileKey(stanzas);
    },
  };
}

/** An unprotected SSH key's identity, whose unwrap never waits: see {@link sshIdentityUnprotected}. */
export interface SyncSshIdentity {
  /** The public key line, `ssh-ed25519 AAAA…` (no comment): the recipient it opens. */
  readonly publicKey: string;
  /** As `Identity.unwrapFileKey`, synchronously. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null;
}

/**
 * {@link sshIdentity} for a key without a passphrase, synchronously, so the
 * preload and `exec` open SSH stanzas in-process with `node:crypto`.
 *
 * @returns The identity, or null for a passphrase-protected key (use
 *   {@link sshIdentity}, which can ask for the passphrase).
 * @throws {@link EnvcryptError} `BAD_KEY` if the text is not a supported key.
 */
export function sshIdentityUnprotected(privateKeyText: string, source: string): SyncSshIdentity | null {
  const file = parseSshPrivateKey(privateKeyText, source);
  if (file.encrypted) return null;
  const id = identityOf(file.key.publicKey, unwrapFor(file.key, source));
  return { publicKey: formatSshPublicKey(file.key.publicKey), unwrapFileKey: (s) => id.unwrapFileKey(s) as Uint8Array | null };
}

function identityOf(pk: SshPublicKey, unwrap: (s: Stanza) => Uint8Array | Promise<Uint8Array>): Identity {
  const tag = tagOf(pk.wire);
  return {
    unwrapFileKey(stanzas: Stanza[]): Uint8Array | null | Promise<Uint8Array | null> {
      // Like the age CLI, the first stanza with our type and tag decides: a broken one is an error, not a skip.
      const mine = stanzas.find((s) => s.args[0] === pk.type && s.args[1] === tag);
      return mine === undefined ? null : unwrap(mine);
    },
  };
}

/**
 * The public key of an SSH private key, as `ssh-ed25519 AAAA…` or
 * `ssh-rsa AAAA…` (no comment): the recipient to encrypt to. Works for
 * passphrase-protected OpenSSH keys too, whose public half is not encrypted.
 *
 * @param privateKeyText - The private key file's text.
 * @param source - The file name, for messages.
 * @defaultValue source: `'(unnamed)'`
 * @returns The public key line.
 * @throws {@link EnvcryptError} `BAD_KEY` if the text is not a supported key,
 * or is a protected PEM key (whose public half is encrypted too).
 */
export function sshPublicKeyOf(privateKeyText: string, source = '(unnamed)'): string {
  const file: SshPrivateKeyFile = parseSshPrivateKey(privateKeyText, source);
  if (!file.encrypted) return formatSshPublicKey(file.key.publicKey);
  if (file.publicKey === null) {
    throw new EnvcryptError('BAD_KEY', `ssh key ${source} is a passphrase-protected PEM key, whose public key is encrypted too`, {
      file: source,
      hints: [`use its .pub file instead (ssh-keygen -y -f ${source} prints it)`],
    });
  }
  return formatSshPublicKey(file.publicKey);
}

/**
 * The stanza type and tag of an SSH private key, read from its public half,
 * so no passphrase is needed: what the key's stanzas carry as `-> TYPE TAG`.
 * Null when the file does not show its public key (a passphrase-protected
 * PEM key) or is not a key this module reads.
 */
export function sshStanzaTag(privateKeyText: string, source: string): { type: string; tag: string } | null {
  try {
    const file = parseSshPrivateKey(privateKeyText, source);
    const pk = file.encrypted ? file.publicKey : file.key.publicKey;
    return pk === null ? null : { type: pk.type, tag: tagOf(pk.wire) };
  } catch {
    return null;
  }
}
