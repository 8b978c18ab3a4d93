import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { editFile } from '../../src/api/edit.js';
import { encryptBranches, encryptText } from '../../src/api/encrypt.js';
import { encryptFile } from '../../src/api/encrypt-file.js';
import { mergeFile } from '../../src/api/merge-file.js';
import { planAddRecipient, planRemoveRecipient } from '../../src/api/recipients.js';
import { planRotate } from '../../src/api/rotate.js';
import { emitChecked } from '../../src/api/seal.js';
import { setValue, unsetValue } from '../../src/api/set.js';
import { EnvcryptError } from '../../src/errors.js';
import { newIdentity, type NewIdentity } from '../../src/keys/keygen.js';
import { dotenvStore } from '../../src/stores/dotenv.js';
import type { Store } from '../../src/stores/store.js';
import { rejected } from '../helpers/errors.js';
import { cleanEnv, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-seal-41c7';

async function encrypted() {
  const id = await newIdentity(false);
  const plain = dotenvStore.parsePlain(`A=${CANARY}\nB_unencrypted=1\n`);
  return { plain, enc: await encryptBranches(plain, { recipients: [id.recipient] }) };
}

function failure(f: () => unknown): EnvcryptError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EnvcryptError);
    return e as EnvcryptError;
  }
  throw new Error('expected a failure');
}

describe('emitChecked: a write must read back before it is written', () => {
  it('returns the text when it parses, decrypts, verifies and equals what was meant', async () => {
    const { plain, enc } = await encrypted();
    const text = emitChecked(dotenvStore, enc, plain, 'a.env.enc');
    expect(text).toContain('sops_envcrypt_integrity=v1:');
  });

  it('refuses a text that decrypts to other values (a store that drops a line), naming no value', async () => {
    const { plain, enc } = await encrypted();
    const lossy: Store = { ...dotenvStore, emitEncrypted: (b, m, o) => dotenvStore.emitEncrypted(b, m, o).replace(/^B_unencrypted=1\n/m, '') };
    const e = failure(() => emitChecked(lossy, enc, plain, 'a.env.enc'));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toMatch(/^refusing to write a.env.enc: the encrypted text does not read back \(.*MAC/);
    expect(`${e.message}${e.hints.join('')}`).not.toContain(CANARY);
  });

  it('refuses a text whose metadata lost the record', async () => {
    const { plain, enc } = await encrypted();
    const stripped: Store = { ...dotenvStore, emitEncrypted: (b, m, o) => dotenvStore.emitEncrypted(b, m, o).replace(/^sops_envcrypt_integrity=.*\n/m, '') };
    expect(failure(() => emitChecked(stripped, enc, plain, 'a.env.enc')).message).toContain('no integrity record');
  });

  it('refuses a text that decrypts but to a different tree than the one given', async () => {
    const { enc } = await encrypted();
    const other = dotenvStore.parsePlain('A=other\nB_unencrypted=1\n');
    expect(failure(() => emitChecked(dotenvStore, enc, other, 'a.env.enc')).message).toContain('it decrypts to different values');
  });
});

// Every command that writes an encrypted file goes through emitChecked. Each case below breaks the
// dotenv store's emitter (an unencrypted value changes, so the MAC no longer matches) and checks that the
// command refuses (INTERNAL) and leaves the file as it was: were the read-back skipped on that path, the
// broken text would be on disk and the test would fail.
describe('every write path reads back before it writes', () => {
  let t: ReturnType<typeof tempDir>;
  let me: NewIdentity;
  let other: NewIdentity;
  let env: NodeJS.ProcessEnv;
  let n = 0;

  beforeAll(async () => {
    t = tempDir('envcrypt-seal-');
    me = await newIdentity(false);
    other = await newIdentity(false);
    env = cleanEnv({ ENVCRYPT_AGE_KEY: me.identity });
  });
  afterAll(() => t.cleanup());
  afterEach(() => vi.restoreAllMocks());

  /** A fresh encrypted dotenv file (to `me`, and `other` when asked). */
  async function file(recipients = [me.recipient]): Promise<string> {
    const path = join(t.dir, `${++n}.env.enc`);
    writeFileSync(path, await encryptText(`A=${CANARY}\nB_unencrypted=1\n`, path, { recipients }));
    return path;
  }
  /** From now on the dotenv store emits text whose unencrypted value was changed. */
  const emit = dotenvStore.emitEncrypted.bind(dotenvStore);
  function breakEmitter(): void {
    vi.spyOn(dotenvStore, 'emitEncrypted').mockImplementation((b, m, o) => emit(b, m, o).replace(/^B_unencrypted=1$/m, 'B_unencrypted=2'));
  }
  /** Runs `write` with the broken emitter; it must be refused and `path` keep its bytes (or stay absent). */
  async function refusedAndUntouched(path: string, write: () => Promise<unknown>): Promise<void> {
    const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
    breakEmitter();
    const e = await rejected(write);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toContain('does not read back');
    expect(existsSync(path) ? readFileSync(path, 'utf8') : null).toBe(before);
    vi.restoreAllMocks();
  }

  it('encrypt (encryptFile)', async () => {
    const plain = join(t.dir, `${++n}.env`);
    writeFileSync(plain, `A=${CANARY}\nB_unencrypted=1\n`);
    const out = `${plain}.enc`;
    await refusedAndUntouched(out, () => encryptFile(plain, { recipients: [me.recipient], output: out, env }));
  });

  it('set and unset', async () => {
    const f = await file();
    await refusedAndUntouched(f, () => setValue(f, 'A', { kind: 'str', value: 'new' }, { env }));
    await refusedAndUntouched(f, () => unsetValue(f, 'A', { env }));
  });

  it('edit', async () => {
    const f = await file();
    const runEditor = async (p: string) => writeFileSync(p, `A=changed\nB_unencrypted=1\n`);
    await refusedAndUntouched(f, () => editFile(f, { env, runEditor, confirmReopen: async () => false, tempRoot: t.dir }));
  });

  it('rotate, recipients add and recipients remove (planned before anything is written)', async () => {
    const f = await file([me.recipient, other.recipient]);
    await refusedAndUntouched(f, () => planRotate([f], { env }));
    const newcomer = await newIdentity(false);
    await refusedAndUntouched(f, () => planAddRecipient(newcomer.recipient, [f], { env }));
    await refusedAndUntouched(f, () => planRemoveRecipient(other.recipient, [f], { env }));
  });

  it('the git merge driver (mergeFile)', async () => {
    const base = await file();
    const ours = join(t.dir, `${++n}.env.enc`);
    const theirs = join(t.dir, `${++n}.env.enc`);
    copyFileSync(base, ours);
    copyFileSync(base, theirs);
    await setValue(theirs, 'A', { kind: 'str', value: 'theirs' }, { env });
    await refusedAndUntouched(ours, () => mergeFile(base, ours, theirs, { name: 'x.env.enc', env }));
  });
});
