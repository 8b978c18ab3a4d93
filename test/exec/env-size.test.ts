// The early refusal of an environment the OS would refuse (exec/env-size.ts):
// the estimate from ENC values is exact, the layering follows populate's
// rules, and `exec` refuses before it looks for a key or decrypts anything.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { encryptValue } from '../../src/crypto/cipher.js';
import { encryptText } from '../../src/api/encrypt.js';
import { envBudget, execLimits, plainBytes, type ExecLimits } from '../../src/exec/env-size.js';
import { newIdentity } from '../../src/keys/keygen.js';
import { caught } from '../helpers/errors.js';
import { cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const CANARY = 'canary-9f1e2d-not-in-output';
const KEY = randomBytes(32);
const enc = (plain: string) => encryptValue(KEY, plain, 'K:', 'str');
const limits = (total: number, perString?: number) => (): ExecLimits => ({ total, name: 'ARG_MAX', ...(perString ? { perString } : {}) });
const never = (): ExecLimits => {
  throw new Error('limits read for a small environment');
};

describe('plainBytes', () => {
  it("is the UTF-8 length of the value an ENC string holds (GCM ciphertext is as long as its plaintext), and a plain value's own", () => {
    for (const plain of ['', 'a', 'ab', 'abc', 'abcd', 'é', '€uro', 'x'.repeat(1000)]) expect(plainBytes(enc(plain))).toBe(Buffer.byteLength(plain));
    expect(plainBytes('not encrypted, é')).toBe(Buffer.byteLength('not encrypted, é'));
  });
});

describe('envBudget', () => {
  const base = { LANG: 'C.UTF-8', BIG: 'y'.repeat(100) };

  it('reads no limit while the environment is under 128 KiB', () => {
    envBudget({ base, override: false, argv: ['true'] }, never).add({ A: enc('x'.repeat(1000)) });
  });

  it('refuses, naming the sizes and the limit, once the estimate is over the total', () => {
    const check = envBudget({ base, override: false, argv: ['node', 'app.js'] }, limits(200 * 1024)).add;
    check({ A: enc(`${CANARY}${'x'.repeat(100 * 1024)}`) });
    const e = caught(() => check({ B: enc('x'.repeat(100 * 1024)) }));
    expect(e.code).toBe('CMD_NOT_EXECUTABLE');
    expect(e.message).toMatch(/^cannot start node: its arguments and environment would take 2\d\d KiB \(2 variables from the files\), over the system's limit of 200 KiB \(ARG_MAX\)$/);
    expect(JSON.stringify(e)).not.toContain(CANARY);
  });

  it('counts a variable already set once, as populate keeps it (or replaces it with --override)', () => {
    const big = { ...base, A: 'z'.repeat(150 * 1024) };
    // Without override the inherited 150 KiB value stays: the file's 100 KiB one adds nothing.
    envBudget({ base: big, override: false, argv: ['true'] }, limits(200 * 1024)).add({ A: enc('x'.repeat(100 * 1024)) });
    // With override it replaces it: 120 KiB instead of 150, still under.
    envBudget({ base: big, override: true, argv: ['true'] }, limits(200 * 1024)).add({ A: enc('x'.repeat(120 * 1024)) });
    expect(caught(() => envBudget({ base: big, override: true, argv: ['true'] }, limits(200 * 1024)).add({ A: enc('x'.repeat(60 * 1024)), B: enc('x'.repeat(150 * 1024)) })).code).toBe('CMD_NOT_EXECUTABLE');
  });

  it('a later file replaces an earlier value of the same name instead of adding to it', () => {
    const check = envBudget({ base, override: false, argv: ['true'] }, limits(200 * 1024)).add;
    check({ A: enc('x'.repeat(150 * 1024)) });
    check({ A: enc('x'.repeat(150 * 1024)) });
  });

  it('refuses one variable over the per-string limit, naming it and not its value', () => {
    const e = caught(() => envBudget({ base, override: false, argv: ['true'] }, limits(1 << 30, 128 * 1024)).add({ HUGE: enc(`${CANARY}${'x'.repeat(128 * 1024)}`) }));
    expect(e.message).toMatch(/^cannot start true: the variable HUGE would take 129 KiB, over the system's limit of 128 KiB for one variable \(MAX_ARG_STRLEN\)$/);
    expect(JSON.stringify(e)).not.toContain(CANARY);
  });

  it("peekDotenv sizes a sops dotenv file's text as add sizes the parsed file, and adds nothing", async () => {
    const owner = await newIdentity(false);
    const text = await encryptText(`A=${'a'.repeat(70 * 1024)}\nB=\nC_unencrypted=${'c'.repeat(70 * 1024)}\n# a comment\n`, 'x.env', { recipients: [owner.recipient] });
    const { dotenvStore } = await import('../../src/stores/dotenv.js');
    const { toEnv } = await import('../../src/tree/env.js');
    const stored = toEnv(dotenvStore.parseEncrypted(text).branches);
    const sized = (check: (b: ReturnType<typeof envBudget>) => void): string => {
      try {
        check(envBudget({ base, override: false, argv: ['true'] }, limits(100 * 1024)));
        return 'fits';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const peeked = sized((b) => b.peekDotenv(text));
    expect(peeked).toMatch(/would take 14\d KiB \(3 variables/);
    expect(sized((b) => b.add(stored))).toBe(peeked);
    const b = envBudget({ base, override: false, argv: ['true'] }, limits(200 * 1024));
    b.peekDotenv(text);
    b.peekDotenv(text);
    b.add(stored);
  });

  it('peekDotenv: lines without "=" around the values change nothing (the next "=" is searched once, not once per line)', () => {
    const budget = () => envBudget({ base, override: false, argv: ['true'] }, limits(1 << 30, 128 * 1024));
    const big = enc('x'.repeat(129 * 1024));
    const plain = `A=${big}\n`;
    const noisy = `${'\n'.repeat(1000)}no equals here\n#c=1\n${'\n'.repeat(1000)}A=${big}\n\n\nlast line, no equals`;
    const message = (text: string) => caught(() => budget().peekDotenv(text)).message;
    expect(message(noisy)).toBe(message(plain));
    expect(message(noisy)).toMatch(/the variable A would take \d+ KiB/);
    // A name that is no variable name is shown quoted and escaped, never raw.
    const hostile = caught(() => budget().peekDotenv(`A\u001b[2J=${big}`)).message;
    expect(hostile).toMatch(/the variable "A.+\[2J" would take/);
    expect(hostile).not.toContain('\u001b');
  });

  it.runIf(process.platform === 'linux')('on Linux, the limit is getconf ARG_MAX (a quarter of the stack limit) capped at 6 MiB, and 128 KiB per string', () => {
    const getconf = Number(spawnSync('getconf', ['ARG_MAX'], { encoding: 'utf8' }).stdout.trim());
    expect(execLimits()).toMatchObject({ total: Math.min(getconf, 6 * 1024 * 1024), perString: 128 * 1024 });
  });
});

describe('envcrypt exec with an environment too large for the OS', () => {
  it('exits 126 before it looks for a key: nothing decrypted, nothing started, no value printed', async () => {
    const t = tempDir();
    try {
      const owner = await newIdentity(false);
      // 24 values of 100 KiB: 2.4 MB, over any Linux limit short of a 10 MB stack (the default is 8 MB).
      const text = Array.from({ length: 24 }, (_, i) => `V${i}=${CANARY}${'x'.repeat(100 * 1024)}`).join('\n');
      put(t.dir, 'big.env.enc', await encryptText(`${text}\n`, 'big.env', { recipients: [owner.recipient] }));
      put(t.dir, 'ran.cjs', "require('fs').writeFileSync('ran', '')\n");
      // A key that matches nothing: had the key search come first, this would be exit 4.
      const other = await newIdentity(false);
      const r = runCli(['exec', '-f', 'big.env.enc', '--', process.execPath, 'ran.cjs'], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY: other.identity }) });
      expect(r.code).toBe(126);
      expect(r.stderr).toMatch(/^envcrypt: error: big\.env\.enc: cannot start .*: its arguments and environment would take [\d,]+ KiB \(24 variables from the files\), over the system's limit of [\d,]+ KiB \(ARG_MAX\)$/m);
      expect(r.stderr).not.toContain(CANARY);
      expect(spawnSync('test', ['-e', `${t.dir}/ran`]).status).toBe(1);
    } finally {
      t.cleanup();
    }
  });
});
