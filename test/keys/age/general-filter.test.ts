// When the general path has nothing to try (src/keys/age/general-filter.ts):
// protected SSH keys whose tag no stanza carries. The age files are the real
// age CLI's; the keys are throwaway ones made by ssh-keygen here.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generalCannotOpen } from '../../../src/keys/age/general-filter.js';
import type { GeneralUnwrap } from '../../../src/keys/age/unwrap.js';
import type { FoundIdentity } from '../../../src/keys/discovery.js';
import { ageKeygen, tempDir } from '../../helpers/run-cli.js';

const t = tempDir('envcrypt-general-filter-');
afterAll(t.cleanup);

const keys: Record<string, { text: string; pub: string }> = {};
let x25519File: Uint8Array;
beforeAll(() => {
  for (const [name, args] of [
    ['ed', ['-t', 'ed25519']],
    ['rsa', ['-t', 'rsa', '-b', '2048']],
    ['pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']],
  ] as const) {
    const file = join(t.dir, name);
    expect(spawnSync('ssh-keygen', ['-q', ...args, '-N', 'throwaway passphrase', '-C', 'throwaway', '-f', file]).status).toBe(0);
    keys[name] = { text: readFileSync(file, 'utf8'), pub: `${file}.pub` };
  }
  x25519File = execFileSync('age', ['-r', ageKeygen(t.dir).recipient], { input: 'k' });
});

const ssh = (name: string): FoundIdentity => ({ kind: 'ssh', text: keys[name]!.text, source: join(t.dir, name) });
const toSsh = (name: string): Uint8Array => execFileSync('age', ['-R', keys[name]!.pub], { input: 'k' });
const req = (general: FoundIdentity[], files: Uint8Array[][]): GeneralUnwrap => ({
  ids: { native: [], general },
  groups: files.map((g) => g.map((file) => ({ file, recipient: 'age1example' }))),
});

describe('generalCannotOpen', () => {
  it('protected ed25519 and rsa keys, and no stanza of theirs in any group: nothing to try', () => {
    expect(generalCannotOpen(req([ssh('ed'), ssh('rsa')], [[x25519File, x25519File], [x25519File]]))).toBe(true);
    // Another key's ssh stanza does not count.
    expect(generalCannotOpen(req([ssh('ed')], [[toSsh('rsa')]]))).toBe(true);
  });

  it('a stanza of one of the keys, in any group, leaves it to the general path', () => {
    expect(generalCannotOpen(req([ssh('ed')], [[x25519File], [x25519File, toSsh('ed')]]))).toBe(false);
    expect(generalCannotOpen(req([ssh('ed'), ssh('rsa')], [[toSsh('rsa')]]))).toBe(false);
  });

  it('a plugin identity, a protected PEM key (no public half), or an age file that does not parse: the general path decides', () => {
    expect(generalCannotOpen(req(['AGE-PLUGIN-EXAMPLE-1QQQQ'], [[x25519File]]))).toBe(false);
    expect(generalCannotOpen(req([ssh('pem')], [[x25519File]]))).toBe(false);
    expect(generalCannotOpen(req([ssh('ed')], [[new Uint8Array([1, 2, 3])]]))).toBe(false);
  });
});
