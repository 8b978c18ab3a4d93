// The repository must work from a fresh clone on any machine: no file may
// point at a path that exists only on the machine it was written on, or at
// the sibling fixture folder that used to sit beside the checkout. Third-party
// fixtures must say where they come from, and private keys that they are
// throwaway test keys.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers/paths.js';

/** Every file under `dir`, as `/`-separated paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : [],
  );
}

/** Text of every git-tracked file that exists in the work tree and is not binary. */
function trackedTexts(): { file: string; lines: string[] }[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const texts: { file: string; lines: string[] }[] = [];
  for (const file of out.split('\0').filter(Boolean)) {
    const abs = join(ROOT, file);
    if (!existsSync(abs) || !statSync(abs).isFile()) continue; // deleted in the work tree, or a submodule
    const buf = readFileSync(abs);
    if (buf.subarray(0, 8000).includes(0)) continue; // binary
    texts.push({ file, lines: buf.toString('utf8').split(/\r?\n/) });
  }
  return texts;
}

// A path root counts only at the start of a path: not after a letter, digit,
// dot, dash or slash (so URLs, relative paths and `${HOME}/…` do not count).
const START = String.raw`(?<![\w.~$})\]/\\-])`;
const END = String.raw`(?=[/\\'"\x60\s:;,)\]]|$)`;

/**
 * Paths that name one machine: a user's home, a workspace, a temp directory
 * (tests make theirs with `os.tmpdir()`), a mounted drive. System paths that
 * are the same everywhere (the `/dev` and `/proc` files, `/usr/bin/env` in
 * shebangs, `/bin/sh`, the container paths in the examples) are not listed,
 * and neither are made-up paths that tests pass to pure functions.
 */
// Slashes in the patterns are escaped (\/), so this file does not match itself.
const MACHINE_PATHS: { name: string; re: RegExp }[] = [
  { name: 'workspace path', re: new RegExp(String.raw`${START}\/work${END}`) },
  { name: 'Linux home directory', re: new RegExp(String.raw`${START}\/home\/[\w.-]+`) },
  { name: 'macOS home directory', re: new RegExp(String.raw`${START}\/Users\/[\w.-]+`) },
  { name: "root's home directory", re: new RegExp(String.raw`${START}\/root${END}`) },
  { name: 'Windows home directory', re: /\b[A-Za-z]:(?:\\+|\/)Users(?:\\+|\/)/i },
  { name: 'temp directory literal', re: new RegExp(String.raw`${START}(?:\/private)?(?:\/var)?\/tmp${END}`) },
  { name: 'macOS temp directory', re: new RegExp(String.raw`${START}(?:\/private)?\/var\/folders\/`) },
  { name: 'mounted drive', re: new RegExp(String.raw`${START}\/(?:mnt|media|Volumes)\/`) },
];

/** The fixture folder that used to sit beside the checkout, in any spelling. */
const SIBLING_SHARED: { name: string; re: RegExp }[] = [
  { name: 'sibling shared folder', re: /\.\.[/\\]+shared(?![\w-])/ },
  { name: 'sibling shared folder', re: /['"\x60]\.\.['"\x60]\s*,\s*['"\x60]shared['"\x60]/ },
];

/**
 * Known hits, each allowed only on a line of that file containing `text`.
 * Remove an entry once its line is fixed.
 */
const EXCEPTIONS: { file: string; text: string; why: string }[] = [];

function findHits(patterns: { name: string; re: RegExp }[]): string[] {
  const hits: string[] = [];
  for (const { file, lines } of trackedTexts()) {
    lines.forEach((line, i) => {
      for (const { name, re } of patterns) {
        const m = re.exec(line);
        if (!m) continue;
        if (EXCEPTIONS.some((e) => e.file === file && line.includes(e.text))) continue;
        hits.push(`${file}:${i + 1}: ${name}: ${JSON.stringify(line.trim().slice(0, 160))}`);
      }
    });
  }
  return hits;
}

describe('repository hygiene', () => {
  it('the patterns catch what they are meant to, and only that', () => {
    const flagged = (line: string) => [...MACHINE_PATHS, ...SIBLING_SHARED].filter(({ re }) => re.test(line)).map((p) => p.name);
    const slash = '/';
    for (const line of [
      `const SHARED = '${slash}work${slash}shared';`,
      `HOME=${slash}home${slash}alice`,
      `"${slash}Users${slash}bob/src"`,
      `cd ${slash}root${slash}x`,
      ['C:', 'Users', 'carol'].join('\\'),
      ['C:', 'Users', 'carol'].join('\\\\'),
      ['C:', 'Users', 'carol'].join('/'),
      `writeFileSync('${slash}tmp${slash}out.txt')`,
      `TMPDIR=${slash}tmp`,
      `${slash}var${slash}folders/xy/T/a`,
      `join(ROOT, '..', '${'shared'}')`,
      `readFileSync('..${slash}shared/fixtures/a')`,
    ]) expect(flagged(line), line).not.toEqual([]);
    for (const line of [
      '#!/usr/bin/env node',
      "tempRoot() === '/dev/shm'",
      'https://github.com/getsops/sops/blob/main/x',
      "join(HOME, 'work', 'x')",
      "shellQuote('/opt/My Apps/node')",
      // Built like the flagged examples above, so this file's own text names no such path.
      `import { inputFormat } from '..${slash}shared-options.js';`,
      `src${slash}work/x.ts and ~/tmp/y`,
      String.raw`C:\path\to\dir`,
      'ENVCRYPT_AGE_KEY_FILE=/run/secrets/age_key',
    ]) expect(flagged(line), line).toEqual([]);
  });

  it('no tracked file names a path that exists only on one machine', () => {
    expect(findHits(MACHINE_PATHS)).toEqual([]);
  });

  it('no tracked file reads the fixture folder beside the checkout', () => {
    expect(findHits(SIBLING_SHARED)).toEqual([]);
  });

  it('every file under test/fixtures/sops/ is listed in test/fixtures/PROVENANCE.md', () => {
    const provenance = readFileSync(join(ROOT, 'test', 'fixtures', 'PROVENANCE.md'), 'utf8');
    const sections = new Map<string, string>();
    for (const part of provenance.split(/^### /m).slice(1)) {
      const dir = /^`sops\/([^`/]+)\/`/.exec(part)?.[1];
      if (dir) sections.set(dir, part);
    }
    const unlisted: string[] = [];
    for (const rel of filesUnder(FIXTURES)) {
      const [dir, ...rest] = rel.split('/');
      const inDir = rest.join('/');
      const section = sections.get(dir!) ?? '';
      if (!section.includes(`\`${inDir}\``) && !section.includes(`\`sops/${rel}\``)) unlisted.push(`test/fixtures/sops/${rel}`);
    }
    expect(unlisted).toEqual([]);
  });

  it('every tracked private key outside source code is labelled a throwaway test key', () => {
    const key = /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]{20,}$|-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/;
    const unlabelled = trackedTexts()
      .filter(({ file }) => !/\.(?:[cm]?[jt]s)$/.test(file)) // code builds keys for tests and names the formats
      .filter(({ lines }) => lines.some((l) => key.test(l.trim())) && !lines.some((l) => /throwaway/i.test(l)))
      .map(({ file }) => file);
    expect(unlabelled).toEqual([]);
  });
});
