/**
 * Load a node built-in module on first use instead of at start-up. Some
 * (`node:os`, `node:tty`) cost most of a millisecond to load, which the exec
 * and preload path, run on every app launch, should not pay for code it
 * rarely reaches. `process.getBuiltinModule` is node ≥ 20.16; the bundles also
 * provide `require`.
 */
export function builtin<T>(id: string): T {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (get) return get(id) as T;
  if (typeof require === 'function') return require(id) as T;
  throw new Error(`cannot load ${id}`);
}

/** `node:child_process` on first use: about 1 ms of every start, for the many commands that run no program. */
export function childProcess(): typeof import('node:child_process') {
  return builtin('node:child_process');
}
