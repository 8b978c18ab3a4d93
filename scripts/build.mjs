// Bundle envcrypt with esbuild:
// - dist/fast-exec.cjs, dist/fast-preload.cjs, dist/runtime.cjs: exec and the
//   preload; dist/cli.cjs: every other command (with yargs). All four are run
//   from a trained V8 code cache (see bin/envcrypt.js);
// - dist/index.js / index.cjs: the library; dist/config.cjs: the preload, for
//   both --import and -r (it calls into the start-up bundles).
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  define: { __ENVCRYPT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
// Some bundled CommonJS dependencies call require(); give ESM output one.
const esmBanner = { js: "import { createRequire as __ecCreateRequire } from 'node:module'; const require = __ecCreateRequire(import.meta.url);" };

const CACHED_BUNDLES = {
  'fast-exec': 'src/start/fast-exec.ts',
  'fast-preload': 'src/start/fast-preload.ts',
  runtime: 'src/start/runtime.ts',
  cli: 'src/start/cli.ts',
};

// yargs' dependencies import string-width, whose module body costs ~20 ms;
// send those imports to a shim that loads it on first use (help text only).
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    const shim = new URL('../src/cli/lazy-string-width.ts', import.meta.url).pathname;
    b.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
  },
};

// Build into a fresh directory and swap it in, so that a test or app running
// during a rebuild never sees a half-written or missing dist/.
const root = new URL('..', import.meta.url).pathname;
const out = `${root}.dist-build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
await Promise.all([
  // The bundles the loader runs from a code cache (see bin/envcrypt.js).
  ...Object.entries(CACHED_BUNDLES).map(([name, entry]) =>
    build({
      ...common,
      entryPoints: { [name]: entry },
      outdir: out,
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      minifyWhitespace: true,
      minifySyntax: true,
      // The file is the module wrapper function itself, so the loader hands
      // V8 the source as read instead of a concatenated copy of it. Bundled
      // ESM code of the CLI (yargs, git setup) reads import.meta.url: give it
      // this file's (only there: node:url is not free at start-up).
      banner: { js: `(function (exports, require, module, __filename, __dirname) {${name === 'cli' ? "'use strict';var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" : ''}` },
      footer: { js: '})' },
      ...(name === 'cli' ? { define: { ...common.define, 'import.meta.url': '__importMetaUrl' }, plugins: [lazyStringWidth] } : {}),
      // No import() left in these files: they are loaded through vm.Script
      // with a code cache, where import() is unavailable. Lazily needed
      // modules become lazily evaluated require()s (yaml has a CommonJS
      // build); the loader provides the import of ESM-only age-encryption.
      // re2js (selector regexes, ~260 kB) is required from node_modules on
      // the first regex compile, so a bundle never carries or parses it.
      supported: { 'dynamic-import': false },
      external: ['yaml', 'age-encryption', 're2js'],
    }),
  ),
  // re2js stays a require() of the installed package here too (the ESM
  // build's from its banner): loaded on the first regex compile only.
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: out, format: 'esm', splitting: true, chunkNames: 'chunks/[name]-[hash]', banner: esmBanner, external: ['re2js'] }),
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: out, outExtension: { '.js': '.cjs' }, format: 'cjs', external: ['re2js'] }),
  // The preload includes the runtime loader: one file less to find and compile at start-up.
  build({ ...common, entryPoints: { config: 'src/start/config.ts' }, outdir: out, outExtension: { '.js': '.cjs' }, format: 'cjs', external: ['age-encryption'] }),
]);
// Type declarations for library users (package.json "types").
const { execFileSync: run } = await import('node:child_process');
run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`, '--outDir', `${out}/types`], { stdio: 'inherit' });

const old = `${root}.dist-old-${process.pid}`;
try {
  renameSync(`${root}dist`, old);
} catch {
  /* no previous build */
}
renameSync(out, `${root}dist`);
rmSync(old, { recursive: true, force: true });

// Train the code caches (see bin/envcrypt.js).
const { execFileSync } = await import('node:child_process');
execFileSync(process.execPath, [`${root}scripts/train-code-cache.cjs`], { stdio: 'inherit' });
