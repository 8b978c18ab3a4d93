// SSH recipients end to end: keys made by ssh-keygen, stanzas opened by the real age CLI.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/paths.js';
import { cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const SCRIPT_SKIP = hasScript ? '' : ' (skipped: script(1) is not installed)';

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir();
  for (const [type, name] of [['ed25519', 'id_ed25519'], ['rsa', 'id_rsa']]) {
    execFileSync('ssh-keygen', ['-q', '-t', type!, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', 'test@envcrypt', '-f', join(t.dir, name!)]);
  }
  put(t.dir, 'app.env', 'TOKEN=ssh-secret-value\n');
});
afterAll(() => t.cleanup());

describe.each(['id_ed25519', 'id_rsa'])('ssh recipient %s', (name) => {
  it('encrypts to the .pub key; decrypts with SOPS_AGE_SSH_PRIVATE_KEY_FILE; age -d -i opens the stanza', () => {
    const pub = readFileSync(join(t.dir, `${name}.pub`), 'utf8').trim();
    const enc = runCli(['encrypt', 'app.env', '-r', pub, '-o', `${name}.env.enc`], { cwd: t.dir });
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    const text = readFileSync(join(t.dir, `${name}.env.enc`), 'utf8');
    expect(text).toContain(`sops_age__list_0__map_recipient=${pub}`);
    const dec = runCli(['decrypt', `${name}.env.enc`], { cwd: t.dir, env: cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(t.dir, name) }) });
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe('TOKEN=ssh-secret-value\n');
    const armored = /^sops_age__list_0__map_enc=(.*)$/m.exec(text)![1]!.replaceAll('\\n', '\n');
    writeFileSync(join(t.dir, 'dek.age'), armored);
    expect(execFileSync('age', ['-d', '-i', join(t.dir, name), join(t.dir, 'dek.age')]).length).toBe(32);
  });

  it('is found at ~/.ssh when HOME points there', () => {
    const home = join(t.dir, `home-${name}`);
    execFileSync('mkdir', ['-p', join(home, '.ssh')]);
    execFileSync('cp', [join(t.dir, name), join(home, '.ssh', name)]);
    execFileSync('chmod', ['600', join(home, '.ssh', name)]);
    const dec = runCli(['decrypt', `${name}.env.enc`], { cwd: t.dir, env: { ...cleanEnv(), HOME: home } });
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toBe('TOKEN=ssh-secret-value\n');
  });
});

it('a malformed ssh recipient names the accepted forms', () => {
  const r = runCli(['encrypt', 'app.env', '-r', 'ssh-ed25519 AAAAnot-a-key'], { cwd: t.dir });
  expect(r.code).toBe(5);
  expect(r.stderr).toContain('ssh-ed25519 AAAA');
});

describe('a passphrase-protected ssh key (ssh-keygen -N)', () => {
  const PASS = 'correct horse';
  let key: string;
  const envWith = () => cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: key });

  beforeAll(() => {
    key = join(t.dir, 'id_protected');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASS, '-C', 'protected@envcrypt', '-f', key]);
    const enc = runCli(['encrypt', 'app.env', '-r', readFileSync(`${key}.pub`, 'utf8').trim(), '-o', 'protected.env.enc'], { cwd: t.dir });
    expect(enc.code, enc.stderr).toBe(0);
  });

  it('without a terminal: exit 4 (a key problem) with hints, and no plaintext', () => {
    const r = runCli(['decrypt', 'protected.env.enc'], { cwd: t.dir, env: envWith() });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`envcrypt: error: ssh key ${key} is protected by a passphrase, and there is no terminal to ask for it`);
    expect(r.stderr).toContain('envcrypt: hint: on a terminal, envcrypt asks for the passphrase');
    expect(r.stderr).toContain('SOPS_AGE_SSH_PRIVATE_KEY_FILE');
    expect(r.stderr).not.toContain('ssh-secret-value');
  });

  /** Run the CLI on a pseudo-terminal (script(1)), typing one answer at each passphrase prompt. */
  function onTerminal(args: string[], answers: string[]): Promise<{ code: number | null; out: string }> {
    const cmd = [process.execPath, BIN, ...args].map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: t.dir, env: envWith() });
    let out = '';
    let prompts = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const n = out.split('envcrypt: passphrase for ssh key').length - 1;
      while (prompts < n) child.stdin.write(`${answers[prompts++] ?? ''}\r`);
    });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, out: out.replaceAll('\r', '') })));
  }

  it.skipIf(!hasScript)(`on a terminal: asks for the passphrase without echo, then decrypts${SCRIPT_SKIP}`, async () => {
    const r = await onTerminal(['decrypt', 'protected.env.enc'], [PASS]);
    expect(r.out).toContain(`envcrypt: passphrase for ssh key ${key}: \n`);
    expect(r.out).not.toContain(PASS);
    expect(r.out).toContain('TOKEN=ssh-secret-value\n');
    expect(r.code).toBe(0);
  });

  it.skipIf(!hasScript)(`on a terminal, exec asks before the command starts, then runs it with the values${SCRIPT_SKIP}`, async () => {
    const r = await onTerminal(['exec', '-f', 'protected.env.enc', '--', process.execPath, '-e', 'console.log("got " + process.env.TOKEN)'], [PASS]);
    expect(r.out).toContain(`envcrypt: passphrase for ssh key ${key}: \n`);
    expect(r.out).not.toContain(PASS);
    expect(r.out).toContain('got ssh-secret-value\n');
    expect(r.code).toBe(0);
  });

  it.skipIf(!hasScript)(`on a terminal: three wrong passphrases are exit 4${SCRIPT_SKIP}`, async () => {
    const r = await onTerminal(['decrypt', 'protected.env.enc'], ['no', 'nope', 'still no']);
    expect(r.out.split('envcrypt: passphrase for ssh key').length - 1).toBe(3);
    expect(r.out).toContain(`envcrypt: error: wrong passphrase for ssh key ${key} (3 attempts)`);
    expect(r.out).not.toContain('ssh-secret-value');
    expect(r.code).toBe(4);
  });

  it.skipIf(!hasScript)(`on a terminal, "git textconv" (run by git under its pager) does not ask: it shows the file encrypted${SCRIPT_SKIP}`, async () => {
    const r = await onTerminal(['git', 'textconv', 'protected.env.enc'], []);
    expect(r.out).not.toContain('envcrypt: passphrase for ssh key');
    expect(r.out).toContain('showing protected.env.enc encrypted');
    expect(r.out).toContain('TOKEN=ENC[');
    expect(r.code).toBe(0);
  });
});
