import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { escapeCommandData, maskLines, toGithub } from '../../src/export/github.js';
import { MULTILINE, SAMPLE } from './samples.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

/**
 * The runner's GITHUB_ENV reader (actions/runner SetEnvFileCommand, Linux),
 * transcribed: lines end at LF; blank lines are skipped; `NAME=VALUE` when
 * "=" comes before any "<<", else `NAME<<DELIM` followed by the value's lines
 * up to a line equal to DELIM, the LF before DELIM not being part of the value.
 */
function parseGithubEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let index = 0;
  const readLine = (): { line: string; nl: number } | null => {
    if (index >= text.length) return null;
    const lf = text.indexOf('\n', index);
    const start = index;
    if (lf < 0) {
      index = text.length;
      return { line: text.slice(start), nl: 0 };
    }
    index = lf + 1;
    return { line: text.slice(start, lf), nl: 1 };
  };
  for (let r = readLine(); r !== null; r = readLine()) {
    const { line } = r;
    if (line === '') continue;
    const eq = line.indexOf('=');
    const hd = line.indexOf('<<');
    if (eq >= 0 && (hd < 0 || eq < hd)) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
    } else if (hd >= 0) {
      const name = line.slice(0, hd);
      const delim = line.slice(hd + 2);
      if (name === '' || delim === '') throw new Error('empty name or delimiter');
      const start = index;
      let end = index;
      for (let t = readLine(); t === null || t.line !== delim; t = readLine()) {
        if (t === null) throw new Error(`matching delimiter not found '${delim}'`);
        end = index - t.nl;
      }
      out[name] = end > start ? text.slice(start, end) : '';
    } else {
      throw new Error(`invalid format '${line}'`);
    }
  }
  return out;
}

/** The values the runner masks after reading `stdout` (ActionCommand.TryParseV2 + UnescapeData). */
function parseMasks(stdout: string): string[] {
  const masks: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trimStart();
    if (line === '') continue;
    const m = /^::add-mask::(.*)$/s.exec(line);
    if (!m) throw new Error(`not a mask command: ${line}`);
    masks.push(m[1]!.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%'));
  }
  return masks;
}

/** What must be masked: every non-blank line of every value. */
const valueLines = (values: Record<string, string>): string[] =>
  Object.values(values).flatMap((v) => v.split(/[\r\n]/)).filter((l) => l.trim() !== '');

describe('toGithub', () => {
  it('writes KEY=VALUE for one line and a heredoc for several', () => {
    const gh = toGithub({ A: 'x', B: 'l1\nl2' }, { delimiter: () => 'EOF' });
    expect(gh.env).toBe('A=x\nB<<EOF\nl1\nl2\nEOF\n');
    expect(gh.masks).toBe('::add-mask::x\n::add-mask::l1\n::add-mask::l2\n');
  });

  it('gives back every value through the runner\'s reader and masks every line', () => {
    const values = { ...SAMPLE, ...MULTILINE, ENDS_NL: 'x\n', ONLY_NL: '\n', DELIM_LIKE: 'ghadelimiter_x\nEOF' };
    const gh = toGithub(values);
    expect(parseGithubEnv(gh.env)).toEqual(values);
    const masks = parseMasks(gh.masks);
    for (const line of valueLines(values)) expect(masks).toContain(line);
    // A mask is one line, and nothing is masked that is not part of a value.
    for (const m of masks) expect(valueLines(values)).toContain(m);
    expect(gh.env).not.toContain('::add-mask::');
  });

  it('escapes "%" in masks, so that a literal %0A stays literal', () => {
    expect(escapeCommandData('100%0A\r\n')).toBe('100%250A%0D%0A');
    expect(parseMasks(toGithub({ P: '100%0A%25' }).masks)).toEqual(['100%0A%25']);
  });

  it('skips blank lines and masks each distinct line once', () => {
    expect(maskLines('a\n\n  \r\nb')).toEqual(['::add-mask::a', '::add-mask::b']);
    expect(toGithub({ A: 'same', B: 'same\nsame' }).masks).toBe('::add-mask::same\n');
  });

  it('uses a random ghadelimiter_<uuid> delimiter, another one when it occurs in the value', () => {
    const [, delim] = /^K<<(.*)$/m.exec(toGithub({ K: 'a\nb' }).env)!;
    expect(delim).toMatch(/^ghadelimiter_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const tries = ['EOF', 'X', 'Y'];
    const gh = toGithub({ K: 'a\nEOF\nb', L: 'X\nz' }, { delimiter: () => tries.shift()! });
    expect(gh.env).toBe('K<<X\na\nEOF\nb\nX\nL<<Y\nX\nz\nY\n');
    expect(parseGithubEnv(gh.env)).toEqual({ K: 'a\nEOF\nb', L: 'X\nz' });
  });

  it('round-trips any values and masks all their lines (property)', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
    const value = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '\n', '\r', '%', '0', 'A', '<', '=', ':', 'é', '😀') });
    fc.assert(
      fc.property(fc.dictionary(key, value), (values) => {
        const gh = toGithub(values);
        expect(parseGithubEnv(gh.env)).toEqual(values);
        const masks = new Set(parseMasks(gh.masks));
        for (const line of valueLines(values)) expect(masks.has(line)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(['A<B', 'A<', 'A=B', '', 'A\nB'])('refuses the key %j, which the runner would misread', (k) => {
    const err = caught(() => toGithub({ [k]: 'CANARY' }));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain(JSON.stringify(k));
    expect(err.message).not.toContain('CANARY');
  });

  it('refuses a NUL byte in a value', () => {
    expect(() => toGithub({ K: 'a\0b' })).toThrow('the value of K contains a NUL byte, which an environment variable cannot hold');
  });
});
