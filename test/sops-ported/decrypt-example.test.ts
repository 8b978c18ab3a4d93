/**
 * sops's library example, ported: getsops/sops 3.13.2 `decrypt/example_test.go`
 * `ExampleFile` (commit 15e36f97a8641769712da76b64aec4ea566be81e, MPL-2.0), which
 * decrypts sops's `example.json` with `decrypt.File(path, "json")` and reads the
 * cleartext JSON. envcrypt's library equivalent is `decryptFile` (the tree) and
 * the `decrypt` command's `revealFile` (the text). The file is encrypted to sops's
 * PGP test keys: it is opened with its data key, unwrapped once with gpg
 * (`test/fixtures/sops/derived/sops-functional-datakeys.json`; see PROVENANCE.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { revealFile } from '../../src/api/reveal.js';
import { decryptFile } from '../../src/index.js';
import { FIXTURES } from '../helpers/paths.js';

const FILE = join(FIXTURES, 'getsops-sops', 'example.json');
const keys = JSON.parse(readFileSync(join(FIXTURES, 'derived', 'sops-functional-datakeys.json'), 'utf8')) as Record<string, string>;
const dataKey = new Uint8Array(Buffer.from(keys['example.json']!, 'hex'));

describe('getsops/sops decrypt/example_test.go', () => {
  it('ExampleFile: the cleartext JSON of example.json holds what the example checks', async () => {
    const cfg = JSON.parse((await revealFile(FILE, { dataKey, env: {} }))!);
    expect(cfg.firstName).toBe('John');
    expect(cfg.lastName).toBe('Smith');
    expect(cfg.age).toBe(25.4);
    expect(cfg.phoneNumbers[1].number).toBe('646 555-4567');
    expect(cfg.anEmptyValue).toBe('');
    // The library call gives the same values as a tree, MAC verified.
    const dec = await decryptFile(FILE, { dataKey, env: {} });
    expect(dec.integrity).toBe('absent');
  });
});
