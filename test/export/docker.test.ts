import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAX_LINE_BYTES, toDockerEnvFile } from '../../src/export/docker.js';
import { MULTILINE, SAMPLE } from './samples.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

/**
 * docker/cli `pkg/kvfile` parseKeyValueFile (released behaviour), transcribed:
 * lines split at LF with one CR before it dropped, leading Unicode whitespace
 * trimmed, blank and `#` lines skipped, split at the first `=`, keys with a
 * space or tab refused, the value kept as is.
 */
function dockerParse(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '').replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') throw new Error('no variable name');
    if (/[ \t]/.test(key)) throw new Error('variable contains whitespaces');
    if (eq >= 0) out[key] = line.slice(eq + 1);
  }
  return out;
}

describe('toDockerEnvFile', () => {
  it('writes KEY=VALUE lines with the values literally, in order', () => {
    expect(toDockerEnvFile({ A: 'x', B: '', C: ' a "b" $c \\d ' })).toBe('A=x\nB=\nC= a "b" $c \\d \n');
  });

  it('gives back every sample value through docker\'s reader', () => {
    expect(dockerParse(toDockerEnvFile(SAMPLE))).toEqual(SAMPLE);
  });

  it('round-trips any single-line value docker can hold (property)', () => {
    const value = fc
      .string({ unit: 'grapheme' })
      .filter((v) => !/[\r\n\0]/.test(v) && !(v.length >= 2 && /^(["']).*\1$/s.test(v)));
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,10}$/);
    fc.assert(
      fc.property(fc.dictionary(key, value), (values) => {
        expect(dockerParse(toDockerEnvFile(values))).toEqual(values);
      }),
      { numRuns: RUNS },
    );
  });

  it.each(Object.keys(MULTILINE))('refuses the multi-line value %s, naming the key and not the value', (key) => {
    const e = caught(() => toDockerEnvFile({ OK: 'fine', [key]: MULTILINE[key]! }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain(key);
    expect(e.message).toContain('line break');
    expect(e.message).not.toContain('line1');
    expect(e.hints.join(' ')).toMatch(/--format shell.*--format k8s/);
  });

  it('refuses NUL in a value', () => {
    expect(caught(() => toDockerEnvFile({ K: 'a\0b' })).message).toBe('the value of K contains a NUL byte, which a docker env-file cannot hold');
  });

  it.each(['"quoted"', "'quoted'", '""', "''"])('refuses the value %s, which docker versions read differently', (v) => {
    const e = caught(() => toDockerEnvFile({ K: v }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('wrapped in quotes');
  });

  it.each(['"', "'", '"a\'', 'a"b"', '"a', 'a"', '\'a"'])('keeps the unpaired quotes of %s', (v) => {
    expect(dockerParse(toDockerEnvFile({ K: v }))).toEqual({ K: v });
  });

  it.each(['', 'A B', ' A', 'A\tB', 'A=B', '#A', 'A\nB', '\uFEFFA', 'A\u00a0B', 'A\0'])('refuses the key %j', (k) => {
    const e = caught(() => toDockerEnvFile({ [k]: 'v' }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain(JSON.stringify(k));
  });

  it('accepts keys docker takes as they are', () => {
    const values = { 'a.b-c': '1', 'A#': '2', 'É': '3', '1X': '4' };
    expect(dockerParse(toDockerEnvFile(values))).toEqual(values);
  });

  it('refuses a line longer than docker reads', () => {
    expect(() => toDockerEnvFile({ K: 'x'.repeat(MAX_LINE_BYTES - 2) })).not.toThrow();
    expect(caught(() => toDockerEnvFile({ K: 'x'.repeat(MAX_LINE_BYTES - 1) })).message).toContain('64 KiB');
    // Counted in bytes: 3 bytes per character here.
    expect(() => toDockerEnvFile({ K: '€'.repeat(MAX_LINE_BYTES / 3) })).toThrow(/64 KiB/);
  });
});
