// The import rule of src/ (README, Development): arrows only point down.
// Folders are layered; a module may import its own folder and any folder
// below it, never one above, and no two folders import each other. The CLI's
// command handlers reach the rest only through api/ (and check/, the `check`
// command's logic, which sits above api/).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

/** Bottom to top. Root files: errors.ts at the bottom, index.ts (the library) at the top. */
export const LAYERS = ['errors.ts', 'io', 'tree', 'keys', 'stores', 'crypto', 'repo', 'exec', 'export', 'api', 'check', 'cli', 'start', 'index.ts'] as const;

const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer a source file belongs to: its top folder under src/, or its own name for a root file. */
function layerOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

/** Every relative module a file imports (static, dynamic, require, and `typeof import`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import|require)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

const edges = sources(SRC).flatMap((f) => importsOf(f).map((to) => ({ from: f, to })));

describe('architecture: arrows only point down', () => {
  it('every folder and root file of src/ has a layer', () => {
    const known = new Set<string>(LAYERS);
    expect(sources(SRC).map(layerOf).filter((l) => !known.has(l))).toEqual([]);
  });

  it('no module imports a layer above its own', () => {
    const rank = (l: string) => LAYERS.indexOf(l as (typeof LAYERS)[number]);
    const up = edges
      .filter((e) => rank(layerOf(e.to)) > rank(layerOf(e.from)))
      .map((e) => `${relative(SRC, e.from)} -> ${relative(SRC, e.to)}`);
    expect(up).toEqual([]);
  });

  it('no two folders import each other', () => {
    const pairs = new Set(edges.map((e) => `${layerOf(e.from)}>${layerOf(e.to)}`).filter((p) => p.split('>')[0] !== p.split('>')[1]));
    const cycles = [...pairs].filter((p) => pairs.has(p.split('>').reverse().join('>')));
    expect(cycles).toEqual([]);
  });

  it('CLI command handlers call api/ (or check/), nothing below it', () => {
    const allowed = new Set(['api', 'check', 'cli', 'errors.ts']);
    const bad = edges
      .filter((e) => relative(SRC, e.from).startsWith('cli/commands/') && !allowed.has(layerOf(e.to)))
      .map((e) => `${relative(SRC, e.from)} -> ${relative(SRC, e.to)}`);
    expect(bad).toEqual([]);
  });
});
