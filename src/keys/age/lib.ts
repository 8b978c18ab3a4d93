/** The `age-encryption` module. */
export type AgeLib = typeof import('age-encryption');

/**
 * Load `age-encryption` (the general age path: encryption, post-quantum and
 * SSH keys) on first use, so that X25519 start-up never pays for it. The
 * build turns this import into a lazily evaluated require of the vendored
 * copy (`dist/vendor/age-encryption.cjs`) in the bundles run from a V8 code
 * cache, where `import()` is unavailable.
 */
export function loadAgeLib(): Promise<AgeLib> {
  return import('age-encryption');
}
