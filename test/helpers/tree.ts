/**
 * Temp directories filled with files for a test: a map of relative paths to
 * contents, parent directories created as needed.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

/** Write `files` (relative path → content) under `root`, creating directories as needed. */
export function writeTree(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

/**
 * A maker of temp trees, each removed after the test that made it. Call it at
 * the top level of a test file (it registers an `afterEach` hook). The paths
 * are real paths, so they compare equal with what git and `realpath` return.
 */
export function tempTrees(prefix = 'envcrypt-test-'): (files?: Record<string, string | Uint8Array>) => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (files = {}) => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
    dirs.push(root);
    writeTree(root, files);
    return root;
  };
}
