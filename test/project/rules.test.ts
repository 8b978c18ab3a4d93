import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EnvcryptError } from '../../src/errors.js';
import { loadConfig, matchRule, parseConfig, pathForMatching, resolveCreation } from '../../src/project/rules.js';

// Public recipients of the published throwaway test keys in /work/shared/fixtures/sops (README.md).
const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const B = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';
const C = 'age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph';
const D = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp repo: keys are relative paths, values file contents. */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'envcrypt-rules-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** The EnvcryptError `fn` throws (fails the test if it throws nothing or something else). */
function caught(fn: () => unknown): EnvcryptError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EnvcryptError);
    return e as EnvcryptError;
  }
  throw new Error('expected an EnvcryptError, nothing was thrown');
}

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
    expect(prod.source).toContain('rule 1 (path_regex secrets/prod/.*)');
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

describe('age key forms', () => {
  it('accepts a comma-separated string, trimming and dropping empty items', () => {
    const cfg = parseConfig(`creation_rules:\n  - age: " ${A} , ,${B},"\n`, 'c');
    expect(cfg.creationRules?.[0]?.recipients).toEqual([A, B]);
  });

  it('accepts a list whose items may be comma-separated, and de-duplicates', () => {
    const cfg = parseConfig(`creation_rules:\n  - age:\n      - ${A}\n      - "${B}, ${C}"\n      - ${A}\n`, 'c');
    expect(cfg.creationRules?.[0]?.recipients).toEqual([A, B, C]);
  });

  it('resolves YAML anchors, aliases and merge keys', () => {
    const cfg = parseConfig(
      `keys:\n  - &a ${A}\ncreation_rules:\n  - &base\n    path_regex: ^p/\n    age: [*a, ${B}]\n    encrypted_suffix: _secret\n  - <<: *base\n    path_regex: ^q/\n`.replace('keys:', 'destination_rules:'),
      'c',
    );
    expect(cfg.creationRules?.[0]?.recipients).toEqual([A, B]);
    expect(cfg.creationRules?.[1]).toMatchObject({ pathRegex: '^q/', recipients: [A, B], selector: { kind: 'encrypted_suffix', value: '_secret' } });
  });

  it('rejects a recipient that is not a string', () => {
    const e = caught(() => parseConfig('creation_rules:\n  - age: [1]\n', 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('each item of age of creation rule 1 must be a string');
  });

  it('names the rule and position of an invalid recipient', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - age: ${A}\n  - path_regex: x\n    age: ${B},age1notakey\n`, '.sops.yaml'));
    expect(e.code).toBe('BAD_KEY');
    expect(e.message).toContain('creation rule 2');
    expect(e.file).toBe('.sops.yaml');
    expect(e.position).toEqual({ line: 4, column: 10 });
    expect(e.hints.length).toBeGreaterThan(0);
  });

  it('never echoes a secret key put where a recipient belongs', () => {
    const secret = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    const e = caught(() => parseConfig(`creation_rules:\n  - age: ${secret}\n`, 'c'));
    expect(e.message).toContain('creation rule 1');
    expect(JSON.stringify([e.message, e.hints])).not.toContain('QQQQ');
  });
});

describe('key_groups', () => {
  it('uses the age keys of a single group, including merged groups', () => {
    const cfg = parseConfig(`creation_rules:\n  - key_groups:\n      - age: [${A}, "${B},${C}"]\n        merge:\n          - age: [${D}]\n`, 'c');
    expect(cfg.creationRules?.[0]).toMatchObject({ recipients: [A, B, C, D], keyGroups: 1, otherKeyTypes: [] });
  });

  it('refuses several groups (Shamir) when the rule is used', () => {
    const r = repo({ '.sops.yaml': `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${A}]\n      - age: [${B}]\n` });
    const e = caught(() => resolveCreation(join(r, 'a.env'), { env: {} }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/^Shamir key groups are not supported yet/);
    expect(e.position).toEqual({ line: 2, column: 5 });
    // A recipient override replaces the rule's keys, so the groups no longer matter.
    expect(resolveCreation(join(r, 'a.env'), { env: { SOPS_AGE_RECIPIENTS: C } }).recipients).toEqual([C]);
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

describe('strict validation', () => {
  it('rejects an unknown field with a suggestion and its line:column', () => {
    const text = `creation_rules:\n  - path_regex: a\n    age: ${A}\n  - age: ${B}\n    path_regexp: secrets/.*\n`;
    const e = caught(() => parseConfig(text, '.sops.yaml'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('unknown field "path_regexp" in creation rule 2');
    expect(e.hints).toEqual(['did you mean "path_regex"?']);
    expect(e.position).toEqual({ line: 5, column: 5 });
    expect(e.file).toBe('.sops.yaml');
  });

  it('lists known fields when nothing is close, and checks top-level keys', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - recipients_list: x\n`, 'c'));
    expect(e.hints[0]).toMatch(/^known fields: path_regex, age/);
    const top = caught(() => parseConfig('creation_rule: []\n', 'c'));
    expect(top.message).toBe('unknown field "creation_rule" in the config');
    expect(top.hints).toEqual(['did you mean "creation_rules"?']);
  });

  it('rejects a bad path_regex with rule, field and position', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - age: ${A}\n    path_regex: "(unclosed"\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('invalid regex in path_regex of creation rule 1');
    expect(e.position).toEqual({ line: 3, column: 17 });
  });

  it('rejects selector regexes RE2 would refuse', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - encrypted_regex: ^(?!x)\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toContain('encrypted_regex of creation rule 1');
    expect(e.position?.line).toBe(2);
  });

  it('rejects two selectors in one rule', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - encrypted_regex: ^data$\n    unencrypted_suffix: _plain\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('creation rule 1 sets both encrypted_regex and unencrypted_suffix; at most one selector is allowed');
    expect(e.position).toEqual({ line: 3, column: 5 });
  });

  it('checks value types', () => {
    expect(caught(() => parseConfig('creation_rules:\n  - mac_only_encrypted: yes\n', 'c')).message).toBe('mac_only_encrypted of creation rule 1 must be true or false');
    expect(caught(() => parseConfig('creation_rules:\n  - path_regex: [a]\n', 'c')).message).toBe('path_regex of creation rule 1 must be a string');
    expect(caught(() => parseConfig('creation_rules: {a: 1}\n', 'c')).message).toBe('creation_rules must be a list');
    expect(caught(() => parseConfig('creation_rules:\n  - x\n', 'c')).message).toBe('creation rule 1 must be a mapping');
    expect(caught(() => parseConfig('- a\n', 'c')).message).toBe('the config must be a mapping');
    expect(caught(() => parseConfig('creation_rules:\n  - age: {a: b}\n', 'c')).message).toBe('age of creation rule 1 must be a comma-separated string or a list');
  });

  it('reads mac_only_encrypted', () => {
    const cfg = parseConfig(`creation_rules:\n  - age: ${A}\n    mac_only_encrypted: false\n  - age: ${A}\n`, 'c');
    expect(cfg.creationRules?.[0]?.macOnlyEncrypted).toBe(false);
    expect(cfg.creationRules?.[1]?.macOnlyEncrypted).toBeUndefined();
  });

  it('accepts an empty file and a file of comments as no config', () => {
    expect(parseConfig('', 'c')).toEqual({ file: 'c', stores: {} });
    expect(parseConfig('# nothing\n', 'c')).toEqual({ file: 'c', stores: {} });
    expect(parseConfig('creation_rules:\n', 'c').creationRules).toBeUndefined();
    expect(parseConfig('creation_rules: []\ndestination_rules: [{anything: 1}]\n', 'c').creationRules).toEqual([]);
  });
});

describe('stores', () => {
  it('reads yaml and json indents', () => {
    const cfg = parseConfig('stores:\n  yaml:\n    indent: 2\n  json:\n    indent: 3\n  dotenv: {}\n', 'c');
    expect(cfg.stores).toEqual({ yaml: { indent: 2 }, json: { indent: 3 } });
  });

  it('rejects a negative indent, unknown stores and unknown store fields', () => {
    const neg = caught(() => parseConfig('stores:\n  json:\n    indent: -1\n', 'c'));
    expect(neg.message).toBe('stores.json.indent must be a whole number, 0 or more');
    expect(neg.position).toEqual({ line: 3, column: 13 });
    expect(caught(() => parseConfig('stores:\n  yml: {indent: 2}\n', 'c')).hints).toEqual(['did you mean "yaml"?']);
    expect(caught(() => parseConfig('stores:\n  yaml: {indnet: 2}\n', 'c')).message).toBe('unknown field "indnet" in stores.yaml');
  });
});

describe('YAML errors', () => {
  it('reports the position, never the input text', () => {
    const e = caught(() => parseConfig('creation_rules:\n  - age: [CANARY_SECRET\n  oops: {\n', 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/^invalid YAML: /);
    expect(e.position?.line).toBeGreaterThan(0);
    expect(JSON.stringify([e.message, e.hints])).not.toContain('CANARY');
  });

  it('reports duplicate keys', () => {
    const e = caught(() => parseConfig('stores: {}\nstores: {}\n', 'c'));
    expect(e.message).toBe('invalid YAML: duplicate key');
    expect(e.position).toEqual({ line: 2, column: 1 });
  });

  it('reports a missing file as NOT_FOUND', () => {
    expect(caught(() => loadConfig(join(repo({}), 'nope.yaml'))).code).toBe('NOT_FOUND');
  });

  it('returns a config or throws an EnvcryptError for any input', () => {
    const token = fc.constantFrom(
      'creation_rules:', 'stores:', '  - ', '    ', 'age: ', 'path_regex: ', 'key_groups:', 'merge:', 'encrypted_regex: ', 'yaml:', 'indent: ',
      '&a ', '*a', '<<: ', '[', ']', '{', '}', ',', '"', "'", '#', '\n', '\t', ': ', '- ', '(', '?', '(?!', '\\', '-1', '2', 'true', A, 'age1x', '---\n', '%YAML 1.2\n',
    );
    const text = fc.oneof(fc.array(token, { maxLength: 40 }).map((t) => t.join('')), fc.string({ maxLength: 200 }));
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseConfig(t, 'fuzz.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(EnvcryptError);
          expect((e as EnvcryptError).code).toBeTruthy();
        }
      }),
      { numRuns: RUNS },
    );
  });
});
