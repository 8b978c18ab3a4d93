import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvcryptError } from '../../src/errors.js';
import { writeBatch, type PlannedWrite } from '../../src/io/batch-write.js';
import { caught } from '../helpers/errors.js';

const RUNS = Math.min(50, Number(process.env.FUZZ_RUNS ?? 30));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'envcrypt-batch-'));
  dirs.push(d);
  return d;
}

/** Three files with old content, and a plan replacing each. */
function setup(dir: string): PlannedWrite[] {
  return ['a', 'b', 'c'].map((n) => {
    const path = join(dir, n);
    writeFileSync(path, `old ${n}\n`);
    return { path, text: `new ${n}\n`, expected: `old ${n}\n` };
  });
}

describe('writeBatch', () => {
  it('writes every file in order and reports each', () => {
    const dir = temp();
    const plan = setup(dir);
    const seen: string[] = [];
    expect(writeBatch(plan, { onWritten: (p) => seen.push(p) })).toEqual(plan.map((w) => w.path));
    expect(seen).toEqual(plan.map((w) => w.path));
    for (const w of plan) expect(readFileSync(w.path, 'utf8')).toBe(w.text);
  });

  it('writes nothing when any file changed since it was read', () => {
    const dir = temp();
    const plan = setup(dir);
    writeFileSync(plan[2]!.path, 'someone else\n');
    const e = caught(() => writeBatch(plan));
    expect(e.code).toBe('CONFLICT');
    expect(e.exitCode).toBe(10);
    expect(e.message).toContain(plan[2]!.path);
    expect(readFileSync(plan[0]!.path, 'utf8')).toBe('old a\n');
    expect(readFileSync(plan[1]!.path, 'utf8')).toBe('old b\n');
  });

  it('a failure part-way names the files done and not done; each file is whole, old or new', () => {
    const dir = temp();
    const plan = setup(dir);
    // A non-empty directory where the second file should go: the rename fails, even as root.
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    plan.splice(1, 0, { path: blocked, text: 'x' });
    const e = caught(() => writeBatch(plan));
    expect(e.code).toBe('IO');
    expect(e.message).toMatch(/^stopped after updating 1 of 4 files: cannot write /);
    expect(e.hints[0]).toBe(`updated: ${plan[0]!.path}`);
    expect(e.hints[1]).toBe(`not updated (still the old version): ${[blocked, plan[2]!.path, plan[3]!.path].join(', ')}`);
    expect(readFileSync(plan[0]!.path, 'utf8')).toBe('new a\n');
    expect(readFileSync(plan[2]!.path, 'utf8')).toBe('old b\n');
    expect(readdirSync(dir).filter((n) => n.includes('.envcrypt-'))).toEqual([]);
  });

  it('property: whatever fails, exactly the files before it are new and the rest old', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.nat(), (texts, failAt) => {
        const dir = temp();
        const plan: PlannedWrite[] = texts.map((t, i) => {
          const path = join(dir, `f${i}`);
          writeFileSync(path, `old${i}`);
          return { path, text: t, expected: `old${i}` };
        });
        const k = failAt % (texts.length + 1);
        if (k < texts.length) {
          rmSync(plan[k]!.path);
          mkdirSync(join(plan[k]!.path, 'x'), { recursive: true });
          delete plan[k]!.expected;
          expect(() => writeBatch(plan)).toThrow(EnvcryptError);
        } else {
          writeBatch(plan);
        }
        plan.forEach((w, i) => {
          if (i === k) return;
          expect(readFileSync(w.path, 'utf8')).toBe(i < k ? w.text : `old${i}`);
        });
      }),
      { numRuns: RUNS },
    );
  });
});
