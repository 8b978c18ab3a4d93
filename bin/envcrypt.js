#!/usr/bin/env node
'use strict';
// CommonJS on purpose (see bin/package.json): every command runs from a
// CommonJS bundle loaded with a V8 code cache (bin/load-runtime.cjs). `exec`,
// which runs on every app launch, uses a small one without yargs; it answers
// null when the full runtime is needed.
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
  require('./load-runtime.cjs').loadBundle('cli').exports.run(argv).then(done);
}
