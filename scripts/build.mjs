// Bundle envcrypt with esbuild:
// - dist/fast-exec.cjs, dist/fast-preload.cjs, dist/runtime.cjs: exec and the
//   preload; dist/cli.cjs: every other command (with yargs). All four are run
//   from a trained V8 code cache (see bin/envcrypt.js);
// - dist/index.js / index.cjs: the library; dist/config.cjs: the preload, for
//   both --import and -r (it calls into the start-up bundles);
// - dist/vendor/: yaml, age-encryption and re2js, each loaded on first use
//   (envcrypt has no runtime dependencies: see the vendor plugin);
// - dist/types/: the library's declarations; dist/THIRD-PARTY-LICENSES.txt.
import { build } from 'esbuild';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  define: { __ENVCRYPT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
// CommonJS output has no import.meta; the one module that reads it
// (src/keys/age/mlkem.ts) does so only where there is no require.
const cjsDefine = { ...common.define, 'import.meta.url': 'undefined' };
// Some bundled CommonJS dependencies call require(); give ESM output one.
const esmBanner = { js: "import { createRequire as __ecCreateRequire } from 'node:module'; const require = __ecCreateRequire(import.meta.url);" };

const CACHED_BUNDLES = {
  'fast-exec': 'src/start/fast-exec.ts',
  'fast-preload': 'src/start/fast-preload.ts',
  runtime: 'src/start/runtime.ts',
  cli: 'src/start/cli.ts',
};

// Imports of yargs and its dependencies that would cost every CLI start for
// what few runs use, each sent to a shim that loads it on first use:
// string-width (module body ~20 ms; help text only) and assert (~3 ms; only a
// failing check loads it); and yargs's search for a package.json, which
// finds envcrypt's own (src/cli/yargs-find-up.ts).
const lazyYargsImports = {
  name: 'lazy-yargs-imports',
  setup(b) {
    const shim = new URL('../src/cli/lazy-string-width.ts', import.meta.url).pathname;
    b.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
    const assertShim = new URL('../src/cli/lazy-assert.ts', import.meta.url).pathname;
    const inYargs = (importer) => /[\\/]node_modules[\\/]yargs[\\/]/.test(importer);
    b.onResolve({ filter: /^assert$/ }, (args) => (inYargs(args.importer) ? { path: assertShim } : undefined));
    const findUpShim = new URL('../src/cli/yargs-find-up.ts', import.meta.url).pathname;
    b.onResolve({ filter: /^escalade\/sync$/ }, (args) => (inYargs(args.importer) ? { path: findUpShim } : undefined));
  },
};

// envcrypt has no runtime dependencies: everything is bundled, so an install
// is one package and runs the code it was tested with. yaml, age-encryption
// and re2js are still loaded lazily (the start-up bundles neither carry nor
// parse them): each is bundled into a file of its own, dist/vendor/<name>.cjs,
// which a bundle require()s on first use, where it required the installed
// package before. CommonJS output requires `../dist/vendor/<name>.cjs`, which
// resolves the same from dist/ and from bin/ (the loader hands the cached
// bundles bin/envcrypt.js's require). The ESM library's chunks sit one level
// deeper, so they require `#vendor/<name>`, which package.json's "imports"
// maps to the same file.
// The import specifier of each, and its file name in dist/vendor/. ML-KEM
// (for post-quantum keys, which node:crypto lacks) is required synchronously
// by src/keys/age/mlkem.ts, so the preload opens those keys in-process.
const VENDORED = { yaml: 'yaml', 'age-encryption': 'age-encryption', re2js: 're2js', '@noble/post-quantum/ml-kem.js': 'ml-kem' };
let vendorBuilt;
// The exports are named one by one, so that node finds them in the CommonJS
// file when ESM code imports it (the ESM library; index.cjs's import() of
// age-encryption).
const exportNames = async (name) => Object.keys(await import(name)).filter((k) => k !== 'default');
// The vendored ML-KEM hashes with node:crypto, not noble's JavaScript Keccak
// (src/keys/age/sha3-node.ts says why and what it covers).
const nativeSha3 = {
  name: 'native-sha3',
  setup(b) {
    const shim = new URL('../src/keys/age/sha3-node.ts', import.meta.url).pathname;
    b.onResolve({ filter: /^@noble\/hashes\/sha3(\.js)?$/ }, () => ({ path: shim }));
  },
};
const vendorBuild = async ([name, file]) => {
  const contents = `export { ${(await exportNames(name)).join(', ')} } from ${JSON.stringify(name)};`;
  const plugins = file === 'ml-kem' ? [licenses, nativeSha3] : [licenses];
  await build({ ...common, plugins, stdin: { contents, resolveDir: root }, outfile: `${out}/vendor/${file}.cjs`, format: 'cjs', minifyWhitespace: true, minifySyntax: true });
};
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const vendor = {
  name: 'vendor',
  setup(b) {
    const format = b.initialOptions.format;
    b.onStart(() => (vendorBuilt ??= Promise.all(Object.entries(VENDORED).map(vendorBuild)).then(() => undefined)));
    const names = new RegExp(`^(?:${Object.keys(VENDORED).map(escapeRe).join('|')})$`);
    if (format === 'cjs') {
      b.onResolve({ filter: names }, (args) => ({ path: `../dist/vendor/${VENDORED[args.path]}.cjs`, external: true }));
      return;
    }
    // ESM: a module that require()s the file (with the banner's require) and
    // re-exports its names. Node's import of a CommonJS file would cost more
    // than the module itself (~100 ms for yaml on node 20).
    b.onResolve({ filter: names }, (args) => ({ path: args.path, namespace: 'vendor' }));
    b.onLoad({ filter: /.*/, namespace: 'vendor' }, async (args) => ({
      contents: `const m = require(${JSON.stringify(`#vendor/${VENDORED[args.path]}`)});\nexport const { ${(await exportNames(args.path)).join(', ')} } = m;\nexport default m;\n`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^#vendor\// }, (args) => ({ path: args.path, external: true }));
  },
};

// The licenses of everything bundled, from the package directories esbuild
// read, for dist/THIRD-PARTY-LICENSES.txt (their notices must ship with the
// code, and no dependency is installed next to it any more).
const bundledPackages = new Set();
const licenses = {
  name: 'licenses',
  setup(b) {
    b.initialOptions.metafile = true;
    b.onEnd((result) => {
      for (const input of Object.keys(result.metafile?.inputs ?? {})) {
        const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
        if (m) bundledPackages.add(resolve(root, m[1]));
      }
    });
  },
};
// Every build below bundles its dependencies this way.
common.plugins = [vendor, licenses];

// Build into a fresh directory and swap it in, so that a test or app running
// during a rebuild never sees a half-written or missing dist/.
const root = new URL('..', import.meta.url).pathname;
const out = `${root}.dist-build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
// A failed build leaves nothing behind (a successful one has renamed it).
process.on('exit', () => rmSync(out, { recursive: true, force: true }));
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
      // Short local names: a quarter less source to read, hash and keep in
      // the young generation at every start-up (stack traces under
      // ENVCRYPT_DEBUG=1 name minified functions; the line/column still
      // point into the file). ENVCRYPT_BUILD_NAMES=1 keeps the names, for profiling.
      minifyIdentifiers: process.env.ENVCRYPT_BUILD_NAMES !== '1',
      // The file is the module wrapper function itself, so the loader hands
      // V8 the source as read instead of a concatenated copy of it. Bundled
      // ESM code of the CLI (yargs, git setup) reads import.meta.url: give it
      // this file's (only there: node:url is not free at start-up).
      banner: { js: `(function (exports, require, module, __filename, __dirname) {${name === 'cli' ? "'use strict';var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" : ''}` },
      footer: { js: '})' },
      define: { ...common.define, 'import.meta.url': name === 'cli' ? '__importMetaUrl' : 'undefined' },
      ...(name === 'cli' ? { plugins: [...common.plugins, lazyYargsImports] } : {}),
      // No import() left in these files: they are loaded through vm.Script
      // with a code cache, where import() is unavailable. Lazily needed
      // modules become lazily evaluated require()s: yaml, age-encryption and
      // re2js (selector regexes, ~190 kB) of their dist/vendor/ files (see
      // the vendor plugin), so a bundle never carries or parses them.
      supported: { 'dynamic-import': false },
    }),
  ),
  // The library: yaml, age-encryption and re2js from dist/vendor/ too (the
  // ESM build's require() is its banner's), each loaded on first use.
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: out, format: 'esm', splitting: true, chunkNames: 'chunks/[name]-[hash]', banner: esmBanner }),
  // (import.meta.url: only src/keys/age/mlkem.ts reads it, on a branch a bundle never takes.)
  build({ ...common, define: cjsDefine, entryPoints: { index: 'src/index.ts' }, outdir: out, outExtension: { '.js': '.cjs' }, format: 'cjs' }),
  // The preload includes the runtime loader: one file less to find and compile at start-up.
  build({ ...common, define: cjsDefine, entryPoints: { config: 'src/start/config.ts' }, outdir: out, outExtension: { '.js': '.cjs' }, format: 'cjs' }),
]);
// Type declarations for library users (package.json "types").
const { execFileSync: run } = await import('node:child_process');
run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`, '--outDir', `${out}/types`], { stdio: 'inherit' });
// Ship only the declarations a user's compiler can reach from index.d.ts
// (not those of the CLI and the start-up bundles).
const reachable = new Set();
const visit = (file) => {
  if (reachable.has(file)) return;
  reachable.add(file);
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)\.js'/g)) visit(resolve(file, '..', `${spec}.d.ts`));
};
visit(resolve(out, 'types/index.d.ts'));
for (const rel of readdirSync(`${out}/types`, { recursive: true })) {
  const file = resolve(out, 'types', rel);
  if (file.endsWith('.d.ts') && !reachable.has(file)) rmSync(file);
}
for (const rel of readdirSync(`${out}/types`, { recursive: true }).sort().reverse()) {
  const dir = resolve(out, 'types', rel);
  if (!dir.endsWith('.d.ts') && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

// The notices of every bundled package (see the licenses plugin).
const notices = [...bundledPackages].map((dir) => {
  const meta = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
  const text = readdirSync(dir).find((f) => /^licen[cs]e(?:\.(?:md|txt))?$/i.test(f));
  if (!text) throw new Error(`${meta.name}: no license file to ship with its bundled code`);
  return `${meta.name}@${meta.version} (${meta.license})\n\n${readFileSync(`${dir}/${text}`, 'utf8').trim()}\n`;
}).sort();
writeFileSync(`${out}/THIRD-PARTY-LICENSES.txt`, `envcrypt bundles the following packages into dist/.\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);

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
