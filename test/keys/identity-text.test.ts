import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIdentityText } from '../../src/keys/identity-text.js';

// parseIdentityText splits and matches words by hand (no regex at start-up).
// The oracle is the plain regex reading of the format: trim each line, skip
// blanks and comments, split on /\s+/, keep /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.
function oracle(text: string): string[] | 'error' {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const tok of line.split(/\s+/)) {
      if (/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(tok)) out.push(tok);
      else return 'error';
    }
  }
  return out;
}

const KEY = `AGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`;
const word = fc.constantFrom(KEY, `AGE-SECRET-KEY-PQ-1${'Q'.repeat(20)}`, 'AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-PQ-1', 'AGE-SECRET-KEY-1q', 'AGE-SECRET-KEY-11', 'age1abc', '#', 'x');
const space = fc.constantFrom(' ', '\t', '\r', '\v', '\f', '\u00a0', '\u2003', '\u2028', '\u3000', '\ufeff', '\u200b');
const line = fc.array(fc.oneof(word, space), { maxLength: 6 }).map((parts) => parts.join(''));
const text = fc.array(line, { maxLength: 4 }).map((ls) => ls.join('\n'));

describe('parseIdentityText', () => {
  it('reads words and identities as the regex reading does', () => {
    fc.assert(
      fc.property(text, (t) => {
        let got: string[] | 'error';
        try {
          got = parseIdentityText(t, 'f');
        } catch {
          got = 'error';
        }
        expect(got).toEqual(oracle(t));
      }),
      { numRuns: process.env.ENVCRYPT_TEST_LONG ? 20_000 : 1_000 },
    );
  });
});
