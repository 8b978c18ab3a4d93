// Post-quantum and SSH identities opened in-process (openers.ts), and the
// order stanzas are tried in (unwrap.ts byRecipient) through the data-key
// search of the preload and exec (crypto/datakey.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverDataKey, recoverDataKeySync } from '../../../src/crypto/datakey.js';
import { otherOpeners } from '../../../src/keys/age/openers.js';
import { byRecipient, prepareIdentities } from '../../../src/keys/age/unwrap.js';
import { recipientKey } from '../../../src/keys/short-recipient.js';
import { wrapDataKey } from '../../../src/keys/age/wrap.js';
import type { FoundIdentity, IdentitySource } from '../../../src/keys/discovery.js';
import { newIdentity } from '../../../src/keys/keygen.js';
import { parseRecipient } from '../../../src/keys/recipient.js';
import type { AgeEntry } from '../../../src/stores/metadata.js';
import { ageMetadata } from '../../helpers/metadata.js';

const KEY = new Uint8Array(32).map((_, i) => 100 + i);
let dir: string;
let ssh: { text: string; pub: string; source: string };
let sshProtected: { text: string; pub: string; source: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcrypt-openers-'));
  const gen = (name: string, pass: string) => {
    const f = join(dir, name);
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', 'throwaway', '-f', f]);
    if (r.status !== 0) throw new Error('ssh-keygen failed');
    return { text: readFileSync(f, 'utf8'), pub: readFileSync(`${f}.pub`, 'utf8').trim(), source: f };
  };
  ssh = gen('ed', '');
  sshProtected = gen('edp', 'secret passphrase');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = async (recipient: string): Promise<AgeEntry> => ({ recipient, enc: await wrapDataKey(KEY, parseRecipient(recipient)) });
const md = (age: AgeEntry[]) => ageMetadata(age);
const only = (ids: FoundIdentity[]): { sources: IdentitySource[] } => ({ sources: [{ label: 'test', absent: 'unset', load: () => ids }] });
const noHelper = (): never => {
  throw new Error('the general path was asked');
};

describe('otherOpeners', () => {
  it('opens post-quantum and unprotected ssh stanzas in-process, with no general path', async () => {
    const pq = await newIdentity(true);
    const sshKey = { kind: 'ssh' as const, text: ssh.text, source: ssh.source };
    const others = await Promise.all(Array.from({ length: 3 }, async () => entry((await newIdentity(false)).recipient)));
    // The last of four entries; wrapping to PQ and classic keys is never mixed in a real file, but the search does not care.
    for (const [id, recipient] of [[pq.identity, pq.recipient], [sshKey, ssh.pub]] as const) {
      const key = recoverDataKeySync(md([...others, await entry(recipient)]), 'f.env', only([id]), noHelper, otherOpeners);
      expect(Buffer.from(key).equals(Buffer.from(KEY))).toBe(true);
    }
  });

  it('leaves a passphrase-protected ssh key to the general path (which can ask for the passphrase)', () => {
    expect(otherOpeners({ kind: 'ssh', text: sshProtected.text, source: sshProtected.source })).toBeNull();
    const prepared = prepareIdentities([{ kind: 'ssh', text: sshProtected.text, source: sshProtected.source }], undefined, otherOpeners);
    expect(prepared.native).toHaveLength(0);
    expect(prepared.general).toHaveLength(1);
  });

  it('a protected key on the general path asks for its passphrase once, for a stanza last of 10 and again for a second file', async () => {
    const others = await Promise.all(Array.from({ length: 9 }, async () => entry((await newIdentity(false)).recipient)));
    const asked: string[] = [];
    const opts = { ...only([{ kind: 'ssh', text: sshProtected.text, source: sshProtected.source }]), sshPassphrase: async (source: string) => (asked.push(source), 'secret passphrase') };
    for (const file of ['a.env', 'b.env']) {
      const key = await recoverDataKey(md([...others, await entry(sshProtected.pub)]), file, opts);
      expect(Buffer.from(key).equals(Buffer.from(KEY))).toBe(true);
    }
    expect(asked).toEqual([sshProtected.source]);
  });

  it('without openers (the fast bundles), post-quantum and ssh identities stay on the general path', async () => {
    const pq = await newIdentity(true);
    const prepared = prepareIdentities([pq.identity, { kind: 'ssh', text: ssh.text, source: ssh.source }]);
    expect(prepared.native).toHaveLength(0);
    expect(prepared.general).toHaveLength(2);
  });
});

describe('byRecipient', () => {
  it("puts the entries whose stored recipient is one of the identities' first, in file order", async () => {
    const a = await newIdentity(false);
    const b = await newIdentity(false);
    const entries = ['x', b.recipient, 'y', `${ssh.pub.split(' ').slice(0, 2).join(' ')}   other comment`, a.recipient].map((recipient) => ({ recipient }));
    const prepared = prepareIdentities([a.identity, { kind: 'ssh', text: ssh.text, source: ssh.source }], undefined, otherOpeners);
    expect(byRecipient(entries, prepared).map((e) => e.recipient)).toEqual([entries[3]!.recipient, a.recipient, 'x', b.recipient, 'y']);
    expect(recipientKey(` ${ssh.pub} `)).toBe(ssh.pub.split(' ').slice(0, 2).join(' '));
  });

  it('a stored recipient that lies only changes the order: the key is still found, by trying every entry', async () => {
    const mine = await newIdentity(false);
    const other = await newIdentity(false);
    // The attacker swapped the labels: the entry labelled as ours is wrapped for someone else.
    const lying = [{ ...(await entry(mine.recipient)), recipient: other.recipient }, { ...(await entry(other.recipient)), recipient: mine.recipient }];
    const key = recoverDataKeySync(md(lying), 'f.env', only([mine.identity]), noHelper, otherOpeners);
    expect(Buffer.from(key).equals(Buffer.from(KEY))).toBe(true);
  });
});
