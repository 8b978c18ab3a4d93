// Attack suite, part 3: injecting environment variables (attack 2) and denial
// of service (attack 6). See attacks.test.ts for the threat model.
//
// Covered elsewhere, not repeated here:
// - exec/preload on a record-less file: a NODE_OPTIONS or LD_* from an
//   unencrypted value and an empty PATH= are refused (exit 3), an
//   unauthenticated value never replaces a variable already set, identity
//   variables are stripped from the child, empty/relative PATH entries are
//   never searched: test/cli/exec.test.ts "envcrypt exec and unauthenticated
//   values" and "…identity variables…", test/preload.test.ts (the same for
//   --import and -r).
// - attack 6: `encrypted_regex: ^(A+)+$` with a 40,001-character key through
//   decrypt, status and exec: test/crypto/selector.test.ts "the CLI on a file
//   whose metadata holds encrypted_regex: ^(A+)+$…"; a .env.enc symlink to
//   /dev/zero refused at once by exec, edit, status, textconv and the preload:
//   test/io/read.test.ts. The YAML alias budget has unit tests only
//   (test/stores/yaml.test.ts "alias budget per file"): its CLI cases are below.
// - attack 7: decrypt to a pipe is byte-exact and escaped on a terminal:
//   test/cli/encrypt-decrypt.test.ts "to a pipe (in-process and through the
//   built CLI), the output is byte-exact", "on a terminal, decrypt shows them
//   escaped…"; git textconv output is escaped: test/cli/git.test.ts
//   "textconv escapes control characters…".
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/paths.js';
import { put } from '../helpers/run-cli.js';
import { withPlainValue, withSelector } from '../helpers/sops-like.js';
import {
  CANARY,
  ENC,
  FORMATS,
  variation,
  RECORD_MISMATCH,
  cli,
  cliOk,
  encryptFixture,
  envOf,
  expectRefused,
  makeTeam,
  stripped,
  write,
  type Format,
  type Team,
} from './attacks-kit.js';

const INJECT_PLAIN: Record<Format, string> = {
  dotenv: `SECRET=${CANARY}-env\nPORT_unencrypted=8080\n`,
  yaml: `SECRET: ${CANARY}-env\nPORT_unencrypted: "8080"\n`,
  json: `${JSON.stringify({ SECRET: `${CANARY}-env`, PORT_unencrypted: '8080' })}\n`,
};

/** A nested mapping `node: {options: VALUE}` at the top of a YAML or JSON file: exec flattens it to NODE_OPTIONS. */
function withNestedNodeOptions(text: string, format: 'yaml' | 'json', value: string): string {
  if (format === 'yaml') return `node:\n    options: ${JSON.stringify(value)}\n${text}`;
  return text.replace(/^\{\n/, `{\n\t"node": {\n\t\t"options": ${JSON.stringify(value)}\n\t},\n`);
}

describe('attack 2: injecting environment variables (mac_only_encrypted file, selector widened, NODE_OPTIONS=--require ./evil.js added)', () => {
  for (const format of FORMATS) {
    describe(format, () => {
      let team: Team;
      let original: string;
      let injected: string;
      const name = ENC[format];
      const marker = (m: string) => join(team.dir, m);
      // The app K runs: it leaves its own marker, so "the app never started" is checked too.
      const app = () => ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker('app-ran'))}, '')`];
      beforeAll(() => {
        team = makeTeam();
        original = encryptFixture(team, format, { plain: INJECT_PLAIN[format], args: ['--mac-only-encrypted'] });
        injected = withPlainValue(withSelector(original, format, 'unencrypted_regex', '_unencrypted$|^NODE_OPTIONS$'), format, 'NODE_OPTIONS', '--require ./evil.js');
        put(team.dir, 'evil.js', `require('fs').writeFileSync(${JSON.stringify(join(team.dir, 'evil-ran'))}, '');\n`);
      });
      afterAll(() => team.cleanup());
      const clean = () => {
        for (const m of ['evil-ran', 'app-ran']) rmSync(marker(m), { force: true });
      };

      variation(format, 1)('control: the untouched file runs the app with its values', () => {
        clean();
        write(team, name, original);
        const r = cliOk(team, ['exec', '-f', name, '--', process.execPath, '-e', 'process.stdout.write(process.env.SECRET ?? "")']);
        expect(r.stdout).toBe(`${CANARY}-env`);
        expect(existsSync(marker('evil-ran'))).toBe(false);
      });

      // Before: exec set NODE_OPTIONS from the file; node loaded evil.js into the app (the mac_only MAC never saw the value).
      it('with the record: exec exits 3 (record mismatch); neither evil.js nor the app runs', () => {
        clean();
        write(team, name, injected);
        const r = cli(team, ['exec', '-f', name, ...app()]);
        expectRefused(r, 3, RECORD_MISMATCH);
        expect(r.stderr).not.toContain('evil.js');
        expect(existsSync(marker('evil-ran'))).toBe(false);
        expect(existsSync(marker('app-ran'))).toBe(false);
      });

      // Before: the preload applied the same NODE_OPTIONS to the app's child processes.
      it('with the record: the preload (node -r envcrypt/config) exits 3 before the app runs', () => {
        clean();
        write(team, name, injected);
        const r = spawnSync(process.execPath, ['-r', join(ROOT, 'dist', 'config.cjs'), '-e', `require('fs').writeFileSync(${JSON.stringify(marker('app-ran'))}, '')`], {
          cwd: team.dir,
          env: envOf(team.K, { ENVCRYPT_CONFIG_PATH: name }),
          encoding: 'utf8',
        });
        expect(r.status).toBe(3);
        expect(r.stderr).toContain(RECORD_MISMATCH);
        expect(r.stdout + r.stderr).not.toContain(CANARY);
        expect(existsSync(marker('evil-ran'))).toBe(false);
        expect(existsSync(marker('app-ran'))).toBe(false);
      });

      // Before: status said "MAC ok" and check passed.
      it('with the record: status --json does not say the integrity is ok (mismatch); check fails (selector-drift and mac errors)', () => {
        write(team, name, injected);
        const st = cli(team, ['status', '--json', name]);
        // status prints its report, then exits 3 on a MAC or record mismatch.
        expect(st.code).toBe(3);
        const s = JSON.parse(st.stdout) as { integrity: string; mac: string; macDetail: string; selectorDrift: string | null };
        expect(s.integrity).toBe('mismatch');
        expect(s.macDetail).toBe(RECORD_MISMATCH);
        expect(s.selectorDrift).toContain('unencrypted_regex');
        const c = cli(team, ['check', '--json', name]);
        expect(c.code).toBe(1);
        const rules = (JSON.parse(c.stdout) as { findings: Array<{ rule: string; severity: string }> }).findings.filter((f) => f.severity === 'error').map((f) => f.rule);
        // Both: the drift, and the record mismatch that proves tampering (a drift alone does not skip the MAC check).
        expect(rules).toContain('selector-drift');
        expect(rules).toContain('mac');
        expect(c.stdout + c.stderr).not.toContain(CANARY);
      });

      // Record stripped too: exec and the preload refuse NODE_OPTIONS (test/cli/exec.test.ts, test/preload.test.ts); status and check say why.
      it('record stripped: status --json says absent with the selector drift; check fails (selector-drift error)', () => {
        write(team, name, stripped(injected, format));
        const s = JSON.parse(cliOk(team, ['status', '--json', name]).stdout) as { integrity: string; selectorDrift: string | null };
        expect(s.integrity).toBe('absent');
        expect(s.selectorDrift).toMatch(/^the file's selector \(unencrypted_regex "_unencrypted\$\|\^NODE_OPTIONS\$"\) differs from /);
        const c = cli(team, ['check', '--json', name]);
        expect(c.code).toBe(1);
        expect(JSON.parse(c.stdout).findings).toContainEqual(expect.objectContaining({ rule: 'selector-drift', severity: 'error' }));
      });

      // Variation: LD_PRELOAD instead of NODE_OPTIONS (record stripped): another loader-sensitive name.
      variation(format, 2)('record stripped, LD_PRELOAD=./evil.so as an unencrypted value: exec refuses (exit 3) before the app starts', () => {
        clean();
        write(team, name, withPlainValue(withSelector(stripped(original, format), format, 'unencrypted_regex', '_unencrypted$|^LD_PRELOAD$'), format, 'LD_PRELOAD', './evil.so'));
        const r = cli(team, ['exec', '-f', name, ...app()]);
        expectRefused(r, 3, `${name}: LD_PRELOAD is not authenticated (an unencrypted value in a file without an integrity record)`);
        expect(existsSync(marker('app-ran'))).toBe(false);
      });

      if (format !== 'dotenv') {
        // Variation: the name comes from flattening `node.options`, so no key in the file is called NODE_OPTIONS.
        it('record stripped, a nested node: {options: "--require ./evil.js"} that exec flattens to NODE_OPTIONS: refused (exit 3); evil.js never runs', () => {
          clean();
          write(team, name, withNestedNodeOptions(withSelector(stripped(original, format), format, 'unencrypted_regex', '_unencrypted$|^node$'), format, '--require ./evil.js'));
          const r = cli(team, ['exec', '-f', name, ...app()]);
          expectRefused(r, 3, 'NODE_OPTIONS is not authenticated');
          expect(existsSync(marker('evil-ran'))).toBe(false);
          expect(existsSync(marker('app-ran'))).toBe(false);
        });
      }
    });
  }
});

/**
 * One document of nested aliases adding 90,070 nodes (as in
 * test/stores/yaml.test.ts): under the per-file budget of 100,000 alone,
 * 300 of them would add 27 million.
 */
function laughs(doc: number): string {
  const ten = (n: string) => `[${Array(10).fill(`*${n}`).join(', ')}]`;
  return [`a${doc}: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]`, `b: &b ${ten('a')}`, `c: &c ${ten('b')}`, `d: &d ${ten('c')}`, `e: [${Array(7).fill('*d').join(', ')}]`].join('\n') + '\n';
}

describe('attack 6: denial of service, end to end (300 YAML documents of aliases)', () => {
  let team: Team;
  beforeAll(() => {
    team = makeTeam();
    const bomb = Array.from({ length: 300 }, (_, i) => laughs(i)).join('---\n');
    put(team.dir, 'bomb.yaml', bomb);
    // As committed by the attacker: sops metadata after the documents, so that it reads as an encrypted file.
    const enc = encryptFixture(team, 'yaml', { out: 'small.enc.yaml', plain: `SECRET: ${CANARY}-dos\n` });
    put(team.dir, 'bomb.enc.yaml', `${bomb}---\n${enc}`);
  });
  afterAll(() => team.cleanup());

  /** The built CLI, killed if it does not end (then the exit assertions fail): a guard, not a time assertion. */
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: team.dir, env: envOf(team.K), encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };

  // Before: the budget was per document, and 300 documents expanded to 27 million nodes.
  for (const args of [['encrypt', 'bomb.yaml'], ['decrypt', 'bomb.enc.yaml'], ['exec', '-f', 'bomb.enc.yaml', '--', 'true'], ['status', 'bomb.enc.yaml']]) {
    it(`envcrypt ${args.join(' ')}: refused with exit 5, naming the alias budget, and ends`, () => {
      const r = run(args);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^envcrypt: error: .*yaml aliases expand the file by more than 100000 nodes \(all documents together\)/m);
      expect(r.stderr).not.toContain(CANARY);
    });
  }
});
