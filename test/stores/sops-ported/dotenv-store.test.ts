/**
 * Ported from getsops/sops 3.13.2 stores/dotenv/store_test.go (every test; sops has no separate dotenv
 * parser tests) and stores/stores_test.go, in process, against envcrypt's dotenv store.
 *
 * envcrypt reads an *encrypted* dotenv file in sops's dialect exactly (`\n` is the only escape), so
 * sops's PLAIN text is given to `parseEncrypted` where it tests the dialect. Plaintext input
 * (`parsePlain`) and plaintext output (`emitPlain`) follow `dotenv.parse` instead, on purpose (README
 * "Decisions": "Stricter than sops on input"; README "decrypt": "quoted only where needed, so that
 * `dotenv.parse` reads back the same values"): those cases assert envcrypt's behaviour and say so.
 *
 * Not ported: nothing; every test of both files has a counterpart below.
 */
import { parse as dotenvParse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { dotenvStore } from '../../../src/stores/dotenv.js';
import { scalarText } from '../../../src/tree/scalar-text.js';
import { bool, comment, float, int, map, pair, str, type Leaf } from '../../../src/tree/types.js';
import { caught } from '../../helpers/errors.js';

const PLAIN = `VAR1=val1
VAR2=val2
#comment
VAR3_unencrypted=val3
VAR4=val4\\nval4
`;

const BRANCH = map([
  pair('VAR1', str('val1')),
  pair('VAR2', str('val2')),
  comment('comment'),
  pair('VAR3_unencrypted', str('val3')),
  pair('VAR4', str('val4\nval4')),
]);

describe('sops stores/dotenv/store_test.go', () => {
  it('TestLoadPlainFile: the sops dialect (`\\n` escape, `#` comments) is read exactly', () => {
    // sops's LoadPlainFile and LoadEncryptedFile share one reader; envcrypt's sops-dialect reader is parseEncrypted.
    expect(dotenvStore.parseEncrypted(PLAIN).branches[0]).toEqual(BRANCH);
  });

  it('TestLoadPlainFile: as plaintext input the same text means what dotenv.parse says (unquoted `\\n` stays two characters)', () => {
    const [branch] = dotenvStore.parsePlain(PLAIN);
    expect(branch).toEqual(map([
      pair('VAR1', str('val1')),
      pair('VAR2', str('val2')),
      comment('comment'),
      pair('VAR3_unencrypted', str('val3')),
      pair('VAR4', str('val4\\nval4')),
    ]));
    expect(dotenvParse(PLAIN).VAR4).toBe('val4\\nval4');
  });

  it('TestLoadEncryptedFileNoMetadata: a file without sops_ lines has no metadata (sops: MetadataNotFound)', () => {
    expect(dotenvStore.parseEncrypted(PLAIN).metadata).toBeNull();
  });

  it('TestEmitPlainFile: the branch is written with dotenv quoting, which dotenv.parse reads back the same', () => {
    // sops writes `VAR4=val4\nval4` (its dialect); envcrypt quotes it so that dotenv itself reads a newline.
    const text = dotenvStore.emitPlain([BRANCH]);
    expect(text).toBe('VAR1=val1\nVAR2=val2\n#comment\nVAR3_unencrypted=val3\nVAR4="val4\\nval4"\n');
    expect(dotenvParse(text)).toEqual({ VAR1: 'val1', VAR2: 'val2', VAR3_unencrypted: 'val3', VAR4: 'val4\nval4' });
  });

  it('TestEmitPlainFile: the encrypted dialect is byte for byte what sops writes', () => {
    const meta = map([pair('version', str('3.13.2'))]);
    expect(dotenvStore.emitEncrypted([BRANCH], meta)).toBe(`${PLAIN}sops_version=3.13.2\n`);
  });

  it('TestEmitValueString: a string is written raw', () => {
    expect(dotenvStore.emitValue(str('hello'))).toBe('hello');
  });

  it('TestEmitValueNonstring: a mapping cannot be one dotenv value', () => {
    expect(caught(() => dotenvStore.emitValue(BRANCH)).message).toMatch(/dotenv/);
  });

  it('TestEmitEncryptedFileStability: emitting the same tree ten times gives the same, non-empty bytes', () => {
    const meta = map([pair('lastmodified', str('2025-01-02T03:04:05Z')), pair('mac', str('ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]')), pair('version', str('3.13.2'))]);
    const first = dotenvStore.emitEncrypted([map([])], meta);
    expect(first).not.toBe('');
    for (let i = 0; i < 9; i++) expect(dotenvStore.emitEncrypted([map([])], meta)).toBe(first);
  });

  it('TestHasSopsTopLevelKey: any `sops_` key is metadata; `sops` alone is not', () => {
    expect(dotenvStore.hasMetadata([map([pair('sops', str('value'))])])).toBe(false);
    expect(dotenvStore.hasMetadata([map([pair('sops_', str('value'))])])).toBe(true);
  });
});

describe('sops stores/stores_test.go', () => {
  it('TestValToString: scalars as text (ints, Go %G floats with a decimal, booleans, times, strings)', () => {
    const cases: Array<[Leaf, string]> = [
      [int(1n), '1'],
      [float(1.0), '1.0'],
      [float(1.1), '1.1'],
      [float(1.23), '1.23'],
      [float(1.234567890123456789), '1.2345678901234567'],
      [float(2e5), '200000.0'],
      [float(-2e10), '-2E+10'],
      [float(2e-10), '2E-10'],
      [float(1.2345e100), '1.2345E+100'],
      [float(1.2345e-100), '1.2345E-100'],
      [bool(true), 'true'],
      [bool(false), 'false'],
      [{ kind: 'time', value: '2025-01-02T03:04:05Z' }, '2025-01-02T03:04:05Z'],
      [str('a string'), 'a string'],
    ];
    for (const [leaf, want] of cases) expect(scalarText(leaf)).toBe(want);
  });
});
