// SSH recipients end to end: keys made by ssh-keygen, stanzas opened by the real age CLI.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

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
