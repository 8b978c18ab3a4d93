#!/usr/bin/env node
'use strict';
// The envcrypt command, and the loader of its bundles (exported for the
// preload, dist/config.cjs, and the build's cache training). One file, so a
// launch reads and compiles one script before the bundle it needs.
//
// Loads envcrypt's bundles with the V8 code cache that `npm run build`
// trains next to each (dist/<name>.cjs.cache), so an app launch skips
// parsing and compiling envcrypt. A cache made by another node version is
// rejected by V8 and simply ignored. (Node 22 has module.enableCompileCache;
// node 20, which envcrypt supports, does not.)
//
// - dist/fast-exec.cjs and dist/fast-preload.cjs: exec and the preload for
//   dotenv files and X25519 or post-quantum keys, each as small as it can be;
// - dist/runtime.cjs: the same for everything else, errors included;
// - dist/cli.cjs: every other command.
//
// Each file holds the module wrapper function itself (see scripts/build.mjs),
// so V8 gets the source as read, with no concatenated copy of it.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const loaded = new Map();

/** The exports of dist/<name>.cjs, and whether its code cache was used. */
function loadBundle(name) {
  let bundle = loaded.get(name);
  if (bundle) return bundle;
  const file = path.join(__dirname, '..', 'dist', `${name}.cjs`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.cache`);
  } catch {
    // No cache (not trained yet): compile normally.
  }
  const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData });
  const mod = { exports: {} };
  // This module's own require: besides node built-ins, the bundles require
  // only their lazily loaded dependencies, as ../dist/vendor/<name>.cjs,
  // which resolves the same from bin/ and dist/ (and loading node:module for
  // createRequire would cost more than the whole call).
  script.runInThisContext()(mod.exports, require, mod, file, path.dirname(file));
  bundle = { exports: mod.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
  loaded.set(name, bundle);
  return bundle;
}

module.exports = { loadBundle };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const done = (code) => {
    process.exitCode = code;
  };
  if (argv[0] === 'exec') {
    // `exec` runs on every app launch: the small bundle first, which answers
    // null when the full runtime is needed.
    loadBundle('fast-exec')
      .exports.execFast(argv.slice(1))
      .then((code) => code ?? loadBundle('runtime').exports.execMain(argv.slice(1)))
      .then(done);
  } else if (argv[0] === '__unwrap-general') {
    loadBundle('runtime').exports.unwrapGeneralMain().then(done);
  } else {
    loadBundle('cli').exports.run(argv).then(done);
  }
}
