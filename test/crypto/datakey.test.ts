import { describe, expect, it } from 'vitest';
import { newDataKey, recoverDataKey, recoverDataKeySync } from '../../src/crypto/datakey.js';
import { shamirSplit } from '../../src/crypto/shamir.js';
import { unwrapNative } from '../../src/keys/age/native.js';
import { otherOpeners } from '../../src/keys/age/openers.js';
import { prepareIdentities, type GeneralUnwrap } from '../../src/keys/age/unwrap.js';
import { wrapDataKey } from '../../src/keys/age/wrap.js';
import { EnvcryptError } from '../../src/errors.js';
import type { FoundIdentity, IdentitySource } from '../../src/keys/discovery.js';
import { newIdentity, type NewIdentity } from '../../src/keys/keygen.js';
import { parseRecipient } from '../../src/keys/recipient.js';
import { shortRecipient } from '../../src/keys/short-recipient.js';
import type { AgeEntry, Metadata } from '../../src/stores/metadata.js';
import { pair, str } from '../../src/tree/types.js';
import { caught, rejected } from '../helpers/errors.js';
import { ageMetadata } from '../helpers/metadata.js';

const KEY = new Uint8Array(32).map((_, i) => i + 1);

async function entry(id: NewIdentity, dataKey: Uint8Array = KEY): Promise<AgeEntry> {
  return { recipient: id.recipient, enc: await wrapDataKey(dataKey, parseRecipient(id.recipient)) };
}

const metadata = ageMetadata;

/** A source that records whether it was read. */
function source(label: string, ids: FoundIdentity[] | null | Error, read: string[]): IdentitySource {
  return {
    label,
    absent: 'unset',
    load() {
      read.push(label);
      if (ids instanceof Error) throw ids;
      return ids;
    },
  };
}

describe('newDataKey', () => {
  it('returns 32 fresh random bytes each time', () => {
    const a = newDataKey();
    const b = newDataKey();
    expect(a).toBeInstanceOf(Uint8Array);
    expect([a.length, b.length]).toEqual([32, 32]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});

describe('recoverDataKey', async () => {
  const alice = await newIdentity(false);
  const bob = await newIdentity(false);
  const carol = await newIdentity(false);
  const md = metadata([await entry(alice), await entry(bob)]);

  it('stops at the first source that opens the file: later sources are not read', async () => {
    const read: string[] = [];
    const sources = [
      source('EMPTY', null, read),
      source('CAROL', [carol.identity], read),
      source('BOB', [bob.identity], read),
      source('ALICE', [alice.identity], read),
      source('LATER', new Error('must not be read'), read),
    ];
    const key = await recoverDataKey(md, 'f.env', { sources });
    expect(Buffer.from(key).toString('hex')).toBe(Buffer.from(KEY).toString('hex'));
    expect(read).toEqual(['EMPTY', 'CAROL', 'BOB']);
  });

  it('opens the stanza of any recipient, not only the first', async () => {
    const key = await recoverDataKey(metadata([await entry(carol), await entry(alice)]), 'f.env', { sources: [source('A', [alice.identity], [])] });
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
  });

  it('lists every source searched, with what was found there, in the NO_IDENTITY error (exit 4)', async () => {
    const read: string[] = [];
    const sources = [
      source('NONE', null, read),
      source('CAROL', [carol.identity, carol.identity], read),
      source('BROKEN', new EnvcryptError('BAD_KEY', 'the command failed'), read),
      source('ODD', new Error('secret detail'), read),
      { ...source('~/.ssh/id_ed25519', [carol.identity], read), absent: 'not found' },
    ];
    const e = await rejected(recoverDataKey(md, 'f.env', { sources }));
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.exitCode).toBe(4);
    expect(e.file).toBe('f.env');
    expect(e.message).toBe('no identity matched any of the 2 recipients of f.env');
    expect(e.hints).toEqual([
      `the file is encrypted to ${shortRecipient(alice.recipient)}, ${shortRecipient(bob.recipient)}`,
      'searched NONE (unset), CAROL (2 identities, none matched), BROKEN (the command failed), ODD (unreadable), ~/.ssh/id_ed25519 (1 identity, none matched)',
      'send your public key to someone who can decrypt the file and ask them to run "envcrypt recipients add <key> f.env"',
    ]);
    expect(read).toEqual(['NONE', 'CAROL', 'BROKEN', 'ODD', '~/.ssh/id_ed25519']);
  });

  it('refuses a data key that is not 32 bytes (DECRYPT_FAILED, exit 3)', async () => {
    const short = metadata([await entry(alice, new Uint8Array(16).fill(9))]);
    const e = await rejected(recoverDataKey(short, 'f.env', { sources: [source('A', [alice.identity], [])] }));
    expect([e.code, e.exitCode]).toEqual(['DECRYPT_FAILED', 3]);
    expect(e.message).toBe(`the data key wrapped for ${shortRecipient(alice.recipient)} in f.env is 16 bytes, not 32`);
  });

  it('says a file with only non-age keys cannot be opened, before reading any source', async () => {
    const read: string[] = [];
    const pgpOnly: Metadata = { ...metadata([]), groups: [{ age: [], other: [pair('pgp', str('x')), pair('kms', str('y'))] }] };
    const e = await rejected(recoverDataKey(pgpOnly, 'f.yaml', { sources: [source('A', [alice.identity], read)] }));
    expect([e.code, e.exitCode, e.message]).toEqual(['NO_IDENTITY', 4, 'f.yaml has no age recipients (only pgp, kms keys), which envcrypt cannot use']);
    expect(read).toEqual([]);
  });

  it('with two key groups and one opened, says how many opened of how many needed (NO_IDENTITY, exit 4)', async () => {
    const e = await rejected(recoverDataKey(metadata([await entry(alice)], 2), 'f.env', { sources: [source('C', [carol.identity], [])] }));
    expect([e.code, e.exitCode, e.message]).toEqual(['NO_IDENTITY', 4, 'your identities opened 0 of the 2 key groups of f.env; 2 are needed (shamir_threshold)']);
  });

  it('opens a post-quantum stanza on the general path', async () => {
    const pq = await newIdentity(true);
    const key = await recoverDataKey(metadata([await entry(pq)]), 'f.env', { sources: [source('PQ', [pq.identity], [])] });
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
  });
});

describe('recoverDataKeySync', async () => {
  const alice = await newIdentity(false);
  const pq = await newIdentity(true);

  it('opens X25519 stanzas natively, without the general path', async () => {
    const md = metadata([await entry(alice)]);
    const calls: unknown[] = [];
    const key = recoverDataKeySync(md, 'f.env', { sources: [source('A', [alice.identity], [])] }, (req) => (calls.push(req), []));
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
    expect(calls).toEqual([]);
  });

  it('hands a stanza only the general path can open to the callback, and uses what it returns', async () => {
    const md = metadata([await entry(pq)]);
    const recipients: string[][][] = [];
    const key = recoverDataKeySync(md, 'f.env', { sources: [source('PQ', [pq.identity], [])] }, (req) => (recipients.push(req.groups.map((g) => g.map((s) => s.recipient))), [{ stanza: 0, key: KEY }]));
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
    expect(recipients).toEqual([[[pq.recipient]]]);
    const e = caught(() => recoverDataKeySync(md, 'f.env', { sources: [source('PQ', [pq.identity], [])] }, () => [null]));
    expect([e.code, e.exitCode]).toEqual(['NO_IDENTITY', 4]);
    expect(e.hints[1]).toBe('searched PQ (1 identity, none matched)');
  });
});

// Issue 16: the preload starts a helper process for each call of the general
// path, so the search makes one call per identity source that needs it,
// holding every stanza of every key group still closed, never one per stanza.
describe('the general path is asked once per source, with every stanza at once', async () => {
  const pq = await newIdentity(true);
  const alice = await newIdentity(false);
  const others = await Promise.all(Array.from({ length: 9 }, () => newIdentity(false)));

  /** The general path, for real and synchronously: the in-process openers stand in for the helper; `calls` counts the helpers a preload would start. */
  const general = (calls: GeneralUnwrap[]) => (req: GeneralUnwrap) => {
    calls.push(req);
    const ids = prepareIdentities(req.ids.general, undefined, otherOpeners);
    return req.groups.map((stanzas) => {
      for (const [stanza, s] of stanzas.entries()) {
        const key = unwrapNative(s.file, ids.native);
        if (key instanceof Uint8Array) return { stanza, key };
      }
      return null;
    });
  };

  it('a 10-stanza file whose general-path stanza is last: one call, with all 10 stanzas in file order', async () => {
    const entries = [...(await Promise.all(others.map((o) => entry(o)))), await entry(pq)];
    const calls: GeneralUnwrap[] = [];
    // No openers, as in the fast bundles: the post-quantum key is left to the general path.
    const key = recoverDataKeySync(metadata(entries), 'f.env', { sources: [source('PQ', [pq.identity], [])] }, general(calls));
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.groups.map((g) => g.map((s) => s.recipient))).toEqual([entries.map((e) => e.recipient)]);
  });

  it('none when an identity opened in-process opens the file first, even with a general-path key in the same source', async () => {
    const entries = [...(await Promise.all(others.slice(0, 5).map((o) => entry(o)))), await entry(pq), await entry(alice)];
    const calls: GeneralUnwrap[] = [];
    const key = recoverDataKeySync(metadata(entries), 'f.env', { sources: [source('BOTH', [pq.identity, alice.identity], [])] }, general(calls));
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
    expect(calls).toEqual([]);
  });

  it('2 of 3 key groups opened by the general path: one call for every group, and the shares combine', async () => {
    const shares = shamirSplit(KEY, 3, 2);
    const wrap = async (id: NewIdentity, g: number) => entry(id, shares[g]!);
    const groups = [
      { age: [await wrap(others[0]!, 0), await wrap(others[1]!, 0), await wrap(pq, 0)], other: [] },
      { age: [await wrap(others[2]!, 1), await wrap(others[3]!, 1)], other: [] },
      { age: [await wrap(others[4]!, 2), await wrap(pq, 2)], other: [] },
    ];
    const md: Metadata = { ...metadata([]), groups, shamirThreshold: 2 };
    const calls: GeneralUnwrap[] = [];
    const opened = new Map<number, Uint8Array>();
    const key = recoverDataKeySync(md, 'f.env', { sources: [source('PQ', [pq.identity], [])] }, general(calls), undefined, opened);
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.groups.map((g) => g.length)).toEqual([3, 2, 2]);
    expect([...opened.keys()]).toEqual([0, 2]);
  });

  it('one call per source that needs it, in the search order, and none after the source that opens', async () => {
    const stranger = await newIdentity(true);
    const read: string[] = [];
    const calls: GeneralUnwrap[] = [];
    const sources = [source('STRANGER', [stranger.identity], read), source('PQ', [pq.identity], read), source('LATER', new Error('must not be read'), read)];
    const key = recoverDataKeySync(metadata([await entry(others[0]!), await entry(pq)]), 'f.env', { sources }, general(calls));
    expect(Buffer.from(key)).toEqual(Buffer.from(KEY));
    expect([calls.length, read]).toEqual([2, ['STRANGER', 'PQ']]);
  });
});
