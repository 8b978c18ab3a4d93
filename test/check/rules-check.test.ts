import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { DEFAULT_SELECTOR, type Selector } from '../../src/crypto/selector.js';
import type { Metadata } from '../../src/stores/metadata.js';
import { checkSopsFile, describeRule, plaintextLeaks, type GoverningRule, type SopsCheckInput } from '../../src/check/rules-check.js';
import type { MatchedRule } from '../../src/repo/sops-config/rules.js';
import { comment, int, list, map, nul, pair, str } from '../../src/tree/types.js';
import { ageKeygen, tempDir } from '../helpers/run-cli.js';

const CANARY = 'CANARY-rules-check-5d1e';
const ENC = 'ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]';

function md(selector: Selector = DEFAULT_SELECTOR): Metadata {
  return { groups: [{ age: [{ recipient: 'age1x', enc: 'x' }], other: [] }], lastmodified: '2024-01-01T00:00:00Z', mac: '', selector, macOnlyEncrypted: false, version: '3.13.2', unverified: [], extra: [] };
}

function rule(pathRegex?: string): GoverningRule {
  const r: MatchedRule = { index: 2, recipients: [], otherKeyTypes: [], keyGroups: 0, position: { line: 3, column: 3 }, ...(pathRegex !== undefined ? { pathRegex } : {}) };
  return { rule: r, config: '.sops.yaml' };
}

describe('plaintextLeaks', () => {
  it('flags plaintext and plain non-string values the default selector encrypts, by key path only', () => {
    const tree = map([
      pair('A', str(ENC)),
      pair('B', str(CANARY)),
      pair('EMPTY', str('')),
      pair('N', nul),
      pair('db', map([pair('port', int(5432n)), pair('host_unencrypted', str('localhost'))])),
    ]);
    const f = plaintextLeaks('f.yaml', [tree], md());
    expect(f.map((x) => x.message)).toEqual(['value at "B" should be encrypted but is plaintext', 'value at "db.port" should be encrypted but is a plain int']);
    expect(f.every((x) => x.rule === 'plaintext-value' && x.severity === 'error' && x.file === 'f.yaml')).toBe(true);
    expect(JSON.stringify(f)).not.toContain(CANARY);
  });

  it('follows the file\'s own selector', () => {
    const tree = map([pair('data', map([pair('password', str(CANARY))])), pair('kind', str('Secret'))]);
    const sel: Selector = { kind: 'encrypted_regex', value: '^(data|stringData)$' };
    expect(plaintextLeaks('s.yaml', [tree], md(sel)).map((x) => x.message)).toEqual(['value at "data.password" should be encrypted but is plaintext']);
    expect(plaintextLeaks('s.yaml', [map([pair('kind', str('Secret'))])], md(sel))).toEqual([]);
  });

  it('reports one finding per key path, however many list items leak', () => {
    const tree = map([pair('hosts', list([str('a'), str('b'), str(ENC)]))]);
    expect(plaintextLeaks('l.yaml', [tree], md())).toHaveLength(1);
  });

  it('counts plaintext comments the selector would encrypt as one warning, and none the selector leaves plain', () => {
    const tree = map([comment(' old password was hunter2'), comment(ENC.replace('type:str', 'type:comment')), comment(''), pair('A', str(ENC))]);
    const f = plaintextLeaks('c.env', [tree], md());
    expect(f).toEqual([{ file: 'c.env', rule: 'plaintext-comment', severity: 'warning', message: '1 comment is in plaintext where the file\'s unencrypted_suffix selector would encrypt it' }]);
    // With encrypted_regex, top-level comments have an empty path and stay plain by design.
    expect(plaintextLeaks('c.env', [tree], md({ kind: 'encrypted_regex', value: '^A$' }))).toEqual([]);
  });
});

describe('checkSopsFile', () => {
  let t: ReturnType<typeof tempDir>;
  let key: { file: string; recipient: string };
  let encrypted: string;
  const env = { HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config' };
  const withKey = () => ({ env: { ...env, ENVCRYPT_AGE_KEY_FILE: key.file } });
  const input = (over: Partial<SopsCheckInput>): SopsCheckInput => ({ file: 'x.env', path: 'x.env', text: '', truncated: false, governing: null, ...over });

  beforeAll(async () => {
    t = tempDir();
    key = ageKeygen(t.dir);
    encrypted = await encryptText(`A=1\nTOKEN=${CANARY}\n`, 'x.env', { recipients: [key.recipient] });
  });
  afterAll(() => t.cleanup());

  it('flags a plaintext file its path_regex rule covers', async () => {
    const f = await checkSopsFile(input({ text: `TOKEN=${CANARY}\n`, governing: rule('\\.env$') }), { env });
    expect(f).toEqual([{ file: 'x.env', rule: 'not-encrypted', severity: 'error', message: 'creation rule 2 (path_regex \\.env$) of .sops.yaml covers it, but it is not encrypted' }]);
  });

  it('does not treat a catch-all rule (no path_regex) or the config itself as covering plaintext', async () => {
    expect(await checkSopsFile(input({ text: 'A=1\n', governing: rule() }), { env })).toEqual([]);
    expect(await checkSopsFile(input({ path: 'a/.sops.yaml', text: 'creation_rules: []\n', governing: rule('.*') }), { env })).toEqual([]);
    expect(await checkSopsFile(input({ text: 'A=1\n' }), { env })).toEqual([]);
  });

  it('flags a covered binary file, and warns about a covered file too large to parse', async () => {
    const bin = await checkSopsFile(input({ text: null, governing: rule('.*') }), { env });
    expect(bin.map((f) => f.rule)).toEqual(['not-encrypted']);
    const big = await checkSopsFile(input({ text: null, truncated: true, governing: rule('.*') }), { env });
    expect(big.map((f) => [f.rule, f.severity])).toEqual([['unchecked', 'warning']]);
    expect(await checkSopsFile(input({ text: null, truncated: true }), { env })).toEqual([]);
  });

  it('passes an intact encrypted file with the key, and says why the MAC was skipped without one', async () => {
    expect(await checkSopsFile(input({ text: encrypted, governing: rule('\\.env$') }), withKey())).toEqual([]);
    const info: string[] = [];
    expect(await checkSopsFile(input({ text: encrypted }), { env, onInfo: (m) => info.push(m) })).toEqual([]);
    expect(info).toEqual(['x.env: MAC not checked (no key for it)']);
  });

  it('reports a value moved to another key as a MAC finding', async () => {
    const lines = encrypted.split('\n');
    const a = lines[0]!.slice(2);
    const b = lines[1]!.slice(6);
    const swapped = [`A=${b}`, `TOKEN=${a}`, ...lines.slice(2)].join('\n');
    const f = await checkSopsFile(input({ text: swapped }), withKey());
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['mac', 'error']]);
    expect(f[0]!.message).toContain('"A"');
  });

  it('reports a plaintext value and does not try the MAC over it', async () => {
    const leaked = encrypted.replace(/^TOKEN=.*$/m, `TOKEN=${CANARY}`);
    const f = await checkSopsFile(input({ text: leaked }), withKey());
    expect(f.map((x) => x.rule)).toEqual(['plaintext-value']);
    expect(JSON.stringify(f)).not.toContain(CANARY);
  });

  it('skips the MAC when told to', async () => {
    const lines = encrypted.split('\n');
    const swapped = [`A=${lines[1]!.slice(6)}`, `TOKEN=${lines[0]!.slice(2)}`, ...lines.slice(2)].join('\n');
    expect(await checkSopsFile(input({ text: swapped }), { ...withKey(), verifyMac: false })).toEqual([]);
  });

  it('reports a sops file that no longer parses, e.g. after a bad merge', async () => {
    const conflicted = `<<<<<<< HEAD\n${encrypted}=======\n${encrypted}>>>>>>> branch\n`;
    const f = await checkSopsFile(input({ text: conflicted }), withKey());
    expect(f.map((x) => x.rule)).toEqual(['parse']);
    expect(f[0]!.line).toBe(1);
    expect(f[0]!.message).toMatch(/^holds encrypted values but does not parse/);
  });

  it('reports invalid metadata', async () => {
    const noVersion = encrypted.replace(/^sops_version=.*$/m, '');
    const f = await checkSopsFile(input({ text: noVersion }), withKey());
    expect(f.map((x) => x.rule)).toEqual(['parse']);
    expect(f[0]!.message).toContain('version');
  });

  it('names the rule with and without a path_regex', () => {
    expect(describeRule(rule('^a$'))).toBe('creation rule 2 (path_regex ^a$) of .sops.yaml');
    expect(describeRule(rule())).toBe('creation rule 2 of .sops.yaml');
  });
});
