// The start-up bundle is loaded from the V8 code cache trained by the build,
// and still works without it (another node version, or no cache file).
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { ageKeygen, cleanEnv, put, runCli, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  t = tempDir();
  const pq = runCli(['keygen', '--pq', '-o', join(t.dir, 'pq.txt')]);
  const x = ageKeygen(t.dir);
  env = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: x.file });
  put(t.dir, 'a.env', 'A=classic\n');
  put(t.dir, 'b.env', 'B=post-quantum\n');
  runCli(['encrypt', 'a.env', '-r', x.recipient, '-o', 'a.env.enc'], { cwd: t.dir, env });
  runCli(['encrypt', 'b.env', '-r', pq.stdout.trim(), '-o', 'b.env.enc'], { cwd: t.dir, env });
});
afterAll(() => t.cleanup());

describe('runtime loader', () => {
  for (const bundle of ['fast-exec', 'fast-preload', 'runtime', 'cli']) {
    it(`uses the code cache made by the build for ${bundle}`, () => {
      const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(join(ROOT, 'bin/envcrypt.js'))}).loadBundle('${bundle}').cacheUsed)`], { encoding: 'utf8' });
      expect(r.stdout.trim()).toBe('true');
    });
  }

  it('loads the YAML parser only when there is YAML to read (a command on a dotenv file with no .sops.yaml does not)', () => {
    // Which vendored libraries a command required, seen from inside the process.
    const code = `const M = require('node:module'); const req = M.prototype.require; const seen = [];
M.prototype.require = function (id) { if (/vendor/.test(id)) seen.push(id.split('/').pop()); return req.apply(this, arguments); };
require(${JSON.stringify(join(ROOT, 'bin/envcrypt.js'))}).loadBundle('cli').exports.run(process.argv.slice(1)).then((c) => console.error('vendor:' + seen.join(',') + ' rc:' + c));`;
    const noConfig = spawnSync(process.execPath, ['-e', code, 'get', 'a.env.enc', 'A'], { cwd: t.dir, env, encoding: 'utf8' });
    expect(noConfig.stderr.trim()).toBe('vendor: rc:0');
    mkdirSync(join(t.dir, 'yaml'));
    put(t.dir, 'yaml/.sops.yaml', 'creation_rules:\n  - unencrypted_suffix: _plain\n');
    put(t.dir, 'yaml/c.env', 'C=1\n');
    const withConfig = spawnSync(process.execPath, ['-e', code, 'encrypt', 'c.env', '-r', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'], { cwd: join(t.dir, 'yaml'), env, encoding: 'utf8' });
    expect(withConfig.stderr.trim()).toBe('vendor:yaml.cjs rc:0');
  });

  it('a command that runs no program loads neither node:child_process nor node:assert (yargs gets lazy shims)', () => {
    const code = `require(${JSON.stringify(join(ROOT, 'bin/envcrypt.js'))}).loadBundle('cli').exports.run(process.argv.slice(1)).then((c) => console.error(JSON.stringify({ rc: c, loaded: process.moduleLoadList.filter((m) => /^NativeModule (assert|child_process)$/.test(m)) })));`;
    const r = spawnSync(process.execPath, ['-e', code, 'get', 'a.env.enc', 'A'], { cwd: t.dir, env, encoding: 'utf8' });
    expect(JSON.parse(r.stderr)).toEqual({ rc: 0, loaded: [] });
    expect(r.stdout).toBe('classic');
  });

  it("--version is envcrypt's, wherever it runs: yargs no longer reads the nearest package.json", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    mkdirSync(join(t.dir, 'other', 'deep'), { recursive: true });
    put(t.dir, 'other/package.json', JSON.stringify({ name: 'other', version: '9.9.9' }));
    for (const cwd of [join(t.dir, 'other', 'deep'), t.dir]) {
      const r = runCli(['--version'], { cwd, env });
      expect(r.stdout).toBe(`${version}\n`);
      expect(r.code).toBe(0);
    }
  });

  it('exec opens a post-quantum file (age-encryption imported by the loader)', () => {
    const r = runCli(['exec', '-f', 'b.env.enc', '--', 'sh', '-c', 'printf %s "$B"'], { cwd: t.dir, env: cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(t.dir, 'pq.txt') }) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('post-quantum');
  });

  it('works without the cache files (fast and full paths)', () => {
    const copy = join(t.dir, 'pkg');
    cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    for (const bundle of ['fast-exec', 'fast-preload', 'runtime', 'cli']) rmSync(join(copy, 'dist', `${bundle}.cjs.cache`));
    const r = spawnSync(process.execPath, [join(copy, 'bin/envcrypt.js'), 'exec', '-f', 'a.env.enc', '--', 'sh', '-c', 'printf %s "$A"'], { cwd: t.dir, env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('classic');
    const pqEnv = cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(t.dir, 'pq.txt') });
    const full = spawnSync(process.execPath, [join(copy, 'bin/envcrypt.js'), 'exec', '-f', 'b.env.enc', '--', 'sh', '-c', 'printf %s "$B"'], { cwd: t.dir, env: pqEnv, encoding: 'utf8' });
    expect(full.stderr).toBe('');
    expect(full.stdout).toBe('post-quantum');
    const cli = spawnSync(process.execPath, [join(copy, 'bin/envcrypt.js'), 'get', 'a.env.enc', 'A'], { cwd: t.dir, env, encoding: 'utf8' });
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe('classic');
  });
});
