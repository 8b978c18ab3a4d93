import { describe, expect, it } from 'vitest';
import { compilePolicy, keyMatcher, parseDays, parsePolicy } from '../../src/repo/audit-policy.js';

const POLICY = `# lifecycle policy
audit:
  rules:
    - keys: ['*_PASSWORD', '*_TOKEN']
      max_age: 90d
    - files: ['deploy/**']
      keys: '*_TOKEN'
      max_age: 4w
    - max_age: 365d
  exposure_max_age: 7d
  regenerate: ['SESSION_SECRET', '*_COOKIE_KEY']
`;

describe('parsePolicy', () => {
  it('reads rules, the exposure limit and the regenerate list', () => {
    const p = parsePolicy(POLICY, '.envcrypt.yaml');
    expect(p).toEqual({
      source: '.envcrypt.yaml',
      rules: [
        { keys: ['*_PASSWORD', '*_TOKEN'], files: [], maxAgeDays: 90, index: 1 },
        { keys: ['*_TOKEN'], files: ['deploy/**'], maxAgeDays: 28, index: 2 },
        { keys: [], files: [], maxAgeDays: 365, index: 3 },
      ],
      exposureMaxAgeDays: 7,
      regenerate: ['SESSION_SECRET', '*_COOKIE_KEY'],
    });
  });

  it('the strictest matching rule wins, whatever the order; key globs match whole dotted paths', () => {
    const c = compilePolicy(parsePolicy(POLICY, 'p'));
    expect(c.maxAge('.env.enc', 'DB_PASSWORD')).toEqual({ days: 90, rule: 1 });
    expect(c.maxAge('deploy/prod/.env.enc', 'API_TOKEN')).toEqual({ days: 28, rule: 2 });
    expect(c.maxAge('.env.enc', 'LOG_LEVEL')).toEqual({ days: 365, rule: 3 });
    expect([c.regenerable('SESSION_SECRET'), c.regenerable('APP_COOKIE_KEY'), c.regenerable('SESSION_SECRET_2')]).toEqual([true, true, false]);
    expect(keyMatcher(['db.*'])('db.password')).toBe(true);
    expect(keyMatcher(['db.*'])('dbxpassword')).toBe(false);
  });

  it('an empty file or no audit section is the empty policy', () => {
    expect(parsePolicy('', 'p')).toEqual({ source: 'p', rules: [], regenerate: [] });
    expect(parsePolicy('audit:\n', 'p')).toEqual({ source: 'p', rules: [], regenerate: [] });
  });

  it.each([
    ['audit:\n  rulez: []\n', /unknown field "rulez" in audit .*2:3/],
    ['audit:\n  rules:\n    - keys: [A]\n', /rule 1 has no max_age/],
    ['audit:\n  rules:\n    - max_age: 90\n', /max_age must be a number of days or weeks, like 90d or 12w/],
    ['audit:\n  exposure_max_age: soon\n', /exposure_max_age must be/],
    ['audit:\n  regenerate: [1]\n', /regenerate must be a list of non-empty patterns/],
    ['policy: {}\n', /unknown field "policy" in the policy file/],
    ['audit: [\n', /not valid YAML/],
  ])('refuses %j with its position', (text, re) => {
    expect(() => parsePolicy(text, '.envcrypt.yaml')).toThrow(expect.objectContaining({ code: 'PARSE' }));
    try {
      parsePolicy(text, '.envcrypt.yaml');
    } catch (e) {
      const err = e as { message: string; position?: { line: number; column: number } };
      expect(`${err.message} ${err.position ? `${err.position.line}:${err.position.column}` : ''}`).toMatch(re);
    }
  });

  it('durations: days and weeks only', () => {
    expect([parseDays('90d'), parseDays('2w'), parseDays('0d'), parseDays('3m'), parseDays('d')]).toEqual([90, 14, 0, null, null]);
  });
});
