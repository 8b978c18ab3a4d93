#!/usr/bin/env node
'use strict';
// CommonJS on purpose (see bin/package.json): `exec` runs on every app launch,
// and one CommonJS bundle without yargs starts faster than ESM chunks.
const argv = process.argv.slice(2);
const done = (code) => {
  process.exitCode = code;
};
if (argv[0] === 'exec') {
  require('../dist/runtime.cjs').execMain(argv.slice(1)).then(done);
} else if (argv[0] === '__preload-json') {
  require('../dist/runtime.cjs').preloadJson().then(done);
} else {
  import('../dist/cli.js').then((m) => m.run(argv)).then(done);
}
