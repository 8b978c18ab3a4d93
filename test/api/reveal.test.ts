import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptText } from '../../src/api/encrypt.js';
import { revealFile, type RevealOptions } from '../../src/api/reveal.js';
import { newIdentity } from '../../src/keys/keygen.js';
import { cleanEnv, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let opts: RevealOptions;
let recipient: string;

const YAML = 'db:\n  host: h\n  ports:\n    - 1\n    - 2\n';
const JSON_TEXT = '{"db": {"host": "h", "ports": [1, 2]}}\n';

beforeAll(async () => {
  t = tempDir('envcrypt-reveal-');
  const me = await newIdentity(false);
  recipient = me.recipient;
  opts = { env: cleanEnv({ ENVCRYPT_AGE_KEY: me.identity }), onWarning: () => undefined };
});
afterAll(() => t.cleanup());

/** An encrypted file under a fresh directory whose `.sops.yaml` says `stores` (none when null). */
async function fileUnder(stores: string | null, name: string, plain: string): Promise<string> {
  const dir = join(t.dir, `${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  if (stores !== null) writeFileSync(join(dir, '.sops.yaml'), `stores:\n${stores}creation_rules:\n  - age: ${recipient}\n`);
  const file = join(dir, name);
  writeFileSync(file, await encryptText(plain, file, { recipients: [recipient] }));
  return file;
}

// sops 3.13.2 cmd/sops/main.go outputStore: decrypt's output store is built from the `stores` section of
// the config, so EmitPlainFile (the whole file, or an extracted mapping: cmd/sops/decrypt.go extract)
// uses its indent; EmitValue (another extracted value) does in JSON (reindentJSON) but not in YAML,
// whose EmitValue is a bare yaml.Marshal (4 spaces).
describe('revealFile honours stores.yaml.indent and stores.json.indent', () => {
  it('yaml: the whole file and an extracted mapping use the indent; an extracted list keeps 4', async () => {
    const file = await fileUnder('  yaml:\n    indent: 2\n', 'a.enc.yaml', YAML);
    expect(await revealFile(file, opts)).toBe(YAML);
    expect(await revealFile(file, { ...opts, extract: 'db' })).toBe('host: h\nports:\n  - 1\n  - 2\n');
    expect(await revealFile(file, { ...opts, extract: 'db.ports' })).toBe('- 1\n- 2\n');
    // An explicit indent wins over the config.
    expect(await revealFile(file, { ...opts, indent: 4 })).toBe('db:\n    host: h\n    ports:\n        - 1\n        - 2\n');
  });

  it('json: the whole file and every extracted value use the indent', async () => {
    const file = await fileUnder('  json:\n    indent: 2\n', 'a.enc.json', JSON_TEXT);
    expect(await revealFile(file, opts)).toBe('{\n  "db": {\n    "host": "h",\n    "ports": [\n      1,\n      2\n    ]\n  }\n}\n');
    expect(await revealFile(file, { ...opts, extract: 'db.ports' })).toBe('[\n  1,\n  2\n]');
  });

  it('the indent of the output format applies when converting (--output-type)', async () => {
    const file = await fileUnder('  json:\n    indent: 1\n', 'b.enc.yaml', 'a:\n    b: c\n');
    expect(await revealFile(file, { ...opts, outputType: 'json' })).toBe('{\n "a": {\n  "b": "c"\n }\n}\n');
    expect(await revealFile(file, opts)).toBe('a:\n    b: c\n');
  });

  it('without a config, the defaults (4 spaces, a tab)', async () => {
    const file = await fileUnder(null, 'c.enc.json', JSON_TEXT);
    expect(await revealFile(file, { ...opts, outputType: 'yaml' })).toBe('db:\n    host: h\n    ports:\n        - 1\n        - 2\n');
    expect(await revealFile(file, { ...opts, extract: 'db' })).toBe('{\n\t"host": "h",\n\t"ports": [\n\t\t1,\n\t\t2\n\t]\n}\n');
  });
});
