import { symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { samePath } from '../../src/io/same-path.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees();

describe('samePath', () => {
  it('is true for one file named two ways: relative and absolute, with "..", through a symlinked file or directory', () => {
    const dir = tree({ 'a/f.env': 'x', 'b/g.env': 'y' });
    symlinkSync(join(dir, 'a', 'f.env'), join(dir, 'link.env'));
    symlinkSync(join(dir, 'a'), join(dir, 'dirlink'));
    const f = join(dir, 'a', 'f.env');
    expect(samePath(f, relative(process.cwd(), f))).toBe(true);
    expect(samePath(f, join(dir, 'b', '..', 'a', 'f.env'))).toBe(true);
    expect(samePath(f, join(dir, 'link.env'))).toBe(true);
    expect(samePath(join(dir, 'dirlink', 'f.env'), f)).toBe(true);
  });

  it('is false for different files, and compares paths that do not exist by their resolved names', () => {
    const dir = tree({ 'a/f.env': 'x', 'b/g.env': 'y' });
    expect(samePath(join(dir, 'a', 'f.env'), join(dir, 'b', 'g.env'))).toBe(false);
    expect(samePath(join(dir, 'new.env'), join(dir, 'a', '..', 'new.env'))).toBe(true);
    expect(samePath(join(dir, 'new.env'), join(dir, 'other.env'))).toBe(false);
  });

  it('a dangling symlink is compared by its own name, not its target', () => {
    const dir = tree({});
    symlinkSync(join(dir, 'missing.env'), join(dir, 'dangling.env'));
    expect(samePath(join(dir, 'dangling.env'), join(dir, 'missing.env'))).toBe(false);
  });
});
