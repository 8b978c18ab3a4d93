import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EnvcryptError } from '../../../src/errors.js';
import { loadConfig, parseConfig } from '../../../src/repo/sops-config/load.js';
import { caught } from '../../helpers/errors.js';
import { tempTrees } from '../../helpers/tree.js';

// Public recipients of the published throwaway test keys in test/fixtures/sops (PROVENANCE.md).
const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const B = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';
const C = 'age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph';
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** A temp repo: keys are relative paths, values file contents. */
const repo = tempTrees('envcrypt-config-load-');

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
    const secret = `AGE-SECRET-KEY-1${'Q'.repeat(58)}`;
    const e = caught(() => parseConfig(`creation_rules:\n  - age: ${secret}\n`, 'c'));
    expect(e.message).toContain('creation rule 1');
    expect(JSON.stringify([e.message, e.hints])).not.toContain('QQQQ');
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
    expect(e.message).toBe('invalid regex in path_regex of creation rule 1: missing closing ): `(unclosed`');
    expect(e.position).toEqual({ line: 3, column: 17 });
    expect(e.hints).toEqual(['sops regexes use Go RE2 syntax (https://github.com/google/re2/wiki/Syntax): fix the pattern']);
  });

  it('rejects selector regexes RE2 would refuse', () => {
    const e = caught(() => parseConfig(`creation_rules:\n  - encrypted_regex: ^(?!x)\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('invalid regex in encrypted_regex of creation rule 1: invalid or unsupported Perl syntax: `(?!`');
    expect(e.position?.line).toBe(2);
    expect(e.hints[0]).toMatch(/no lookaround or backreferences/);
  });

  it.each([
    ['a lookbehind', '(?<=x)y'],
    ['a backreference', '(a)\\1'],
    ['a repeat count over 1000', 'a{1001}'],
  ])('rejects a path_regex with %s, as Go RE2 does', (_what, pattern) => {
    const e = caught(() => parseConfig(`creation_rules:\n  - path_regex: '${pattern}'\n    age: ${A}\n`, 'c'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/^invalid regex in path_regex of creation rule 1: /);
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

describe('path_regex is Go RE2, matched in linear time', () => {
  // A backtracking engine (JS RegExp) does not finish these: the test would time out.
  it('matches a pathological path_regex against a 40,000-character path', () => {
    const cfg = parseConfig(`creation_rules:\n  - path_regex: ^(a+)+$\n    age: ${A}\n  - path_regex: (x|x)*y\n    age: ${B}\n  - age: ${C}\n`, 'c');
    const [first, second] = cfg.creationRules!;
    expect(first!.pathRe!.test(`${'a'.repeat(40_000)}!`)).toBe(false);
    expect(first!.pathRe!.test('a'.repeat(40_000))).toBe(true);
    expect(second!.pathRe!.test('x'.repeat(40_000))).toBe(false);
  });

  it('takes RE2 syntax: (?i), named groups, Unicode classes', () => {
    const cfg = parseConfig(`creation_rules:\n  - path_regex: (?i)^(?P<dir>secrets)/\\pL+\\.env$\n    age: ${A}\n`, 'c');
    const re = cfg.creationRules![0]!.pathRe!;
    expect(re.test('SECRETS/prod.env')).toBe(true);
    expect(re.test('secrets/prod1.env')).toBe(false);
    expect(re.test('secrets/prodé.env')).toBe(true);
  });
});

describe('loadConfig reads .sops.yaml as an input file', () => {
  it('refuses a .sops.yaml that is a symbolic link to /dev/zero, without reading it', () => {
    const root = repo({});
    symlinkSync('/dev/zero', join(root, '.sops.yaml'));
    const e = caught(() => loadConfig(join(root, '.sops.yaml')));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(`${join(root, '.sops.yaml')} is a character device, not a regular file`);
  });

  it('refuses a .sops.yaml over the input cap', () => {
    const root = repo({ '.sops.yaml': `creation_rules:\n  - age: ${A}\n` });
    process.env.ENVCRYPT_MAX_INPUT_BYTES = '10';
    try {
      expect(caught(() => loadConfig(join(root, '.sops.yaml'))).code).toBe('UNSUPPORTED');
    } finally {
      delete process.env.ENVCRYPT_MAX_INPUT_BYTES;
    }
    expect(loadConfig(join(root, '.sops.yaml')).creationRules?.[0]?.recipients).toEqual([A]);
  });
});

describe('stores', () => {
  it('reads yaml and json indents', () => {
    const cfg = parseConfig('stores:\n  yaml:\n    indent: 2\n  json:\n    indent: 3\n  dotenv: {}\n', 'c');
    expect(cfg.stores).toEqual({ yaml: { indent: 2 }, json: { indent: 3 } });
  });

  it('rejects a negative indent (below -1 for JSON, which sops reads as a tab), unknown stores and unknown store fields', () => {
    const neg = caught(() => parseConfig('stores:\n  json:\n    indent: -2\n', 'c'));
    expect(neg.message).toBe('stores.json.indent must be a whole number, -1 or more');
    expect(neg.position).toEqual({ line: 3, column: 13 });
    expect(parseConfig('stores:\n  json:\n    indent: -1\n', 'c').stores).toEqual({ json: { indent: -1 } });
    expect(caught(() => parseConfig('stores:\n  yaml:\n    indent: -1\n', 'c')).message).toBe('stores.yaml.indent must be a whole number, 0 or more');
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
          // A YAML or rule error, or a recipient that does not parse; always naming the file.
          expect(['PARSE', 'BAD_KEY', 'UNSUPPORTED']).toContain((e as EnvcryptError).code);
          expect((e as EnvcryptError).file).toBe('fuzz.yaml');
        }
      }),
      { numRuns: RUNS },
    );
  });
});
