/**
 * The "newcomer's first hour" issue, item by item, through the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageKeygen, cleanEnv, keyedTempDir, put, runCli, type tempDir } from '../helpers/run-cli.js';

const SECRET = 'CANARY-newcomer-5d1e';

let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
const run = (args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) => runCli(args, { cwd: t.dir, env: opts.env ?? env, ...(opts.input !== undefined ? { input: opts.input } : {}) });

beforeAll(() => {
  ({ t, key, env } = keyedTempDir());
});
afterAll(() => t.cleanup());

/** A fresh encrypted dotenv file NAME.env.enc from `text`. */
function encrypted(name: string, text: string): string {
  put(t.dir, `${name}.env`, text);
  const r = run(['encrypt', `${name}.env`, '-r', key.recipient, '-o', `${name}.env.enc`]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return `${name}.env.enc`;
}

describe('1. a stale re-encrypt never drops keys silently', () => {
  it('refuses (exit 9) naming the keys, not the values; --prune drops them', () => {
    const enc = encrypted('stale', `A=${SECRET}\n`);
    expect(run(['set', enc, 'NEWKEY'], { input: `${SECRET}-new` }).code).toBe(0);
    const before = readFileSync(join(t.dir, enc), 'utf8');
    const r = run(['encrypt', 'stale.env', '-r', key.recipient, '-o', enc]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('NEWKEY');
    expect(r.stderr).toContain('--prune');
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(readFileSync(join(t.dir, enc), 'utf8')).toBe(before);
    const pruned = run(['encrypt', 'stale.env', '-r', key.recipient, '-o', enc, '--prune']);
    expect(pruned.code).toBe(0);
    expect(run(['keys', enc]).stdout).toBe('A\n');
  });

  it('refuses also when no key opens the existing file (key names are in clear)', () => {
    const enc = encrypted('stale2', 'A=1\nB=2\n');
    put(t.dir, 'stale2.env', 'A=1\n');
    const other = ageKeygen(t.dir, 'other-key.txt');
    const r = run(['encrypt', 'stale2.env', '-r', key.recipient, '-o', enc], { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: other.file }) });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/refusing to drop 1 key .*: B$/m);
  });
});

describe('2. a damaged file is not taken for plaintext', () => {
  let damaged: string;
  beforeAll(() => {
    const enc = encrypted('dmg', `A=${SECRET}\nB=two\n`);
    // Cut before the metadata (dotenv keeps it at the end).
    const text = readFileSync(join(t.dir, enc), 'utf8');
    damaged = put(t.dir, 't.env.enc', text.slice(0, text.indexOf('sops_')));
  });

  it('decrypt and status say it is damaged (exit 5), never "not encrypted"', () => {
    for (const cmd of ['decrypt', 'status']) {
      const r = run([cmd, 't.env.enc']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('t.env.enc is damaged');
      expect(r.stderr).not.toContain('not encrypted');
      expect(r.stderr).not.toContain('envcrypt encrypt');
    }
  });

  it('encrypt refuses it', () => {
    const r = run(['encrypt', 't.env.enc', '-r', key.recipient]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('is damaged');
    expect(r.stdout).toBe('');
  });

  it('as an output, it is replaced only with --force', () => {
    put(t.dir, 'fresh.env', 'A=1\n');
    const r = run(['encrypt', 'fresh.env', '-r', key.recipient, '-o', 't.env.enc']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('t.env.enc is damaged');
    put(t.dir, 'copy.env.enc', readFileSync(damaged, 'utf8'));
    expect(run(['encrypt', 'fresh.env', '-r', key.recipient, '-o', 'copy.env.enc', '--force']).code).toBe(0);
    expect(run(['keys', 'copy.env.enc']).stdout).toBe('A\n');
  });

  it('check reports it', () => {
    const r = run(['check', 't.env.enc']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/t\.env\.enc: error: .*no sops metadata/);
    expect(existsSync(damaged)).toBe(true);
  });
});

describe('3. an identity named explicitly never falls back', () => {
  let enc: string;
  let withDefault: NodeJS.ProcessEnv;
  beforeAll(() => {
    enc = encrypted('idf', `A=${SECRET}\n`);
    // The working key is the default key file: a fallback would succeed.
    const config = join(t.dir, 'xdg');
    mkdirSync(join(config, 'envcrypt'), { recursive: true });
    writeFileSync(join(config, 'envcrypt', 'keys.txt'), readFileSync(key.file), { mode: 0o600 });
    withDefault = cleanEnv({ XDG_CONFIG_HOME: config });
    expect(run(['decrypt', enc], { env: withDefault }).code).toBe(0);
  });

  it('a missing -i file is an error naming it (exit 6)', () => {
    const r = run(['decrypt', enc, '-i', 'nope-key.txt'], { env: withDefault });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('nope-key.txt');
    expect(r.stdout).toBe('');
  });

  it('a public-key file as -i is an error naming it, not a chmod warning', () => {
    put(t.dir, 'pub.txt', `${key.recipient}\n`);
    const r = run(['decrypt', enc, '-i', 'pub.txt'], { env: withDefault });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('pub.txt');
    expect(r.stderr).toContain('recipient (public key)');
    expect(r.stderr).not.toContain('chmod');
    expect(r.stdout).toBe('');
  });

  it('so is a missing ENVCRYPT_AGE_KEY_FILE or SOPS_AGE_KEY_FILE', () => {
    for (const v of ['ENVCRYPT_AGE_KEY_FILE', 'SOPS_AGE_KEY_FILE']) {
      const r = run(['decrypt', enc], { env: { ...withDefault, [v]: 'gone.txt' } });
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(`gone.txt (from ${v})`);
    }
  });
});

describe('4. keygen -o creates missing parent directories (0700)', () => {
  it('writes into a fresh config directory', () => {
    const r = run(['keygen', '-o', 'fresh/config/envcrypt/keys.txt']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(statSync(join(t.dir, 'fresh/config/envcrypt/keys.txt')).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.dir, 'fresh/config/envcrypt')).mode & 0o777).toBe(0o700);
    expect(statSync(join(t.dir, 'fresh')).mode & 0o777).toBe(0o700);
  });
});

describe('5. errors say what is wrong', () => {
  it('encrypt of a missing file: no such file, exit 6', () => {
    const r = run(['encrypt', 'nope.env']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('no such file: nope.env');
    expect(r.stderr).not.toContain('recipients');
  });

  it('a directory is said to be a directory (exit 2)', () => {
    mkdirSync(join(t.dir, 'somedir'));
    for (const cmd of ['encrypt', 'decrypt']) {
      const r = run([cmd, 'somedir']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('somedir is a directory');
      expect(r.stderr).not.toContain('cannot tell the format');
    }
  });

  it('decrypting a plaintext .env with a multi-line value: not encrypted (8)', () => {
    put(t.dir, 'multi.env', 'A="line one\nline two"\nB=2\n');
    const r = run(['decrypt', 'multi.env']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('multi.env is not encrypted');
  });

  it('text after a closing quote: said so, position once', () => {
    put(t.dir, 'junk.env', 'A=1\nB="x"junk\n');
    const r = run(['encrypt', 'junk.env', '-r', key.recipient]);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe('envcrypt: error: junk.env:2:6: text after the closing quote');
  });

  it('decrypt --extract of a missing key exits 6, as get does', () => {
    const enc = encrypted('ext', 'A=1\n');
    const r = run(['decrypt', enc, '--extract', 'NOPE']);
    expect(r.code).toBe(6);
    expect(run(['get', enc, 'NOPE']).code).toBe(6);
  });
});

describe('6. set refuses a value in argv', () => {
  it('with a hint to use stdin or the prompt, never echoing the value', () => {
    const enc = encrypted('argv', 'A=1\n');
    const r = run(['set', enc, 'KEY', SECRET]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shell history');
    expect(r.stderr).toContain('stdin');
    expect(r.stderr).not.toContain(SECRET);
    expect(run(['keys', enc]).stdout).toBe('A\n');
  });
});

describe('7. envcrypt keys lists key names only', () => {
  it('dotenv and nested YAML, text and --json, no values; the unset hint points to it', () => {
    const enc = encrypted('k', `A=${SECRET}\nB_unencrypted=${SECRET}\n`);
    const r = run(['keys', enc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('A\nB_unencrypted\n');
    put(t.dir, 'n.yaml', `db:\n  password: ${SECRET}\n  hosts: [a, b]\ntoken: x\n`);
    expect(run(['encrypt', 'n.yaml', '-r', key.recipient, '-o', 'n.enc.yaml']).code).toBe(0);
    const j = run(['keys', 'n.enc.yaml', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ file: 'n.enc.yaml', format: 'yaml', encrypted: true, keys: ['db.password', 'db.hosts.0', 'db.hosts.1', 'token'] });
    expect(j.stdout).not.toContain(SECRET);
    const u = run(['unset', enc, 'NOPE']);
    expect(u.code).toBe(6);
    expect(u.stderr).toContain(`"envcrypt keys ${enc}"`);
    expect(u.stderr).not.toContain('envcrypt decrypt');
  });
});

describe('8. status', () => {
  it('says envcrypt wrote a file with a record, and exits 3 on a MAC mismatch after the report', () => {
    const enc = encrypted('st', 'A=1\nB=2\n');
    const ok = run(['status', enc]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/written by envcrypt \(sops 3\.\d+\.\d+ format\)/);
    const text = readFileSync(join(t.dir, enc), 'utf8');
    const forged = text.replace(/^sops_mac=ENC\[AES256_GCM,data:(.)/m, (_m, c: string) => `sops_mac=ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`);
    expect(forged).not.toBe(text);
    put(t.dir, 'forged.env.enc', forged);
    const bad = run(['status', 'forged.env.enc']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^MAC: +mismatch/m);
  });
});

describe('9. export --format github outside Actions', () => {
  it('refuses plaintext to a terminal without -o or --stdout (before decrypting)', async () => {
    const { checkExportDestination } = await import('../../src/api/export.js');
    expect(() => checkExportDestination({ format: 'github', terminal: true })).toThrow(/refusing to print plaintext values to the terminal/);
    expect(() => checkExportDestination({ format: 'github', terminal: true, githubEnv: '' })).toThrow(/GITHUB_ENV is not set/);
    expect(() => checkExportDestination({ format: 'github', terminal: true, stdout: true })).not.toThrow();
    expect(() => checkExportDestination({ format: 'github', terminal: true, output: 'env.txt' })).not.toThrow();
    expect(() => checkExportDestination({ format: 'github', terminal: true, githubEnv: '/runner/env' })).not.toThrow();
    expect(() => checkExportDestination({ format: 'github', terminal: false })).not.toThrow();
    expect(() => checkExportDestination({ format: 'shell', terminal: true })).not.toThrow();
    // A pipe still gets the lines, and --stdout is accepted.
    const enc = encrypted('gh', `A=${SECRET}\n`);
    const piped = run(['export', enc, '--format', 'github', '--stdout']);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain(`A=${SECRET}`);
  });
});

describe('10. recipient files (-R), as age takes them', () => {
  it('encrypt -R a .pub file and an identity file', () => {
    put(t.dir, 'r.env', 'A=1\n');
    put(t.dir, 'mine.pub', `${key.recipient}\n`);
    const other = ageKeygen(t.dir, 'r-other.txt');
    const r = run(['encrypt', 'r.env', '-R', 'mine.pub', '-R', 'r-other.txt', '-o', 'r.env.enc']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = run(['status', 'r.env.enc']);
    expect(s.stdout).toContain(key.recipient);
    expect(s.stdout).toContain(other.recipient);
    expect(run(['encrypt', 'r.env', '-R', 'missing.pub']).code).toBe(6);
    const asR = run(['encrypt', 'r.env', '-r', 'mine.pub']);
    expect(asR.code).toBe(2);
    expect(asR.stderr).toContain('-R mine.pub');
  });

  it('encrypt -R a recipients list as age reads one: a recipient per line, # comments and blank lines skipped', () => {
    put(t.dir, 'team.env', 'TEAM=shared\n');
    const a = ageKeygen(t.dir, 'team-a.txt');
    const b = ageKeygen(t.dir, 'team-b.txt');
    const ssh = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'c@example', '-f', join(t.dir, 'team-ssh')]);
    expect(ssh.status).toBe(0);
    const list = `# the team\n${a.recipient}\n\n${b.recipient}\n${readFileSync(join(t.dir, 'team-ssh.pub'), 'utf8')}`;
    put(t.dir, 'team.txt', list);
    // The same file is a recipients file for the age CLI itself.
    const viaAge = spawnSync('age', ['-R', join(t.dir, 'team.txt')], { input: 'probe' });
    expect(viaAge.status).toBe(0);
    for (const k of [a, b]) expect(spawnSync('age', ['-d', '-i', k.file], { input: viaAge.stdout }).stdout.toString()).toBe('probe');
    const r = run(['encrypt', 'team.env', '-R', 'team.txt', '-o', 'team.env.enc']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const listed = run(['recipients', 'list', 'team.env.enc', '--json']);
    expect(JSON.parse(listed.stdout)[0].recipients).toHaveLength(3);
    for (const k of [a, b]) expect(run(['get', 'team.env.enc', 'TEAM'], { env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: k.file }) }).stdout).toBe('shared');
    expect(run(['get', 'team.env.enc', 'TEAM'], { env: cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(t.dir, 'team-ssh') }) }).stdout).toBe('shared');
    // A line that is no recipient: its file, line and column, never its text.
    put(t.dir, 'team-bad.txt', `${list}AGE-SECRET-PASTED-HERE-BY-MISTAKE\n`);
    const bad = run(['encrypt', 'team.env', '-R', 'team-bad.txt']);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('team-bad.txt:6:1: this line is not a public key');
    expect(bad.stderr).not.toContain('PASTED');
    // recipients add takes one key; its hint leads to -R.
    const add = run(['recipients', 'add', 'team.txt', 'team.env.enc']);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('team.txt holds 3 keys');
    expect(add.stderr).toContain('encrypt -R FILE');
  });

  // The attack: team.txt is in the repository, and a pusher appends their own key to it.
  it('a key added to a committed -R list gets the data key only announced, and named as from that file', () => {
    put(t.dir, 'mine.env', 'MINE=secret\n');
    put(t.dir, 'list.txt', `${key.recipient}\n`);
    expect(run(['encrypt', 'mine.env', '-R', 'list.txt', '-o', 'mine.env.enc']).code).toBe(0);
    const pusher = ageKeygen(t.dir, 'pusher.txt');
    put(t.dir, 'list.txt', `${key.recipient}\n${pusher.recipient}\n`);
    const again = run(['encrypt', 'mine.env', '-R', 'list.txt', '-o', 'mine.env.enc']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`envcrypt: warning: mine.env.enc: adding recipient ${pusher.recipient} (from -R list.txt)`);
  });
});
