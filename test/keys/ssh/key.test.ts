import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { Identity, Recipient, Stanza } from 'age-encryption';
import { sshIdentity, sshPublicKeyOf, sshRecipient } from '../../../src/keys/ssh/key.js';
import { setSshPassphrasePrompt } from '../../../src/keys/ssh/prompt.js';
import { cctvVectors } from '../../helpers/cctv.js';
import { caught, rejected } from '../../helpers/errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

let dir: string;

/** Run a CLI; fail the test with its stderr if it exits non-zero. */
function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return r.stdout;
}

interface KeyPair {
  privateFile: string;
  publicLine: string;
  privateText: string;
}

/** A throwaway key made by ssh-keygen in the temp dir. */
function keygen(name: string, args: string[], passphrase = ''): KeyPair {
  const privateFile = join(dir, name);
  run('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', `${name}@envcrypt-test`, '-f', privateFile]);
  return {
    privateFile,
    publicLine: readFileSync(`${privateFile}.pub`, 'utf8').trim(),
    privateText: readFileSync(privateFile, 'utf8'),
  };
}

async function encryptWith(recipient: Recipient, payload: Uint8Array): Promise<string> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(payload));
}

async function decryptWith(identity: Identity, armored: string): Promise<Uint8Array> {
  const d = new Decrypter();
  d.addIdentity(identity);
  return d.decrypt(armor.decode(armored));
}

/** Encrypt with the real age CLI to a public key file. */
function ageEncryptTo(publicLine: string, payload: Uint8Array): string {
  const pub = join(dir, `recipient-${randomBytes(4).toString('hex')}.pub`);
  writeFileSync(pub, publicLine + '\n');
  return run('age', ['-a', '-R', pub], payload).toString();
}

/** Decrypt with the real age CLI and an SSH private key file. */
function ageDecrypt(privateFile: string, armored: string): Uint8Array {
  const f = join(dir, `file-${randomBytes(4).toString('hex')}.age`);
  writeFileSync(f, armored);
  return new Uint8Array(run('age', ['-d', '-i', privateFile, f]));
}

const keys: Record<string, KeyPair> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-ssh-'));
  keys.ed25519 = keygen('id_ed25519', ['-t', 'ed25519']);
  keys.ed25519b = keygen('id_ed25519_b', ['-t', 'ed25519']);
  keys.rsa = keygen('id_rsa', ['-t', 'rsa', '-b', '2048']);
  keys.rsab = keygen('id_rsa_b', ['-t', 'rsa', '-b', '2048']);
  keys.rsaPkcs1 = keygen('id_rsa_pkcs1', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
  keys.rsaPkcs8 = keygen('id_rsa_pkcs8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8']);
  keys.ed25519Protected = keygen('id_ed25519_protected', ['-t', 'ed25519'], 'secret');
  keys.rsaProtected = keygen('id_rsa_protected', ['-t', 'rsa', '-b', '2048'], 'secret');
  keys.rsaPemProtected = keygen('id_rsa_pem_protected', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], 'secret');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['ssh-ed25519 (OpenSSH format)', 'ed25519', 'ed25519b'],
  ['ssh-rsa (OpenSSH format)', 'rsa', 'rsab'],
  ['ssh-rsa (PEM PKCS#1)', 'rsaPkcs1', 'rsab'],
  ['ssh-rsa (PEM PKCS#8)', 'rsaPkcs8', 'rsab'],
])('%s interop with the age CLI', (_title, name, otherName) => {
  const key = (): KeyPair => keys[name]!;

  it('the age CLI decrypts what envcrypt encrypts', async () => {
    const payload = randomBytes(32);
    const armored = await encryptWith(sshRecipient(key().publicLine), payload);
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(Buffer.from(ageDecrypt(key().privateFile, armored)).equals(payload)).toBe(true);
  });

  it('envcrypt decrypts what the age CLI encrypts', async () => {
    const payload = randomBytes(32);
    const armored = ageEncryptTo(key().publicLine, payload);
    const out = await decryptWith(sshIdentity(key().privateText, key().privateFile), armored);
    expect(Buffer.from(out).equals(payload)).toBe(true);
  });

  it('another key of the same type does not match: "no identity matched"', async () => {
    const armored = ageEncryptTo(keys[otherName]!.publicLine, randomBytes(32));
    await expect(decryptWith(sshIdentity(key().privateText, key().privateFile), armored)).rejects.toThrow(
      /no identity matched/,
    );
  });

  it('a tampered stanza body throws DECRYPT_FAILED naming the key file', async () => {
    const flip = (s: Stanza): Stanza => {
      const body = Uint8Array.from(s.body);
      body[body.length >> 1]! ^= 0x01;
      return { args: s.args, body };
    };
    const inner = sshRecipient(key().publicLine);
    const tampering: Recipient = { wrapFileKey: async (k) => (await inner.wrapFileKey(k)).map(flip) };
    const armored = await encryptWith(tampering, randomBytes(32));
    const err = await rejected(decryptWith(sshIdentity(key().privateText, key().privateFile), armored));
    expect(err.code).toBe('DECRYPT_FAILED');
    expect(err.message).toContain(key().privateFile);
  });

  it('sshPublicKeyOf gives the key of the .pub file (without the comment)', () => {
    const [type, blob] = key().publicLine.split(' ');
    expect(sshPublicKeyOf(key().privateText, key().privateFile)).toBe(`${type} ${blob}`);
  });
});

describe('unwrapFileKey contract', () => {
  const fileKey = (): Uint8Array => new Uint8Array(randomBytes(16));

  it.each(['ed25519', 'rsa'])('%s: null for other types and other tags; finds its stanza among others', async (name) => {
    const k = keys[name]!;
    const id = sshIdentity(k.privateText, k.privateFile);
    const fk = fileKey();
    const [ours] = await sshRecipient(k.publicLine).wrapFileKey(fk);
    const other: Stanza = { args: ['X25519', 'AAAA'], body: new Uint8Array(32) };
    const retagged: Stanza = { args: [ours!.args[0]!, 'AAAAAA', ...ours!.args.slice(2)], body: ours!.body };
    const wrongType: Stanza = { args: [ours!.args[0] === 'ssh-rsa' ? 'ssh-ed25519' : 'ssh-rsa', ...ours!.args.slice(1)], body: ours!.body };
    expect(await id.unwrapFileKey([other, retagged, wrongType])).toBeNull();
    expect(await id.unwrapFileKey([])).toBeNull();
    const got = await id.unwrapFileKey([other, retagged, ours!]);
    expect(got && Buffer.from(got).equals(fk)).toBe(true);
  });

  it('ed25519: a stanza with our tag but a bad share or body length throws', () => {
    const k = keys.ed25519!;
    const id = sshIdentity(k.privateText, k.privateFile);
    const [ours] = sshRecipient(k.publicLine).wrapFileKey(fileKey()) as Stanza[];
    const share = ours!.args[2]!;
    // 32 bytes take 43 characters, whose last two bits are spare: canonical has them zero.
    expect(B64.indexOf(share.at(-1)!) % 4).toBe(0);
    const cases: Stanza[] = [
      { args: ours!.args.slice(0, 2), body: ours!.body },
      { args: [...ours!.args.slice(0, 2), 'not-base64!'], body: ours!.body },
      { args: [...ours!.args.slice(0, 2), 'AAAA'], body: ours!.body },
      { args: ours!.args, body: ours!.body.subarray(1) },
      // An all-zero share is a low-order point: X25519 refuses it.
      { args: [...ours!.args.slice(0, 2), 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], body: ours!.body },
      // The share in another spelling of the same bytes: age accepts only canonical unpadded base64.
      { args: [...ours!.args.slice(0, 2), `${share}=`], body: ours!.body },
      { args: [...ours!.args.slice(0, 2), share.slice(0, -1) + B64[B64.indexOf(share.at(-1)!) + 1]!], body: ours!.body },
    ];
    for (const s of cases) expect(() => id.unwrapFileKey([s])).toThrow(/malformed|length|invalid/);
    // Well-formed, but the body does not authenticate under the derived key.
    const body = Buffer.from(ours!.body);
    body[0]! ^= 1;
    expect(() => id.unwrapFileKey([{ args: ours!.args, body }])).toThrow(/does not decrypt/);
    expect(Buffer.from(id.unwrapFileKey([ours!]) as Uint8Array)).toHaveLength(16);
  });

  it('rsa: a stanza with our tag but extra arguments or a short body throws', () => {
    const k = keys.rsa!;
    const id = sshIdentity(k.privateText, k.privateFile);
    const [ours] = sshRecipient(k.publicLine).wrapFileKey(fileKey()) as Stanza[];
    expect(() => id.unwrapFileKey([{ args: [...ours!.args, 'x'], body: ours!.body }])).toThrow(/malformed/);
    expect(() => id.unwrapFileKey([{ args: ours!.args, body: ours!.body.subarray(8) }])).toThrow(/does not decrypt/);
  });

  it('ed25519: every random Ed25519 key round-trips, so the birational map agrees with the secret scalar', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (seed, fk) => {
        // RFC 8410 PKCS#8 wrapping of a raw Ed25519 seed, so fast-check controls (and can replay) the key.
        const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
        const pem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
        const stanzas = sshRecipient(sshPublicKeyOf(pem)).wrapFileKey(fk) as Stanza[];
        const got = sshIdentity(pem, 'generated.pem').unwrapFileKey(stanzas) as Uint8Array;
        expect(Buffer.from(got).equals(fk)).toBe(true);
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 4)) },
    );
  });

  it('stanzas look like the age CLI\'s: type, 6-character tag, 43-character share; 32-byte body', () => {
    const [s] = sshRecipient(keys.ed25519!.publicLine).wrapFileKey(fileKey()) as Stanza[];
    expect(s!.args[0]).toBe('ssh-ed25519');
    expect(s!.args[1]).toMatch(/^[A-Za-z0-9+/]{6}$/);
    expect(s!.args[2]).toMatch(/^[A-Za-z0-9+/]{43}$/);
    expect(s!.body.length).toBe(32);
    const [r] = sshRecipient(keys.rsa!.publicLine).wrapFileKey(fileKey()) as Stanza[];
    expect(r!.args).toHaveLength(2);
    expect(r!.body.length).toBe(256);
  });
});

describe('PKCS#8 Ed25519 keys (which the age CLI does not read)', () => {
  it('decrypt what the age CLI encrypts to their public key', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const payload = randomBytes(32);
    const armored = ageEncryptTo(sshPublicKeyOf(pem), payload);
    expect(Buffer.from(await decryptWith(sshIdentity(pem, 'k.pem'), armored)).equals(payload)).toBe(true);
  });
});

describe('passphrase-protected keys', () => {
  it.each(['ed25519Protected', 'rsaProtected', 'rsaPemProtected'])('%s: without a callback or a prompt, a file for it fails with NO_IDENTITY (exit 4) and hints', async (name) => {
    const k = keys[name]!;
    const id = sshIdentity(k.privateText, k.privateFile);
    const err = await rejected(decryptWith(id, ageEncryptTo(k.publicLine, randomBytes(8))));
    expect(err.code).toBe('NO_IDENTITY');
    expect(err.message).toBe(`ssh key ${k.privateFile} is protected by a passphrase, and there is no terminal to ask for it`);
    expect(err.hints.join('\n')).toContain('ssh-keygen -p -N "" -f COPY');
    expect(err.hints.join('\n')).toContain('envcrypt keygen');
  });

  it('a file for another key does not fail because a protected key is also present', async () => {
    const k = keys.ed25519Protected!;
    const id = sshIdentity(k.privateText, k.privateFile);
    await expect(decryptWith(id, ageEncryptTo(keys.ed25519b!.publicLine, randomBytes(8)))).rejects.toThrow(/no identity matched/);
  });

  it('uses the prompt the CLI registers: null means no terminal; wrong answers are retried up to its attempts', async () => {
    const k = keys.ed25519Protected!;
    const asked: string[] = [];
    try {
      setSshPassphrasePrompt({ ask: async () => null, attempts: 3 });
      const none = await rejected(decryptWith(sshIdentity(k.privateText, k.privateFile), ageEncryptTo(k.publicLine, randomBytes(8))));
      expect(none.code).toBe('NO_IDENTITY');
      const answers = ['wrong', 'again', 'secret'];
      setSshPassphrasePrompt({ ask: async (source) => (asked.push(source), answers.shift()!), attempts: 3 });
      const payload = randomBytes(8);
      expect(Buffer.from(await decryptWith(sshIdentity(k.privateText, k.privateFile), ageEncryptTo(k.publicLine, payload))).equals(payload)).toBe(true);
      expect(asked).toEqual([k.privateFile, k.privateFile, k.privateFile]);
      setSshPassphrasePrompt({ ask: async () => 'wrong', attempts: 3 });
      const wrong = await rejected(decryptWith(sshIdentity(k.privateText, k.privateFile), ageEncryptTo(k.publicLine, randomBytes(8))));
      expect([wrong.code, wrong.message]).toEqual(['NO_IDENTITY', `wrong passphrase for ssh key ${k.privateFile} (3 attempts)`]);
    } finally {
      setSshPassphrasePrompt(undefined);
    }
  });

  it.each(['ed25519Protected', 'rsaProtected', 'rsaPemProtected'])(
    '%s: decrypts what the age CLI encrypts, asking once',
    async (name) => {
      const k = keys[name]!;
      let asked = 0;
      const id = sshIdentity(k.privateText, k.privateFile, { passphrase: () => (asked++, 'secret') });
      for (let i = 0; i < 2; i++) {
        const payload = randomBytes(32);
        const out = await decryptWith(id, ageEncryptTo(k.publicLine, payload));
        expect(Buffer.from(out).equals(payload)).toBe(true);
      }
      expect(asked).toBe(1);
    },
  );

  it.each(['ed25519Protected', 'rsaProtected'])('%s: the passphrase is not asked for a file for another key', async (name) => {
    const k = keys[name]!;
    let asked = 0;
    const id = sshIdentity(k.privateText, k.privateFile, { passphrase: () => (asked++, 'secret') });
    await expect(decryptWith(id, ageEncryptTo(keys.ed25519b!.publicLine, randomBytes(8)))).rejects.toThrow(/no identity matched/);
    await expect(decryptWith(id, ageEncryptTo(keys.rsab!.publicLine, randomBytes(8)))).rejects.toThrow(/no identity matched/);
    expect(asked).toBe(0);
  });

  it.each(['ed25519Protected', 'rsaProtected', 'rsaPemProtected'])('%s: a wrong passphrase is NO_IDENTITY (a key problem, exit 4)', async (name) => {
    const k = keys[name]!;
    const id = sshIdentity(k.privateText, k.privateFile, { passphrase: async () => 'wrong' });
    const err = await rejected(decryptWith(id, ageEncryptTo(k.publicLine, randomBytes(8))));
    expect(err.code).toBe('NO_IDENTITY');
    expect(err.message).toBe(`wrong passphrase for ssh key ${k.privateFile}`);
  });

  it('after a wrong passphrase, the next file asks again', async () => {
    const k = keys.ed25519Protected!;
    const answers = ['wrong', 'secret'];
    const id = sshIdentity(k.privateText, k.privateFile, { passphrase: () => answers.shift()! });
    await expect(decryptWith(id, ageEncryptTo(k.publicLine, randomBytes(8)))).rejects.toThrow(/wrong passphrase/);
    const payload = randomBytes(8);
    expect(Buffer.from(await decryptWith(id, ageEncryptTo(k.publicLine, payload))).equals(payload)).toBe(true);
    expect(answers).toEqual([]);
  });

  it('sshPublicKeyOf reads a protected OpenSSH key without the passphrase, but not a protected PEM key', () => {
    const k = keys.ed25519Protected!;
    expect(sshPublicKeyOf(k.privateText, k.privateFile)).toBe(k.publicLine.split(' ').slice(0, 2).join(' '));
    const pem = keys.rsaPemProtected!;
    expect(() => sshPublicKeyOf(pem.privateText, pem.privateFile)).toThrow(/passphrase-protected PEM key/);
  });
});

describe('malformed keys', () => {
  it.each([
    ['', 'empty'],
    ['ssh-ed25519', 'no key data'],
    ['ssh-ed25519 @@@@', 'bad base64'],
    ['ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY=', 'another type'],
    ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', 'an age recipient'],
  ])('sshRecipient(%j) is BAD_KEY naming the accepted forms (%s)', (line) => {
    const err = caught(() => sshRecipient(line));
    expect(err.code).toBe('BAD_KEY');
    expect(err.message).toContain('"ssh-ed25519 AAAA… [comment]" or "ssh-rsa AAAA… [comment]"');
  });

  it('an ed25519 public key that is not a usable point is BAD_KEY', () => {
    // y = 1 is the identity point: 1 - y has no inverse, so it has no X25519 form.
    const wire = Buffer.concat([Buffer.from('0000000b7373682d65643235353139', 'hex'), Buffer.from('00000020', 'hex'), Buffer.alloc(32)]);
    wire[wire.length - 32] = 1;
    expect(() => sshRecipient(`ssh-ed25519 ${wire.toString('base64')}`)).toThrow(/not a usable curve point/);
  });

  it('sshIdentity of a public key or of junk is BAD_KEY naming the file', () => {
    expect(() => sshIdentity(keys.ed25519!.publicLine, 'id.pub')).toThrow(/cannot use ssh key id\.pub: it is a public key/);
    expect(() => sshIdentity('hello', 'notes.txt')).toThrow(/cannot use ssh key notes\.txt/);
  });
});

describe('C2SP CCTV age vectors', () => {
  const texts = cctvVectors().map(({ name, header, body }) => ({ name, header, body: Buffer.from(body) }));

  it('the package has vectors, and none of them involves an ssh key or stanza', () => {
    expect(texts.length).toBeGreaterThan(100);
    const ssh = texts.filter((t) => /ssh/i.test(t.name) || /ssh/i.test(t.header) || /-> ssh-/.test(t.body.toString('latin1')));
    expect(ssh.map((t) => t.name)).toEqual([]);
  });

  it.skip('cctv-age 0.2.0 has no vectors with ssh-ed25519 or ssh-rsa identities, so there are none to run (interop is covered by the age CLI tests above)', () => {});
});

describe('mixed recipients', () => {
  it('a file for an X25519 key and an SSH key opens with either', async () => {
    const x = await generateX25519Identity();
    const e = new Encrypter();
    e.addRecipient(await identityToRecipient(x));
    e.addRecipient(sshRecipient(keys.ed25519!.publicLine));
    const payload = randomBytes(32);
    const armored = armor.encode(await e.encrypt(payload));
    expect(Buffer.from(ageDecrypt(keys.ed25519!.privateFile, armored)).equals(payload)).toBe(true);
    expect(Buffer.from(await decryptWith(sshIdentity(keys.ed25519!.privateText, 'k'), armored)).equals(payload)).toBe(true);
  });
});
