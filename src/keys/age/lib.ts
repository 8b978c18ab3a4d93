/** The `age-encryption` module. */
export type AgeLib = typeof import('age-encryption');

/** Set by bin/envcrypt.js, which can use `import()` where the runtime bundle cannot. */
interface Host {
  __envcryptImportAge?: () => Promise<AgeLib>;
}

/**
 * Load `age-encryption` (the general age path: encryption, post-quantum and
 * SSH keys) on first use. The start-up bundle (dist/runtime.cjs) runs from a
 * V8 code cache through `vm.Script`, where `import()` is unavailable, so its
 * loader provides the import instead.
 */
export function loadAgeLib(): Promise<AgeLib> {
  const host = (globalThis as Host).__envcryptImportAge;
  return host ? host() : import('age-encryption');
}
