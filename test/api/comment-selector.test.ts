/**
 * `unencrypted_comment_regex` (and its twin `encrypted_comment_regex`) end to
 * end, in process: from a `.sops.yaml` rule through encrypt, the metadata
 * field, decrypt, the integrity record and selector drift. The rules are
 * sops 3.13.2's (`sops.go` `shouldBeEncrypted` and `Tree.Encrypt`, the comment
 * stack of `walkBranch`/`walkSlice`); the expected layout is the one of
 * sops.go's own TestUnencryptedCommentRegex, written as YAML.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptText } from '../../src/api/decrypt.js';
import { encryptText } from '../../src/api/encrypt.js';
import { encryptWithRules } from '../../src/api/encrypt-file.js';
import { editFile } from '../../src/api/edit.js';
import { mergeFile } from '../../src/api/merge-file.js';
import { setValue } from '../../src/api/set.js';
import { newIdentity, type NewIdentity } from '../../src/keys/keygen.js';
import { rejected } from '../helpers/errors.js';
import { withoutIntegrity } from '../helpers/sops-like.js';
import { cleanEnv, tempDir } from '../helpers/run-cli.js';

const PLAIN = [
  '# sops:noenc',
  'foo: bar',
  'bar:',
  '    foo: bar',
  '    # before',
  '    # sops:noenc',
  '    notencrypted: bar',
  'array:',
  '    - bar',
  '    # sops:noenc',
  '    - baz',
  '# sops:noenc',
  '# after',
  'notencarray:',
  '    - bar',
  '    - baz',
  'last: secret',
  '',
].join('\n');

let t: ReturnType<typeof tempDir>;
let me: NewIdentity;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = tempDir('envcrypt-comment-sel-');
  me = await newIdentity(false);
  env = cleanEnv({ ENVCRYPT_AGE_KEY: me.identity });
});
afterAll(() => t.cleanup());

/** Encrypts PLAIN (or `plain`) under a `.sops.yaml` rule with `rule` added, and returns the file's text. */
async function encryptUnderRule(rule: string, plain = PLAIN): Promise<{ path: string; text: string }> {
  const dir = join(t.dir, Math.random().toString(36).slice(2));
  mkdirSync(dir);
  writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${me.recipient}\n    ${rule}\n`);
  const input = join(dir, 'plain.yaml');
  writeFileSync(input, plain);
  const path = join(dir, 'secret.enc.yaml');
  await encryptWithRules(input, { output: path, env, onWarning: () => undefined });
  return { path, text: readFileSync(path, 'utf8') };
}

describe('unencrypted_comment_regex', () => {
  it('leaves in clear what follows a matching comment, as sops does, and reads back', async () => {
    const { text } = await encryptUnderRule('unencrypted_comment_regex: sops:noenc');
    const body = text.slice(0, text.indexOf('\nsops:'));
    // sops.go TestUnencryptedCommentRegex: `foo` follows the top comment; `bar.foo` does not (the run was
    // cleared by `foo`), and so `# before` is encrypted too; `notencrypted` and `baz` follow a marker in
    // their own run; `notencarray` follows the marker through its outer level; `last` follows nothing.
    expect(body.split('\n').map((l) => l.replace(/ENC\[AES256_GCM,[^\]]*\]/, 'ENC'))).toEqual([
      '# sops:noenc',
      'foo: bar',
      'bar:',
      '    foo: ENC',
      '    #ENC',
      '    # sops:noenc',
      '    notencrypted: bar',
      'array:',
      '    - ENC',
      '    # sops:noenc',
      '    - baz',
      '# sops:noenc',
      '# after',
      'notencarray:',
      '    - bar',
      '    - baz',
      'last: ENC',
    ]);
    // The field is kept in the metadata, as sops 3.13 writes it, and the integrity record covers it: a
    // regex that selects the same values (so the MAC still matches) is still caught.
    expect(text).toMatch(/\n {4}unencrypted_comment_regex: sops:noenc\n/);
    const dec = await decryptText(text, 'secret.enc.yaml', { env });
    expect(dec.integrity).toBe('verified');
    expect(dec.metadata.selector).toEqual({ kind: 'unencrypted_comment_regex', value: 'sops:noenc' });
    const tampered = text.replace('unencrypted_comment_regex: sops:noenc', 'unencrypted_comment_regex: sops:noen');
    expect((await rejected(decryptText(tampered, 'secret.enc.yaml', { env }))).code).toBe('MAC_MISMATCH');
  });

  it('refuses, as sops does, a regex that an encrypted comment matches (the file could not be read back)', async () => {
    const e = await rejected(encryptUnderRule('unencrypted_comment_regex: AES256_GCM', '# a comment\na: 1\n'));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('matches unencrypted_comment_regex');
  });

  it('a file whose selector drifted to a comment regex cannot make set store a new value in clear', async () => {
    // A pusher rewrote the selector of a record-less (sops-written) file to `unencrypted_comment_regex: "."`
    // and added a comment: the next value set after it would go to the repository in plaintext.
    const path = join(t.dir, 'drift.enc.yaml');
    const plain = 'a: 1\n# any comment\n';
    const text = await encryptText(plain, path, { recipients: [me.recipient], selector: { kind: 'unencrypted_comment_regex', value: '.' } });
    writeFileSync(path, text);
    const e = await rejected(setValue(path, 'b', { kind: 'str', value: 'CANARY-comment-sel' }, { env }));
    expect(e.code).toBe('SELECTOR_DRIFT');
    expect(e.message).not.toContain('CANARY');
  });
});

describe('unencrypted_comment_regex: comments nothing authenticates', () => {
  const RULE = 'unencrypted_comment_regex: sops:noenc';

  it('in a file without an integrity record, a marker comment already there cannot make set store a new value in clear', async () => {
    // sops wrote the file (no record), then a pusher appended a marker where the next key will go.
    const { path, text } = await encryptUnderRule(RULE, 'a: 1\n');
    writeFileSync(path, withoutIntegrity(text, 'yaml').replace('\nsops:', '\n# sops:noenc\nsops:'));
    const e = await rejected(setValue(path, 'b', { kind: 'str', value: 'CANARY-comment-sel' }, { env }));
    expect(e.code).toBe('SELECTOR_DRIFT');
    expect(e.message).toContain('no integrity record');
    expect(e.message).not.toContain('CANARY');
    // --allow-selector-change accepts it; so does a file whose record vouches for the comment.
    await setValue(path, 'b', { kind: 'str', value: 'x' }, { env, allowSelectorChange: true });
    expect(readFileSync(path, 'utf8')).toMatch(/\nb: x\n/);
  });

  it('in a merge, no comment of a side without a record counts: their new value after the marker is refused', async () => {
    const { path: ours, text } = await encryptUnderRule(RULE, 'a: 1\n# sops:noenc\n');
    writeFileSync(ours, withoutIntegrity(text, 'yaml'));
    const base = ours.replace('secret.enc.yaml', 'base.enc.yaml');
    const theirs = ours.replace('secret.enc.yaml', 'theirs.enc.yaml');
    copyFileSync(ours, base);
    copyFileSync(ours, theirs);
    await setValue(theirs, 'b', { kind: 'str', value: 'CANARY-comment-sel' }, { env, allowSelectorChange: true });
    const e = await rejected(mergeFile(base, ours, theirs, { name: ours, env }));
    expect(e.code).toBe('SELECTOR_DRIFT');
    expect(e.message).not.toContain('CANARY');
  });

  it('in edit, a marker the user types is theirs: the value after it is stored in clear, as sops does', async () => {
    const { path, text } = await encryptUnderRule(RULE, 'a: 1\n');
    writeFileSync(path, withoutIntegrity(text, 'yaml'));
    const runEditor = async (p: string) => writeFileSync(p, 'a: 1\n# sops:noenc\nb: x\n');
    await editFile(path, { env, runEditor, confirmReopen: async () => false, tempRoot: t.dir });
    expect(readFileSync(path, 'utf8')).toMatch(/\n# sops:noenc\nb: x\n/);
  });

  it('with an integrity record the marker is the writer\'s own, and set follows it as sops does', async () => {
    const { path } = await encryptUnderRule(RULE, 'a: 1\n# sops:noenc\n');
    await setValue(path, 'b', { kind: 'str', value: 'x' }, { env });
    expect(readFileSync(path, 'utf8')).toMatch(/\nb: x\n/);
  });
});

describe('encrypted_comment_regex', () => {
  it('encrypts only what follows a matching comment; the marker itself stays in clear', async () => {
    const { text } = await encryptUnderRule('encrypted_comment_regex: sops:enc', 'a: 1\n# sops:enc\n# hidden\nb: 2\nc: 3\n');
    const body = text.slice(0, text.indexOf('\nsops:')).split('\n').map((l) => l.replace(/ENC\[AES256_GCM,[^\]]*\]/, 'ENC'));
    expect(body).toEqual(['a: 1', '# sops:enc', '#ENC', 'b: ENC', 'c: 3']);
    expect((await decryptText(text, 'secret.enc.yaml', { env })).integrity).toBe('verified');
  });
});
