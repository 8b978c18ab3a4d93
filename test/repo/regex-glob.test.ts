import { describe, expect, it } from 'vitest';
import { globMatches, regexToGlobs } from '../../src/repo/regex-glob.js';

describe('regexToGlobs', () => {
  it.each([
    [String.raw`\.env\.enc$`, '', ['*.env.enc']],
    [String.raw`.*\.enc\.yaml$`, '', ['*.enc.yaml']],
    [String.raw`^\.env\.enc$`, '', ['/.env.enc']],
    [String.raw`^secrets/.*\.yaml$`, '', ['/secrets/**/*.yaml']],
    [String.raw`^secrets/[^/]*\.yaml$`, '', ['/secrets/*.yaml']],
    [String.raw`secrets/.*\.yaml$`, '', ['**/*secrets/**/*.yaml']],
    [String.raw`\.(yaml|json)\.enc$`, '', ['*.yaml.enc', '*.json.enc']],
    [String.raw`(?:dev|prod)/.*$`, '', ['**/*dev/**', '**/*prod/**']],
    [String.raw`\.env\.enc$`, 'svc/api', ['/svc/api/**/*.env.enc']],
    [String.raw`^k8s/.*\.yaml$`, 'svc', ['/svc/k8s/**/*.yaml']],
  ])('%s (config in "%s") → %j', (re, dir, globs) => {
    expect(regexToGlobs(re, dir)).toEqual(globs);
  });

  it.each([
    String.raw`.*`,
    String.raw`^.*$`,
    String.raw`[a-z]+\.yaml$`,
    String.raw`\.env(\..*)?\.enc$`,
    String.raw`\d\.yaml$`,
    String.raw`((a|b)|c)\.yaml`,
    String.raw`a\.yaml|b\.yaml`,
    String.raw`a b\.yaml$`,
    String.raw`x.yaml$`,
  ])('gives no glob for %s', (re) => {
    expect(regexToGlobs(re)).toBeNull();
  });

  it('never matches a path the regex does not match (sampled)', () => {
    const regexes = [String.raw`\.env\.enc$`, String.raw`^secrets/.*\.yaml$`, String.raw`secrets/.*\.yaml$`, String.raw`^a/[^/]*\.json$`, String.raw`\.(yaml|json)$`, String.raw`prod/.*\.env`];
    const paths = ['.env.enc', 'a/.env.enc', 'x.env.enc.bak', 'secrets/a.yaml', 'secrets/b/c.yaml', 'x/secrets/a.yaml', 'mysecrets/a.yaml', 'secrets.yaml', 'a/b.json', 'a/b/c.json', 'c.yaml', 'd.json', 'prod/x.env', 'prod/x.envy', 'a/prod/b/c.env', 'prodx.env'];
    for (const re of regexes) {
      const globs = regexToGlobs(re)!;
      expect(globs, re).not.toBeNull();
      for (const p of paths) if (globs.some((g) => globMatches(g, p))) expect(new RegExp(re).test(p), `${re} ${globs.join(',')} ${p}`).toBe(true);
    }
  });
});

describe('globMatches', () => {
  it('follows gitattributes: no slash matches the name at any depth; ** spans directories', () => {
    expect(globMatches('*.env.enc', 'a/b/.env.enc')).toBe(true);
    expect(globMatches('/deploy/**/*.yaml', 'deploy/a.yaml')).toBe(true);
    expect(globMatches('/deploy/**/*.yaml', 'deploy/x/y/a.yaml')).toBe(true);
    expect(globMatches('/deploy/*.yaml', 'deploy/x/a.yaml')).toBe(false);
    expect(globMatches('/deploy/**/*.yaml', 'x/deploy/a.yaml')).toBe(false);
    expect(globMatches('**/*dev/**', 'a/dev/b/c')).toBe(true);
  });
});
