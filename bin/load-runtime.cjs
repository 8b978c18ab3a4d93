'use strict';
// Loads dist/runtime.cjs (exec and the preloads) with the V8 code cache that
// `npm run build` trains (dist/runtime.cjs.cache), so an app launch skips
// parsing and compiling envcrypt. A cache made by another node version is
// rejected by V8 and simply ignored. (Node 22 has module.enableCompileCache;
// node 20, which envcrypt supports, does not.)
//
// The file holds the module wrapper function itself (see scripts/build.mjs),
// so V8 gets the source as read, with no concatenated copy of it.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const FILE = path.join(__dirname, '..', 'dist', 'runtime.cjs');
let loaded;

/** The runtime's exports, and whether the code cache was used. */
function loadRuntime() {
  if (loaded) return loaded;
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${FILE}.cache`);
  } catch {
    // No cache (not trained yet): compile normally.
  }
  const script = new vm.Script(fs.readFileSync(FILE, 'utf8'), { filename: FILE, cachedData });
  // Code in a vm.Script cannot use import(); this module can, for the ESM-only age-encryption.
  globalThis.__envcryptImportAge ??= () => import('age-encryption');
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(FILE), mod, FILE, path.dirname(FILE));
  loaded = { runtime: mod.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
  return loaded;
}

module.exports = { loadRuntime };
