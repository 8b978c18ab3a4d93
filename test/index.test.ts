// The public library API (src/index.ts) hands out no key material unless asked:
// decryptFile/decryptText return the data key and the IVs only with
// `withDataKey: true`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, decryptText, encryptFile, encryptText, type DecryptedFile, type DecryptedFileWithKey } from '../src/index.js';
import { keyedTempDir, put } from './helpers/run-cli.js';

let k: ReturnType<typeof keyedTempDir>;
let file: string;
const PLAIN = 'TOKEN=index-test-canary\nOTHER=2\n';
beforeAll(async () => {
  k = keyedTempDir();
  put(k.t.dir, 'a.env', PLAIN);
  file = join(k.t.dir, 'a.env.enc');
  await encryptFile(join(k.t.dir, 'a.env'), { recipients: [k.key.recipient], output: file, env: k.env });
});
afterAll(() => k.t.cleanup());

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Everything in a result, as text: byte arrays as hex, maps and sets as arrays. */
const dump = (v: unknown) =>
  JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x instanceof Map || x instanceof Set ? [...x] : x));

describe('decryptFile / decryptText (public API)', () => {
  it('return no data key or IVs by default, and no copy of the key anywhere in the result', async () => {
    const withKey = await decryptFile(file, { env: k.env, withDataKey: true });
    const keyHex = hex(withKey.dataKey);
    expect(withKey.dataKey).toHaveLength(32);
    for (const plain of [await decryptFile(file, { env: k.env }), await decryptText(readFileSync(file, 'utf8'), file, { env: k.env })]) {
      expect(Object.keys(plain).sort()).toEqual(['branches', 'encrypted', 'format', 'integrity', 'metadata']);
      expect('dataKey' in plain).toBe(false);
      expect('stash' in plain).toBe(false);
      expect(plain.integrity).toBe('verified');
      expect(dump(plain.branches)).toContain('index-test-canary');
      expect(dump(plain)).not.toContain(keyHex);
      // @ts-expect-error the public result type has no dataKey either
      expect(plain.dataKey).toBeUndefined();
    }
    // An explicit `false` is the default.
    expect('dataKey' in (await decryptFile(file, { env: k.env, withDataKey: false }))).toBe(false);
  });

  it('return the real data key and the IVs with withDataKey: true', async () => {
    const a: DecryptedFileWithKey = await decryptFile(file, { env: k.env, withDataKey: true });
    const b: DecryptedFileWithKey = await decryptText(readFileSync(file, 'utf8'), file, { env: k.env, withDataKey: true });
    expect(hex(b.dataKey)).toBe(hex(a.dataKey));
    // The key opens the file without any identity…
    const byKey: DecryptedFile = await decryptFile(file, { env: {}, dataKey: a.dataKey });
    expect(byKey.branches).toEqual(a.branches);
    // …and, as `previous`, rewrites it byte-identically (the reason to ask for it).
    const again = await encryptText(PLAIN, 'a.env', { recipients: [k.key.recipient], previous: a });
    expect(again).toBe(readFileSync(file, 'utf8'));
  });

  it('a result without the key is no `previous`: a type error, and a failure at run time', async () => {
    const plain = await decryptFile(file, { env: k.env });
    // @ts-expect-error `previous` needs the data key and the IVs
    await expect(encryptText(PLAIN, 'a.env', { recipients: [k.key.recipient], previous: plain })).rejects.toThrow();
  });
});
