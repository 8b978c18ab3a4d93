import { describe, expect, it } from 'vitest';
import { compileExcludes } from '../../src/repo/glob.js';

describe('compileExcludes', () => {
  it('matches a bare name at any depth', () => {
    const ex = compileExcludes(['*.pem']);
    expect(ex('a.pem')).toBe(true);
    expect(ex('deep/dir/a.pem')).toBe(true);
    expect(ex('a.pem.txt')).toBe(false);
  });

  it('anchors patterns with a slash at the root', () => {
    const ex = compileExcludes(['test/fixtures/**']);
    expect(ex('test/fixtures/keys/age.txt')).toBe(true);
    expect(ex('other/test/fixtures/x')).toBe(false);
    expect(ex('test/other.txt')).toBe(false);
  });

  it('keeps * within one directory and lets ** cross them', () => {
    expect(compileExcludes(['src/*.ts'])('src/a/b.ts')).toBe(false);
    expect(compileExcludes(['src/*.ts'])('src/b.ts')).toBe(true);
    expect(compileExcludes(['src/**/*.ts'])('src/a/b.ts')).toBe(true);
    expect(compileExcludes(['src/**/*.ts'])('src/b.ts')).toBe(true);
  });

  it('excludes whole directories named with or without a trailing slash', () => {
    expect(compileExcludes(['vendor/'])('vendor/x/y.txt')).toBe(true);
    expect(compileExcludes(['vendor'])('vendor/x/y.txt')).toBe(true);
    expect(compileExcludes(['vendor'])('a/vendor/x.txt')).toBe(true);
    expect(compileExcludes(['vendor'])('vendors/x.txt')).toBe(false);
  });

  it('treats regex characters literally and ignores empty patterns', () => {
    const ex = compileExcludes(['a+b(1).txt', '', './c?.md']);
    expect(ex('a+b(1).txt')).toBe(true);
    expect(ex('aab(1).txt')).toBe(false);
    expect(ex('c1.md')).toBe(true);
    expect(ex('c12.md')).toBe(false);
    expect(compileExcludes([])('anything')).toBe(false);
  });
});
