// The client side of the age plugin protocol, in process, against the test
// plugin test/fixtures/bin/age-plugin-envcrypttest (which implements the
// plugin side from the C2SP specification) and against the real age 1.1.1
// CLI talking to the same plugin: what envcrypt wraps, age opens, and what
// age wraps, envcrypt opens.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bech32 } from '@scure/base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { recoverDataKey } from '../../../src/crypto/datakey.js';
import { EnvcryptError } from '../../../src/errors.js';
import { wrapDataKey } from '../../../src/keys/age/wrap.js';
import type { IdentitySource } from '../../../src/keys/discovery.js';
import { parseIdentityText } from '../../../src/keys/identity-text.js';
import { newIdentity } from '../../../src/keys/keygen.js';
import { setPluginUi, type PluginUi } from '../../../src/keys/plugin/ui.js';
import { parseRecipient } from '../../../src/keys/recipient.js';
import { rejected } from '../../helpers/errors.js';
import { ageMetadata } from '../../helpers/metadata.js';
import { ROOT } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/run-cli.js';

const BIN_DIR = join(ROOT, 'test', 'fixtures', 'bin');
const KEYS = join(ROOT, 'test', 'fixtures', 'plugin');
const recipientOf = (file: string): string => /# recipient: (\S+)/.exec(readFileSync(join(KEYS, file), 'utf8'))![1]!;
const identityOf = (file: string): string => parseIdentityText(readFileSync(join(KEYS, file), 'utf8'), file)[0]!;
const RECIPIENT = recipientOf('identity.txt');
const IDENTITY = identityOf('identity.txt');
const PIN_RECIPIENT = recipientOf('identity-pin.txt');
const PIN_IDENTITY = identityOf('identity-pin.txt');
const KEY = new Uint8Array(32).map((_, i) => 200 - i);
const CANARY = 'CANARY-PIN-654321';

const metadata = (recipient: string, enc: string) => ageMetadata([{ recipient, enc }]);

const sources = (ids: string[]): IdentitySource[] => [{ label: 'TEST', absent: 'unset', load: () => ids }];
const open = (recipient: string, enc: string, ids: string[]): Promise<Uint8Array> => recoverDataKey(metadata(recipient, enc), 'f.env', { sources: sources(ids) });
const wrap = (recipient: string): Promise<string> => wrapDataKey(KEY, parseRecipient(recipient));

/** A plugin recipient of a plugin that does not exist, with a valid checksum. */
const fakeRecipient = (name: string): string => bech32.encode(`age1${name}`, bech32.toWords(new Uint8Array(32).fill(7)), false);

const t = tempDir('envcrypt-plugin-');
afterAll(t.cleanup);

// Each plugin run starts node: the wrapped keys are made once.
let ENC = '';
let PIN_ENC = '';
beforeAll(async () => {
  vi.stubEnv('PATH', `${BIN_DIR}:${process.env.PATH}`);
  ENC = await wrap(RECIPIENT);
  PIN_ENC = execFileSync('age', ['-r', PIN_RECIPIENT, '-a'], { input: KEY, env: { ...process.env }, encoding: 'utf8' });
  vi.unstubAllEnvs();
});

beforeEach(() => {
  vi.stubEnv('PATH', `${BIN_DIR}:${process.env.PATH}`);
  vi.stubEnv('ENVCRYPTTEST_PLUGIN', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  setPluginUi(undefined);
});

describe('age plugins: round trip and interop with the age CLI', () => {
  it('wraps for age1envcrypttest1… and opens with AGE-PLUGIN-ENVCRYPTTEST-1…, through the plugin', async () => {
    expect(ENC).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(Buffer.from(await open(RECIPIENT, ENC, [IDENTITY]))).toEqual(Buffer.from(KEY));
  });

  it('a data key envcrypt wrapped opens with "age -d -i <plugin identity>" (age 1.1.1)', async () => {
    const identityFile = join(t.dir, 'identity.txt');
    copyFileSync(join(KEYS, 'identity.txt'), identityFile);
    chmodSync(identityFile, 0o600);
    const out = execFileSync('age', ['-d', '-i', identityFile], { input: ENC, env: { ...process.env } });
    expect(Buffer.from(out)).toEqual(Buffer.from(KEY));
  });

  it('a file nobody wrapped for this identity is "no identity matched" (the plugin sends no file key)', async () => {
    const e = await rejected(open(PIN_RECIPIENT, PIN_ENC, [IDENTITY]));
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.message).toMatch(/^no identity matched/);
  });

  it('a plain X25519 key of the same source opens the file before any plugin starts (no PIN asked)', async () => {
    const x = await newIdentity(false);
    const md = metadata(PIN_RECIPIENT, PIN_ENC);
    // Stored under another recipient, so that ordering by stored recipient does not help: every stanza is tried natively first.
    const other = (await newIdentity(false)).recipient;
    md.groups[0]!.age.push({ recipient: other, enc: await wrapDataKey(KEY, parseRecipient(x.recipient)) });
    const log = join(t.dir, 'x25519-first.log');
    vi.stubEnv('ENVCRYPTTEST_PLUGIN_LOG', log);
    expect(Buffer.from(await recoverDataKey(md, 'f.env', { sources: sources([PIN_IDENTITY, x.identity]) }))).toEqual(Buffer.from(KEY));
    expect(existsSync(log)).toBe(false);
  });

  it('answers msg through the UI and an unknown command with "unsupported", and carries on', async () => {
    const messages: string[] = [];
    setPluginUi({ message: async (name, text) => (messages.push(`${name}: ${text}`), true), requestValue: async () => null, confirm: async () => null });
    vi.stubEnv('ENVCRYPTTEST_PLUGIN', 'msg,unknown');
    expect(Buffer.from(await open(RECIPIENT, ENC, [IDENTITY]))).toEqual(Buffer.from(KEY));
    expect(messages).toEqual(['envcrypttest: touch the envcrypttest token']);
  });
});

describe('age plugins: PINs', () => {
  const ui = (answer: string | null, asked: string[]): PluginUi => ({
    message: async () => true,
    requestValue: async (name, prompt, secret) => (asked.push(`${name}|${prompt}|${secret}`), answer),
    confirm: async () => null,
  });

  // PIN_ENC was wrapped by "age -r <plugin recipient>" (age 1.1.1): what age wraps through a plugin, envcrypt opens.
  it('asks for the PIN through the UI (secret, no echo) and sends it on stdin only; opens what age -r wrapped', async () => {
    const asked: string[] = [];
    setPluginUi(ui('123456', asked));
    expect(Buffer.from(await open(PIN_RECIPIENT, PIN_ENC, [PIN_IDENTITY]))).toEqual(Buffer.from(KEY));
    expect(asked).toEqual(['envcrypttest|Enter the PIN of the envcrypttest token|true']);
  });

  it('with no terminal (no UI: the library, the preload), a request-secret is answered fail and the error says why, without hanging', async () => {
    const e = await rejected(open(PIN_RECIPIENT, PIN_ENC, [PIN_IDENTITY]));
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.message).toBe('age plugin age-plugin-envcrypttest failed: a PIN is required');
    expect(e.hints.join('\n')).toMatch(/no terminal to ask on/);
  }, 20_000);

  it('a wrong PIN is the plugin\'s error, and the PIN typed appears in no message', async () => {
    setPluginUi(ui(CANARY, []));
    const e = await rejected(open(PIN_RECIPIENT, PIN_ENC, [PIN_IDENTITY]));
    expect(e.message).toBe('age plugin age-plugin-envcrypttest failed: wrong PIN');
    expect(JSON.stringify({ m: e.message, h: e.hints })).not.toContain(CANARY);
  });
});

describe('age plugins: failures', () => {
  it('a plugin missing from PATH is named, with a hint, when encrypting (exit 1) and decrypting (exit 4)', async () => {
    const r = fakeRecipient('nosuchplugin');
    const w = await rejected(wrapDataKey(KEY, parseRecipient(r)));
    expect(w.code).toBe('PLUGIN');
    expect(w.exitCode).toBe(1);
    expect(w.message).toBe('age plugin age-plugin-nosuchplugin not found on PATH');
    expect(w.hints[0]).toMatch(/install age-plugin-nosuchplugin and put it in a directory on PATH/);
    vi.stubEnv('PATH', '/usr/bin:/bin');
    const u = await rejected(open(RECIPIENT, ENC, [IDENTITY]));
    expect([u.code, u.exitCode, u.message]).toEqual(['NO_IDENTITY', 4, 'age plugin age-plugin-envcrypttest not found on PATH']);
  });

  it('never runs a plugin from an empty or relative PATH entry (the current directory)', async () => {
    const cwd = process.cwd();
    mkdirSync(join(t.dir, 'rel'), { recursive: true });
    copyFileSync(join(BIN_DIR, 'age-plugin-envcrypttest'), join(t.dir, 'rel', 'age-plugin-envcrypttest'));
    process.chdir(t.dir);
    try {
      vi.stubEnv('PATH', `rel::/usr/bin:/bin`);
      const e = await rejected(wrap(RECIPIENT));
      expect(e.message).toBe('age plugin age-plugin-envcrypttest not found on PATH');
      expect(e.hints).toContain('2 empty or relative PATH entries were not searched: a plugin is never run from the current directory');
    } finally {
      process.chdir(cwd);
    }
  });

  it('a plugin that exits non-zero: the error shows its stderr (escaped) and its exit status', async () => {
    vi.stubEnv('ENVCRYPTTEST_PLUGIN', 'exit');
    const e = await rejected(wrap(RECIPIENT));
    expect(e.message).toBe('age plugin age-plugin-envcrypttest failed: it stopped before finishing the conversation');
    expect(e.hints).toEqual(['age-plugin-envcrypttest said: envcrypttest: broken on purpose', 'it exited with status 3']);
  });

  it('a plugin\'s error command is shown with its control characters escaped', async () => {
    vi.stubEnv('ENVCRYPTTEST_PLUGIN', 'error');
    const e = await rejected(open(RECIPIENT, ENC, [IDENTITY]));
    expect([e.code, e.message]).toEqual(['NO_IDENTITY', 'age plugin age-plugin-envcrypttest failed: the token is \\x1b[31mbroken\\x1b[0m']);
    expect(e.message).not.toContain('\x1b');
  });

  it('malformed plugin output is an error, never a key', async () => {
    vi.stubEnv('ENVCRYPTTEST_PLUGIN', 'garbage');
    const e = await rejected(wrap(RECIPIENT));
    expect(e.message).toBe('age plugin age-plugin-envcrypttest failed: malformed output: a line that is not a "-> command" stanza');
  });

  it('a file key for a file index the client never sent, or a second one for a file, is malformed output, never a key', async () => {
    for (const [mode, why] of [['badindex', 'a malformed file-key command'], ['twice', 'a second file key for the same file']]) {
      vi.stubEnv('ENVCRYPTTEST_PLUGIN', mode);
      const e = await rejected(open(RECIPIENT, ENC, [IDENTITY]));
      expect(e.code).toBe('NO_IDENTITY');
      expect(e.message).toBe(`age plugin age-plugin-envcrypttest failed: malformed output: ${why}`);
    }
  });

  it('refuses attacker-chosen plugin names before anything runs: path separators, spaces', () => {
    const log = join(t.dir, 'ran.log');
    vi.stubEnv('ENVCRYPTTEST_PLUGIN_LOG', log);
    for (const name of ['../../x', 'a/b', '..\\x', 'a b', 'x\u202e']) {
      let hrpOk = true;
      let r = '';
      try {
        r = fakeRecipient(name);
      } catch {
        hrpOk = false; // @scure/base itself refuses some (a space); then so does any decoder
      }
      if (!hrpOk) continue;
      expect(() => parseRecipient(r), name).toThrow(/refusing an age plugin recipient whose plugin name/);
    }
    const id = bech32.encode('AGE-PLUGIN-../../X-', bech32.toWords(new Uint8Array(8)), false).toUpperCase();
    expect(() => parseIdentityText(`${id}\n`, 'keys.txt')).toThrow(/invalid identity on line 1 of keys.txt/);
    expect(() => readFileSync(log)).toThrow();
  });

  it('a plugin recipient or identity with a bad checksum is refused without quoting a secret', () => {
    const bad = IDENTITY.slice(0, -1) + (IDENTITY.endsWith('Q') ? 'P' : 'Q');
    const e = (() => {
      try {
        parseIdentityText(`# c\n${bad}\n`, 'keys.txt');
      } catch (err) {
        return err as EnvcryptError;
      }
      throw new Error('accepted');
    })();
    expect(e.message).toBe('invalid identity on line 2 of keys.txt');
    expect(JSON.stringify(e.hints)).not.toContain(bad.slice(30));
    expect(() => parseRecipient(RECIPIENT.slice(0, -1) + (RECIPIENT.endsWith('q') ? 'p' : 'q'))).toThrow(/bad bech32 encoding or checksum/);
    expect(() => parseRecipient(IDENTITY)).toThrow(/got an age plugin identity/);
  });
});
