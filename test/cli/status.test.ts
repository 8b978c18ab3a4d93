import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { ageKeygen, cleanEnv, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';

const CANARY = 'CANARY-status-cli-7a2b';

let work: ReturnType<typeof tempDir>;
let alice: { file: string; recipient: string };
let bob: { file: string; recipient: string };

const run = (args: string[], env: NodeJS.ProcessEnv = cleanEnv()): CliResult => runCli(args, { cwd: work.dir, env });

beforeAll(async () => {
  work = tempDir();
  alice = ageKeygen(work.dir, 'alice.txt');
  bob = ageKeygen(work.dir, 'bob.txt');
  mkdirSync(join(work.dir, 'secrets'));
  writeFileSync(join(work.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: ^secrets/\n    age: ${alice.recipient},${bob.recipient}\n`);
  writeFileSync(join(work.dir, 'secrets/app.env'), await encryptText(`TOKEN=${CANARY}\n`, 'app.env', { recipients: [alice.recipient] }));
  writeFileSync(join(work.dir, 'secrets/plain.env'), `TOKEN=${CANARY}\n`);
  writeFileSync(join(work.dir, 'notes.yaml'), `a: ${CANARY}\n`);
});
afterAll(() => work.cleanup());

describe('envcrypt status (CLI)', () => {
  it('reports an encrypted file: recipients, MAC, rule and drift, with hints for the fix', () => {
    const r = run(['status', 'secrets/app.env', '-i', alice.file]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('file:          secrets/app.env');
    expect(lines[1]).toBe('encrypted:     yes (dotenv, written by envcrypt (sops 3.13.2 format))');
    expect(lines[2]).toBe(`recipients:    ${alice.recipient}`);
    expect(lines[3]).toMatch(/^last modified: \d{4}-\d\d-\d\dT/);
    expect(lines[4]).toBe('MAC:           ok (verified)');
    expect(lines[5]).toBe('integrity:     ok (the record covers every key, value, comment, the selector and the recipients)');
    expect(lines[6]).toBe('rule:          creation rule 1 of .sops.yaml (path_regex ^secrets/)');
    expect(lines[7]).toBe(`vs rule:       missing ${bob.recipient} (in the rule, not in the file)`);
    expect(r.stderr).toBe('envcrypt: hint: "envcrypt recipients add KEY secrets/app.env" gives a missing recipient access\n');
    expect(r.stdout + r.stderr).not.toContain(CANARY);
  });

  it('says "no key" without one, and prints JSON with --json', () => {
    const r = run(['status', 'secrets/app.env', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ file: 'secrets/app.env', encrypted: true, format: 'dotenv', recipients: [alice.recipient], mac: 'no key' });
    expect(s.rule).toEqual({ config: '.sops.yaml', index: 1, pathRegex: '^secrets/', recipients: [alice.recipient, bob.recipient] });
    expect(s.drift).toEqual({ missing: [bob.recipient], extra: [] });
    // Without a key the record is seen but not checked.
    expect(s).toMatchObject({ integrity: 'present', unverified: [], selectorDrift: null });
    expect(r.stdout).not.toContain(CANARY);
  });

  it('exits 0 for a plaintext file, with a warning when a rule covers it', () => {
    const covered = run(['status', 'secrets/plain.env']);
    expect(covered.code).toBe(0);
    expect(covered.stdout).toBe(['file:          secrets/plain.env', 'encrypted:     no (dotenv)', 'rule:          creation rule 1 of .sops.yaml (path_regex ^secrets/)', ''].join('\n'));
    expect(covered.stderr).toContain('envcrypt: warning: secrets/plain.env is not encrypted, though creation rule 1 covers it');
    const free = run(['status', 'notes.yaml']);
    expect(free.code).toBe(0);
    expect(free.stdout).toContain('rule:          no .sops.yaml creation rule matches\n');
    expect(free.stderr).toBe('');
    expect(free.stdout + free.stderr + covered.stdout + covered.stderr).not.toContain(CANARY);
  });

  it('fails for a missing file (6) and an encrypted file that does not parse (5)', () => {
    const missing = run(['status', 'nope.env']);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain('envcrypt: error: no such file: nope.env');
    writeFileSync(join(work.dir, 'broken.env'), `<<<<<<< ours ${CANARY}\nA=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops_version=3.13.2\n`);
    const broken = run(['status', 'broken.env']);
    expect(broken.code).toBe(5);
    expect(broken.stderr).not.toContain(CANARY);
  });
});
