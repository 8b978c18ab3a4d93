import { describe, expect, it } from 'vitest';
import { encryptBranches } from '../../src/api/encrypt.js';
import { emitChecked } from '../../src/api/seal.js';
import { EnvcryptError } from '../../src/errors.js';
import { newIdentity } from '../../src/keys/keygen.js';
import { dotenvStore } from '../../src/stores/dotenv.js';
import type { Store } from '../../src/stores/store.js';

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
