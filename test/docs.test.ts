// SECURITY.md's promise is that every claim names the test that proves it:
// a test file it names must exist, and so must the quoted test names it gives
// for the suites it cites most, so a renamed or deleted test cannot leave a
// claim pointing at nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

const doc = (name: string) => readFileSync(join(ROOT, name), 'utf8');

/** Every `test/…` or `src/…` path a document quotes in backticks. */
function quotedPaths(text: string): string[] {
  return [...new Set([...text.matchAll(/`((?:test|src)\/[^`*<> ]+\.(?:ts|mjs|cjs|js))`/g)].map((m) => m[1]!))];
}

describe('docs name only what exists', () => {
  for (const name of ['SECURITY.md', 'README.md']) {
    it(`${name}: every test and source file it names exists`, () => {
      const paths = quotedPaths(doc(name));
      expect(paths.length).toBeGreaterThan(name === 'SECURITY.md' ? 20 : 3);
      expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
    });
  }

  it('SECURITY.md: the attack suites it cites hold the describe blocks it quotes', () => {
    const text = doc('SECURITY.md');
    const suites: Record<string, string[]> = {
      'test/security/attacks.test.ts': ['attack 1: getting the data key wrapped to yourself', 'attack 5: tampering with .sops.yaml'],
      'test/security/attacks-env.test.ts': ['attack 2: injecting environment variables'],
      'test/security/attacks-tamper.test.ts': ['attack 3: downgrading the selector', 'attack 4: changes the SOPS MAC cannot see', 'a stripped integrity record'],
    };
    for (const [file, titles] of Object.entries(suites)) {
      expect(text).toContain(file);
      const source = readFileSync(join(ROOT, file), 'utf8');
      for (const title of titles) expect(source).toContain(title);
    }
  });
});
