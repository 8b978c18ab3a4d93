import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { constants, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvcryptError } from '../../../src/errors.js';
import {
  formatSshPublicKey,
  parseSshPrivateKey,
  parseSshPublicKey,
  type SshPrivateKey,
  type SshPrivateKeyFile,
} from '../../../src/keys/ssh/parse.js';
import { wireEncode } from '../../../src/keys/ssh/wire.js';
import { caught } from '../../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const ACCEPTED = '"ssh-ed25519 AAAA… [comment]" or "ssh-rsa AAAA… [comment]"';

let dir: string;
interface Made {
  file: string;
  text: string;
  pub: string;
}
const made: Record<string, Made> = {};

/** A throwaway key made by ssh-keygen in the temp dir. */
function keygen(name: string, args: string[], passphrase = ''): Made {
  const file = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', `${name} comment`, '-f', file]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { file, text: readFileSync(file, 'utf8'), pub: readFileSync(`${file}.pub`, 'utf8').trim() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-ssh-parse-'));
  made.ed25519 = keygen('id_ed25519', ['-t', 'ed25519']);
  made.rsa = keygen('id_rsa', ['-t', 'rsa', '-b', '2048']);
  made.rsaPem = keygen('id_rsa_pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
  made.rsaPkcs8 = keygen('id_rsa_pkcs8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8']);
  made.ecdsa = keygen('id_ecdsa', ['-t', 'ecdsa']);
  made.ed25519Protected = keygen('id_ed25519_protected', ['-t', 'ed25519'], 'secret');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function plain(f: SshPrivateKeyFile): SshPrivateKey {
  if (f.encrypted) throw new Error('expected an unencrypted key');
  return f.key;
}

/** Decode an OpenSSH private key file to its binary form, and back. */
const unarmor = (text: string): Buffer => Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
const armorOpenSsh = (bin: Uint8Array): string =>
  `-----BEGIN OPENSSH PRIVATE KEY-----\n${(Buffer.from(bin).toString('base64').match(/.{1,70}/g) ?? []).join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Build an unencrypted OpenSSH ed25519 key file from parts, so each field can be broken on purpose. */
function buildEd25519(o: { seed?: Buffer; pubInHeader?: Buffer; count?: number; check?: [number, number]; pad?: (n: number) => number[] } = {}): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = o.seed ?? Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const blob = wireEncode('ssh-ed25519', o.pubInHeader ?? pub);
  const [c1, c2] = o.check ?? [0x12345678, 0x12345678];
  let section = Buffer.concat([u32(c1), u32(c2), wireEncode('ssh-ed25519', pub, Buffer.concat([seed, pub]), 'me@host')]);
  const padLen = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(o.pad ? o.pad(padLen) : Array.from({ length: padLen }, (_, i) => i + 1))]);
  const count = o.count ?? 1;
  const blobs = Array.from({ length: count }, () => wireEncode(blob));
  const bin = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), wireEncode('none', 'none', new Uint8Array(0)), u32(count), ...blobs, wireEncode(section)]);
  return armorOpenSsh(bin);
}

describe('parseSshPublicKey', () => {
  it('reads ssh-keygen .pub lines with their comments', () => {
    for (const name of ['ed25519', 'rsa']) {
      const k = parseSshPublicKey(made[name]!.pub);
      expect(k.type).toBe(name === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519');
      expect(k.comment).toBe(`id_${name} comment`);
      expect(formatSshPublicKey(k)).toBe(made[name]!.pub.split(' ').slice(0, 2).join(' '));
    }
    const rsa = parseSshPublicKey(made.rsa!.pub);
    expect(rsa.type === 'ssh-rsa' && rsa.bits).toBe(2048);
  });

  it('accepts authorized_keys options, extra whitespace, tabs and no comment', () => {
    const [type, blob] = made.ed25519!.pub.split(' ') as [string, string];
    const lines = [
      `  ${type}\t${blob}  `,
      `${type} ${blob}`,
      `no-pty,command="echo a b \\" c" ${type} ${blob} a comment`,
      `restrict ${type} ${blob}`,
    ];
    for (const l of lines) expect(formatSshPublicKey(parseSshPublicKey(l))).toBe(`${type} ${blob}`);
  });

  const ed = (): string => made.ed25519!.pub.split(' ')[1]!;
  const rsaBlob = (): string => made.rsa!.pub.split(' ')[1]!;
  const edWire = (key: Buffer): string => Buffer.from(wireEncode('ssh-ed25519', key)).toString('base64');

  it.each<[string, () => string, RegExp]>([
    ['empty', () => '', /it is empty/],
    ['type only', () => 'ssh-ed25519', /key data is missing/],
    ['bad base64', () => 'ssh-ed25519 AAAA$$$$', /not valid base64/],
    // 52 bytes end in "AA==": the second A's low 4 bits are padding, so "AB==" decodes the same but is not canonical.
    ['non-canonical base64', () => `ssh-ed25519 ${Buffer.concat([Buffer.from(ed(), 'base64'), Buffer.of(0)]).toString('base64').replace(/AA==$/, 'AB==')}`, /not valid base64/],
    ['no key type', () => `${ed()} comment`, /does not start with a key type/],
    ['an age recipient', () => 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', /does not start with a key type/],
    ['type and data disagree', () => `ssh-ed25519 ${rsaBlob()}`, /says ssh-ed25519 but its key data is ssh-rsa/],
    ['truncated data', () => `ssh-ed25519 ${Buffer.from(ed(), 'base64').subarray(0, 40).toString('base64')}`, /truncated/],
    ['trailing bytes', () => `ssh-ed25519 ${Buffer.concat([Buffer.from(ed(), 'base64'), Buffer.of(0)]).toString('base64')}`, /trailing bytes/],
    ['31-byte ed25519 key', () => `ssh-ed25519 ${edWire(Buffer.alloc(31, 9))}`, /not 32 bytes/],
    ['512-bit rsa', () => `ssh-rsa ${Buffer.from(wireEncode('ssh-rsa', 65537n, (1n << 511n) + 1n)).toString('base64')}`, /512 bits/],
    ['even rsa exponent', () => `ssh-rsa ${Buffer.from(wireEncode('ssh-rsa', 65536n, (1n << 2047n) + 1n)).toString('base64')}`, /exponent/],
    ['two lines', () => `${made.ed25519!.pub}\n${made.rsa!.pub}`, /several lines/],
  ])('%s → BAD_KEY naming the accepted forms', (_name, line, why) => {
    const e = caught(() => parseSshPublicKey(line()));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toMatch(why);
    expect(e.message).toContain(ACCEPTED);
    expect(e.hints.length).toBeGreaterThan(0);
  });

  it('other ssh key types are BAD_KEY saying which types work', () => {
    const e = caught(() => parseSshPublicKey(made.ecdsa!.pub));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toBe(`unsupported ssh key type "ecdsa-sha2-nistp256"; expected ${ACCEPTED}`);
    expect(e.hints.join(' ')).toMatch(/ssh-ed25519 and ssh-rsa/);
  });

  it('a private key given as a public key is refused without echoing it', () => {
    const e = caught(() => parseSshPublicKey(made.ed25519!.text));
    expect(e.message).toBe('expected an ssh public key but got a private key');
    expect(e.hints.join(' ')).toMatch(/ssh-keygen -y/);
  });

  it('never throws anything but BAD_KEY, and never echoes its input (canary)', () => {
    const canary = 'CANARYSECRET';
    fc.assert(
      fc.property(
        fc.constantFrom('', 'ssh-ed25519 ', 'ssh-rsa ', 'ecdsa-sha2-nistp256 ', 'no-pty ', 'command="x" '),
        fc.string(),
        fc.boolean(),
        (prefix, noise, asBase64) => {
          const payload = asBase64 ? Buffer.from(noise + canary).toString('base64') : noise + canary;
          try {
            parseSshPublicKey(prefix + payload);
          } catch (e) {
            expect(e).toBeInstanceOf(EnvcryptError);
            expect((e as EnvcryptError).code).toBe('BAD_KEY');
            expect((e as EnvcryptError).message).not.toContain(canary);
            expect((e as EnvcryptError).message).not.toContain(payload.slice(0, 12));
            return;
          }
          throw new Error('random data parsed as a key');
        },
      ),
      { numRuns: RUNS },
    );
  });
});

function rsaWorks(key: KeyObject, pub: KeyObject): boolean {
  const opts = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  const ct = publicEncrypt({ key: pub, ...opts }, Buffer.from('probe'));
  return privateDecrypt({ key, ...opts }, ct).toString() === 'probe';
}

describe('parseSshPrivateKey', () => {
  it.each(['ed25519', 'rsa', 'rsaPem', 'rsaPkcs8'])('%s from ssh-keygen: the public half matches the .pub file', (name) => {
    const m = made[name]!;
    const key = plain(parseSshPrivateKey(m.text, m.file));
    expect(formatSshPublicKey(key.publicKey)).toBe(m.pub.split(' ').slice(0, 2).join(' '));
    if (name === 'ed25519' || name === 'rsa') expect(key.publicKey.comment).toBe(m.pub.split(' ').slice(2).join(' '));
    if (key.type === 'ssh-rsa') expect(rsaWorks(key.key, key.publicKey.key)).toBe(true);
    else expect(createPublicKey(key.key).export({ format: 'jwk' }).x).toBe(Buffer.from(key.publicKey.key).toString('base64url'));
  });

  it('a protected OpenSSH key exposes its public half; decrypt needs the right passphrase', () => {
    const m = made.ed25519Protected!;
    const f = parseSshPrivateKey(m.text, m.file);
    expect(f.encrypted).toBe(true);
    if (!f.encrypted) return;
    expect(f.publicKey && formatSshPublicKey(f.publicKey)).toBe(m.pub.split(' ').slice(0, 2).join(' '));
    expect(f.decrypt('secret').publicKey.comment).toBe('id_ed25519_protected comment');
    const e = caught(() => f.decrypt('Secret'));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toBe(`cannot use ssh key ${m.file}: the passphrase is wrong`);
  });

  it.each<[string, () => string, RegExp]>([
    ['a public key', () => made.ed25519!.pub, /it is a public key/],
    ['junk', () => 'not a key at all', /no "-----BEGIN … PRIVATE KEY-----" block/],
    ['an ecdsa OpenSSH key', () => made.ecdsa!.text, /unsupported key type "ecdsa-sha2-nistp256"/],
    ['an EC PEM key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString(), /unsupported ec key/],
    ['an EC PKCS#8 key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /unsupported ec key/],
    ['a certificate block', () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /"CERTIFICATE" block, not a private key/],
    ['bad base64', () => '-----BEGIN OPENSSH PRIVATE KEY-----\n@@@@\n-----END OPENSSH PRIVATE KEY-----\n', /base64 data is malformed/],
    ['wrong magic', () => armorOpenSsh(Buffer.from('openssh-key-v2\0rest', 'latin1')), /openssh-key-v1/],
    ['two keys', () => buildEd25519({ count: 2 }), /holds 2 keys/],
    ['different check ints', () => buildEd25519({ check: [1, 2] }), /private section is corrupt/],
    ['bad padding', () => buildEd25519({ pad: (n) => Array.from({ length: n }, () => 0) }), /bad padding/],
    ['a header key of another pair', () => buildEd25519({ pubInHeader: Buffer.alloc(32, 7) }), /halves disagree/],
    ['a seed of another pair', () => buildEd25519({ seed: Buffer.alloc(32, 7) }), /halves disagree/],
    ['a damaged PEM body', () => made.rsaPem!.text.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'), /PEM data is malformed|invalid/],
  ])('%s → BAD_KEY naming the file', (_name, text, why) => {
    const e = caught(() => parseSshPrivateKey(text(), 'keyfile'));
    expect(e.code).toBe('BAD_KEY');
    expect(e.file).toBe('keyfile');
    expect(e.message).toMatch(/^cannot use ssh key keyfile: /);
    expect(e.message).toMatch(why);
  });

  it('a well-formed synthetic key parses (the builder above is right)', () => {
    expect(plain(parseSshPrivateKey(buildEd25519(), 'k')).publicKey.comment).toBe('me@host');
  });

  it.each(['ed25519', 'rsa'])('%s: any one damaged byte is BAD_KEY or leaves a working key of the same public half', (name) => {
    const original = plain(parseSshPrivateKey(made[name]!.text, 'k'));
    const bin = unarmor(made[name]!.text);
    fc.assert(
      fc.property(fc.nat(bin.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const damaged = Buffer.from(bin);
        damaged[at]! ^= xor;
        let key: SshPrivateKey;
        try {
          key = plain(parseSshPrivateKey(armorOpenSsh(damaged), 'k'));
        } catch (e) {
          expect(e).toBeInstanceOf(EnvcryptError);
          expect((e as EnvcryptError).code).toBe('BAD_KEY');
          return;
        }
        expect(Buffer.from(key.publicKey.wire).equals(original.publicKey.wire)).toBe(true);
        if (key.type === 'ssh-rsa') expect(rsaWorks(key.key, original.publicKey.key as KeyObject)).toBe(true);
        else expect(createPublicKey(key.key).export({ format: 'jwk' }).x).toBe(Buffer.from(key.publicKey.key).toString('base64url'));
      }),
      { numRuns: RUNS },
    );
  });

  it('errors never contain the key text (canary in the comment)', () => {
    const text = buildEd25519({ check: [1, 2] });
    const e = caught(() => parseSshPrivateKey(text, 'k'));
    for (const line of text.split('\n').filter((l) => l.length > 8 && !l.startsWith('-----'))) {
      expect(e.message).not.toContain(line.slice(0, 12));
    }
  });
});
