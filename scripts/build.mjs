// Bundle the CLI and library with esbuild. Separate entries share chunks
// (ESM splitting), so `exec` loads no yargs and a dotenv file loads no YAML.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  define: { __ENVCRYPT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  ...common,
  entryPoints: {
    cli: 'src/cli/entry-cli.ts',
    exec: 'src/cli/entry-exec.ts',
    index: 'src/index.ts',
    config: 'src/config.ts',
  },
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Some bundled CommonJS dependencies call require(); give ESM output one.
  banner: { js: "import { createRequire as __ecCreateRequire } from 'node:module'; const require = __ecCreateRequire(import.meta.url);" },
});
await build({
  ...common,
  entryPoints: { index: 'src/index.ts', config: 'src/config-cjs.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});
