/**
 * Shared pieces of the attack suites (test/security/attacks*.test.ts): a team
 * directory with the victim's key K, a teammate's key B and the attacker's
 * key A (all throwaway keys made by age-keygen), one envcrypt-written file
 * per store, and the text edits an attacker with push access but no key can
 * make. Every secret in the fixtures starts with CANARY, so a test can assert
 * that no failure prints one.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { readMetadata, type AgeEntry } from '../../src/stores/metadata.js';
import { storeFor } from '../../src/stores/index.js';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';
import { withoutIntegrity } from '../helpers/sops-like.js';

/** The stores every attack runs in; INI and binary have one variation each (attacks-stores.test.ts). */
export type Format = 'dotenv' | 'yaml' | 'json';
export const FORMATS: readonly Format[] = ['dotenv', 'yaml', 'json'];

/** `npm run test:long` sets this: every variation in every store. */
export const LONG = process.env.ENVCRYPT_TEST_LONG === '1';

/**
 * The attacks from the threat model run in every store. Variations of them,
 * and the per-command repetitions of one attack, run in one store each under
 * `npm test` (variation n runs in FORMATS[n % 3], so every store meets some),
 * and in all three under `npm run test:long`: the CLI round trips are what
 * make the suite slow.
 */
export function variation(format: Format, n: number): typeof it.skip {
  return LONG || FORMATS[n % FORMATS.length] === format ? it : it.skip;
}

/** Every secret value of the fixtures starts with this. */
export const CANARY = 'CANARY-7f3a';

/** The encrypted file of each store, and the plaintext it is made from. */
export const ENC: Record<Format, string> = { dotenv: 'app.env.enc', yaml: 'app.enc.yaml', json: 'app.enc.json' };
export const PLAIN: Record<Format, string> = { dotenv: 'app.env', yaml: 'app.yaml', json: 'app.json' };

/** The same secrets in each store; YAML and JSON add a typed unencrypted value and a nested secret. */
export const PLAIN_TEXT: Record<Format, string> = {
  dotenv: [
    '# team settings',
    'A_unencrypted=true',
    'B_unencrypted=prod',
    `DB_PASSWORD=${CANARY}-db`,
    `API_KEY=${CANARY}-api`,
    '# rotate quarterly',
    `JWT_SECRET=${CANARY}-jwt`,
    '',
  ].join('\n'),
  yaml: [
    '# team settings',
    'A_unencrypted: "true"',
    'B_unencrypted: prod',
    'PORT_unencrypted: 42',
    `DB_PASSWORD: ${CANARY}-db`,
    `API_KEY: ${CANARY}-api`,
    '# rotate quarterly',
    `JWT_SECRET: ${CANARY}-jwt`,
    'db:',
    `    password: ${CANARY}-nested`,
    '',
  ].join('\n'),
  json: `${JSON.stringify({ A_unencrypted: 'true', B_unencrypted: 'prod', PORT_unencrypted: 42, DB_PASSWORD: `${CANARY}-db`, API_KEY: `${CANARY}-api`, JWT_SECRET: `${CANARY}-jwt`, db: { password: `${CANARY}-nested` } }, null, 2)}\n`,
};

/** The scripted editors of test/fixtures/editors, as ENVCRYPT_EDITOR values. */
export function editor(script: string): string {
  const path = fileURLToPath(new URL(`../fixtures/editors/${script}`, import.meta.url));
  return script.endsWith('.sh') ? `sh ${path}` : `node ${path}`;
}

/** A key made by age-keygen: the identity file and its recipient. */
export interface Key {
  file: string;
  recipient: string;
}

/**
 * A team checkout: K (the victim, whose key the commands use), B (a
 * teammate), A (the attacker), and a `.sops.yaml` whose one creation rule
 * lists K and B, as the team set it up.
 */
export interface Team {
  dir: string;
  K: Key;
  B: Key;
  A: Key;
  cleanup: () => void;
}

/** The `.sops.yaml` of the team: one catch-all rule for `recipients`, at line 2, column 7 for `age`. */
export function sopsYaml(recipients: readonly string[], extra = ''): string {
  return `creation_rules:\n    - age: ${recipients.join(',')}\n${extra}`;
}

/** Where {@link sopsYaml} puts the rule: what the announcements name. */
export const RULE_AT = '.sops.yaml:2:7 (creation rule 1';

export function makeTeam(): Team {
  const t = tempDir('envcrypt-attack-');
  const K = ageKeygen(t.dir, 'k.txt');
  const B = ageKeygen(t.dir, 'b.txt');
  const A = ageKeygen(t.dir, 'attacker.txt');
  put(t.dir, '.sops.yaml', sopsYaml([K.recipient, B.recipient]));
  return { dir: t.dir, K, B, A, cleanup: t.cleanup };
}

/** The environment of a user holding `key` only. */
export function envOf(key: Key, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ ENVCRYPT_AGE_KEY_FILE: key.file, ...extra });
}

/** Run the built CLI in the team directory as the holder of `key`. */
export function cli(team: Team, args: string[], opts: { key?: Key; env?: Record<string, string>; input?: string } = {}): CliResult {
  return runCli(args, { cwd: team.dir, env: envOf(opts.key ?? team.K, opts.env), ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

/** Run the built CLI and fail the test with its stderr unless it exits 0. */
export function cliOk(team: Team, args: string[], opts: { key?: Key; env?: Record<string, string>; input?: string } = {}): CliResult {
  const r = cli(team, args, opts);
  if (r.code !== 0) throw new Error(`envcrypt ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/**
 * Write `PLAIN[format]` (or `plain`) and encrypt it with the CLI to `out`
 * (default `ENC[format]`) for the rule's recipients; returns the encrypted text.
 */
export function encryptFixture(team: Team, format: Format, opts: { out?: string; plain?: string; args?: string[] } = {}): string {
  const src = `src-${PLAIN[format]}`;
  put(team.dir, src, opts.plain ?? PLAIN_TEXT[format]);
  const out = opts.out ?? ENC[format];
  cliOk(team, ['encrypt', src, '-o', out, ...(opts.args ?? [])]);
  return read(team, out);
}

export function read(team: Team, name: string): string {
  return readFileSync(join(team.dir, name), 'utf8');
}

export function write(team: Team, name: string, text: string): string {
  writeFileSync(join(team.dir, name), text);
  return join(team.dir, name);
}

/** The record-less (sops-level) form of an envcrypt file. */
export function stripped(text: string, format: Format): string {
  const out = withoutIntegrity(text, format);
  expect(out).not.toBe(text);
  return out;
}

/** `age -a -r RECIPIENT` over `data`: an armored age file. */
export function ageWrap(recipient: string, data: Uint8Array): string {
  const r = spawnSync('age', ['-a', '-r', recipient], { input: data });
  if (r.status !== 0) throw new Error(`age -r failed: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

/** `age -d -i IDENTITY` of an armored age file: the bytes, or null when the identity does not open it. */
export function ageOpen(armored: string, identity: string): Buffer | null {
  const r = spawnSync('age', ['-d', '-i', identity], { input: armored });
  return r.status === 0 ? r.stdout : null;
}

/** The armored wrap of 32 random bytes for `recipient`: what an attacker without the data key can make. */
export function junkStanza(recipient: string): string {
  return ageWrap(recipient, randomBytes(32));
}

/**
 * Append an age stanza to the file's metadata, as a text edit that leaves
 * every other byte alone: `sops_age__list_N__map_enc`/`…_recipient` lines in
 * a dotenv file, one more item of `sops.age` in YAML and JSON.
 */
export function withStanza(text: string, format: Format, recipient: string, armored: string): string {
  switch (format) {
    case 'dotenv': {
      const lines = text.split('\n');
      const ages = lines.flatMap((l, i) => (/^sops_age__list_\d+__map_/.test(l) ? [i] : []));
      const n = new Set(ages.map((i) => /^sops_age__list_(\d+)__/.exec(lines[i]!)![1])).size;
      const last = ages.at(-1)!;
      lines.splice(last + 1, 0, `sops_age__list_${n}__map_enc=${armored.replaceAll('\n', '\\n')}`, `sops_age__list_${n}__map_recipient=${recipient}`);
      return lines.join('\n');
    }
    case 'yaml': {
      const lines = text.split('\n');
      const start = lines.indexOf('    age:');
      const end = lines.findIndex((l, i) => i > start && /^ {4}\S/.test(l));
      const body = armored.trimEnd().split('\n').map((l) => `            ${l}`);
      lines.splice(end, 0, '        - enc: |', ...body, `          recipient: ${recipient}`);
      return lines.join('\n');
    }
    case 'json': {
      const m = /("age": \[\n[\s\S]*?)(\n\t\t\])/.exec(text);
      if (!m) throw new Error('no age list');
      const item = `,\n\t\t\t{\n\t\t\t\t"enc": ${JSON.stringify(armored)},\n\t\t\t\t"recipient": ${JSON.stringify(recipient)}\n\t\t\t}`;
      return text.replace(m[0], `${m[1]}${item}${m[2]}`);
    }
  }
}

/** The age stanzas of an encrypted file, read with envcrypt's own metadata parser. */
export async function stanzas(text: string, format: Format): Promise<AgeEntry[]> {
  const md = (await storeFor(format)).parseEncrypted(text).metadata;
  if (!md) throw new Error('not encrypted');
  return readMetadata(md).groups.flatMap((g) => g.age);
}

/** The recipients a file's metadata lists as unverified, and whether it has a record. */
export async function recordOf(text: string, format: Format): Promise<{ integrity: string | undefined; unverified: string[] }> {
  const md = readMetadata((await storeFor(format)).parseEncrypted(text).metadata!);
  return { integrity: md.integrity, unverified: md.unverified };
}

/**
 * The attacker's identity opens nothing useful: the real data key (the
 * victim's stanza opened with the victim's key) is not what any stanza of
 * the file gives A, and `envcrypt decrypt` with A's key fails without
 * printing a secret.
 */
export async function expectAttackerLockedOut(team: Team, name: string, format: Format): Promise<void> {
  const text = read(team, name);
  const all = await stanzas(text, format);
  const mine = all.find((s) => s.recipient === team.K.recipient);
  expect(mine, 'the victim still has a stanza').toBeDefined();
  const dataKey = ageOpen(mine!.enc, team.K.file);
  expect(dataKey?.length).toBe(32);
  for (const s of all) {
    const got = ageOpen(s.enc, team.A.file);
    if (got !== null) expect(got.equals(dataKey!), `the stanza for ${s.recipient} gives A the data key`).toBe(false);
  }
  const r = cli(team, ['decrypt', name], { key: team.A });
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toContain(CANARY);
}

/** The data key as the holder of `key` unwraps it from its stanza (null when it has none it can open). */
export async function dataKeyFor(team: Team, name: string, format: Format, key: Key): Promise<Buffer | null> {
  for (const s of await stanzas(read(team, name), format)) {
    const got = ageOpen(s.enc, key.file);
    if (got) return got;
  }
  return null;
}

/** A refusal: the exit code, an `envcrypt: error:` first line, nothing on stdout, no secret anywhere. */
export function expectRefused(r: CliResult, code: number, message: string | RegExp): void {
  expect(r.stdout + r.stderr).not.toContain(CANARY);
  expect(r.code, r.stderr).toBe(code);
  const first = r.stderr.split('\n').find((l) => l.startsWith('envcrypt: error: ')) ?? '';
  if (typeof message === 'string') expect(first).toContain(message);
  else expect(first).toMatch(message);
}

/** The message of an integrity-record mismatch. */
export const RECORD_MISMATCH = 'the integrity record does not match the file';

/** The built fixture scripts (test/fixtures/bin). */
export const FIXTURE_BIN = join(ROOT, 'test', 'fixtures', 'bin');
