// The preload's bridge to the helper process for post-quantum and SSH
// stanzas: the request goes on stdin (never argv), and every way the helper
// can answer or fail becomes a value or an envcrypt error.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvcryptError } from '../../src/errors.js';
import { preloadHost } from '../../src/start/sync-host.js';
import { BIN } from '../helpers/paths.js';
import { cleanEnv, put, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir();
});
afterAll(() => t.cleanup());

/** A stand-in helper: records its argv and stdin, then runs `body`. */
function fakeHelper(name: string, body: string): string {
  return put(
    t.dir,
    name,
    `const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify(join(t.dir, `${name}.argv`))}, JSON.stringify(process.argv.slice(2)));
fs.writeFileSync(${JSON.stringify(join(t.dir, `${name}.stdin`))}, fs.readFileSync(0));
${body}
`,
  );
}

const SECRET_ID = 'AGE-SECRET-KEY-PQ-1THROWAWAYTESTVALUE';
const req = { file: new Uint8Array([1, 2, 3]), ids: { native: [], general: [SECRET_ID] }, recipient: 'age1pq1example' };

describe('preloadHost().unwrapGeneral', () => {
  it('sends the request on stdin, not argv, and returns the key it gets back', () => {
    const bin = fakeHelper('ok.cjs', `process.stdout.write(JSON.stringify({ key: Buffer.alloc(32, 7).toString('base64') }));`);
    const key = preloadHost(bin).unwrapGeneral(req);
    expect(Buffer.from(key!)).toEqual(Buffer.alloc(32, 7));
    const argv = JSON.parse(readFileSync(join(t.dir, 'ok.cjs.argv'), 'utf8')) as string[];
    expect(argv).toEqual(['__unwrap-general']);
    expect(argv.join(' ')).not.toContain(SECRET_ID);
    const sent = JSON.parse(readFileSync(join(t.dir, 'ok.cjs.stdin'), 'utf8')) as { file: string; recipient: string; identities: string[] };
    expect(sent).toEqual({ file: Buffer.from([1, 2, 3]).toString('base64'), recipient: 'age1pq1example', identities: [SECRET_ID] });
  });

  it('returns null when no identity matched', () => {
    const bin = fakeHelper('none.cjs', `process.stdout.write(JSON.stringify({ key: null }));`);
    expect(preloadHost(bin).unwrapGeneral(req)).toBeNull();
  });

  it("rethrows the helper's envcrypt error with its code and hints", () => {
    const bin = fakeHelper('err.cjs', `process.stdout.write(JSON.stringify({ error: { code: 'DECRYPT_FAILED', message: 'the stanza is broken', hints: ['try again'] } }));`);
    const e = (() => {
      try {
        preloadHost(bin).unwrapGeneral(req);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(EnvcryptError);
    expect(e).toMatchObject({ code: 'DECRYPT_FAILED', message: 'the stanza is broken', hints: ['try again'] });
  });

  for (const [what, body, fact] of [
    ['exits non-zero', 'process.exit(3);', /\(exit 3\)$/],
    ['prints garbage', `process.stdout.write('not json');`, /\(an unreadable answer\)$/],
    ['is killed', `process.kill(process.pid, 'SIGKILL');`, /\(exit SIGKILL\)$/],
  ] as const) {
    it(`fails with an internal error, no output quoted, when the helper ${what}`, () => {
      const bin = fakeHelper(`bad-${what.replace(/\W/g, '')}.cjs`, body);
      const e = (() => {
        try {
          preloadHost(bin).unwrapGeneral(req);
        } catch (x) {
          return x as EnvcryptError;
        }
      })();
      expect(e?.code).toBe('INTERNAL');
      expect(e?.message).toMatch(/^the envcrypt helper for post-quantum and ssh keys failed /);
      expect(e?.message).toMatch(fact);
      expect(e?.message).not.toContain('not json');
    });
  }
});

describe('envcrypt __unwrap-general (the real helper)', () => {
  const helper = (input: string) => spawnSync(process.execPath, [BIN, '__unwrap-general'], { input, encoding: 'utf8', env: cleanEnv() });

  it('opens a post-quantum stanza made by age-encryption and answers with its file key', async () => {
    const age = await import('age-encryption');
    const identity = await age.generateHybridIdentity();
    const e = new age.Encrypter();
    e.addRecipient(await age.identityToRecipient(identity));
    const fileKey = Buffer.alloc(32, 9);
    const file = await e.encrypt(fileKey);
    const r = helper(JSON.stringify({ file: Buffer.from(file).toString('base64'), recipient: 'age1pq1test', identities: [identity] }));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ key: fileKey.toString('base64') });
    const other = await age.generateHybridIdentity();
    const miss = helper(JSON.stringify({ file: Buffer.from(file).toString('base64'), recipient: 'age1pq1test', identities: [other] }));
    expect(JSON.parse(miss.stdout)).toEqual({ key: null });
  });

  it('answers a malformed request with an internal error that quotes nothing', () => {
    const r = helper(`{"file": "${SECRET_ID}"`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'INTERNAL', message: 'internal error in the key helper', hints: [] } });
    expect(r.stdout + r.stderr).not.toContain(SECRET_ID);
  });
});

describe('preloadHost() opens post-quantum keys in-process', () => {
  it('decrypts a post-quantum file with no helper (its path does not exist)', async () => {
    const { decryptTextSync } = await import('../../src/api/decrypt.js');
    const { newIdentity } = await import('../../src/keys/keygen.js');
    const { encryptText } = await import('../../src/api/encrypt.js');
    const pq = await newIdentity(true);
    const text = await encryptText('PQ_VALUE=in-process\n', 'x.env', { recipients: [pq.recipient] });
    const env = { ENVCRYPT_AGE_KEY: pq.identity };
    const dec = decryptTextSync(text, 'x.env', { env }, preloadHost(join(t.dir, 'no-such-helper.js')));
    expect(dec.branches).toHaveLength(1);
  });
});
