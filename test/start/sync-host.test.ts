// The preload's bridge to the helper process for post-quantum and SSH
// stanzas: the request goes on stdin (never argv), and every way the helper
// can answer or fail becomes a value or an envcrypt error.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EnvcryptError } from '../../src/errors.js';
import { preloadHost, type SpawnSync } from '../../src/start/sync-host.js';
import { BIN, ROOT } from '../helpers/paths.js';
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

/** A spawnSync that runs the real helper and keeps each request it was handed, to count the helpers started. */
function countingSpawn(): { requests: { groups: unknown[][] }[]; counting: SpawnSync } {
  const requests: { groups: unknown[][] }[] = [];
  const counting = ((cmd: string, args: string[], opts: { input: string }) => {
    requests.push(JSON.parse(opts.input) as { groups: unknown[][] });
    return spawnSync(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
  }) as unknown as SpawnSync;
  return { requests, counting };
}

const SECRET_ID = 'AGE-SECRET-KEY-PQ-1THROWAWAYTESTVALUE';
// Two key groups, the first with two stanzas to try.
const req = {
  ids: { native: [], general: [SECRET_ID] },
  groups: [
    [
      { file: new Uint8Array([1, 2, 3]), recipient: 'age1pq1example' },
      { file: new Uint8Array([4]), recipient: 'age1pq1other' },
    ],
    [{ file: new Uint8Array([5]), recipient: 'age1pq1third' }],
  ],
};

describe('preloadHost().unwrapGeneral', () => {
  it('sends every stanza of every group in one request on stdin, not argv, and returns what each group gave', () => {
    const bin = fakeHelper('ok.cjs', `process.stdout.write(JSON.stringify({ opened: [{ stanza: 1, key: Buffer.alloc(32, 7).toString('base64') }, null] }));`);
    const opened = preloadHost(bin).unwrapGeneral(req);
    expect(opened.map((o) => o && { stanza: o.stanza, key: Buffer.from(o.key) })).toEqual([{ stanza: 1, key: Buffer.alloc(32, 7) }, null]);
    const argv = JSON.parse(readFileSync(join(t.dir, 'ok.cjs.argv'), 'utf8')) as string[];
    expect(argv).toEqual(['__unwrap-general']);
    expect(argv.join(' ')).not.toContain(SECRET_ID);
    const sent = JSON.parse(readFileSync(join(t.dir, 'ok.cjs.stdin'), 'utf8')) as unknown;
    const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
    expect(sent).toEqual({
      groups: [
        [
          { file: b64([1, 2, 3]), recipient: 'age1pq1example' },
          { file: b64([4]), recipient: 'age1pq1other' },
        ],
        [{ file: b64([5]), recipient: 'age1pq1third' }],
      ],
      identities: [SECRET_ID],
    });
  });

  it('returns null for each group no identity matched', () => {
    const bin = fakeHelper('none.cjs', `process.stdout.write(JSON.stringify({ opened: [null, null] }));`);
    expect(preloadHost(bin).unwrapGeneral(req)).toEqual([null, null]);
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
    ['answers for too few groups', `process.stdout.write(JSON.stringify({ opened: [null] }));`, /\(an unreadable answer\)$/],
    ['names a stanza the group does not have', `process.stdout.write(JSON.stringify({ opened: [null, { stanza: 1, key: 'not json' }] }));`, /\(an unreadable answer\)$/],
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

  it('opens post-quantum stanzas made by age-encryption and answers, group by group, which stanza opened and its file key', async () => {
    const age = await import('age-encryption');
    const identity = await age.generateHybridIdentity();
    const other = await age.generateHybridIdentity();
    const wrap = async (to: string, fileKey: Buffer) => {
      const e = new age.Encrypter();
      e.addRecipient(await age.identityToRecipient(to));
      return { file: Buffer.from(await e.encrypt(fileKey)).toString('base64'), recipient: 'age1pq1test' };
    };
    const [a, b] = [Buffer.alloc(32, 9), Buffer.alloc(33, 8)];
    const groups = [[await wrap(other, a), await wrap(identity, a)], [await wrap(other, b)], [await wrap(identity, b)]];
    const r = helper(JSON.stringify({ groups, identities: [identity] }));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ opened: [{ stanza: 1, key: a.toString('base64') }, null, { stanza: 0, key: b.toString('base64') }] });
  });

  it('answers a malformed request with an internal error that quotes nothing', () => {
    const r = helper(`{"file": "${SECRET_ID}"`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'INTERNAL', message: 'internal error in the key helper', hints: [] } });
    expect(r.stdout + r.stderr).not.toContain(SECRET_ID);
  });
});

/**
 * decryptTextSync through the preload's host, with a passphrase-protected ssh
 * key and `others` X25519 recipients (then the key's own, when `ours`): the
 * helper requests made, and the error.
 */
async function withProtectedKey(name: string, others: number, ours: boolean): Promise<{ key: string; requests: { groups: unknown[][] }[]; e: EnvcryptError | undefined }> {
  const { decryptTextSync } = await import('../../src/api/decrypt.js');
  const { newIdentity } = await import('../../src/keys/keygen.js');
  const { encryptText } = await import('../../src/api/encrypt.js');
  const key = join(t.dir, name);
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'throwaway passphrase', '-C', 'throwaway@envcrypt-test', '-f', key]);
  const ids = await Promise.all(Array.from({ length: others }, () => newIdentity(false)));
  const recipients = [...ids.map((o) => o.recipient), ...(ours ? [readFileSync(`${key}.pub`, 'utf8').trim()] : [])];
  const text = await encryptText(`TOKEN=CANARY-${name}\n`, 'x.env', { recipients });
  const { requests, counting } = countingSpawn();
  const env = { HOME: t.dir, XDG_CONFIG_HOME: t.dir, SOPS_AGE_SSH_PRIVATE_KEY_FILE: key };
  try {
    decryptTextSync(text, 'x.env', { env }, preloadHost(BIN, counting));
    return { key, requests, e: undefined };
  } catch (x) {
    return { key, requests, e: x as EnvcryptError };
  }
}

describe('preloadHost() starts one helper per key source, not one per stanza (issue 16)', () => {
  it('a passphrase-protected ssh key whose stanza is last of 10: one helper, handed all 10, which cannot ask (no terminal) and says so', async () => {
    const { key, requests, e } = await withProtectedKey('id_protected', 9, true);
    expect(requests.map((r) => r.groups.map((g) => g.length))).toEqual([[10]]);
    expect([e?.code, e?.message]).toEqual(['NO_IDENTITY', `ssh key ${key} is protected by a passphrase, and there is no terminal to ask for it`]);
  });
});

describe('preloadHost() starts no helper when a protected ssh key has no stanza in the file', () => {
  it('three X25519 recipients and a protected ssh key: no helper, and "no identity"', async () => {
    const { requests, e } = await withProtectedKey('id_protected_other', 3, false);
    expect(requests).toEqual([]);
    expect(e?.code).toBe('NO_IDENTITY');
  });
});

describe('preloadHost() starts one helper for all of a preload\'s files (issue 16)', () => {
  it('two layered files opened by an age plugin: one helper, one plugin run, the values of both', async () => {
    const { loadDetailedSync } = await import('../../src/api/load.js');
    const { encryptText } = await import('../../src/api/encrypt.js');
    const { newIdentity } = await import('../../src/keys/keygen.js');
    vi.stubEnv('PATH', `${join(ROOT, 'test', 'fixtures', 'bin')}:${process.env.PATH}`);
    try {
      const idFile = join(t.dir, 'plugin-identity.txt');
      copyFileSync(join(ROOT, 'test', 'fixtures', 'plugin', 'identity.txt'), idFile);
      chmodSync(idFile, 0o600);
      const recipient = /# recipient: (\S+)/.exec(readFileSync(idFile, 'utf8'))![1]!;
      const other = await newIdentity(false);
      for (const [f, plain] of [['a.env.enc', 'A=first\n'], ['b.env.enc', 'B=second\n']] as const) {
        put(t.dir, f, await encryptText(plain, f.replace('.enc', ''), { recipients: [other.recipient, recipient] }));
      }
      const log = join(t.dir, 'plugin-runs.log');
      vi.stubEnv('ENVCRYPTTEST_PLUGIN_LOG', log);
      const { requests, counting } = countingSpawn();
      const env = { HOME: t.dir, XDG_CONFIG_HOME: t.dir, SOPS_AGE_KEY_FILE: idFile };
      const loaded = loadDetailedSync({ path: [join(t.dir, 'a.env.enc'), join(t.dir, 'b.env.enc')], env }, preloadHost(BIN, counting));
      expect(loaded.values).toEqual({ A: 'first', B: 'second' });
      // One request: each file's one key group, with both of its stanzas (no key here opens either natively).
      expect(requests.map((r) => r.groups.map((g) => g.length))).toEqual([[2, 2]]);
      expect(readFileSync(log, 'utf8')).toBe('--age-plugin=identity-v1\n');
    } finally {
      vi.unstubAllEnvs();
    }
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
