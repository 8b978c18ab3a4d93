#!/usr/bin/env node
// exec runs on every app launch, so it loads a small bundle without yargs.
const argv = process.argv.slice(2);
const mod = argv[0] === 'exec' || argv[0] === '__preload-json' ? await import('../dist/exec.js') : await import('../dist/cli.js');
process.exitCode = await mod.run(argv);
