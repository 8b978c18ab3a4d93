import { describe, expect, it } from 'vitest';
import { bech32 } from '@scure/base';
import { decodeBech32Recipient } from '../../src/keys/bech32-recipient.js';

// A recipient used across the tests (test/security/fuzz.test.ts); public, so nothing secret.
const R = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

describe('decodeBech32Recipient', () => {
  it('gives what @scure/base decodes, and null for what it refuses', () => {
    const d = bech32.decode(R);
    expect(decodeBech32Recipient(R)).toEqual({ prefix: 'age', bytes: bech32.fromWords(d.words) });
    expect(decodeBech32Recipient(R.toUpperCase())?.prefix).toBe('age');
    for (const bad of ['', 'age1', `${R.slice(0, -1)}q`, `${R.slice(0, 10).toUpperCase()}${R.slice(10)}`]) expect(decodeBech32Recipient(bad)).toBeNull();
  });

  it('hands each caller its own bytes, so the cache cannot be changed through one', () => {
    const a = decodeBech32Recipient(R)!;
    a.bytes.fill(0);
    expect(decodeBech32Recipient(R)!.bytes).toEqual(bech32.fromWords(bech32.decode(R).words));
  });
});
