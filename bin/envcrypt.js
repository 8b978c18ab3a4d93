#!/usr/bin/env node
'use strict';
// CommonJS on purpose (see bin/package.json): `exec` runs on every app launch,
// and one CommonJS bundle without yargs, loaded from a code cache, starts fastest.
const argv = process.argv.slice(2);
const done = (code) => {
  process.exitCode = code;
};
if (argv[0] === 'exec' || argv[0] === '__unwrap-general') {
  const { runtime } = require('./load-runtime.cjs').loadRuntime();
  (argv[0] === 'exec' ? runtime.execMain(argv.slice(1)) : runtime.unwrapGeneralMain()).then(done);
} else {
  import('../dist/cli.js').then((m) => m.run(argv)).then(done);
}
