// Attack suite, part 2: downgrading the selector (attack 3), changes the SOPS
// MAC cannot see (attack 4), and a stripped integrity record. See
// attacks.test.ts for the threat model and parts 1 and 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptText } from '../../src/api/decrypt.js';
import { setValue } from '../../src/api/set.js';
import { EnvcryptError } from '../../src/errors.js';
import { join } from 'node:path';
import {
  CANARY,
  ENC,
  FORMATS,
  variation,
  RECORD_MISMATCH,
  RULE_AT,
  cli,
  cliOk,
  editor,
  encryptFixture,
  expectRefused,
  makeTeam,
  read,
  recordOf,
  sopsYaml,
  stripped,
  write,
  type Format,
  type Team,
} from './attacks-kit.js';
import { withSelector } from '../helpers/sops-like.js';

/** Decrypt with the API as K, with no ENVCRYPT_REQUIRE_INTEGRITY: the exit code, 0 when it decrypts. */
async function apiExit(team: Team, text: string, name: string): Promise<number> {
  try {
    await decryptText(text, name, { identityFiles: [team.K.file], env: {} });
    return 0;
  } catch (e) {
    if (e instanceof EnvcryptError) return e.exitCode;
    throw e;
  }
}

// ─── Attack 4: changes the SOPS MAC cannot see ──────────────────────────────

/** Replace exactly one occurrence of `from`; throws when there is none, so a mutation never silently does nothing. */
function once(text: string, from: string | RegExp, to: string | ((m: string, ...groups: string[]) => string)): string {
  const out = typeof to === 'string' ? text.replace(from, to) : text.replace(from, to);
  if (out === text) throw new Error(`mutation found nothing to change: ${String(from)}`);
  return out;
}

/** The line holding KEY's value in each store (top level). */
const keyRe = (f: Format, key: string) => (f === 'dotenv' ? new RegExp(`^${key}=.*$`, 'm') : f === 'yaml' ? new RegExp(`^${key}: .*$`, 'm') : new RegExp(`^\\t"${key}": .*$`, 'm'));
const lineOf = (text: string, f: Format, key: string) => keyRe(f, key).exec(text)![0];
/** An empty value for KEY, as a line of each store (JSON: followed by a comma). */
const emptyLine = (f: Format, key: string) => (f === 'dotenv' ? `${key}=` : f === 'yaml' ? `${key}: ""` : `\t"${key}": "",`);
const commentLines = (text: string) => text.split('\n').filter((l) => /^#ENC\[AES256_GCM,.*type:comment\]$/.test(l));
const swapLines = (text: string, a: string, b: string) => once(once(text, a, '\u0000'), b, a).replace('\u0000', b);

/**
 * [name, stores it applies to, mutation, whether the SOPS MAC alone already
 * catches it (then a record-less file is refused too), exit code with the record].
 */
type Mutation = [name: string, stores: readonly Format[], apply: (text: string, f: Format) => string, macSees: boolean, code: number];
const ALL = FORMATS;
const TREE: readonly Format[] = ['yaml', 'json'];
const COMMENTED: readonly Format[] = ['dotenv', 'yaml'];

const MUTATIONS: Mutation[] = [
  ['renaming an unencrypted key', ALL, (s, f) => once(s, keyRe(f, 'A_unencrypted'), (l) => l.replace('A_unencrypted', 'Z_unencrypted')), false, 3],
  [
    'moving the boundary between two unencrypted values (A=true, B=prod → A=, B=trueprod)',
    ALL,
    (s, f) => {
      const a = lineOf(s, f, 'A_unencrypted');
      const b = lineOf(s, f, 'B_unencrypted');
      const joined = f === 'dotenv' ? 'B_unencrypted=trueprod' : f === 'yaml' ? 'B_unencrypted: trueprod' : '\t"B_unencrypted": "trueprod",';
      return once(once(s, a, emptyLine(f, 'A_unencrypted')), b, joined);
    },
    false,
    3,
  ],
  ['adding an empty variable (PATH=)', ALL, (s, f) => once(s, lineOf(s, f, 'B_unencrypted'), `${lineOf(s, f, 'B_unencrypted')}\n${emptyLine(f, 'PATH')}`), false, 3],
  ['wrapping a value in a list', TREE, (s, f) => once(s, keyRe(f, 'JWT_SECRET'), (l) => (f === 'json' ? l.replace(/"(ENC\[[^\]]*\])"/, '["$1"]') : l.replace(/: (ENC\[.*)$/, ':\n    - $1'))), false, 3],
  [
    'nesting a key into "db:password" (same additional data, so GCM accepts it)',
    TREE,
    (s, f) => (f === 'json' ? once(s, /\t"db": \{\n\t\t"password": ("ENC[^"]*")\n\t\}/, '\t"db:password": $1') : once(s, /^db:\n {4}password: (ENC.*)$/m, '"db:password": $1')),
    false,
    3,
  ],
  ['duplicating a key with an empty value', ALL, (s, f) => once(s, lineOf(s, f, 'API_KEY'), `${lineOf(s, f, 'API_KEY')}\n${emptyLine(f, 'API_KEY')}`), false, 5],
  ['adding a comment (a copy of an encrypted one)', COMMENTED, (s) => once(s, /^(B_unencrypted[=:].*)$/m, `$1\n${commentLines(s)[0]!}`), false, 3],
  ['removing a comment', COMMENTED, (s) => once(s, `${commentLines(s)[1]!}\n`, ''), false, 3],
  ['changing a comment (the two comments swapped)', COMMENTED, (s) => swapLines(s, commentLines(s)[0]!, commentLines(s)[1]!), false, 3],
  // Each value keeps its own key, so GCM accepts both; the MAC hashes values in order.
  ['reordering encrypted keys', ALL, (s, f) => swapLines(s, lineOf(s, f, 'DB_PASSWORD'), lineOf(s, f, 'API_KEY')), true, 3],
  ['changing lastmodified', ALL, (s) => once(s, /(lastmodified["]?[=:] ?"?)(\d{4})/, '$11999'), true, 3],
  ['changing the sops version', ALL, (s) => once(s, /(version["]?[=:] ?"?)3\.13\.2/, '$13.9.0'), false, 3],
  ['changing the type tag of an unencrypted value (42 → "42")', TREE, (s, f) => once(s, keyRe(f, 'PORT_unencrypted'), (l) => l.replace('42', '"42"')), false, 3],
];

/** Mutations of a `mac_only_encrypted` file, whose MAC leaves out every unencrypted value. */
const MAC_ONLY_MUTATIONS: Mutation[] = [
  ['mac_only_encrypted: reordering unencrypted keys', ALL, (s, f) => swapLines(s, lineOf(s, f, 'A_unencrypted'), lineOf(s, f, 'B_unencrypted')), false, 3],
  ['mac_only_encrypted: changing an unencrypted value', ALL, (s, f) => once(s, lineOf(s, f, 'B_unencrypted'), lineOf(s, f, 'B_unencrypted').replace('prod', 'evil')), false, 3],
  ['mac_only_encrypted: adding an unencrypted key', ALL, (s, f) => once(s, lineOf(s, f, 'B_unencrypted'), `${lineOf(s, f, 'B_unencrypted')}\n${emptyLine(f, 'EVIL_unencrypted').replace('""', '"x"').replace(/=$/, '=x')}`), false, 3],
];

describe('attack 4: changes the SOPS MAC cannot see now fail on decrypt', () => {
  for (const format of FORMATS) {
    describe(format, () => {
      let team: Team;
      const files = {} as Record<'plain' | 'macOnly', string>;
      const name = ENC[format];
      beforeAll(() => {
        team = makeTeam();
        files.plain = encryptFixture(team, format);
        files.macOnly = encryptFixture(team, format, { out: `mo-${name}`, args: ['--mac-only-encrypted'] });
      });
      afterAll(() => team.cleanup());

      it('control: the untouched files decrypt (exit 0)', () => {
        for (const n of [name, `mo-${name}`]) expect(cliOk(team, ['decrypt', n]).stdout).toContain(`${CANARY}-db`);
      });

      // Before: check verified the MAC only, which these changes keep valid.
      it('check reports a MAC-invisible change (a renamed unencrypted key) as a mac error: the record does not match', () => {
        write(team, `renamed-${name}`, MUTATIONS[0]![2](files.plain, format));
        const c = cli(team, ['check', '--json', `renamed-${name}`]);
        expect(c.code).toBe(1);
        expect(JSON.parse(c.stdout).findings).toContainEqual(expect.objectContaining({ rule: 'mac', severity: 'error', message: RECORD_MISMATCH }));
        expect(c.stdout + c.stderr).not.toContain(CANARY);
      });

      const cases = [...MUTATIONS.map((m) => ['plain', m] as const), ...MAC_ONLY_MUTATIONS.map((m) => ['macOnly', m] as const)];
      for (const [which, [label, stores, apply, macSees, code]] of cases) {
        if (!stores.includes(format)) continue;
        // Before: a file envcrypt wrote had sops's guarantees only, so every
        // mutation marked macSees=false decrypted (exit 0) and was used; the
        // record-less control below shows that, with the same mutation.
        it(`${label} → exit ${code}${code === 3 && !macSees ? ' (record mismatch)' : ''}, no plaintext`, async () => {
          const original = files[which];
          const mutated = apply(original, format);
          expect(mutated).not.toBe(original);
          const target = `${which}-mutated-${name}`;
          write(team, target, mutated);
          const r = cli(team, ['decrypt', target]);
          expectRefused(r, code, code === 5 ? /duplicate key "?API_KEY"?/ : !macSees ? RECORD_MISMATCH : /MAC|integrity/);
          // What used to happen: the same change on the file without its record.
          const control = await apiExit(team, apply(stripped(original, format), format), target);
          expect(control).toBe(code === 5 ? 5 : macSees ? 3 : 0);
        });
      }
    });
  }
});

// ─── Attack 3: downgrading the selector ────────────────────────────────────

const DOWNGRADE = '^(DB_PASSWORD|API_KEY)$';
/** Two secrets and one value in clear: the downgraded selector still covers every secret, so a record-less file keeps a valid MAC. */
const SELECTOR_PLAIN: Record<Format, string> = {
  dotenv: `DB_PASSWORD=${CANARY}-db\nAPI_KEY=${CANARY}-api\nURL_unencrypted=https://app.example\n`,
  yaml: `DB_PASSWORD: ${CANARY}-db\nAPI_KEY: ${CANARY}-api\nURL_unencrypted: https://app.example\n`,
  json: `${JSON.stringify({ DB_PASSWORD: `${CANARY}-db`, API_KEY: `${CANARY}-api`, URL_unencrypted: 'https://app.example' })}\n`,
};
const DRIFT = `the file's selector (encrypted_regex ${JSON.stringify(DOWNGRADE)}) differs from ${RULE_AT}) (unencrypted_suffix "_unencrypted")`;

/** An edit for replace.mjs that adds KEY=VALUE before API_KEY in each store's plaintext. */
function addKeyEdit(format: Format, key: string, value: string): Record<string, string> {
  if (format === 'dotenv') return { EDIT_FROM: 'API_KEY=', EDIT_TO: `${key}=${value}\nAPI_KEY=` };
  if (format === 'yaml') return { EDIT_FROM: 'API_KEY:', EDIT_TO: `${key}: ${value}\nAPI_KEY:` };
  return { EDIT_FROM: '"API_KEY":', EDIT_TO: `"${key}": "${value}", "API_KEY":` };
}

describe('attack 3: downgrading the selector (encrypted_regex: ^(DB_PASSWORD|API_KEY)$, unencrypted_suffix dropped)', () => {
  for (const format of FORMATS) {
    describe(format, () => {
      let team: Team;
      let original: string;
      let downgraded: string;
      const name = ENC[format];
      const NEW = `${CANARY}-would-leak`;
      beforeAll(() => {
        team = makeTeam();
        original = encryptFixture(team, format, { plain: SELECTOR_PLAIN[format] });
        downgraded = withSelector(original, format, 'encrypted_regex', DOWNGRADE);
        expect(downgraded).not.toMatch(/unencrypted_suffix/);
      });
      afterAll(() => team.cleanup());

      // Before: the file decrypted, and the next secret anyone added was committed in plaintext.
      it('with the record: decrypt refuses, exit 3 (record mismatch)', () => {
        write(team, name, downgraded);
        expectRefused(cli(team, ['decrypt', name]), 3, RECORD_MISMATCH);
      });

      describe('with the record stripped too (a sops-level file)', () => {
        beforeAll(() => {
          write(team, `d-${name}`, stripped(downgraded, format));
        });
        /** B's branch: the original with NEW_KEY set properly; the original as the merge base. */
        const theirsWithNewKey = () => {
          write(team, `b-${name}`, original);
          cliOk(team, ['set', `b-${name}`, 'NEW_KEY'], { key: team.B, input: `${NEW}\n` });
          write(team, `base-${name}`, original);
        };
        const setup = () => {
          write(team, name, read(team, `d-${name}`));
          return read(team, name);
        };

        // Before: NEW_KEY was written in plaintext (the selector does not match it).
        it('set FILE NEW_KEY (value on stdin) refuses with SELECTOR_DRIFT, exit 3; the file is unchanged and holds no trace of the value', () => {
          const before = setup();
          const r = cli(team, ['set', name, 'NEW_KEY'], { input: `${NEW}\n` });
          expectRefused(r, 3, `refusing to store the value at NEW_KEY unencrypted: ${DRIFT}`);
          expect(r.stderr).toContain('--allow-selector-change');
          expect(read(team, name)).toBe(before);
        });

        variation(format, 1)('control: the record-less downgraded file decrypts (exit 0), as sops would read it', () => {
          setup();
          expect(cliOk(team, ['decrypt', name]).stdout).toContain(`${CANARY}-api`);
        });

        // Variation: a nested secret (YAML/JSON) or a second new key (dotenv), which the downgraded selector leaves out too.
        variation(format, 2)(`set FILE ${format === 'dotenv' ? 'SESSION_KEY' : 'db.password'} is refused the same way`, () => {
          const before = setup();
          const key = format === 'dotenv' ? 'SESSION_KEY' : 'db.password';
          expectRefused(cli(team, ['set', name, key], { input: `${NEW}\n` }), 3, /^envcrypt: error: .*refusing to store the value at .*unencrypted: the file's selector/);
          expect(read(team, name)).toBe(before);
        });

        // No false positive: a value the rule's own selector leaves in clear is accepted.
        variation(format, 3)('set FILE NOTE_unencrypted (in clear under the rule too) is written', () => {
          setup();
          cliOk(team, ['set', name, 'NOTE_unencrypted'], { input: 'hello\n' });
          expect(read(team, name)).toMatch(/NOTE_unencrypted["]?[=:] ?"?hello/);
        });

        // The selector still covers DB_PASSWORD: a change there is encrypted, so nothing is refused.
        variation(format, 4)('set FILE DB_PASSWORD (still encrypted by the downgraded selector) is written, encrypted', () => {
          setup();
          cliOk(team, ['set', name, 'DB_PASSWORD'], { input: `${NEW}\n` });
          expect(read(team, name)).not.toContain(NEW);
          expect(cliOk(team, ['get', name, 'DB_PASSWORD']).stdout).toBe(NEW);
        });

        variation(format, 11)('edit that adds NEW_KEY refuses with SELECTOR_DRIFT, exit 3; the file is unchanged', () => {
          const before = setup();
          const r = cli(team, ['edit', name], { env: { ENVCRYPT_EDITOR: editor('replace.mjs'), ...addKeyEdit(format, 'NEW_KEY', NEW) } });
          expectRefused(r, 3, 'refusing to store the value at NEW_KEY unencrypted');
          expect(read(team, name)).toBe(before);
        });

        // Ours is the downgraded file (K pulled it), theirs is B's branch adding a secret properly.
        variation(format, 12)('the merge driver refuses to merge a new secret into the downgraded file (SELECTOR_DRIFT, exit 3); ours is unchanged', () => {
          theirsWithNewKey();
          const ours = setup();
          const r = cli(team, ['git', 'merge-driver', `base-${name}`, name, `b-${name}`, name]);
          expectRefused(r, 3, 'refusing to store the value at NEW_KEY unencrypted');
          expect(read(team, name)).toBe(ours);
        });

        variation(format, 13)('check reports selector-drift (error, exit 1); status --json reports the drift', () => {
          setup();
          const c = cli(team, ['check', '--json', name]);
          expect(c.code).toBe(1);
          const findings = (JSON.parse(c.stdout) as { findings: Array<{ rule: string; severity: string; message: string }> }).findings;
          expect(findings).toContainEqual(expect.objectContaining({ rule: 'selector-drift', severity: 'error', message: expect.stringContaining('encrypted_regex') }));
          expect(findings).toContainEqual(expect.objectContaining({ rule: 'no-integrity' }));
          const s = JSON.parse(cliOk(team, ['status', '--json', name]).stdout) as { selectorDrift: string | null; integrity: string };
          expect(s.selectorDrift).toBe(DRIFT);
          expect(s.integrity).toBe('absent');
          expect(c.stdout + c.stderr).not.toContain(CANARY);
        });

        // The documented way out: the selector change is deliberate.
        variation(format, 5)('set --allow-selector-change, and the merge driver with ENVCRYPT_ALLOW_SELECTOR_CHANGE=1 (git runs it), store the value as the file\'s selector says', () => {
          setup();
          cliOk(team, ['set', name, 'NEW_KEY', '--allow-selector-change'], { input: 'deliberately-plain\n' });
          expect(read(team, name)).toMatch(/NEW_KEY["]?[=:] ?"?deliberately-plain/);
          theirsWithNewKey();
          setup();
          const r = cliOk(team, ['git', 'merge-driver', `base-${name}`, name, `b-${name}`, name], { env: { ENVCRYPT_ALLOW_SELECTOR_CHANGE: '1' } });
          expect(r.stdout + r.stderr).not.toContain(NEW);
          expect(read(team, name)).toContain(NEW);
        });

        variation(format, 6)('the API setValue refuses without allowSelectorChange (SELECTOR_DRIFT, exit 3) and writes with it', async () => {
          const before = setup();
          const opts = { identityFiles: [team.K.file], env: {}, onWarning: () => {} };
          const e = await setValue(join(team.dir, name), 'NEW_KEY', { kind: 'str', value: NEW }, opts).then(
            () => null,
            (x: unknown) => x,
          );
          expect(e).toBeInstanceOf(EnvcryptError);
          expect((e as EnvcryptError).code).toBe('SELECTOR_DRIFT');
          expect((e as EnvcryptError).exitCode).toBe(3);
          expect(`${(e as EnvcryptError).message}\n${(e as EnvcryptError).hints.join('\n')}`).not.toContain(NEW);
          expect(read(team, name)).toBe(before);
          expect(await setValue(join(team.dir, name), 'NEW_KEY', { kind: 'str', value: 'deliberately-plain' }, { ...opts, allowSelectorChange: true })).toEqual({ changed: true });
          expect(read(team, name)).toMatch(/NEW_KEY["]?[=:] ?"?deliberately-plain/);
        });
      });

      // Variation: the attacker changes only .sops.yaml's selector. The file's
      // own selector is authenticated by its record, so new values are still
      // encrypted as before; check and status flag the disagreement.
      variation(format, 7)('only the .sops.yaml rule downgraded: set still encrypts; check reports selector-drift', () => {
        write(team, name, original);
        write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient], `      encrypted_regex: ${DOWNGRADE}\n`));
        try {
          cliOk(team, ['set', name, 'NEW_KEY'], { input: `${NEW}\n` });
          expect(read(team, name)).not.toContain(NEW);
          const c = cli(team, ['check', '--json', name]);
          expect(c.code).toBe(1);
          expect(c.stdout).toContain('"rule": "selector-drift"');
        } finally {
          write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient]));
        }
      });

      // Variation: file and rule downgraded together, on a sops-level file.
      // There is no drift to detect (the rule is as writable as the file);
      // what remains is the warning of the write that adds the first record,
      // which names the selector. (Reported: no selector-specific warning.)
      it('file and .sops.yaml rule downgraded together (record stripped): the first-record warning tells K to check the selector', () => {
        write(team, name, stripped(downgraded, format));
        write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient], `      encrypted_regex: ${DOWNGRADE}\n`));
        try {
          const r = cliOk(team, ['set', name, 'NEW_KEY'], { input: 'not-a-secret\n' });
          expect(r.stderr).toMatch(new RegExp(`^envcrypt: warning: ${name.replaceAll('.', '\\.')} had no integrity record; .*selector.*check them in the diff$`, 'm'));
        } finally {
          write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient]));
        }
      });
    });
  }
});

// ─── A stripped record ─────────────────────────────────────────────────────

describe('a stripped integrity record: sops-level guarantees, reported, refusable, and restored by the next write', () => {
  for (const format of FORMATS) {
    describe(format, () => {
      let team: Team;
      let original: string;
      const name = ENC[format];
      beforeAll(() => {
        team = makeTeam();
        original = encryptFixture(team, format);
      });
      afterAll(() => team.cleanup());
      const strip = () => write(team, name, stripped(original, format));

      it('decrypt still works (exit 0); status --json says absent and lists every recipient as unverified', () => {
        strip();
        expect(cliOk(team, ['decrypt', name]).stdout).toContain(`${CANARY}-db`);
        const s = JSON.parse(cliOk(team, ['status', '--json', name]).stdout) as { integrity: string; unverified: string[]; mac: string };
        expect(s).toMatchObject({ integrity: 'absent', mac: 'ok', unverified: [team.K.recipient, team.B.recipient] });
      });

      variation(format, 14)('check warns with no-integrity (exit 0); with ENVCRYPT_REQUIRE_INTEGRITY=1 it is an error (exit 1)', () => {
        strip();
        type Report = { findings: Array<{ rule: string; severity: string }> };
        const warn = cli(team, ['check', '--json', name]);
        expect(warn.code).toBe(0);
        expect((JSON.parse(warn.stdout) as Report).findings).toContainEqual(expect.objectContaining({ rule: 'no-integrity', severity: 'warning' }));
        const err = cli(team, ['check', '--json', name], { env: { ENVCRYPT_REQUIRE_INTEGRITY: '1' } });
        expect(err.code).toBe(1);
        expect((JSON.parse(err.stdout) as Report).findings).toContainEqual(expect.objectContaining({ rule: 'no-integrity', severity: 'error' }));
      });

      variation(format, 15)('ENVCRYPT_REQUIRE_INTEGRITY=1: decrypt and exec exit 3; the command never runs', () => {
        strip();
        const req = { ENVCRYPT_REQUIRE_INTEGRITY: '1' };
        expectRefused(cli(team, ['decrypt', name], { env: req }), 3, 'the file has no integrity record, and one is required');
        const marker = join(team.dir, 'ran');
        const r = cli(team, ['exec', '-f', name, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], { env: req });
        expectRefused(r, 3, 'the file has no integrity record, and one is required');
        expect(() => read(team, 'ran')).toThrow();
      });

      // Before: no record existed to restore.
      variation(format, 16)('the next set adds the record back, announced; the rule vouches for K and B', async () => {
        strip();
        const r = cliOk(team, ['set', name, 'NEW_KEY'], { input: 'v\n' });
        expect(r.stderr).toContain(`${name} had no integrity record`);
        expect(r.stderr).toContain(`${team.B.recipient} (from ${RULE_AT})`);
        expect(await recordOf(read(team, name), format)).toEqual({ integrity: expect.stringMatching(/^v1:[A-Za-z0-9+/]{43}=$/), unverified: [] });
        expect(cliOk(team, ['decrypt', name], { env: { ENVCRYPT_REQUIRE_INTEGRITY: '1' } }).stdout).toContain(`${CANARY}-db`);
        expect(JSON.parse(cliOk(team, ['status', '--json', name]).stdout)).toMatchObject({ integrity: 'verified', unverified: [] });
      });

      // Variation: no .sops.yaml rule vouches. The record comes back, but it
      // vouches for nobody it did not see envcrypt wrap for.
      variation(format, 8)('without a .sops.yaml: set adds the record with every recipient unverified; rotate then refuses UNVOUCHED until confirmed', async () => {
        strip();
        write(team, '.sops.yaml', '');
        try {
          cliOk(team, ['set', name, 'NEW_KEY'], { input: 'v\n' });
          expect((await recordOf(read(team, name), format)).unverified).toEqual([team.K.recipient, team.B.recipient]);
          expectRefused(cli(team, ['rotate', name]), 3, `refusing to give the data key to ${team.K.recipient}`);
          for (const k of [team.K, team.B]) cliOk(team, ['recipients', 'add', k.recipient, name]);
          expect((await recordOf(read(team, name), format)).unverified).toEqual([]);
          cliOk(team, ['rotate', name]);
        } finally {
          write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient]));
        }
      });
    });
  }
});
