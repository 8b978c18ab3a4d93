import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyPaths, listKeys } from '../../src/api/keys.js';
import { comment, int, list, map, nul, pair, str } from '../../src/tree/types.js';
import { rejected } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees();

describe('keyPaths', () => {
  it('lists every path to a scalar, an empty mapping or an empty list, dotted, in document order, each once', () => {
    const b = map([
      comment(' c'),
      pair('db', map([pair('user', str('u')), pair('hosts', list([str('a'), comment(' x'), map([pair('name', str('b'))])]))])),
      pair('empty', map([])),
      pair('none', list([])),
      pair('nothing', nul),
      pair('n', int(1n)),
    ]);
    expect(keyPaths([b, map([pair('n', str('again')), pair('second', str('doc'))])])).toEqual([
      'db.user', 'db.hosts.0', 'db.hosts.1.name', 'empty', 'none', 'nothing', 'n', 'second',
    ]);
    expect(keyPaths([map([])])).toEqual([]);
  });
});

describe('listKeys', () => {
  const env = { HOME: '/nonexistent' };

  it('lists the keys of a file sops wrote, with no key and nothing decrypted', async () => {
    const file = join(FIXTURES, 'humphd-sops-age', 'secret.enc.yaml');
    expect(await listKeys(file, { env })).toEqual({
      file,
      format: 'yaml',
      encrypted: true,
      keys: ['secret', 'string', 'int', 'float', 'boolean', 'complex.value', 'complex.array.0', 'complex.array.1', 'complex.array.2'],
    });
    const dotenv = join(FIXTURES, 'humphd-sops-age', 'secret.enc.env');
    expect((await listKeys(dotenv, { env })).keys).toEqual(['secret', 'another_secret']);
  });

  it('lists the keys of a plaintext file, and says it is not encrypted', async () => {
    const dir = tree({ 'a.env': 'A=1\n# c\nexport B="two"\n' });
    expect(await listKeys(join(dir, 'a.env'), { env })).toEqual({ file: join(dir, 'a.env'), format: 'dotenv', encrypted: false, keys: ['A', 'B'] });
  });

  it('escapes control characters in names for a terminal', async () => {
    const dir = tree({ 'a.json': JSON.stringify({ 'x\u001b[31my': 1 }) });
    const raw = await listKeys(join(dir, 'a.json'), { env });
    const shown = await listKeys(join(dir, 'a.json'), { env, terminal: true });
    expect(raw.keys).toEqual(['x\u001b[31my']);
    expect(shown.keys).toHaveLength(1);
    expect(shown.keys[0]).not.toMatch(/\u001b/);
  });

  it('a damaged encrypted file is BAD_METADATA (exit 5), a missing one NOT_FOUND (exit 6)', async () => {
    const text = readFileSync(join(FIXTURES, 'humphd-sops-age', 'secret.enc.yaml'), 'utf8');
    const dir = tree({ 'cut.enc.yaml': text.slice(0, text.indexOf('sops:')) });
    const e = await rejected(listKeys(join(dir, 'cut.enc.yaml'), { env }));
    expect([e.code, e.exitCode, e.file]).toEqual(['BAD_METADATA', 5, join(dir, 'cut.enc.yaml')]);
    expect(e.message).toMatch(/ is damaged: /);
    const m = await rejected(listKeys(join(dir, 'missing.env'), { env }));
    expect([m.code, m.exitCode]).toEqual(['NOT_FOUND', 6]);
  });
});
