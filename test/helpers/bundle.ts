/**
 * Scripts for tests to spawn that call the library's TypeScript sources:
 * Node 20 cannot import TypeScript, so esbuild bundles them first.
 */
import { build } from 'esbuild';
import { ROOT } from './paths.js';

/**
 * Bundle `source` (an ES module that imports `./src/….ts` relative to the
 * repository root) into a runnable ESM script at `outfile`.
 *
 * @returns `outfile`
 */
export async function bundleScript(outfile: string, source: string): Promise<string> {
  await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'silent',
    // Bundled CommonJS dependencies call require(), which ESM lacks.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}
