#!/usr/bin/env node
'use strict';
// CommonJS on purpose (see bin/package.json): `exec` runs on every app launch,
// and a small CommonJS bundle without yargs, loaded from a code cache, starts
// fastest. The fast bundle answers null when the full runtime is needed.
const argv = process.argv.slice(2);
const done = (code) => {
  process.exitCode = code;
};
if (argv[0] === 'exec') {
  const { loadBundle } = require('./load-runtime.cjs');
  loadBundle('fast-exec')
    .exports.execFast(argv.slice(1))
    .then((code) => code ?? loadBundle('runtime').exports.execMain(argv.slice(1)))
    .then(done);
} else if (argv[0] === '__unwrap-general') {
  require('./load-runtime.cjs').loadBundle('runtime').exports.unwrapGeneralMain().then(done);
} else {
  import('../dist/cli.js').then((m) => m.run(argv)).then(done);
}
