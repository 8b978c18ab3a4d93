/**
 * sops's format-choice tests, ported: getsops/sops 3.13.2 `cmd/sops/formats/formats_test.go`
 * (commit 15e36f97a8641769712da76b64aec4ea566be81e, MPL-2.0). sops's
 * `FormatFromString` is envcrypt's `parseFormat` (`--input-type`/`--output-type`),
 * `FormatForPath` is `formatFromName`, `FormatForPathOrString` is `formatFor`.
 *
 * Not ported as sops has it: an unknown type string or file name meaning
 * "binary". envcrypt refuses to guess (README "Decisions": stricter than sops on
 * input; SOPS compatibility list), so those assertions check the refusal.
 */
import { describe, expect, it } from 'vitest';
import { formatFor, formatFromName, parseFormat } from '../../src/stores/index.js';
import { caught } from '../helpers/errors.js';

describe('getsops/sops cmd/sops/formats/formats_test.go', () => {
  it('TestFormatFromString: dotenv, yaml and json; an unknown name is refused, not binary', () => {
    expect(parseFormat('dotenv', '--input-type')).toBe('dotenv');
    expect(parseFormat('yaml', '--input-type')).toBe('yaml');
    expect(parseFormat('json', '--input-type')).toBe('json');
    expect(caught(() => parseFormat('foobar', '--input-type')).code).toBe('USAGE');
  });

  it('TestFormatFromString: ini', () => {
    expect(parseFormat('ini', '--input-type')).toBe('ini');
  });

  it('TestFormatForPath: .env, .json, .yml, .yaml; a name without extension says nothing (sops: binary)', () => {
    expect(formatFromName('/path/to/foobar')).toBeNull();
    expect(formatFromName('/path/to/foobar.env')).toBe('dotenv');
    expect(formatFromName('/path/to/foobar.json')).toBe('json');
    expect(formatFromName('/path/to/foobar.yml')).toBe('yaml');
    expect(formatFromName('/path/to/foobar.yaml')).toBe('yaml');
  });

  it('TestFormatForPath: .ini', () => {
    expect(formatFromName('/path/to/foobar.ini')).toBe('ini');
  });

  it('TestFormatForPathOrString: the explicit type wins over the name; the name decides otherwise', () => {
    expect(caught(() => formatFor('/path/to/foobar', '')).code).toBe('USAGE');
    expect(formatFor('/path/to/foobar', 'dotenv')).toBe('dotenv');
    expect(formatFor('/path/to/foobar.env', '')).toBe('dotenv');
    expect(formatFor('/path/to/foobar', 'json')).toBe('json');
    expect(formatFor('/path/to/foobar.json', '')).toBe('json');
    expect(formatFor('/path/to/foobar', 'yaml')).toBe('yaml');
    expect(formatFor('/path/to/foobar.yml', '')).toBe('yaml');
  });

  it('TestFormatForPathOrString: ini and binary', () => {
    expect(formatFor('/path/to/foobar', 'ini')).toBe('ini');
    expect(formatFor('/path/to/foobar.ini', '')).toBe('ini');
    expect(formatFor('/path/to/foobar.yml', 'ini')).toBe('ini');
    expect(formatFor('/path/to/foobar.yml', 'binary')).toBe('binary');
  });
});
