// Attack suite, part 1: getting the data key wrapped to yourself (attack 1)
// and tampering with .sops.yaml (attack 5). The attacker can push to the
// repository but holds no key; the victim K runs ordinary envcrypt commands
// on what the attacker pushed. Each test says what used to happen before the
// integrity record and vouching (commit 5d1d050).
//
// Parts 2 and 3: attacks-tamper.test.ts (selector downgrade, changes the SOPS
// MAC cannot see, a stripped record) and attacks-env.test.ts (environment
// injection, denial of service).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANARY,
  ENC,
  FORMATS,
  variation,
  PLAIN,
  RECORD_MISMATCH,
  RULE_AT,
  cli,
  cliOk,
  dataKeyFor,
  editor,
  encryptFixture,
  expectAttackerLockedOut,
  expectRefused,
  junkStanza,
  makeTeam,
  read,
  recordOf,
  sopsYaml,
  stanzas,
  stripped,
  withStanza,
  write,
  type Format,
  type Team,
} from './attacks-kit.js';

/** An edit that adds NEW_KEY before API_KEY, for replace.mjs (EDIT_FROM/EDIT_TO) in each store's plaintext. */
function addKeyEdit(format: Format, value: string): Record<string, string> {
  switch (format) {
    case 'dotenv':
      return { EDIT_FROM: 'API_KEY=', EDIT_TO: `NEW_KEY=${value}\nAPI_KEY=` };
    case 'yaml':
      return { EDIT_FROM: 'API_KEY:', EDIT_TO: `NEW_KEY: ${value}\nAPI_KEY:` };
    case 'json':
      return { EDIT_FROM: '"API_KEY":', EDIT_TO: `"NEW_KEY": "${value}", "API_KEY":` };
  }
}

const NEW_SECRET = `${CANARY}-new-secret`;

/**
 * The commands K runs on the attacked file `name` (the one in the working
 * tree), each a way the data key could be wrapped again.
 */
const COMMANDS: Array<[label: string, run: (team: Team, format: Format, name: string) => ReturnType<typeof cli>]> = [
  ['rotate', (team, _f, name) => cli(team, ['rotate', name])],
  ['recipients remove B', (team, _f, name) => cli(team, ['recipients', 'remove', team.B.recipient, name])],
  // Re-keying: encrypt the plaintext again over the existing encrypted file.
  ['encrypt plain -o FILE', (team, format, name) => cli(team, ['encrypt', `src-${PLAIN[format]}`, '-o', name])],
  // git merge: ours is K's version (the untouched file, written to ours-*), theirs the attacker's; %P names the file.
  ['git merge-driver (attacker is theirs)', (team, _f, name) => cli(team, ['git', 'merge-driver', `base-${name}`, `ours-${name}`, name, name])],
  ['set', (team, _f, name) => cli(team, ['set', name, 'NEW_KEY'], { input: `${NEW_SECRET}\n` })],
  ['edit', (team, format, name) => cli(team, ['edit', name], { env: { ENVCRYPT_EDITOR: editor('replace.mjs'), ...addKeyEdit(format, NEW_SECRET) } })],
];

/** The file each command leaves for K: the merge driver writes over ours, the others over the file. */
const resultOf = (label: string, name: string) => (label.startsWith('git merge-driver') ? `ours-${name}` : name);

describe('attack 1: getting the data key wrapped to yourself (a stanza for A wrapping 32 random bytes)', () => {
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

      /** Put the original in place as base and ours, and `attacked` as the file (theirs for the merge driver). */
      function stage(attacked: string): void {
        write(team, `base-${name}`, original);
        write(team, `ours-${name}`, original);
        write(team, name, attacked);
      }

      const attacked = () => withStanza(original, format, team.A.recipient, junkStanza(team.A.recipient));

      it('control: the stanza is in place, the teammates still decrypt, and A opens only its own 32 random bytes', async () => {
        const text = attacked();
        expect((await stanzas(text, format)).map((s) => s.recipient)).toEqual([team.K.recipient, team.B.recipient, team.A.recipient]);
        write(team, name, stripped(text, format));
        // Without the record the file is a valid sops file with three recipients.
        expect(cliOk(team, ['decrypt', name]).stdout).toContain(`${CANARY}-db`);
        await expectAttackerLockedOut(team, name, format);
      });

      for (const [i, [label, run]] of COMMANDS.entries()) {
        // Before: every one of these re-wrapped the data key for every listed
        // recipient (a new key for rotate, remove, re-keying and a merge that
        // rotates; set, edit and the merge kept stanzas), so A's next pull
        // held a stanza it could open. Now the recipient list is covered by the
        // record: the file does not even decrypt.
        // Each command runs in one store under npm test (all three in test:long); the record is store-agnostic.
        variation(format, 10 + i)(`${label}: refused, exit 3 (record mismatch); nothing written; A cannot open the file`, async () => {
          stage(attacked());
          const before = read(team, resultOf(label, name));
          const r = run(team, format, name);
          expectRefused(r, 3, RECORD_MISMATCH);
          expect(read(team, resultOf(label, name))).toBe(before);
          await expectAttackerLockedOut(team, resultOf(label, name), format);
        });
      }

      // Variation: the attacker strips the record too, so the file reads as sops wrote it.
      for (const [i, label] of ['rotate', 'recipients remove B', 'git merge-driver (attacker is theirs)'].entries()) {
        const run = COMMANDS.find(([l]) => l === label)![1];
        // Before: a new data key was wrapped for every listed recipient, A included.
        variation(format, 20 + i)(`record stripped, ${label}: refused as UNVOUCHED naming A (exit 3); nothing written`, async () => {
          stage(stripped(attacked(), format));
          const before = read(team, resultOf(label, name));
          const r = run(team, format, name);
          expectRefused(r, 3, `refusing to give the data key to ${team.A.recipient}: nothing vouches for this recipient`);
          expect(r.stderr).not.toContain(`${team.A.recipient} (from`);
          expect(read(team, resultOf(label, name))).toBe(before);
          await expectAttackerLockedOut(team, resultOf(label, name), format);
        });
      }

      // Before: re-keying to the .sops.yaml recipients already dropped A; now
      // it also gives the file its record back.
      it('record stripped, encrypt plain -o FILE: re-keyed to the rule\'s recipients only; A is dropped', async () => {
        stage(stripped(attacked(), format));
        cliOk(team, ['encrypt', `src-${PLAIN[format]}`, '-o', name]);
        const after = read(team, name);
        expect((await stanzas(after, format)).map((s) => s.recipient)).toEqual([team.K.recipient, team.B.recipient]);
        expect((await recordOf(after, format)).integrity).toMatch(/^v1:/);
        await expectAttackerLockedOut(team, name, format);
      });

      for (const [i, label] of ['set', 'edit'].entries()) {
        const run = COMMANDS.find(([l]) => l === label)![1];
        // Before: the stanza was kept and nothing said anything; the file then
        // got a fresh integrity record over a recipient list including A.
        variation(format, 30 + i)(`record stripped, ${label}: writes, keeps A's junk stanza byte for byte, lists A as unverified; A still cannot open it`, async () => {
          stage(stripped(attacked(), format));
          const junk = (await stanzas(read(team, name), format)).find((s) => s.recipient === team.A.recipient)!.enc;
          const r = run(team, format, name);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout + r.stderr).not.toContain(CANARY);
          // K and B are vouched by the rule (and announced); A is not.
          expect(r.stderr).toContain(`${team.K.recipient} (from ${RULE_AT})`);
          expect(r.stderr).not.toContain(`${team.A.recipient} (from`);
          // The first record is announced: it now vouches for what nothing authenticated before.
          expect(r.stderr).toContain(`${name} had no integrity record`);
          const after = read(team, name);
          expect((await stanzas(after, format)).find((s) => s.recipient === team.A.recipient)?.enc).toBe(junk);
          expect(await recordOf(after, format)).toMatchObject({ integrity: expect.stringMatching(/^v1:/), unverified: [team.A.recipient] });
          const status = JSON.parse(cliOk(team, ['status', name, '--json']).stdout) as { integrity: string; unverified: string[] };
          expect(status).toMatchObject({ integrity: 'verified', unverified: [team.A.recipient] });
          await expectAttackerLockedOut(team, name, format);
        });
      }

      // Variation: launder the stanza through `set`, then rotate. Before: the
      // rotation wrapped the new key for A.
      variation(format, 1)('record stripped, laundered through set, then rotate: still UNVOUCHED naming A; removing the unverified list breaks the record', async () => {
        stage(stripped(attacked(), format));
        cliOk(team, ['set', name, 'NEW_KEY'], { input: `${NEW_SECRET}\n` });
        const laundered = read(team, name);
        const r = cli(team, ['rotate', name]);
        expectRefused(r, 3, `refusing to give the data key to ${team.A.recipient}`);
        expect(r.stderr).toContain('envcrypt never wrapped the key for it');
        expect(read(team, name)).toBe(laundered);
        // The attacker deletes the unverified list so that the record seems to vouch for A.
        const unlisted =
          format === 'dotenv'
            ? laundered.replace(/^sops_envcrypt_unverified=.*\n/m, '')
            : format === 'yaml'
              ? laundered.replace(/^ {4}envcrypt_unverified:.*\n/m, '')
              : laundered.replace(/\t\t"envcrypt_unverified": "[^"]*",\n/, '');
        expect(unlisted).not.toBe(laundered);
        write(team, name, unlisted);
        expectRefused(cli(team, ['rotate', name]), 3, RECORD_MISMATCH);
        await expectAttackerLockedOut(team, name, format);
      });

      // The one way in is a key holder confirming A on purpose. Before: there
      // was no such thing as an unverified recipient to confirm.
      variation(format, 2)('laundered through set, A gets the key only when K runs "recipients add A", which replaces the junk stanza', async () => {
        stage(stripped(attacked(), format));
        cliOk(team, ['set', name, 'NEW_KEY'], { input: `${NEW_SECRET}\n` });
        const junk = (await stanzas(read(team, name), format)).find((s) => s.recipient === team.A.recipient)!.enc;
        await expectAttackerLockedOut(team, name, format);
        const r = cliOk(team, ['recipients', 'add', team.A.recipient, name]);
        expect(r.stderr).toContain(`giving the data key to listed recipient ${team.A.recipient} (from "envcrypt recipients add")`);
        const after = read(team, name);
        const fresh = (await stanzas(after, format)).filter((s) => s.recipient === team.A.recipient);
        expect(fresh).toHaveLength(1);
        expect(fresh[0]!.enc).not.toBe(junk);
        expect((await recordOf(after, format)).unverified).toEqual([]);
        expect((await dataKeyFor(team, name, format, team.A))?.equals((await dataKeyFor(team, name, format, team.K))!)).toBe(true);
      });

      // Variation: A relabels its junk stanza with B's recipient, replacing
      // B's real stanza. The record covers the recipient list, not the wrapped
      // keys, so the file still verifies; but envcrypt wraps for the
      // recipient string, never reuses a stanza's content for another key.
      variation(format, 3)('a junk stanza labelled with B\'s recipient: rotate wraps the new key for the real B; A gets nothing', async () => {
        const list = await stanzas(original, format);
        const realB = list.find((s) => s.recipient === team.B.recipient)!.enc;
        const junk = junkStanza(team.A.recipient);
        const relabelled = format === 'dotenv' ? original.replace(realB.replaceAll('\n', '\\n'), junk.replaceAll('\n', '\\n')) : format === 'yaml' ? original.replace(indent(realB), indent(junk)) : original.replace(JSON.stringify(realB), JSON.stringify(junk));
        expect(relabelled).not.toBe(original);
        stage(relabelled);
        cliOk(team, ['rotate', name]);
        await expectAttackerLockedOut(team, name, format);
        const kKey = await dataKeyFor(team, name, format, team.K);
        expect((await dataKeyFor(team, name, format, team.B))?.equals(kKey!)).toBe(true);
      });

      // Variation: the attacker adds A to .sops.yaml too. That is vouching by
      // the rule, which is documented to wrap the key, and to say so each time.
      variation(format, 4)('A also added to .sops.yaml, record stripped: rotate wraps the key for A and announces A with the rule\'s position', async () => {
        stage(stripped(attacked(), format));
        write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient, team.A.recipient]));
        try {
          const r = cliOk(team, ['rotate', name]);
          expect(r.stderr).toMatch(new RegExp(`^envcrypt: warning: ${name.replaceAll('.', '\\.')}: giving the data key to listed recipient ${team.A.recipient} \\(from \\.sops\\.yaml:2:7 \\(creation rule 1\\)\\)$`, 'm'));
          expect(r.stdout + r.stderr).not.toContain(CANARY);
          // Documented: the rule vouched, so A now holds the data key.
          expect((await dataKeyFor(team, name, format, team.A))?.equals((await dataKeyFor(team, name, format, team.K))!)).toBe(true);
        } finally {
          write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient]));
        }
      });

      // With the record in place, adding A to .sops.yaml does not help: the file itself no longer verifies.
      variation(format, 5)('A also added to .sops.yaml, record kept: rotate still refuses (exit 3, record mismatch)', async () => {
        stage(attacked());
        write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient, team.A.recipient]));
        try {
          const before = read(team, name);
          expectRefused(cli(team, ['rotate', name]), 3, RECORD_MISMATCH);
          expect(read(team, name)).toBe(before);
          await expectAttackerLockedOut(team, name, format);
        } finally {
          write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient]));
        }
      });
    });
  }
});

/** A YAML block scalar's lines as they sit under `- enc: |`. */
function indent(armored: string): string {
  return armored.trimEnd().split('\n').map((l) => `            ${l}`).join('\n');
}

describe('attack 5: tampering with .sops.yaml (A added to the creation rule)', () => {
  for (const format of FORMATS) {
    describe(format, () => {
      let team: Team;
      let original: string;
      const name = ENC[format];
      const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      beforeAll(() => {
        team = makeTeam();
        original = encryptFixture(team, format);
      });
      afterAll(() => team.cleanup());
      const tamperRule = () => write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient, team.A.recipient]));
      const restoreRule = () => write(team, '.sops.yaml', sopsYaml([team.K.recipient, team.B.recipient]));

      // Before: the next re-encryption silently wrapped the data key for A.
      // The rule still vouches (documented), but every such wrap is announced
      // with the recipient and the rule's position.
      it('the next "encrypt .env -o .env.enc" wraps the key for A and announces A with .sops.yaml:LINE:COL', async () => {
        write(team, name, original);
        tamperRule();
        try {
          const r = cliOk(team, ['encrypt', `src-${PLAIN[format]}`, '-o', name]);
          expect(r.stderr).toMatch(new RegExp(`^envcrypt: warning: ${esc(name)}: adding recipient ${team.A.recipient} \\(from ${esc(RULE_AT)}[,)]`, 'm'));
          // The teammates the record already vouched for are not announced again.
          expect(r.stderr).not.toContain(team.B.recipient);
          expect(r.stdout + r.stderr).not.toContain(CANARY);
          expect((await dataKeyFor(team, name, format, team.A))?.equals((await dataKeyFor(team, name, format, team.K))!)).toBe(true);
        } finally {
          restoreRule();
        }
      });

      // The rule vouches, it does not add: commands that keep the file's
      // recipients never bring A in. Before: same (they never read the rule's
      // recipients); kept as a regression guard now that they consult the rule.
      for (const [label, args] of [
        ['rotate', (t: Team) => ['rotate', name]],
        ['set', (_t: Team) => ['set', name, 'NEW_KEY']],
        ['recipients remove B', (t: Team) => ['recipients', 'remove', t.B.recipient, name]],
      ] as const) {
        variation(format, label.length)(`${label} on the untouched file does not add A, and says nothing about A`, async () => {
          write(team, name, original);
          tamperRule();
          try {
            const r = cliOk(team, args(team), { input: `${NEW_SECRET}\n` });
            expect(r.stderr).not.toContain(`adding recipient ${team.A.recipient}`);
            expect((await stanzas(read(team, name), format)).map((s) => s.recipient)).not.toContain(team.A.recipient);
            await expectAttackerLockedOut(team, name, format);
          } finally {
            restoreRule();
          }
        });
      }

      // --json consumers see the grants too, with their source (a CI job can fail on any grant from .sops.yaml).
      variation(format, 6)('rotate --json and recipients remove --json list the grant to A with the rule\'s position; recipients add --json names the command', () => {
        const attackedStripped = stripped(withStanza(original, format, team.A.recipient, junkStanza(team.A.recipient)), format);
        tamperRule();
        try {
          type Out = { files: string[]; grants: Array<{ file: string; recipient: string; source: string; added: boolean; wrapped: boolean }> };
          for (const args of [['rotate', '--json', name], ['recipients', 'remove', team.B.recipient, '--json', name]]) {
            write(team, name, attackedStripped);
            const r = cliOk(team, args);
            const out = JSON.parse(r.stdout) as Out;
            expect(out.files).toEqual([name]);
            expect(out.grants).toContainEqual({ file: name, recipient: team.A.recipient, source: expect.stringContaining(RULE_AT), added: false, wrapped: true });
            expect(r.stdout + r.stderr).not.toContain(CANARY);
          }
          restoreRule();
          write(team, name, original);
          const added = JSON.parse(cliOk(team, ['recipients', 'add', team.A.recipient, '--json', name]).stdout) as Out;
          expect(added.grants).toEqual([{ file: name, recipient: team.A.recipient, source: '"envcrypt recipients add"', added: true, wrapped: true }]);
        } finally {
          restoreRule();
        }
      });
    });
  }
});
