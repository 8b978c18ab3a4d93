// Big inputs work or fail clearly (CI-sized here; `node scripts/big-inputs.mjs`
// measures the full sizes with peak RSS).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyedTempDir, put, runCli, type tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let key: { file: string; recipient: string };
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ({ t, key, env } = keyedTempDir());
});
afterAll(() => t.cleanup());

const roundTrip = (name: string, text: string, out: string) => {
  put(t.dir, name, text);
  const enc = runCli(['encrypt', name, '-r', key.recipient, '-o', out], { cwd: t.dir, env });
  expect(enc.stderr).toBe('');
  expect(enc.code).toBe(0);
  return runCli(['decrypt', out], { cwd: t.dir, env });
};

describe('big inputs', () => {
  it('a 1 MB single value round-trips', () => {
    const big = 'y'.repeat(1 << 20);
    const dec = roundTrip('one.env', `BIG=${big}\n`, 'one.env.enc');
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe(`BIG=${big}\n`);
  });

  it('a 20,000-key file round-trips', () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `K${i}=value-${i}`).join('\n') + '\n';
    const dec = roundTrip('many.env', text, 'many.env.enc');
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe(text);
    expect(readFileSync(join(t.dir, 'many.env.enc'), 'utf8').split('\n').length).toBeGreaterThan(20_000);
  });

  it.each([
    ['1,000-deep YAML', 'deep.yaml', Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ` v\n`],
    ['10,000-deep JSON', 'deep.json', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
  ])('%s fails clearly with a parse error and its position, not a crash', (_n, name, text) => {
    put(t.dir, name, text);
    const r = runCli(['encrypt', name, '-r', key.recipient], { cwd: t.dir, env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`^envcrypt: error: ${name.replace('.', '\\.')}:\\d+:\\d+: `, 'm'));
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
  });
});
