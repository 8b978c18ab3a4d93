import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Grant } from '../../src/api/encrypt.js';
import { announceGrants, governingRule, grantMessage, namedBy } from '../../src/api/vouch.js';
import { ruleSource } from '../../src/repo/sops-config/rules.js';
import { caught } from '../helpers/errors.js';
import { tempTrees } from '../helpers/tree.js';

const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const B = 'age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd';
const tree = tempTrees();
const noConfigEnv = { HOME: '/nonexistent' };

const CONFIG = `# rules
creation_rules:
  - path_regex: ^prod/
    age: ${A},${B}
    encrypted_regex: ^(PASSWORD|TOKEN)$
    mac_only_encrypted: true
  - path_regex: \\.env\\.enc$
    age: ${B}
`;

describe('governingRule', () => {
  it('returns the first matching rule: its recipients vouched by the rule\'s position, its selector and mac_only_encrypted', () => {
    const dir = tree({ '.sops.yaml': CONFIG });
    const r = governingRule(join(dir, 'prod', 'app.env.enc'), { env: noConfigEnv, configPath: join(dir, '.sops.yaml') });
    expect(r).not.toBeNull();
    expect(r!.source).toMatch(/\.sops\.yaml:3:5 \(creation rule 1\)$/);
    expect([...r!.vouched]).toEqual([[A, r!.source], [B, r!.source]]);
    expect(r!.selector).toEqual({ kind: 'encrypted_regex', value: '^(PASSWORD|TOKEN)$' });
    expect(r!.macOnlyEncrypted).toBe(true);
  });

  it('a rule without a selector or mac_only_encrypted leaves them out', () => {
    const dir = tree({ '.sops.yaml': CONFIG });
    const r = governingRule(join(dir, 'dev', 'app.env.enc'), { env: noConfigEnv, configPath: join(dir, '.sops.yaml') });
    expect(r!.source).toMatch(/\.sops\.yaml:7:5 \(creation rule 2\)$/);
    expect([...r!.vouched.keys()]).toEqual([B]);
    expect('selector' in r!).toBe(false);
    expect('macOnlyEncrypted' in r!).toBe(false);
  });

  it('finds the .sops.yaml above the file', () => {
    const dir = tree({ '.sops.yaml': CONFIG, 'prod/app.env.enc': '' });
    const r = governingRule(join(dir, 'prod', 'app.env.enc'), { env: noConfigEnv });
    expect([...r!.vouched.keys()]).toEqual([A, B]);
  });

  it('is null when no rule matches', () => {
    const dir = tree({ '.sops.yaml': CONFIG });
    expect(governingRule(join(dir, 'other.yaml'), { env: noConfigEnv, configPath: join(dir, '.sops.yaml') })).toBeNull();
  });

  it('a config that cannot be loaded is an error, not "no rule"', () => {
    const dir = tree({ '.sops.yaml': 'creation_rules: [\n' });
    const e = caught(() => governingRule(join(dir, 'a.env.enc'), { env: noConfigEnv, configPath: join(dir, '.sops.yaml') }));
    expect([e.code, e.exitCode]).toEqual(['PARSE', 5]);
  });
});

describe('ruleSource', () => {
  it('names a config inside the working directory relatively, and one outside absolutely', () => {
    const rule = { position: { line: 4, column: 5 }, index: 2 } as Parameters<typeof ruleSource>[1];
    expect(ruleSource(join(process.cwd(), 'deploy', '.sops.yaml'), rule)).toBe('deploy/.sops.yaml:4:5 (creation rule 2)');
    expect(ruleSource('/elsewhere/.sops.yaml', rule)).toBe('/elsewhere/.sops.yaml:4:5 (creation rule 2)');
  });
});

describe('namedBy, grantMessage, announceGrants', () => {
  it('namedBy maps each recipient to one source', () => {
    expect([...namedBy([A, B], '-r/--recipient')]).toEqual([[A, '-r/--recipient'], [B, '-r/--recipient']]);
  });

  const grants: Grant[] = [
    { recipient: A, source: '-r/--recipient', added: true, wrapped: true },
    { recipient: B, source: '.sops.yaml:3:5 (creation rule 1)', added: false, wrapped: true },
    { recipient: B, source: 'the integrity record', added: false, wrapped: false },
  ];

  it('grantMessage says whether the recipient was added, given the key, or only vouched for', () => {
    expect(grants.map((g) => grantMessage('f.env.enc', g))).toEqual([
      `f.env.enc: adding recipient ${A} (from -r/--recipient)`,
      `f.env.enc: giving the data key to listed recipient ${B} (from .sops.yaml:3:5 (creation rule 1))`,
      `f.env.enc: vouching for listed recipient ${B} (from the integrity record)`,
    ]);
  });

  it('announceGrants warns once per grant, after the first-record notice', () => {
    const out: string[] = [];
    announceGrants('f.env.enc', grants.slice(0, 1), (m) => out.push(m), true);
    expect(out).toEqual([
      'f.env.enc had no integrity record; the one added now also vouches for its key names, empty and unencrypted values and selector, which nothing authenticated before: check them in the diff',
      `f.env.enc: adding recipient ${A} (from -r/--recipient)`,
    ]);
    const none: string[] = [];
    announceGrants('f.env.enc', [], (m) => none.push(m));
    expect(none).toEqual([]);
  });
});
