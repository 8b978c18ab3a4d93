// The package as npm publishes it: `npm pack`, installed globally into a
// temporary prefix and into a temporary app, then used the way the README
// says. The install is offline: envcrypt has no runtime dependencies (see
// scripts/build.mjs), so a dependency that creeps back fails the install.
//
// The tarball is packed with --ignore-scripts from the dist/ that `npm test`
// built in pretest (as every other test runs that build): packing with
// scripts would run the whole build again through prepack. That prepack
// builds dist/ in a checkout that has none is shown by the last test, which
// packs a copy of the checkout without dist/ (ENVCRYPT_TEST_LONG=1 only: it
// runs the whole build).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';
import { tempDir } from './helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let tarball: string;
let packed: { filename: string; files: { path: string }[]; unpackedSize: number };
/** The global prefix envcrypt is installed into, and its command. */
let prefix: string;
let envcrypt: string;

/** An environment with nothing from the machine (no npm_config_* of a surrounding `npm test`, no key sources). */
const baseEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: join(t.dir, 'home'), LANG: 'C.UTF-8', ...extra });

function run(cmd: string, args: string[], opts: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: baseEnv(), ...opts, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** npm with a throwaway cache and user config, offline, quiet. */
function npm(args: string[], cwd: string) {
  const r = run('npm', [...args, '--offline', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error', '--cache', join(t.dir, 'npm-cache'), '--userconfig', join(t.dir, 'npmrc')], { cwd });
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** The file paths in a package.json exports map (its values, at any depth). */
const targets = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(targets) : []);

beforeAll(() => {
  t = tempDir('envcrypt-pkg-');
  mkdirSync(join(t.dir, 'home'));
  writeFileSync(join(t.dir, 'npmrc'), '');
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', t.dir], ROOT);
  packed = (JSON.parse(out) as (typeof packed)[])[0]!;
  tarball = join(t.dir, packed.filename);
  prefix = join(t.dir, 'global');
  npm(['install', '--global', '--prefix', prefix, tarball], t.dir);
  envcrypt = join(prefix, 'bin', 'envcrypt');
});
afterAll(() => t.cleanup());

describe('the packed tarball', () => {
  it('holds what bin/envcrypt.js and the exports need, the license, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; imports: Record<string, string>; bin: Record<string, string> };
    const needed = [
      'package.json',
      'LICENSE',
      'README.md',
      'SECURITY.md',
      'bin/envcrypt.js',
      'bin/package.json',
      'dist/THIRD-PARTY-LICENSES.txt',
      ...['fast-exec', 'fast-preload', 'runtime', 'cli'].flatMap((b) => [`dist/${b}.cjs`, `dist/${b}.cjs.cache`]),
      ...['yaml', 'age-encryption', 're2js'].map((v) => `dist/vendor/${v}.cjs`),
      // Every target of package.json's bin, exports and imports.
      ...Object.values(pkg.bin),
      ...targets(pkg.exports),
    ];
    for (const f of needed) expect(files, f).toContain(f.replace(/^\.\//, ''));
    expect(Object.values(pkg.imports)).toEqual(['./dist/vendor/*.cjs']);
    // Only bin/, dist/ and the documents; no sources, tests, maps or examples.
    expect(files.filter((f) => !/^(?:bin|dist)\//.test(f) && !['package.json', 'LICENSE', 'README.md', 'SECURITY.md'].includes(f))).toEqual([]);
    expect(files.filter((f) => /\.map$|(?<!\.d)\.ts$|^dist\/types\/(?:cli|start)\//.test(f))).toEqual([]);
    // The library's chunks and declarations, but only the declarations index.d.ts reaches.
    expect(files.some((f) => f.startsWith('dist/chunks/'))).toBe(true);
    expect(files.filter((f) => f.startsWith('dist/types/')).length).toBeGreaterThan(3);
    expect(packed.unpackedSize).toBeLessThan(4 * 2 ** 20);
  });

  it('installs globally as one package: no runtime dependencies', () => {
    expect(readdirSync(join(prefix, 'lib', 'node_modules'))).toEqual(['envcrypt']);
    const installed = join(prefix, 'lib', 'node_modules', 'envcrypt');
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the envcrypt authors\n/);
    // The notices of what is bundled ship with it.
    const notices = readFileSync(join(installed, 'dist', 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    for (const name of ['yaml', 'age-encryption', 're2js', 'yargs', '@noble/hashes', '@scure/base']) expect(notices).toMatch(new RegExp(`^${name}@\\d`, 'm'));
  });
});

describe('the installed command', () => {
  const dir = () => join(t.dir, 'demo');
  const keyEnv = () => baseEnv({ ENVCRYPT_AGE_KEY_FILE: join(dir(), 'key.txt') });

  it('envcrypt --help exits 0 and lists the commands', () => {
    const r = run(envcrypt, ['--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const c of ['init', 'encrypt', 'decrypt', 'edit', 'exec', 'keygen', 'check', 'status']) expect(r.stdout).toMatch(new RegExp(`^  envcrypt ${c}\\b`, 'm'));
  });

  it('the demo: keygen, encrypt a .env, exec a command with its values', () => {
    mkdirSync(dir());
    const keygen = run(envcrypt, ['keygen', '-o', 'key.txt'], { cwd: dir() });
    expect(keygen.stderr).toBe('envcrypt: wrote key.txt\n');
    const recipient = keygen.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    writeFileSync(join(dir(), '.env'), 'X=hello-from-the-tarball\nY_unencrypted=plain\n');
    const enc = run(envcrypt, ['encrypt', '.env', '-r', recipient, '-o', '.env.enc'], { cwd: dir(), env: keyEnv() });
    expect(enc.stderr).toBe('');
    expect(readFileSync(join(dir(), '.env.enc'), 'utf8')).toMatch(/^X=ENC\[AES256_GCM,data:/m);
    const exec = run(envcrypt, ['exec', '-f', '.env.enc', '--', 'node', '-e', 'console.log(process.env.X)'], { cwd: dir(), env: keyEnv() });
    expect(exec.stderr).toBe('');
    expect(exec.stdout).toBe('hello-from-the-tarball\n');
  });

  it('each bundled dependency loads from the install: YAML, a selector regex, a post-quantum key', () => {
    // yaml and re2js, through the CLI bundle
    writeFileSync(join(dir(), 'secrets.yaml'), 'db:\n  host: localhost\n  password: p4ss-from-yaml\n');
    const recipient = run(envcrypt, ['keygen', '-y', 'key.txt'], { cwd: dir() }).stdout.trim();
    const enc = run(envcrypt, ['encrypt', 'secrets.yaml', '-r', recipient, '--encrypted-regex', '^pass', '-o', 'secrets.enc.yaml'], { cwd: dir(), env: keyEnv() });
    expect(enc.stderr).toBe('');
    const text = readFileSync(join(dir(), 'secrets.enc.yaml'), 'utf8');
    expect(text).toMatch(/host: localhost/);
    expect(text).toMatch(/password: ENC\[AES256_GCM,data:/);
    expect(run(envcrypt, ['get', 'secrets.enc.yaml', 'db.password'], { cwd: dir(), env: keyEnv() }).stdout).toBe('p4ss-from-yaml');
    // age-encryption, through the full runtime bundle of exec
    const pq = run(envcrypt, ['keygen', '--pq', '-o', 'pq.txt'], { cwd: dir() });
    expect(pq.stdout).toMatch(/^age1pq1/);
    writeFileSync(join(dir(), 'pq.env'), 'PQ=post-quantum\n');
    run(envcrypt, ['encrypt', 'pq.env', '-r', pq.stdout.trim(), '-o', 'pq.env.enc'], { cwd: dir(), env: keyEnv() });
    const exec = run(envcrypt, ['exec', '-f', 'pq.env.enc', '--', 'node', '-e', 'console.log(process.env.PQ)'], { cwd: dir(), env: baseEnv({ ENVCRYPT_AGE_KEY_FILE: join(dir(), 'pq.txt') }) });
    expect(exec.stderr).toBe('');
    expect(exec.stdout).toBe('post-quantum\n');
  });
});

describe('an app that depends on the tarball', () => {
  // examples/node-app, with the tarball instead of file:../..
  const app = () => join(t.dir, 'apps', 'node-app');
  const demoKey = () => join(t.dir, 'apps', 'demo-key.txt');

  beforeAll(() => {
    mkdirSync(app(), { recursive: true });
    const example = JSON.parse(readFileSync(join(ROOT, 'examples/node-app/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    writeFileSync(join(app(), 'package.json'), JSON.stringify({ ...example, dependencies: { ...example.dependencies, envcrypt: `file:${tarball}` } }, null, 2));
    copyFileSync(join(ROOT, 'examples/node-app/server.js'), join(app(), 'server.js'));
    copyFileSync(join(ROOT, 'examples/app.env.enc'), join(dirname(app()), 'app.env.enc'));
    copyFileSync(join(ROOT, 'examples/keys/demo-key.txt'), demoKey());
    chmodSync(demoKey(), 0o600);
    npm(['install'], app());
  });

  it('is installed as a copy with no dependencies of its own', () => {
    expect(statSync(join(app(), 'node_modules', 'envcrypt')).isDirectory()).toBe(true);
    expect(readdirSync(join(app(), 'node_modules')).filter((n) => !n.startsWith('.')).sort()).toEqual(['envcrypt']);
  });

  it('npm start (envcrypt exec) and npm run start:preload (node --import envcrypt/config) run the example server', () => {
    for (const script of ['start', 'start:preload']) {
      const r = run('npm', ['run', '--silent', script], { cwd: app(), env: baseEnv({ ENVCRYPT_AGE_KEY_FILE: demoKey() }) });
      expect(r.stderr, script).toBe('');
      expect(r.stdout, script).toBe('server: configured (database host localhost:5432)\n');
    }
  });

  it('node --import envcrypt/config app.mjs sets process.env from .env.enc', () => {
    copyFileSync(join(t.dir, 'demo', '.env.enc'), join(app(), '.env.enc'));
    writeFileSync(join(app(), 'app.mjs'), 'console.log(process.env.X);\n');
    const r = run(process.execPath, ['--import', 'envcrypt/config', 'app.mjs'], { cwd: app(), env: baseEnv({ ENVCRYPT_AGE_KEY_FILE: join(t.dir, 'demo', 'key.txt') }) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello-from-the-tarball\n');
  });

  it('the library, imported and required: YAML, selector regexes and age-encryption load, and no data key by default', () => {
    copyFileSync(join(t.dir, 'demo', 'secrets.enc.yaml'), join(app(), 'secrets.enc.yaml'));
    copyFileSync(join(t.dir, 'demo', 'pq.env.enc'), join(app(), 'pq.env.enc'));
    const pqKey = JSON.stringify(join(t.dir, 'demo', 'pq.txt'));
    const body = (lib: string) => `const f = await ${lib}.decryptFile('secrets.enc.yaml');
const k = await ${lib}.decryptFile('secrets.enc.yaml', { withDataKey: true });
const pq = await ${lib}.load({ path: 'pq.env.enc', identityFiles: [${pqKey}] });
console.log(JSON.stringify({ items: f.branches[0].items.length, key: 'dataKey' in f, withKey: k.dataKey.length, values: await ${lib}.load({ path: 'secrets.enc.yaml' }), pq }));`;
    writeFileSync(join(app(), 'lib.mjs'), `import * as lib from 'envcrypt';\n${body('lib')}\n`);
    writeFileSync(join(app(), 'lib.cjs'), `const lib = require('envcrypt');\n(async () => {\n${body('lib')}\n})();\n`);
    for (const f of ['lib.mjs', 'lib.cjs']) {
      const r = run(process.execPath, [f], { cwd: app(), env: baseEnv({ ENVCRYPT_AGE_KEY_FILE: join(t.dir, 'demo', 'key.txt') }) });
      expect(r.stderr, f).toBe('');
      expect(JSON.parse(r.stdout), f).toEqual({ items: 1, key: false, withKey: 32, values: { DB_HOST: 'localhost', DB_PASSWORD: 'p4ss-from-yaml' }, pq: { PQ: 'post-quantum' } });
    }
  });

  // The declarations use NodeJS.ProcessEnv and node:crypto, so a TypeScript
  // user needs @types/node (test/package.test.ts compiles that setup). These
  // are the errors a project without it gets with skipLibCheck off; with it
  // on (tsc --init's default) the declarations compile. Remove a line here
  // when src/ stops putting that type into a declaration index.d.ts reaches
  // (a line may stand for several errors with the same text).
  const WITHOUT_TYPES_NODE = [
    "TS2307 Cannot find module 'node:crypto' or its corresponding type declarations. | import { type KeyObject } from 'node:crypto';",
    "TS2503 Cannot find namespace 'NodeJS'. | env?: NodeJS.ProcessEnv;",
    "TS2503 Cannot find namespace 'NodeJS'. | export declare function defaultKeyFile(env?: NodeJS.ProcessEnv): string;",
    "TS2503 Cannot find namespace 'NodeJS'. | export declare function integrityRequired(env: NodeJS.ProcessEnv): boolean;",
  ];

  it('the declarations without @types/node: compile with skipLibCheck, and fail only where listed without it', () => {
    writeFileSync(
      join(app(), 'use.ts'),
      `import { load, decryptFile, type LoadOptions, type DecryptedFile, type DecryptedFileWithKey } from 'envcrypt';
export async function main(): Promise<[string | undefined, DecryptedFile, DecryptedFileWithKey]> {
  const opts: LoadOptions = { path: ['.env.enc'], env: { ENVCRYPT_AGE_KEY_FILE: 'key.txt' } };
  return [(await load(opts))['X'], await decryptFile('.env.enc'), await decryptFile('.env.enc', { withDataKey: true })];
}
`,
    );
    const tsc = (skipLibCheck: boolean) => {
      const options = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], noEmit: true, skipLibCheck };
      writeFileSync(join(app(), 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['use.ts'] }));
      return run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app(), '--pretty', 'false'], { cwd: app() });
    };
    const lenient = tsc(true);
    expect(lenient.stdout + lenient.stderr).toBe('');
    expect(lenient.code).toBe(0);
    const strict = tsc(false);
    const errors = [...strict.stdout.matchAll(/^(.+\.d\.ts)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map(([, file, line, code, message]) => {
      const source = readFileSync(join(app(), file!), 'utf8').split('\n')[Number(line) - 1]!.trim();
      return `${code} ${message} | ${source}`;
    });
    // Every error is in envcrypt's declarations, none in the user's code.
    expect(strict.stdout.split('\n').filter((l) => l.includes('error') && !/node_modules\/envcrypt\/dist\/types\//.test(l))).toEqual([]);
    expect([...new Set(errors)].sort()).toEqual(WITHOUT_TYPES_NODE);
  });
});

describe.runIf(process.env.ENVCRYPT_TEST_LONG === '1')('a checkout without dist/ (npm test:long)', () => {
  it('npm pack builds dist/ through prepack, and examples/node-app then runs with file:../..', () => {
    // The checkout as a fresh clone has it: tracked (and new, unignored) files, no dist/.
    const copy = join(t.dir, 'clone');
    const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT }).stdout.split('\0').filter(Boolean);
    for (const f of listed) {
      if (!existsSync(join(ROOT, f)) || !statSync(join(ROOT, f)).isFile()) continue;
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      copyFileSync(join(ROOT, f), join(copy, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    expect(existsSync(join(copy, 'dist'))).toBe(false);
    mkdirSync(join(t.dir, 'clone-pack'));
    const out = JSON.parse(npm(['pack', '--json', '--pack-destination', join(t.dir, 'clone-pack')], copy)) as { files: { path: string }[] }[];
    const files = out[0]!.files.map((f) => f.path);
    for (const f of ['dist/cli.cjs', 'dist/fast-exec.cjs.cache', 'dist/config.cjs', 'dist/index.js', 'dist/index.cjs', 'dist/types/index.d.ts', 'dist/vendor/yaml.cjs']) expect(files).toContain(f);
    // examples/node-app: npm install && npm start, with the package built.
    const app = join(copy, 'examples', 'node-app');
    chmodSync(join(copy, 'examples/keys/demo-key.txt'), 0o600);
    npm(['install'], app);
    const r = run('npm', ['start', '--silent'], { cwd: app, env: baseEnv({ ENVCRYPT_AGE_KEY_FILE: join(copy, 'examples/keys/demo-key.txt') }) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('server: configured (database host localhost:5432)\n');
  }, 240_000);
});
