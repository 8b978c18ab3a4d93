import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptText, type DecryptedFile } from '../../src/api/decrypt.js';
import { encryptBranches, encryptText } from '../../src/api/encrypt.js';
import { mergeFile, mergeTexts } from '../../src/api/merge-file.js';
import { sniffFormat } from '../../src/stores/sniff.js';
import { writeMetadata } from '../../src/stores/metadata.js';
import { EnvcryptError } from '../../src/errors.js';
import { storeFor } from '../../src/stores/index.js';
import type { Format } from '../../src/stores/store.js';
import { ageKeygen, tempDir } from '../helpers/run-cli.js';

const CANARY_O = 'CANARY-ours-5d1e';
const CANARY_T = 'CANARY-theirs-9b2c';

let t: ReturnType<typeof tempDir>;
let alice: { file: string; recipient: string };
let bob: { file: string; recipient: string };
let carol: { file: string; recipient: string };

beforeAll(() => {
  t = tempDir('envcrypt-merge-');
  alice = ageKeygen(t.dir, 'alice.txt');
  bob = ageKeygen(t.dir, 'bob.txt');
  carol = ageKeygen(t.dir, 'carol.txt');
});
afterAll(() => t.cleanup());

const as = (who: { file: string }) => ({ identityFiles: [who.file], env: {} });

function name(format: Format): string {
  return format === 'dotenv' ? '.env.enc' : format === 'yaml' ? 'secrets.enc.yaml' : 'secrets.enc.json';
}

/** Encrypt a new file. */
function create(plain: string, recipients: string[], format: Format = 'dotenv'): Promise<string> {
  return encryptText(plain, name(format), { recipients, format });
}

/** A new version of an encrypted file with this plaintext, as "envcrypt edit" would write it. */
async function revise(prev: string, plain: string, opts: { recipients?: string[]; rotate?: boolean; format?: Format } = {}): Promise<string> {
  const format = opts.format ?? 'dotenv';
  const dec = await decryptText(prev, name(format), { ...as(alice), format });
  const store = await storeFor(format);
  const recipients = opts.recipients ?? dec.metadata.groups[0]!.age.map((e) => e.recipient);
  const enc = await encryptBranches(store.parsePlain(plain), {
    recipients,
    // Named by this (simulated) command, as "recipients add" would.
    vouched: new Map(recipients.map((r) => [r, 'the test'])),
    previous: dec,
    ...(opts.rotate ? { rotate: true } : {}),
  });
  return store.emitEncrypted(enc.branches, writeMetadata(enc.metadata));
}

async function open(text: string, who = alice, format: Format = 'dotenv'): Promise<DecryptedFile> {
  return decryptText(text, name(format), { ...as(who), format });
}

async function plain(text: string, who = alice, format: Format = 'dotenv'): Promise<string> {
  return (await storeFor(format)).emitPlain((await open(text, who, format)).branches);
}

const line = (text: string, key: string) => text.split('\n').find((l) => l.startsWith(`${key}=`));

describe('mergeTexts (dotenv)', () => {
  it('merges changes to different keys; unchanged and one-sided values keep their ciphertext; the data key is kept', async () => {
    const base = await create('A=1\nB=2\nC=3\n', [alice.recipient, bob.recipient]);
    const ours = await revise(base, 'A=ours\nB=2\nC=3\n');
    const theirs = await revise(base, 'A=1\nB=theirs\nC=3\n');
    const r = await mergeTexts(base, ours, theirs, { ...as(alice), name: '.env.enc' });
    expect(r.conflicts).toEqual([]);
    expect(r.rotated).toBe(false);
    expect(await plain(r.text)).toBe('A=ours\nB=theirs\nC=3\n');
    expect(await plain(r.text, bob)).toBe('A=ours\nB=theirs\nC=3\n');
    expect(line(r.text, 'A')).toBe(line(ours, 'A'));
    expect(line(r.text, 'B')).toBe(line(theirs, 'B'));
    expect(line(r.text, 'C')).toBe(line(base, 'C'));
    expect(Buffer.from((await open(r.text)).dataKey)).toEqual(Buffer.from((await open(ours)).dataKey));
  });

  it('reports a conflict by key name only, keeps ours, and still writes a valid file', async () => {
    const base = await create('DB_PASSWORD=old\nX=1\n', [alice.recipient]);
    const ours = await revise(base, `DB_PASSWORD=${CANARY_O}\nX=1\n`);
    const theirs = await revise(base, `DB_PASSWORD=${CANARY_T}\nX=2\n`);
    const r = await mergeTexts(base, ours, theirs, { ...as(alice), name: '.env.enc' });
    expect(r.conflicts).toEqual(['DB_PASSWORD']);
    expect(JSON.stringify(r.conflicts)).not.toContain('CANARY');
    expect(r.text).not.toContain('CANARY');
    expect(await plain(r.text)).toBe(`DB_PASSWORD=${CANARY_O}\nX=2\n`);
  });

  it('returns ours byte for byte when theirs only re-encrypted the same values', async () => {
    const base = await create('A=1\nB=2\n', [alice.recipient]);
    const ours = await revise(base, 'A=2\nB=2\n');
    const theirs = await revise(base, 'B=2\nA=1\n');
    const theirsAgain = await revise(theirs, 'A=1\nB=2\n');
    expect(theirsAgain).not.toBe(base);
    const r = await mergeTexts(base, ours, theirsAgain, { ...as(alice), name: '.env.enc' });
    expect(r.text).toBe(ours);
  });

  it('treats an empty base as a file added on both sides', async () => {
    const ours = await create('A=1\nO=o\n', [alice.recipient]);
    const theirs = await create('A=1\nT=t\n', [alice.recipient]);
    const r = await mergeTexts('', ours, theirs, { ...as(alice), name: '.env.enc' });
    expect(r.conflicts).toEqual([]);
    expect(await plain(r.text)).toBe('A=1\nT=t\nO=o\n');
    // Two unrelated data keys: the result gets a fresh one.
    expect(r.rotated).toBe(true);
  });

  it('unions recipients: one added by theirs can decrypt, without rotating', async () => {
    const base = await create('A=1\nB=2\n', [alice.recipient]);
    const ours = await revise(base, 'A=2\nB=2\n');
    const theirs = await revise(base, 'A=1\nB=2\n', { recipients: [alice.recipient, carol.recipient] });
    const r = await mergeTexts(base, ours, theirs, { ...as(alice), name: '.env.enc' });
    expect(r.rotated).toBe(false);
    expect(r.recipients).toEqual([alice.recipient, carol.recipient]);
    expect(await plain(r.text, carol)).toBe('A=2\nB=2\n');
  });

  it('drops a recipient one side removed and rotates the data key', async () => {
    const base = await create('A=1\nB=2\n', [alice.recipient, bob.recipient]);
    const ours = await revise(base, 'A=2\nB=2\n', { recipients: [alice.recipient, bob.recipient, carol.recipient] });
    const theirs = await revise(base, 'A=1\nB=3\n', { recipients: [alice.recipient] });
    const r = await mergeTexts(base, ours, theirs, { ...as(alice), name: '.env.enc' });
    expect(r.rotated).toBe(true);
    expect(r.removed).toEqual([bob.recipient]);
    expect(r.recipients).toEqual([alice.recipient, carol.recipient]);
    const key = Buffer.from((await open(r.text)).dataKey);
    expect(key).not.toEqual(Buffer.from((await open(ours)).dataKey));
    expect(key).not.toEqual(Buffer.from((await open(theirs)).dataKey));
    expect(await plain(r.text, carol)).toBe('A=2\nB=3\n');
    await expect(open(r.text, bob)).rejects.toMatchObject({ code: 'NO_IDENTITY' });
  });

  it('rotates when theirs rotated, and keeps ours\' key when only ours did', async () => {
    const base = await create('A=1\nB=2\n', [alice.recipient]);
    const plainOurs = await revise(base, 'A=2\nB=2\n');
    const rotatedTheirs = await revise(base, 'A=1\nB=3\n', { rotate: true });
    const r1 = await mergeTexts(base, plainOurs, rotatedTheirs, { ...as(alice), name: '.env.enc' });
    expect(r1.rotated).toBe(true);
    const rotatedOurs = await revise(base, 'A=2\nB=2\n', { rotate: true });
    const plainTheirs = await revise(base, 'A=1\nB=3\n');
    const r2 = await mergeTexts(base, rotatedOurs, plainTheirs, { ...as(alice), name: '.env.enc' });
    expect(r2.rotated).toBe(false);
    expect(Buffer.from((await open(r2.text)).dataKey)).toEqual(Buffer.from((await open(rotatedOurs)).dataKey));
    // Theirs' ciphertext was under another key, so its changed value got a new one.
    expect(line(r2.text, 'B')).not.toBe(line(plainTheirs, 'B'));
    expect(await plain(r2.text)).toBe('A=2\nB=3\n');
  });

  it('a whole new file on their side, under the pusher\'s own data key and with a valid record, vouches for nobody: the merge refuses to give the merged secrets to its extra recipient', async () => {
    const base = await create('A=1\nSECRET=real\n', [alice.recipient]);
    const ours = await revise(base, 'A=2\nSECRET=real\n');
    // Anyone can write this: recipients are public, and the forger makes the data key.
    const forged = await create('A=1\nSECRET=real\nB=3\n', [alice.recipient, carol.recipient]);
    const err = await mergeTexts(base, ours, forged, { ...as(alice), name: '.env.enc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).code).toBe('UNVOUCHED');
    expect((err as EnvcryptError).exitCode).toBe(3);
    expect((err as EnvcryptError).message).toContain(carol.recipient);
  });

  it('fails, naming the side, when a side has a bad MAC', async () => {
    const base = await create('A=1\nB=2\n', [alice.recipient]);
    const ours = await revise(base, 'A=2\nB=2\n');
    const theirs = await revise(base, 'A=1\nB=3\n');
    const tampered = theirs.replace(line(theirs, 'B')!, line(base, 'B')!);
    const err = await mergeTexts(base, ours, tampered, { ...as(alice), name: '.env.enc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect((err as EnvcryptError).code).toBe('MAC_MISMATCH');
    expect((err as EnvcryptError).file).toBe('.env.enc');
    expect((err as EnvcryptError).message).toMatch(/MAC.*\(in their version\)$/);
  });
});

describe('mergeTexts (YAML, JSON)', () => {
  it('merges nested YAML maps by key and keeps ours\' comments', async () => {
    const base = await create('# header\ndb:\n    user: u\n    pass: p\nlist:\n    - 1\n', [alice.recipient], 'yaml');
    const ours = await revise(base, '# header\ndb:\n    user: U\n    pass: p\nlist:\n    - 1\n', { format: 'yaml' });
    const theirs = await revise(base, 'db:\n    user: u\n    pass: P\n    host: h\nlist:\n    - 1\n    - 2\n', { format: 'yaml' });
    const r = await mergeTexts(base, ours, theirs, { ...as(alice), name: 'secrets.enc.yaml' });
    expect(r.conflicts).toEqual([]);
    expect(await plain(r.text, alice, 'yaml')).toBe('# header\ndb:\n    user: U\n    pass: P\n    host: h\nlist:\n    - 1\n    - 2\n');
  });

  it('names nested conflicts by dotted path (JSON)', async () => {
    const base = await create('{"api": {"token": "t0", "url": "u"}}', [alice.recipient], 'json');
    const ours = await revise(base, `{"api": {"token": "${CANARY_O}", "url": "u"}}`, { format: 'json' });
    const theirs = await revise(base, `{"api": {"token": "${CANARY_T}", "url": "U"}}`, { format: 'json' });
    const r = await mergeTexts(base, ours, theirs, { ...as(alice), name: 'secrets.enc.json' });
    expect(r.conflicts).toEqual(['api.token']);
    const dec = JSON.parse(await plain(r.text, alice, 'json'));
    expect(dec).toEqual({ api: { token: CANARY_O, url: 'U' } });
  });
});

describe('mergeFile', () => {
  it('writes the result over ours, and leaves ours untouched without a key', async () => {
    const base = await create('A=1\nB=2\n', [bob.recipient]);
    const ours = await revise(base, 'A=2\nB=2\n').catch(() => null);
    // alice is not a recipient: revise (as alice) cannot open it.
    expect(ours).toBeNull();
    const [pb, po, pt] = ['.merge_file_b', '.merge_file_o', '.merge_file_t'].map((n) => join(t.dir, n)) as [string, string, string];
    writeFileSync(pb, base);
    writeFileSync(po, base);
    writeFileSync(pt, base);
    const before = statSync(po).mtimeMs;
    const err = await mergeFile(pb, po, pt, { ...as(alice), name: '.env.enc' }).catch((e: unknown) => e);
    expect((err as EnvcryptError).code).toBe('NO_IDENTITY');
    expect(readFileSync(po, 'utf8')).toBe(base);
    expect(statSync(po).mtimeMs).toBe(before);
    const r = await mergeFile(pb, po, pt, { ...as(bob), name: '.env.enc' });
    expect(r.conflicts).toEqual([]);
    expect(readFileSync(po, 'utf8')).toBe(base);
  });

  it('reads a missing base as an empty one, and names without an extension through %P', async () => {
    const ours = await create('A=1\n', [alice.recipient]);
    const theirs = await create('B=2\n', [alice.recipient]);
    const po = join(t.dir, '.merge_file_x1');
    const pt = join(t.dir, '.merge_file_x2');
    writeFileSync(po, ours);
    writeFileSync(pt, theirs);
    const r = await mergeFile(join(t.dir, 'missing'), po, pt, { ...as(alice), name: 'config/.env.enc' });
    expect(r.conflicts).toEqual([]);
    expect(await plain(readFileSync(po, 'utf8'))).toBe('A=1\nB=2\n');
  });
});

describe('sniffFormat', () => {
  it('uses a name that says the format, else finds sops metadata', async () => {
    const env = await create('A=1\n', [alice.recipient]);
    const yaml = await create('a: 1\n', [alice.recipient], 'yaml');
    const json = await create('{"a": 1}', [alice.recipient], 'json');
    expect(await sniffFormat(env, ['x.json', '.env.enc'])).toBe('json');
    expect(await sniffFormat(env, ['.merge_file_abc'])).toBe('dotenv');
    expect(await sniffFormat(yaml, ['.merge_file_abc'])).toBe('yaml');
    expect(await sniffFormat(json, [])).toBe('json');
    expect(await sniffFormat('A=1\n', [])).toBeNull();
  });
});
