import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armor } from 'age-encryption';
import { ARMOR_BEGIN, ARMOR_END, decodeArmor, encodeArmor } from '../../../src/keys/age/armor.js';
import { cctvVectors } from '../../helpers/cctv.js';
import { caught } from '../../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** The armored CCTV vectors: their expectation and the armored text. */
function armoredVectors(): { name: string; expect: string; text: string }[] {
  return cctvVectors()
    .filter((v) => v.armored)
    .map((v) => ({ name: v.name, expect: v.expect, text: Buffer.from(v.body).toString('latin1') }));
}

/** Calls decodeArmor and returns the EnvcryptError it throws (failing if it does not). */
const rejection = (text: string) => caught(() => decodeArmor(text));

const sample = new Uint8Array(randomBytes(152)); // 3 full lines + a short, padded one
const good = encodeArmor(sample);
const bodyLines = good.split('\n').slice(1, -2);

describe('CCTV armored vectors', () => {
  const vectors = armoredVectors();
  it('are present', () => {
    expect(vectors.length).toBeGreaterThan(25);
  });
  for (const v of vectors) {
    it(`${v.name}: ${v.expect}`, () => {
      if (v.expect === 'armor failure') {
        const e = rejection(v.text);
        expect(e.code).toBe('DECRYPT_FAILED');
        expect(e.message).toMatch(/^invalid age armor: /);
        expect(() => armor.decode(v.text)).toThrow(); // age-encryption agrees
        return;
      }
      const bytes = decodeArmor(v.text);
      expect(Buffer.from(bytes).equals(Buffer.from(armor.decode(v.text)))).toBe(true);
      // Re-encoding gives the canonical text: LF, no surrounding whitespace, final newline.
      expect(encodeArmor(bytes)).toBe(armor.encode(bytes));
      const canonical = v.text.replace(/^[\s]*/, '').replace(/[\s]*$/, '\n').replaceAll('\r\n', '\n');
      expect(encodeArmor(bytes)).toBe(canonical);
    });
  }
});

describe('encodeArmor', () => {
  it('writes 64 columns, LF and a final newline', () => {
    const lines = good.split('\n');
    expect(lines[0]).toBe(ARMOR_BEGIN);
    expect(lines.slice(1, 4).every((l) => l.length === 64)).toBe(true);
    expect(lines[4]).toMatch(/^[A-Za-z0-9+/]{11}=$/); // 8 bytes, one padding character
    expect(lines.slice(-2)).toEqual([ARMOR_END, '']);
  });

  it('writes no body line for an empty file', () => {
    expect(encodeArmor(new Uint8Array(0))).toBe(`${ARMOR_BEGIN}\n${ARMOR_END}\n`);
  });

  it('is byte-identical to age-encryption and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const text = encodeArmor(bytes);
        expect(text).toBe(armor.encode(bytes));
        expect(Buffer.from(decodeArmor(text)).equals(Buffer.from(bytes))).toBe(true);
        expect(Buffer.from(decodeArmor(text.replaceAll('\n', '\r\n'))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const whole = new Uint8Array(randomBytes(100));
    expect(decodeArmor(encodeArmor(whole.subarray(10, 20)))).toEqual(whole.slice(10, 20));
  });
});

describe('decodeArmor accepts what age accepts', () => {
  const accepted: [string, string][] = [
    ['the canonical form', good],
    ['no final newline', good.slice(0, -1)],
    ['CRLF line ends', good.replaceAll('\n', '\r\n')],
    ['mixed LF and CRLF', good.replace('\n', '\r\n')],
    ['blank lines before, whitespace after', `\n \t\r\n\n${good}\n\n \t\n`],
    ['1024 bytes of whitespace lines before', `${'\n'.repeat(1024)}${good}`],
    ['1023 bytes of whitespace after', `${good}${' '.repeat(1023)}`],
    ['a full last line', encodeArmor(sample.subarray(0, 96))],
    ['a padded last line', encodeArmor(sample.subarray(0, 97))],
  ];
  for (const [what, text] of accepted) {
    it(what, () => {
      const bytes = decodeArmor(text);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(encodeArmor(bytes)).toBe(armor.encode(bytes));
      expect(Buffer.from(bytes).equals(Buffer.from(armor.decode(text)))).toBe(true);
    });
  }

  it('an empty body (the file itself is then rejected by the header parser)', () => {
    expect(decodeArmor(`${ARMOR_BEGIN}\n${ARMOR_END}\n`)).toHaveLength(0);
  });
});

describe('decodeArmor rejects, without quoting the input', () => {
  const [l1, l2, l3, last] = bodyLines as [string, string, string, string];
  const wrap = (...lines: string[]): string => [ARMOR_BEGIN, ...lines, ARMOR_END, ''].join('\n');
  const rejected: [string, string, RegExp][] = [
    ['an empty string', '', /missing the "-----BEGIN/],
    ['only whitespace', ' \n\t\n', /missing the "-----BEGIN/],
    ['1025 bytes of whitespace before', `${'\n'.repeat(1025)}${good}`, /more than 1024 bytes of whitespace before/],
    ['1024 bytes of whitespace after', `${good}${' '.repeat(1024)}`, /more than 1023 bytes of whitespace after/],
    ['spaces before BEGIN on its line', `   ${good}`, /line 1 should be/],
    ['a space after END', good.replace(/\n$/, ' \n'), /line 6 should be "-----END/],
    ['text after END', `${good}garbage\n`, /unexpected text after/],
    ['a PGP checksum line', wrap(l1, l2, l3, last, '=AbCd'), /line 6 should be "-----END/],
    ['an empty line inside', wrap(l1, '', l2, l3, last), /line 3 is empty/],
    ['an empty line before END', wrap(l1, l2, l3, last, ''), /line 6 should be "-----END/],
    ['a short line in the middle', wrap(l1, l2.slice(0, 60), l2.slice(60) + l3, last), /line 4 should be "-----END/],
    ['a long line', wrap(l1 + l2, l3, last), /line 2 is longer than 64 columns/],
    ['padding in a 64-column line that is not last', wrap(l1, `${l2.slice(0, 60)}AA==`, l3, last), /line 4 should be "-----END/],
    ['a missing END', good.replace(`${ARMOR_END}\n`, ''), /missing the "-----END/],
    ['a lowercase label', good.replace('AGE ENCRYPTED', 'age encrypted'), /line 1 should be/],
    ['a wrong label', good.replace('AGE ENCRYPTED FILE', 'AGE ENCRYPTED MESSAGE'), /line 1 should be/],
    ['a lone CR inside a line', wrap(l1.slice(0, 30) + '\r' + l1.slice(31), l2, l3, last), /not canonical/],
    ['unpadded last line', wrap(l1, l2, l3, last.replace(/=+$/, '')), /not canonical/],
    ['non-canonical spare bits', wrap(l1, l2, l3, 'AAB='), /not canonical/],
    ['URL-safe alphabet', wrap(l1.replace(/.$/, '-'), l2, l3, last), /not canonical/],
    ['a NBSP before BEGIN', `\u00a0${good}`, /line 1 should be/],
  ];
  for (const [what, text, why] of rejected) {
    it(what, () => {
      const e = rejection(text);
      expect(e.code).toBe('DECRYPT_FAILED');
      expect(e.message).toMatch(why);
      const said = [e.message, ...e.hints].join('\n');
      for (const line of bodyLines) expect(said).not.toContain(line.slice(0, 12));
    });
  }
});

function haveAge(): boolean {
  return spawnSync('age', ['--version']).status === 0 && spawnSync('age-keygen', ['--version']).status === 0;
}

// The installed age CLI is the referee for edge cases after the BEGIN line. (age 1.1.1's CLI only
// recognises armor at the very first byte, so leading whitespace is judged by the CCTV vectors instead.)
describe.skipIf(!haveAge())('agreement with the age CLI on armor edge cases', () => {
  let dir: string;
  let armored: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'envcrypt-armor-'));
    expect(spawnSync('age-keygen', ['-o', join(dir, 'key.txt')]).status).toBe(0);
    const recipient = /# public key: (age1\S+)/.exec(readFileSync(join(dir, 'key.txt'), 'utf8'))?.[1] ?? '';
    writeFileSync(join(dir, 'plain'), randomBytes(32));
    expect(spawnSync('age', ['-r', recipient, '-a', '-o', join(dir, 'a.age'), join(dir, 'plain')]).status).toBe(0);
    armored = readFileSync(join(dir, 'a.age'), 'utf8');
    return () => rmSync(dir, { recursive: true, force: true });
  });

  const edits: [string, (t: string) => string, boolean][] = [
    ['as written', (t) => t, true],
    ['CRLF', (t) => t.replaceAll('\n', '\r\n'), true],
    ['no final newline', (t) => t.slice(0, -1), true],
    ['1023 trailing spaces', (t) => t + ' '.repeat(1023), true],
    ['1024 trailing spaces', (t) => t + ' '.repeat(1024), false],
    ['trailing blank lines', (t) => `${t}\n\n\t\n`, true],
    ['trailing garbage', (t) => `${t}x\n`, false],
    ['space after END', (t) => t.replace(/\n$/, ' \n'), false],
    ['space at the end of the first body line', (t) => t.replace(/^(.*\n.*)\n/, '$1 \n'), false],
    ['an empty line before END', (t) => t.replace(`\n${ARMOR_END}`, `\n\n${ARMOR_END}`), false],
    ['last body line one character short', (t) => t.replace(/.\n-----END/, '\n-----END'), false],
    ['first body line split in two', (t) => t.replace(/^(.*\n.{32})/, '$1\n'), false],
  ];
  for (const [what, edit, accepted] of edits) {
    it(`${what}: ${accepted ? 'accepted' : 'rejected'} by both`, () => {
      const text = edit(armored);
      expect(text === armored).toBe(what === 'as written');
      writeFileSync(join(dir, 'case.age'), text);
      const cli = spawnSync('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'case.age')]).status === 0;
      let ours = true;
      try {
        decodeArmor(text);
      } catch {
        ours = false;
      }
      expect(cli).toBe(accepted);
      expect(ours).toBe(accepted);
    });
  }
});
