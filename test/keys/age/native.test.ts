import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  createCipheriv,
  createHash,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { build } from 'esbuild';
import { bech32 } from '@scure/base';
import { EnvcryptError } from '../../../src/errors.js';
import { decodeArmor } from '../../../src/keys/age/armor.js';
import {
  GENERAL_PATH_STANZA_TYPES,
  parseX25519Identity,
  unwrapNative,
  x25519Recipient,
  type X25519Identity,
} from '../../../src/keys/age/native.js';
import { type CctvVector, cctvVectors } from '../../helpers/cctv.js';
import { caught } from '../../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** A short fingerprint to compare results by: vitest's deep equality chokes on multi-MiB arrays. */
const fp = (r: Uint8Array | null | 'unsupported'): string | null =>
  r === null || r === 'unsupported' ? r : `${r.length} bytes, sha256 ${sha256(r)}`;

// ---------------------------------------------------------------- CCTV vectors

const vectors = cctvVectors();
const isX25519 = (id: string): boolean => id.startsWith('AGE-SECRET-KEY-1');
/** Identities published with the CCTV vectors (public test keys, read from the package, never hard-coded). */
const CCTV_X25519 = vectors.find((v) => v.name === 'x25519')!.identities[0]!;
const CCTV_HYBRID = vectors.find((v) => v.name === 'hybrid')!.identities[0]!;
/** Vectors the native path must fully decide: no passphrase, only X25519 identities. */
const nativeVectors = vectors.filter((v) => v.passphrases.length === 0 && v.identities.every(isX25519));
/** Vectors that need scrypt or a hybrid identity: the native path may only decline or fail. */
const generalVectors = vectors.filter((v) => !nativeVectors.includes(v));

type Outcome =
  | { kind: 'plaintext'; bytes: Uint8Array }
  | { kind: 'null' }
  | { kind: 'unsupported' }
  | { kind: 'armor error'; error: EnvcryptError }
  | { kind: 'error'; error: EnvcryptError };

function runNative(v: CctvVector): Outcome {
  let file = v.body;
  if (v.armored) {
    try {
      file = decodeArmor(Buffer.from(v.body).toString('latin1'));
    } catch (error) {
      if (!(error instanceof EnvcryptError)) throw error;
      return { kind: 'armor error', error };
    }
  }
  try {
    const ids = v.identities.filter(isX25519).map((s) => parseX25519Identity(s));
    const r = unwrapNative(file, ids);
    if (r === null) return { kind: 'null' };
    if (r === 'unsupported') return { kind: 'unsupported' };
    return { kind: 'plaintext', bytes: r };
  } catch (error) {
    if (!(error instanceof EnvcryptError)) throw error;
    return { kind: 'error', error };
  }
}

/** What `age-encryption` makes of a vector: the plaintext, or null if it rejects the file. */
async function runTypage(v: CctvVector): Promise<Uint8Array | null> {
  const d = new Decrypter();
  for (const id of v.identities) d.addIdentity(id);
  for (const p of v.passphrases) d.addPassphrase(p);
  try {
    const file = v.armored ? armor.decode(Buffer.from(v.body).toString('latin1')) : v.body;
    return await d.decrypt(file);
  } catch {
    return null;
  }
}

describe('CCTV age vectors, X25519-only (native path decides)', () => {
  it('the corpus has the vectors this suite relies on', () => {
    expect(vectors.length).toBeGreaterThan(100);
    expect(nativeVectors.map((v) => v.name)).toEqual(expect.arrayContaining(['x25519', 'armor_crlf', 'stream_258_chunks', 'hmac_bad']));
  });

  for (const v of nativeVectors) {
    it(`${v.name}: ${v.expect}`, async () => {
      const out = runNative(v);
      switch (v.expect) {
        case 'success':
          expect(out.kind).toBe('plaintext');
          if (out.kind === 'plaintext') expect(sha256(out.bytes)).toBe(v.payload);
          break;
        case 'no match':
          expect(out.kind).toBe('null');
          break;
        case 'armor failure':
          expect(out.kind).toBe('armor error');
          break;
        case 'HMAC failure':
          expect(out.kind).toBe('error');
          if (out.kind === 'error') expect(out.error.message).toMatch(/MAC does not match/);
          break;
        case 'payload failure':
          // All-or-nothing: no plaintext is released, so the "partial payload" hash has nothing to check.
          expect(out.kind).toBe('error');
          if (out.kind === 'error') expect(out.error.message).toMatch(/payload/);
          break;
        case 'header failure':
          expect(out.kind).toBe('error');
          if (out.kind === 'error') expect(out.error.message).not.toMatch(/MAC does not match|chunk/);
          break;
        default:
          throw new Error(`unknown expectation ${v.expect}`);
      }
      if (out.kind === 'error' || out.kind === 'armor error') expect(out.error.code).toBe('DECRYPT_FAILED');
      // age-encryption must agree: same plaintext on success, a rejection otherwise.
      const typage = await runTypage(v);
      if (out.kind === 'plaintext') expect(fp(typage)).toBe(fp(out.bytes));
      else expect(typage).toBeNull();
    });
  }
});

describe('CCTV age vectors needing scrypt or a hybrid identity (native path declines)', () => {
  for (const v of generalVectors) {
    it(`${v.name}: ${v.expect}`, async () => {
      const out = runNative(v);
      // Never a plaintext, and never a "no match" for a file another identity can open.
      expect(out.kind).not.toBe('plaintext');
      if (v.expect === 'success') expect(out.kind).toBe('unsupported');
      if (out.kind === 'error' || out.kind === 'armor error') expect(v.expect).not.toBe('success');
      // Sanity: the general path handles it as the vector says.
      const typage = await runTypage(v);
      if (v.expect === 'success') {
        expect(typage).not.toBeNull();
        if (typage !== null) expect(sha256(typage)).toBe(v.payload);
      } else {
        expect(typage).toBeNull();
      }
    });
  }
});

// ---------------------------------------------------------------- identities

describe('parseX25519Identity', () => {
  const cctvIdentity = CCTV_X25519;

  it('derives the same recipient as age-encryption', async () => {
    const id = parseX25519Identity(`  ${cctvIdentity}\n`);
    expect(id.type).toBe('X25519');
    expect(x25519Recipient(id)).toBe(await identityToRecipient(cctvIdentity));
    expect(id.publicKey).toHaveLength(32);
  });

  it('agrees with age-encryption on random identities', async () => {
    for (let i = 0; i < 20; i++) {
      const s = await generateX25519Identity();
      expect(x25519Recipient(parseX25519Identity(s))).toBe(await identityToRecipient(s));
    }
  });

  it('keeps the secret out of inspection and JSON', () => {
    const id = parseX25519Identity(cctvIdentity);
    const shown = JSON.stringify(id) + String(id.secretKey) + JSON.stringify(id.secretKey);
    expect(shown).not.toContain(cctvIdentity.slice(16, 40));
    expect(id.secretKey.type).toBe('private');
  });

  const bad: [string, string][] = [
    ['lowercase', cctvIdentity.toLowerCase()],
    ['mixed case', cctvIdentity.slice(0, 30) + cctvIdentity.slice(30).toLowerCase()],
    ['bad checksum', cctvIdentity.slice(0, -1) + (cctvIdentity.endsWith('0') ? '2' : '0')],
    ['a changed data character', cctvIdentity.slice(0, 20) + (cctvIdentity[20] === 'Q' ? 'P' : 'Q') + cctvIdentity.slice(21)],
    ['post-quantum', CCTV_HYBRID],
    ['a recipient', 'age1ve3qtmmlj3tyqc8wqzg0wenq7ap6qqvk7k5y8m2a5xrl0wnxyjss2q7a5e'],
    ['empty', ''],
    ['too short', 'AGE-SECRET-KEY-1QQQQQQ'],
  ];
  for (const [what, line] of bad) {
    it(`rejects ${what} with BAD_KEY and without quoting it`, () => {
      const e = caught(() => parseX25519Identity(line));
      expect(e.code).toBe('BAD_KEY');
      expect(e.cause).toBeUndefined();
      const text = [e.message, ...e.hints].join('\n');
      if (line.length > 20) expect(text.toUpperCase()).not.toContain(line.slice(16, 36).toUpperCase());
    });
  }

  it('rejects an identity that encodes other than 32 bytes', () => {
    const short = bech32.encode('AGE-SECRET-KEY-', bech32.toWords(new Uint8Array(31))).toUpperCase();
    expect(() => parseX25519Identity(short)).toThrow(/31 bytes instead of 32/);
  });
});

// ---------------------------------------------------------------- real age CLI

function haveAge(): boolean {
  return spawnSync('age', ['--version']).status === 0 && spawnSync('age-keygen', ['--version']).status === 0;
}

describe.skipIf(!haveAge())('interop with the age CLI', () => {
  let dir: string;
  let keyText: string;
  let cliRecipient: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'envcrypt-age-'));
    const r = spawnSync('age-keygen', ['-o', join(dir, 'key.txt')]);
    expect(r.status).toBe(0);
    keyText = readFileSync(join(dir, 'key.txt'), 'utf8');
    cliRecipient = /# public key: (age1\S+)/.exec(keyText)?.[1] ?? '';
    return () => rmSync(dir, { recursive: true, force: true });
  });
  const secretLine = (): string => keyText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '';

  function ageEncrypt(plain: Uint8Array, recipients: string[]): string {
    writeFileSync(join(dir, 'plain'), plain);
    const args = [...recipients.flatMap((r) => ['-r', r]), '-a', '-o', join(dir, 'out.age'), join(dir, 'plain')];
    const r = spawnSync('age', args);
    expect(r.status, r.stderr.toString()).toBe(0);
    return readFileSync(join(dir, 'out.age'), 'utf8');
  }

  it('derives the recipient age-keygen printed', () => {
    expect(x25519Recipient(parseX25519Identity(secretLine()))).toBe(cliRecipient);
  });

  it('decrypts 32 random bytes armored by age -r … -a', () => {
    const plain = randomBytes(32);
    const out = unwrapNative(decodeArmor(ageEncrypt(plain, [cliRecipient])), [parseX25519Identity(secretLine())]);
    expect(out).toEqual(new Uint8Array(plain));
  });

  it('decrypts a multi-chunk file with several recipients, and a wrong identity gets null', async () => {
    const plain = randomBytes(3 * 64 * 1024 + 17);
    const other = await generateX25519Identity();
    const file = decodeArmor(ageEncrypt(plain, [await identityToRecipient(other), cliRecipient]));
    expect(fp(unwrapNative(file, [parseX25519Identity(secretLine())]))).toBe(fp(plain));
    expect(unwrapNative(file, [parseX25519Identity(await generateX25519Identity())])).toBeNull();
  });
});

// ---------------------------------------------------------------- agreement with age-encryption

describe('agreement with age-encryption', () => {
  const pool: { secret: string; recipient: string; native: X25519Identity }[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const secret = await generateX25519Identity();
      pool.push({ secret, recipient: await identityToRecipient(secret), native: parseX25519Identity(secret) });
    }
  });

  async function encrypt(plain: Uint8Array, recipients: string[]): Promise<string> {
    const e = new Encrypter();
    for (const r of recipients) e.addRecipient(r);
    return armor.encode(await e.encrypt(plain));
  }

  // Sizes around the 64 KiB STREAM chunk boundary, plus mostly small random ones.
  const payload = fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 65535, 65536, 65537, 131072).map((n) => new Uint8Array(randomBytes(n))) },
  );

  it('decrypts what Encrypter wrote to 1–3 recipients, like Decrypter; others get null', async () => {
    await fc.assert(
      fc.asyncProperty(payload, fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }), async (plain, picks) => {
        const armored = await encrypt(plain, picks.map((i) => pool[i]!.recipient));
        const file = decodeArmor(armored);
        for (const i of picks) {
          const mine = pool[i]!;
          expect(fp(unwrapNative(file, [mine.native]))).toBe(fp(plain));
          const d = new Decrypter();
          d.addIdentity(mine.secret);
          expect(fp(await d.decrypt(armor.decode(armored)))).toBe(fp(plain));
        }
        const outsider = pool.findIndex((_, i) => !picks.includes(i));
        expect(unwrapNative(file, [pool[outsider]!.native])).toBeNull();
        // Identity order does not matter: a non-matching one first is skipped.
        expect(fp(unwrapNative(file, [pool[outsider]!.native, pool[picks[0]!]!.native]))).toBe(fp(plain));
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 4)) },
    );
  });

  it('says unsupported for a post-quantum-only file and null with no identities for an X25519 one', async () => {
    const { generateHybridIdentity } = await import('age-encryption');
    const pq = await identityToRecipient(await generateHybridIdentity());
    const file = decodeArmor(await encrypt(new Uint8Array(32), [pq]));
    expect(unwrapNative(file, [pool[0]!.native])).toBe('unsupported');
    expect(unwrapNative(decodeArmor(await encrypt(new Uint8Array(32), [pool[0]!.recipient])), [])).toBeNull();
  });

  it('knows the stanza types of the general path', () => {
    expect([...GENERAL_PATH_STANZA_TYPES]).toEqual(expect.arrayContaining(['mlkem768x25519', 'scrypt', 'ssh-ed25519']));
    expect(GENERAL_PATH_STANZA_TYPES.has('X25519')).toBe(false);
  });
});

// ---------------------------------------------------------------- tampering

describe('tampering never yields a wrong plaintext', () => {
  let secret: string;
  let armored: string;
  let binary: Uint8Array;
  let plain: Uint8Array;
  let ids: X25519Identity[];
  beforeAll(async () => {
    secret = await generateX25519Identity();
    ids = [parseX25519Identity(secret)];
    const e = new Encrypter();
    e.addRecipient(await identityToRecipient(await generateX25519Identity())); // a second stanza, not ours
    e.addRecipient(await identityToRecipient(secret));
    plain = new Uint8Array(randomBytes(32)); // a sops data key
    binary = await e.encrypt(plain);
    armored = armor.encode(binary);
  });

  /** Returns the plaintext, or null for "no match"; any other failure must be an EnvcryptError. */
  function attempt(run: () => Uint8Array | null | 'unsupported'): Uint8Array | null | 'unsupported' {
    try {
      return run();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvcryptError);
      expect((e as EnvcryptError).code).toBe('DECRYPT_FAILED');
      return null;
    }
  }

  it('a flipped byte in the binary file always fails', () => {
    expect(unwrapNative(binary, ids)).toEqual(plain);
    fc.assert(
      fc.property(fc.nat({ max: binary.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const bad = binary.slice();
        bad[pos]! ^= mask;
        expect(attempt(() => unwrapNative(bad, ids))).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it('every low-bit flip anywhere in the header fails (exhaustive)', () => {
    const headerEnd = Buffer.from(binary).indexOf('\n--- ') + 1;
    for (let pos = 0; pos < headerEnd; pos++) {
      const bad = binary.slice();
      bad[pos]! ^= 0x01;
      expect(attempt(() => unwrapNative(bad, ids))).toBeNull();
    }
  });

  it('a changed or deleted character in the armor fails or gives the right bytes', () => {
    fc.assert(
      fc.property(fc.nat({ max: armored.length - 1 }), fc.integer({ min: 1, max: 127 }), fc.boolean(), (pos, mask, del) => {
        const replacement = del ? '' : String.fromCharCode(armored.charCodeAt(pos) ^ mask);
        const bad = armored.slice(0, pos) + replacement + armored.slice(pos + 1);
        const out = attempt(() => unwrapNative(decodeArmor(bad), ids));
        if (out !== null) expect(out).toEqual(plain);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- hand-made files

/** A minimal test-only age encryptor (one STREAM chunk), to build files age-encryption would not write. */
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '');
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
function seal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}
function x25519Stanza(fileKey: Uint8Array, to: X25519Identity): string {
  const eph = generateKeyPairSync('x25519');
  const share = eph.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const peer = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), to.publicKey]), format: 'der', type: 'spki' });
  const secret = diffieHellman({ privateKey: eph.privateKey, publicKey: peer });
  const body = seal(hkdf(secret, Buffer.concat([share, to.publicKey]), 'age-encryption.org/v1/X25519'), Buffer.alloc(12), fileKey);
  return `-> X25519 ${b64(share)}\n${b64(body)}\n`;
}
function craftFile(fileKey: Uint8Array, stanzas: string[], plain: Uint8Array): Uint8Array {
  const header = `age-encryption.org/v1\n${stanzas.join('')}---`;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(header).digest();
  const nonce = randomBytes(16);
  const last = Buffer.alloc(12);
  last[11] = 1;
  const payload = seal(hkdf(fileKey, nonce, 'payload'), last, plain);
  return new Uint8Array(Buffer.concat([Buffer.from(`${header} ${b64(mac)}\n`), nonce, payload]));
}

describe('hand-made files', () => {
  const me = parseX25519Identity(CCTV_X25519);
  const fileKey = new Uint8Array(randomBytes(16));
  const plain = new Uint8Array(randomBytes(32));
  const typage = async (file: Uint8Array): Promise<string | null> => {
    const d = new Decrypter();
    d.addIdentity(CCTV_X25519);
    return d.decrypt(file).then(fp, () => null);
  };

  it('the test encryptor writes files both implementations open', async () => {
    const file = craftFile(fileKey, [x25519Stanza(fileKey, me)], plain);
    expect(fp(unwrapNative(file, [me]))).toBe(fp(plain));
    expect(await typage(file)).toBe(fp(plain));
  });

  it('refuses a scrypt stanza next to a matching X25519 one, even with a valid MAC', async () => {
    const scrypt = `-> scrypt ${b64(randomBytes(16))} 10\n${b64(randomBytes(32))}\n`;
    const file = craftFile(fileKey, [x25519Stanza(fileKey, me), scrypt], plain);
    expect(() => unwrapNative(file, [me])).toThrow(/scrypt stanza that is not its only stanza/);
  });

  it('like age, stops at the first matching stanza and does not inspect later ones', async () => {
    const broken = `-> X25519 ${b64(randomBytes(32))} extra\n${b64(randomBytes(32))}\n`;
    const file = craftFile(fileKey, [x25519Stanza(fileKey, me), broken], plain);
    expect(fp(unwrapNative(file, [me]))).toBe(fp(plain));
    expect(await typage(file)).toBe(fp(plain));
    // …but a broken X25519 stanza met before the match is an error, not a skip.
    const first = craftFile(fileKey, [broken, x25519Stanza(fileKey, me)], plain);
    expect(() => unwrapNative(first, [me])).toThrow(/has 2 arguments instead of 1/);
    expect(await typage(first)).toBeNull();
  });

  it('answers unsupported when only a general-path stanza is left, null when only unknown ones are', () => {
    const pq = `-> mlkem768x25519 ${b64(randomBytes(32))}\n${b64(randomBytes(32))}\n`;
    const plugin = `-> piv-p256 ${b64(randomBytes(4))}\n${b64(randomBytes(32))}\n`;
    const other = parseX25519Identity(x25519IdentityFromSeed(7));
    expect(unwrapNative(craftFile(fileKey, [x25519Stanza(fileKey, other), pq], plain), [me])).toBe('unsupported');
    expect(unwrapNative(craftFile(fileKey, [x25519Stanza(fileKey, other), plugin], plain), [me])).toBeNull();
  });
});

/** A throwaway X25519 identity from a fixed seed (a test key, derived at run time, never stored). */
function x25519IdentityFromSeed(seed: number): string {
  return bech32.encode('AGE-SECRET-KEY-', bech32.toWords(new Uint8Array(32).fill(seed)), 90).toUpperCase();
}

// ---------------------------------------------------------------- module graph

describe('start-up cost', () => {
  it('the native modules do not pull in age-encryption or @noble', async () => {
    const entry = fileURLToPath(new URL('../../../src/keys/age/native.ts', import.meta.url));
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('age/header.ts'))).toBe(true);
    expect(inputs.filter((p) => /age-encryption|@noble/.test(p))).toEqual([]);
  });
});
