// The package as a user installs it: ESM and CommonJS entry points and the
// type declarations, resolved through node_modules/envcrypt.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir();
  mkdirSync(join(t.dir, 'node_modules'));
  symlinkSync(ROOT, join(t.dir, 'node_modules', 'envcrypt'));
  // A Node user has @types/node (the declarations use NodeJS.ProcessEnv).
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(t.dir, 'node_modules', '@types'));
});
afterAll(() => t.cleanup());

const API = ['config', 'decryptFile', 'encryptFile', 'load', 'parse', 'populate', 'EnvcryptError'];

describe('package entry points', () => {
  it('import and require expose the library API', () => {
    writeFileSync(join(t.dir, 'esm.mjs'), `import * as m from 'envcrypt'; console.log(JSON.stringify(${JSON.stringify(API)}.map((k) => typeof m[k])));`);
    writeFileSync(join(t.dir, 'cjs.cjs'), `const m = require('envcrypt'); console.log(JSON.stringify(${JSON.stringify(API)}.map((k) => typeof m[k])));`);
    for (const f of ['esm.mjs', 'cjs.cjs']) {
      const r = spawnSync(process.execPath, [f], { cwd: t.dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(API.map(() => 'function'));
    }
  });

  // A full check of the declarations (no skipLibCheck) costs ~9 s of tsc; npm test keeps the
  // skipLibCheck compile in test/package-install.test.ts, and npm run test:long runs this one too.
  it.runIf(process.env.ENVCRYPT_TEST_LONG === '1')('the type declarations compile for a TypeScript user, with skipLibCheck off (test:long)', () => {
    writeFileSync(
      join(t.dir, 'use.ts'),
      `import { load, config, type LoadOptions, type ConfigOptions, EnvcryptError } from 'envcrypt';
const opts: LoadOptions = { path: ['.env.enc'], separator: '_' };
const c: ConfigOptions = { ...opts, override: true };
export async function main(): Promise<string | undefined> {
  try { await config(c); return (await load(opts))['A']; } catch (e) { if (e instanceof EnvcryptError) return e.code; throw e; }
}
`,
    );
    writeFileSync(join(t.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['use.ts'] }));
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', t.dir], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
