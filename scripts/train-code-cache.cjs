// Build step: run each start-up bundle once through the loader (the preload
// and a real exec of `true`, on a throwaway file) so that V8 has compiled
// what an app launch uses, then save its code cache next to it. Needs
// nothing but node.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'envcrypt.js');
const BUNDLES = ['fast-preload', 'fast-exec', 'runtime', 'cli'];
const cacheFile = (name) => path.join(root, 'dist', `${name}.cjs.cache`);

if (process.argv[2] !== '--child') {
  for (const name of BUNDLES) fs.rmSync(cacheFile(name), { force: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envcrypt-train-'));
  try {
    const recipient = execFileSync(process.execPath, [bin, 'keygen', '-o', path.join(dir, 'key.txt')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    fs.writeFileSync(path.join(dir, 'train.env'), 'A=1\nB="two words"\n# comment\nC_unencrypted=3\n');
    execFileSync(process.execPath, [bin, 'encrypt', 'train.env', '-r', recipient, '-o', '.env.enc'], { cwd: dir, stdio: 'ignore' });
    for (const name of BUNDLES) {
      // KEEP_IDENTITY: the child runs the preload and then exec in one process,
      // and the preload would otherwise delete the key variable exec needs.
      execFileSync(process.execPath, [__filename, '--child', name, recipient], { cwd: dir, env: { ...process.env, ENVCRYPT_AGE_KEY_FILE: path.join(dir, 'key.txt'), ENVCRYPT_CONFIG_KEEP_IDENTITY: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
} else {
  train(process.argv[3], process.argv[4]).catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  });
}

/** In the child: run the bundle's common paths, then save what V8 compiled. */
async function train(name, recipient) {
  const { loadBundle } = require(path.join(root, 'bin', 'envcrypt.js'));
  const { exports: entry, script } = loadBundle(name);
  process.env.ENVCRYPT_CONFIG_PATH = '.env.enc';
  if (name === 'cli') {
    // The commands people run most, one after another in this process.
    const runs = [['encrypt', 'train.env', '-r', recipient, '-o', 'again.env.enc'], ['decrypt', '.env.enc'], ['get', '.env.enc', 'B'], ['status', '.env.enc']];
    for (const argv of runs) {
      const code = await entry.run(argv);
      if (code !== 0) throw new Error(`training ${argv[0]} failed with ${code}`);
    }
  } else {
    if (name === 'fast-preload' && !entry.preloadFast()) throw new Error('training preload took the slow path');
    if (name === 'runtime') entry.preloadSync();
    if (name !== 'fast-exec' && process.env.B !== 'two words') throw new Error('training preload did not set B');
    if (name !== 'fast-preload') {
      const code = await (name === 'fast-exec' ? entry.execFast : entry.execMain)(['-f', '.env.enc', '--', 'true']);
      if (code !== 0) throw new Error(`training exec failed with ${code}`);
    }
  }
  fs.writeFileSync(cacheFile(name), script.createCachedData());
}
