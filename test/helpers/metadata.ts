import { DEFAULT_SELECTOR } from '../../src/crypto/selector.js';
import type { AgeEntry, Metadata } from '../../src/stores/metadata.js';

/**
 * Metadata with these age stanzas and nothing else, for tests of the key
 * search: `groups` key groups, each holding the same stanzas.
 */
export function ageMetadata(age: AgeEntry[], groups = 1): Metadata {
  const group = { age, other: [] };
  return {
    groups: Array.from({ length: groups }, () => group),
    lastmodified: '2024-01-01T00:00:00Z',
    mac: '',
    selector: DEFAULT_SELECTOR,
    macOnlyEncrypted: false,
    version: '3.13.2',
    unverified: [],
    extra: [],
  };
}
