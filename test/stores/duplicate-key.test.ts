import { describe, expect, it } from 'vitest';
import { duplicateKeyError } from '../../src/stores/duplicate-key.js';

describe('duplicateKeyError', () => {
  it('is a PARSE error (exit 5) at the second occurrence, naming both positions and never a value', () => {
    const e = duplicateKeyError('A', { line: 3, column: 1 }, { line: 1, column: 1 }, false);
    expect([e.code, e.exitCode, e.message, e.position]).toEqual(['PARSE', 5, 'duplicate key "A" at 3:1 (first at 1:1)', { line: 3, column: 1 }]);
    expect(e.hints).toEqual(['each key may appear once per mapping: remove or rename one of the two']);
  });

  it('in an encrypted file, the hints say it was edited by hand or tampered with', () => {
    const e = duplicateKeyError('A', { line: 2, column: 1 }, { line: 1, column: 1 }, true, ['ignored']);
    expect(e.hints[0]).toBe('envcrypt and sops never write a key twice, so the file was edited by hand or tampered with');
    expect(e.hints).toHaveLength(2);
  });

  it('a format may give its own plaintext hints', () => {
    expect(duplicateKeyError('A', { line: 2, column: 1 }, { line: 1, column: 1 }, false, ['own advice']).hints).toEqual(['own advice']);
  });

  it('escapes control characters in the key', () => {
    const e = duplicateKeyError('A\u001b[2J\nB', { line: 2, column: 1 }, { line: 1, column: 1 }, false);
    expect(e.message).not.toMatch(/[\u0000-\u001f]/);
    expect(e.message).toMatch(/^duplicate key ".*" at 2:1 \(first at 1:1\)$/);
  });
});
