import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { loadConfig, matchRule, parseConfig, pathForMatching, resolveCreation } from '../../../src/repo/sops-config/rules.js';
import { caught } from '../../helpers/errors.js';
import { tempTrees } from '../../helpers/tree.js';

// Public recipients of the published throwaway test keys in test/fixtures/sops (PROVENANCE.md).
const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const B = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';
const C = 'age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph';
const D = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';

/** A temp repo: keys are relative paths, values file contents. */
const repo = tempTrees('envcrypt-rules-');

const TWO_RULES = `creation_rules:
  - path_regex: secrets/prod/.*
    age: ${A}
  - path_regex: .*\\.env$
    age: ${B}
`;

describe('acceptance: two rules, first match wins', () => {
  const root = () => repo({ '.sops.yaml': TWO_RULES });

  it('gives each file the keys of its rule', () => {
    const r = root();
    const prod = resolveCreation(join(r, 'secrets/prod/db.yaml'), { env: {} });
    expect(prod.recipients).toEqual([A]);
    expect(prod.rule).toBe(1);
    expect(prod.configPath).toBe(join(r, '.sops.yaml'));
    expect(prod.source).toMatch(/\.sops\.yaml:\d+:\d+ \(creation rule 1, path_regex secrets\/prod\/\.\*\)/);
    const app = resolveCreation(join(r, 'app/.env'), { env: {} });
    expect(app.recipients).toEqual([B]);
    expect(app.source).toContain('rule 2');
  });

  it('uses the first matching rule when several match', () => {
    expect(resolveCreation(join(root(), 'secrets/prod/x.env'), { env: {} }).recipients).toEqual([A]);
  });

  it('fails with NO_RECIPIENTS for a file no rule matches, naming the config', () => {
    const r = root();
    const e = caught(() => resolveCreation(join(r, 'README.yaml'), { env: {} }));
    expect(e.code).toBe('NO_RECIPIENTS');
    expect(e.message).toBe(`no recipients for ${join(r, 'README.yaml')}`);
    expect(e.hints.join('\n')).toContain('-r/--recipient');
    expect(e.hints.join('\n')).toContain('ENVCRYPT_AGE_RECIPIENTS');
    expect(e.hints.join('\n')).toContain(`${join(r, '.sops.yaml')}: none of its 2 rules matches README.yaml`);
  });

  it('matches path_regex against the path relative to the config directory', () => {
    const r = repo({ '.sops.yaml': `creation_rules:\n  - path_regex: ^app/\n    age: ${A}\n` });
    expect(resolveCreation(join(r, 'app/.env'), { env: {} }).recipients).toEqual([A]);
    expect(() => resolveCreation(join(r, 'x/app/.env'), { env: {} })).toThrow(/no recipients/);
  });

  it('finds the config of a parent directory from a nested target', () => {
    const r = root();
    expect(resolveCreation(join(r, 'secrets/prod/deep/er/k.yaml'), { env: {} }).recipients).toEqual([A]);
  });
});

describe('pathForMatching and matchRule', () => {
  it('uses the relative path inside the config dir and the absolute path outside it', () => {
    expect(pathForMatching('/repo/.sops.yaml', '/repo/a/b.env')).toBe('a/b.env');
    expect(pathForMatching('/repo/.sops.yaml', '/other/b.env')).toBe('/other/b.env');
    expect(pathForMatching('/repo/.sops.yaml', '/repo2/b.env')).toBe('/repo2/b.env');
    expect(pathForMatching('/repo/.sops.yaml', '/repo/..b.env')).toBe('..b.env');
  });

  it('returns a catch-all rule without path_regex and the rule fields', () => {
    const cfg = parseConfig(`creation_rules:\n  - path_regex: ^x$\n    age: ${A}\n  - age: ${B}\n    encrypted_regex: ^(data|stringData)$\n    mac_only_encrypted: true\n`, '.sops.yaml');
    const m = matchRule(cfg, '/r/.sops.yaml', '/r/anything.json');
    expect(m).toMatchObject({ index: 2, recipients: [B], selector: { kind: 'encrypted_regex', value: '^(data|stringData)$' }, macOnlyEncrypted: true });
    expect(m?.pathRegex).toBeUndefined();
    expect(m).not.toHaveProperty('pathRe');
    expect(matchRule(cfg, '/r/.sops.yaml', '/r/x')?.index).toBe(1);
  });

  it('returns null without creation rules', () => {
    expect(matchRule(parseConfig('stores: {}\n', 'c'), '/r/.sops.yaml', '/r/x')).toBeNull();
  });
});

describe('key_groups', () => {
  it('uses the age keys of a single group, including merged groups (first, as sops orders them)', () => {
    const cfg = parseConfig(`creation_rules:\n  - key_groups:\n      - age: [${A}, "${B},${C}"]\n        merge:\n          - age: [${D}]\n`, 'c');
    // sops config.go extractMasterKeys: merged groups' keys, then the group's own (test/sops-ported/config.test.ts TestLoadConfigFileWithMerge).
    expect(cfg.creationRules?.[0]).toMatchObject({ recipients: [D, A, B, C], keyGroups: 1, otherKeyTypes: [] });
  });

  it('gives several groups (Shamir) and the threshold when the rule is used; a group with no age key is refused', () => {
    const r = repo({ '.sops.yaml': `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${A}]\n      - age: [${B}, ${C}]\n` });
    expect(resolveCreation(join(r, 'a.env'), { env: {} })).toMatchObject({ recipients: [A, B, C], groups: [[A], [B, C]], shamirThreshold: 2 });
    // A recipient override replaces the rule's keys, so the groups no longer matter.
    expect(resolveCreation(join(r, 'a.env'), { env: { SOPS_AGE_RECIPIENTS: C } })).not.toHaveProperty('groups');
    const pgp = repo({ '.sops.yaml': `creation_rules:\n  - key_groups:\n      - age: [${A}]\n      - pgp: [FP]\n` });
    const e = caught(() => resolveCreation(join(pgp, 'a.env'), { env: {} }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe('key group 2 of creation rule 1 has no age keys; envcrypt can only wrap its share of the data key for age keys');
    expect(e.position).toEqual({ line: 2, column: 5 });
  });

  // ported from getsops/sops config/config_test.go TestLoadConfigFileWithMerge, with age keys in
  // place of its pgp/kms/gcp_kms/azure_kv/hc_vault ones (the only type envcrypt wraps to): a group's
  // merged groups contribute their keys first, then its own, duplicates dropped (deduplicateKeygroup).
  it('TestLoadConfigFileWithMerge (age keys): merged keys first, then the group\'s own, de-duplicated', () => {
    const r = repo({
      '.sops.yaml': `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${A}]\n      - age: [${D}, ${B}]\n        merge:\n          - age: [${B}, ${C}]\n          - merge:\n              - age: [${A}]\n`,
    });
    expect(resolveCreation(join(r, 'a.env'), { env: {} })).toMatchObject({ groups: [[A], [B, C, A, D]], shamirThreshold: 2 });
  });

  it('refuses key_groups together with per-type keys', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - age: ${A}\n    key_groups:\n      - age: [${B}]\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('creation rule 1 sets both key_groups and age');
  });

  it('rejects a string where a key group wants a list, and unknown group fields', () => {
    expect(caught(() => parseConfig(`creation_rules:\n  - key_groups:\n      - age: ${A}\n`, 'c')).message).toBe('age in key group 1 of creation rule 1 must be a list');
    const e = caught(() => parseConfig(`creation_rules:\n  - key_groups:\n      - hc_vault_transit_uri: [x]\n`, 'c'));
    expect(e.message).toBe('unknown field "hc_vault_transit_uri" in key group 1 of creation rule 1');
  });

  it('stops on self-referencing merged groups', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - key_groups:\n      - &g\n        age: [${A}]\n        merge: [*g]\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('merged key groups nest too deeply in key group 1 of creation rule 1');
    expect(caught(() => parseConfig('creation_rules:\n  - &m {<<: *m}\n', 'c')).message).toBe('merge keys nest too deeply in creation rule 1');
  });

  it('rejects an alias without an anchor before it', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - age: *keys\n`, 'c'));
    expect(e.message).toBe('alias refers to no anchor defined before it');
    expect(e.position).toEqual({ line: 2, column: 10 });
  });
});

describe('recipient precedence', () => {
  const cfg = `creation_rules:\n  - age: ${A}\n    unencrypted_suffix: _plain\n    mac_only_encrypted: true\n`;

  it('prefers ENVCRYPT_AGE_RECIPIENTS, then SOPS_AGE_RECIPIENTS, keeping the rule selector', () => {
    const r = repo({ '.sops.yaml': cfg });
    const t = join(r, '.env');
    const both = resolveCreation(t, { env: { ENVCRYPT_AGE_RECIPIENTS: `${B}, ${C}`, SOPS_AGE_RECIPIENTS: D } });
    expect(both).toMatchObject({ recipients: [B, C], source: 'ENVCRYPT_AGE_RECIPIENTS', selector: { kind: 'unencrypted_suffix', value: '_plain' }, macOnlyEncrypted: true, rule: 1 });
    expect(resolveCreation(t, { env: { SOPS_AGE_RECIPIENTS: D } })).toMatchObject({ recipients: [D], source: 'SOPS_AGE_RECIPIENTS' });
    expect(resolveCreation(t, { env: { ENVCRYPT_AGE_RECIPIENTS: ' , ' } })).toMatchObject({ recipients: [A] });
  });

  it('lets explicit recipients win over everything', () => {
    const r = repo({ '.sops.yaml': cfg });
    const got = resolveCreation(join(r, '.env'), { recipients: [`${C},${D}`, C], env: { ENVCRYPT_AGE_RECIPIENTS: B } });
    expect(got).toMatchObject({ recipients: [C, D], source: '-r/--recipient', selector: { kind: 'unencrypted_suffix', value: '_plain' } });
  });

  it('works without any config when recipients are given', () => {
    const r = repo({});
    const got = resolveCreation(join(r, '.env'), { env: { ENVCRYPT_AGE_RECIPIENTS: A } });
    expect(got).toEqual({ recipients: [A], source: 'ENVCRYPT_AGE_RECIPIENTS' });
  });

  it('names the variable that holds a malformed recipient', () => {
    const e = caught(() => resolveCreation(join(repo({}), '.env'), { env: { SOPS_AGE_RECIPIENTS: 'age1nope' } }));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toContain('(from SOPS_AGE_RECIPIENTS)');
  });

  it('still reports a broken config when recipients are given', () => {
    const r = repo({ '.sops.yaml': 'creation_rules: [\n' });
    expect(caught(() => resolveCreation(join(r, '.env'), { recipients: [A], env: {} })).code).toBe('PARSE');
  });

  it('reads the config named by --config and reports a missing one with its source', () => {
    const r = repo({ 'cfg/rules.yaml': `creation_rules:\n  - path_regex: ^/\n    age: ${B}\n` });
    // Outside the config's directory the absolute path is matched.
    expect(resolveCreation(join(r, 'app/.env'), { configPath: join(r, 'cfg/rules.yaml'), env: {} }).recipients).toEqual([B]);
    const e = caught(() => resolveCreation(join(r, '.env'), { env: { ENVCRYPT_CONFIG: join(r, 'missing.yaml') } }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.hints).toContain('the path comes from ENVCRYPT_CONFIG');
  });
});

describe('NO_RECIPIENTS hints', () => {
  it('says when no config was found', () => {
    const r = repo({});
    const e = caught(() => resolveCreation(join(r, 'a/.env'), { env: {} }));
    expect(e.code).toBe('NO_RECIPIENTS');
    expect(e.hints.at(-1)).toContain('none was found in');
    expect(e.hints.at(-1)).toContain(join(r, 'a'));
  });

  it('says when the config has no creation rules, and still returns stores', () => {
    const r = repo({ '.sops.yaml': 'stores:\n  yaml:\n    indent: 2\n' });
    const e = caught(() => resolveCreation(join(r, 'a.yaml'), { env: {} }));
    expect(e.hints.at(-1)).toContain('which has none');
    expect(resolveCreation(join(r, 'a.yaml'), { env: { ENVCRYPT_AGE_RECIPIENTS: A } }).stores).toEqual({ yaml: { indent: 2 } });
  });

  it('says when the matching rule lists no keys', () => {
    const r = repo({ '.sops.yaml': 'creation_rules:\n  - path_regex: x\n' });
    const e = caught(() => resolveCreation(join(r, 'x.env'), { env: {} }));
    expect(e.code).toBe('NO_RECIPIENTS');
    expect(e.hints.at(-1)).toContain('creation rule 1');
    expect(e.hints.at(-1)).toContain('lists none');
  });
});

describe('non-age keys', () => {
  it('loads a pgp/kms-only rule but refuses to resolve it', () => {
    const r = repo({ '.sops.yaml': `creation_rules:\n  - path_regex: ^a\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n    kms: [arn:aws:kms:x]\n  - age: ${A}\n` });
    const cfg = loadConfig(join(r, '.sops.yaml'));
    expect(cfg.creationRules?.[0]?.otherKeyTypes).toEqual(['pgp', 'kms']);
    const e = caught(() => resolveCreation(join(r, 'a.env'), { env: {} }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe('creation rule 1 lists only pgp, kms keys; envcrypt only encrypts to age keys');
    expect(resolveCreation(join(r, 'b.env'), { env: {} }).recipients).toEqual([A]);
  });

  it('warns that other keys of a mixed rule are ignored', () => {
    const r = repo({ '.sops.yaml': `creation_rules:\n  - age: ${A}\n    hckms: [{key_id: x}]\n` });
    const warnings: string[] = [];
    expect(resolveCreation(join(r, 'a.env'), { env: {}, onWarning: (m) => warnings.push(m) }).recipients).toEqual([A]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('hckms');
  });
});
