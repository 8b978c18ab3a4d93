// The binary store: sops's BinaryStore tests, byte-exact round trips, and the
// layout every command recognises a binary file by.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryStore } from '../../src/stores/binary.js';
import { encryptedFormatOf, formatFor, looksBinarySops } from '../../src/stores/index.js';
import { jsonStore } from '../../src/stores/json.js';
import { sniffFormat, sopsFormatOf } from '../../src/stores/sniff.js';
import { list, map, pair, str } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

const codeOf = (fn: () => unknown) => caught(fn).code;

const meta = map([
  pair('age', list([map([pair('enc', str('-----BEGIN AGE ENCRYPTED FILE-----\n')), pair('recipient', str('age1x'))])])),
  pair('lastmodified', str('2026-01-01T00:00:00Z')),
  pair('mac', str('')),
  pair('version', str('3.13.2')),
]);

describe('sops stores/json/store_test.go, the binary tests', () => {
  it('JSON text read as binary is one value, "data" (ported from TestLoadJSONFormattedBinaryFile)', () => {
    const [branch] = binaryStore.parsePlain('{"hello": 2}');
    expect(branch).toEqual(map([pair('data', str('{"hello": 2}'))]));
  });

  it('emits the value of "data" as it is (ported from TestEmitBinaryFile)', () => {
    expect(binaryStore.emitPlain([map([pair('data', str('foo'))])])).toBe('foo');
  });

  it('refuses other than exactly one document (ported from TestEmitBinaryFileWrongBranches)', () => {
    const one = map([pair('data', str('bar'))]);
    expect(() => binaryStore.emitPlain([one, one])).toThrow(/exactly one value.*2 documents/);
    expect(() => binaryStore.emitPlain([])).toThrow(/0 documents/);
  });

  it('refuses a tree without "data" (ported from TestEmitBinaryFileNoData)', () => {
    expect(() => binaryStore.emitPlain([map([pair('foo', str('bar'))])])).toThrow(/the members "foo"/);
  });

  it('refuses a "data" that is not a string (ported from TestEmitBinaryFileWrongDataType)', () => {
    expect(() => binaryStore.emitPlain([map([pair('data', map([pair('foo', str('bar'))]))])])).toThrow(/nested values, not a string/);
  });

  it('refuses --extract, as sops EmitValue does', () => {
    expect(codeOf(() => binaryStore.emitValue(str('x')))).toBe('UNSUPPORTED');
  });
});

describe('byte-exact round trips', () => {
  it('any UTF-8 text, NUL, CR, a BOM and no final newline included, comes back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const [branch] = binaryStore.parsePlain(text);
        expect(binaryStore.emitPlain([branch!])).toBe(text);
      }),
    );
    const odd = '\ufeff-----BEGIN KEY-----\r\n\0\u2028x';
    expect(binaryStore.emitPlain(binaryStore.parsePlain(odd))).toBe(odd);
  });

  it('the encrypted file is the JSON store output, and reads back', () => {
    const branches = [map([pair('data', str('ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]'))])];
    const text = binaryStore.emitEncrypted(branches, meta);
    expect(text).toBe(jsonStore.emitEncrypted(branches, meta));
    expect(text.startsWith('{\n\t"data": "ENC[')).toBe(true);
    expect(binaryStore.parseEncrypted(text)).toEqual({ branches, metadata: meta });
  });
});

describe('no silent loss', () => {
  it('an encrypted file with other members than "data" is a parse error (sops would drop them)', () => {
    const text = jsonStore.emitEncrypted([map([pair('data', str('x')), pair('other', str('y'))])], meta);
    expect(codeOf(() => binaryStore.parseEncrypted(text))).toBe('PARSE');
  });

  it('a list or extra key cannot be emitted encrypted either', () => {
    expect(codeOf(() => binaryStore.emitEncrypted([map([pair('data', list([str('a')]))])], meta))).toBe('UNSUPPORTED');
  });

  it('encrypting a sops file as binary is "already encrypted", not a blob of ciphertext', () => {
    const sopsText = jsonStore.emitEncrypted([map([pair('a', str('ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]'))])], meta);
    expect(binaryStore.hasMetadata(binaryStore.parsePlain(sopsText))).toBe(true);
    expect(binaryStore.hasMetadata(binaryStore.parsePlain('-----BEGIN PRIVATE KEY-----\n'))).toBe(false);
  });
});

describe('recognising a binary file', () => {
  const enc = binaryStore.emitEncrypted([map([pair('data', str(''))])], meta);

  it('a name envcrypt does not know is an error pointing at --input-type binary, for plaintext', () => {
    const err = caught(() => formatFor('tls.key'));
    expect(err.code).toBe('USAGE');
    expect(err.hints.join('\n')).toContain('--input-type binary');
  });

  it('an encrypted file in the binary layout is binary whatever its name, unless the name says otherwise', () => {
    expect(looksBinarySops(enc)).toBe(true);
    expect(encryptedFormatOf('tls.key.enc', enc)).toBe('binary');
    expect(encryptedFormatOf('x.enc.json', enc)).toBe('json');
    expect(formatFor('tls.key', undefined, '--input-type', enc)).toBe('binary');
    expect(sopsFormatOf('kubeconfig', enc)).toBe('binary');
    expect(sopsFormatOf('other', '{"a": 1, "sops": {}}')).toBe('json');
    expect(encryptedFormatOf('tls.key', '{"a": 1}')).toBe(null);
  });

  it('git hands the merge driver a temporary name: the text alone says binary', async () => {
    expect(await sniffFormat(enc, ['.merge_file_x'])).toBe('binary');
  });
});
