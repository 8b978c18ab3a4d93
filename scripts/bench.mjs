// npm run bench: start-up and throughput of envcrypt against baselines measured
// in the same run. Commands are run alternately (A, B, A, B, …) so drift in
// machine load affects both sides alike; medians are reported.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

// `--audit`: only the audit case (scripts/bench-audit.mjs), not the start-up figures.
if (process.argv.includes('--audit')) {
  const { benchAudit } = await import('./bench-audit.mjs');
  for (const l of await benchAudit()) console.log(l);
  process.exit(0);
}

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'envcrypt.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const dir = mkdtempSync(join(tmpdir(), 'envcrypt-bench-'));
const node = process.execPath;

function sh(cmd, args, env = {}) {
  return execFileSync(cmd, args, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

// A throwaway key and files of 3, 2,000 and 10,000 keys.
sh('age-keygen', ['-o', 'key.txt']);
const recipient = sh(node, [BIN, 'keygen', '-y', 'key.txt']).trim();
const envFile = (n, width) => Array.from({ length: n }, (_, i) => `KEY_${i}=${'v'.repeat(width)}${i}`).join('\n') + '\n';
writeFileSync(join(dir, 'small.env'), envFile(3, 24));
writeFileSync(join(dir, 'k2000.env'), envFile(2000, 40));
writeFileSync(join(dir, 'k10000.env'), envFile(10000, 90));
for (const f of ['small', 'k2000']) sh(node, [BIN, 'encrypt', `${f}.env`, '-r', recipient, '-o', `${f}.env.enc`]);
// The preload is resolved as an app resolves it: through node_modules/envcrypt.
mkdirSync(join(dir, 'node_modules'));
symlinkSync(ROOT, join(dir, 'node_modules', 'envcrypt'));
// References for the preload, resolved the same way: a package whose preload
// does nothing (what any `--import pkg/config` costs: node's ESM loader and
// the package's exports map), and one that only loads node:crypto.
mkdirSync(join(dir, 'node_modules', 'nothing'));
writeFileSync(join(dir, 'node_modules', 'nothing', 'package.json'), JSON.stringify({ name: 'nothing', type: 'module', exports: { './config': './config.cjs', './crypto': './crypto.cjs', './crypto-floor': './crypto-floor.cjs' } }));
writeFileSync(join(dir, 'node_modules', 'nothing', 'config.cjs'), '');
writeFileSync(join(dir, 'node_modules', 'nothing', 'crypto.cjs'), "require('node:crypto');\n");
// The crypto floor: what any preload doing envcrypt's job with node:crypto
// cannot skip (read the key and the file, one X25519 unwrap, three AES-GCM
// values and a SHA-512 MAC), with no parsing or checking at all. Its inputs
// are dummies: only the cost of each primitive's first use is measured.
writeFileSync(
  join(dir, 'node_modules', 'nothing', 'crypto-floor.cjs'),
  `const c = require('node:crypto'); const fs = require('node:fs');
fs.readFileSync(process.env.ENVCRYPT_AGE_KEY_FILE, 'utf8'); fs.readFileSync(process.env.ENVCRYPT_CONFIG_PATH, 'utf8');
const priv = c.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.alloc(32, 3).toString('base64url'), x: '' }, format: 'jwk' });
c.createPublicKey(priv).export({ format: 'jwk' });
const eph = c.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.alloc(32, 5).toString('base64url') }, format: 'jwk' });
const wk = Buffer.from(c.hkdfSync('sha256', c.diffieHellman({ privateKey: priv, publicKey: eph }), Buffer.alloc(64), 'x', 32));
const open = (k) => { const d = c.createDecipheriv('chacha20-poly1305', k, Buffer.alloc(12), { authTagLength: 16 }); d.setAuthTag(Buffer.alloc(16)); d.update(Buffer.alloc(16)); try { d.final(); } catch {} };
open(wk); c.createHmac('sha256', Buffer.from(c.hkdfSync('sha256', wk, Buffer.alloc(0), 'header', 32))).update('x').digest();
open(Buffer.from(c.hkdfSync('sha256', wk, Buffer.alloc(16), 'payload', 32)));
const h = c.createHash('sha512');
for (let i = 0; i < 4; i++) { const g = c.createDecipheriv('aes-256-gcm', Buffer.alloc(32), Buffer.alloc(32)); g.setAAD(Buffer.from('A:')); g.setAuthTag(Buffer.alloc(16)); g.update(Buffer.alloc(20)); try { g.final(); } catch {} h.update('v'); }
h.digest('hex');
`,
);
const keyEnv = { ENVCRYPT_AGE_KEY_FILE: join(dir, 'key.txt'), HOME: dir, XDG_CONFIG_HOME: dir };

function time(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: dir, env: { ...process.env, ...keyEnv, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternate the commands RUNS times (after one warm-up each); return medians in ms. */
function race(cmds) {
  for (const c of cmds) time(...c);
  const samples = cmds.map(() => []);
  for (let i = 0; i < RUNS; i++) cmds.forEach((c, j) => samples[j].push(time(...c)));
  return samples.map(median);
}

/** Peak RSS (MiB) of a command and its children, via getrusage(RUSAGE_CHILDREN). */
function peakRss(cmd, args) {
  const py = 'import resource,subprocess,sys; subprocess.run(sys.argv[1:], check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
  const kb = Number(execFileSync('python3', ['-c', py, cmd, ...args], { cwd: dir, env: { ...process.env, ...keyEnv }, encoding: 'utf8' }).trim());
  return kb / 1024;
}

const floor = [node, ['-e', "require('child_process').spawnSync('true',{stdio:'inherit'})"]];
const bare = [node, ['-e', '0']];
const exec3 = [node, [BIN, 'exec', '-f', 'small.env.enc', '--', 'true']];
const preload = [node, ['--import', 'envcrypt/config', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
const dec2000 = [node, [BIN, 'decrypt', 'k2000.env.enc']];
const enc10000 = [node, [BIN, 'encrypt', 'k10000.env', '-r', recipient]];

const lines = [];
const report = (name, value, target, ok) => lines.push(`${ok ? 'MEETS ' : 'MISSES'}  ${name.padEnd(52)} ${value.padEnd(24)} target ${target}`);

const [tFloor, tBare, tExec] = race([floor, bare, exec3]);
report('exec -f small.env.enc -- true (3 keys) / launcher floor', `${(tExec / tFloor).toFixed(2)}x (${tExec.toFixed(1)} ms)`, '<= 1.15x', tExec / tFloor <= 1.15);
report('exec (3 keys) / bare node -e 0', `${(tExec / tBare).toFixed(2)}x`, '(reported)', true);
const rss = peakRss(exec3[0], exec3[1]);
const rssBare = peakRss(bare[0], bare[1]);
report('exec peak RSS', `${rss.toFixed(1)} MiB (bare ${rssBare.toFixed(1)})`, '<= 60 MiB', rss <= 60);
const emptyPreload = [node, ['--import', 'nothing/config', '-e', '0']];
const cryptoPreload = [node, ['--import', 'nothing/crypto', '-e', '0']];
const floorPreload = [node, ['--import', 'nothing/crypto-floor', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
const requirePreload = [node, ['-r', 'envcrypt/config', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
const [tBare2, tPre, tEmptyPre, tCryptoPre, tFloorPre, tRequirePre] = race([bare, preload, emptyPreload, cryptoPreload, floorPreload, requirePreload]);
report('node --import envcrypt/config -e 0 / bare node', `${(tPre / tBare2).toFixed(2)}x (${tPre.toFixed(1)} ms)`, '<= 1.2x', tPre / tBare2 <= 1.2);
report('  an empty package preload / bare node', `${(tEmptyPre / tBare2).toFixed(2)}x (+${(tEmptyPre - tBare2).toFixed(1)} ms)`, '(reference)', true);
report('  a preload that loads node:crypto / bare node', `${(tCryptoPre / tBare2).toFixed(2)}x (+${(tCryptoPre - tBare2).toFixed(1)} ms)`, '(reference)', true);
report('  the crypto floor of a preload / bare node', `${(tFloorPre / tBare2).toFixed(2)}x (+${(tFloorPre - tBare2).toFixed(1)} ms)`, '(reference)', true);
report('  envcrypt/config / the node:crypto preload', `${(tPre / tCryptoPre).toFixed(2)}x (+${(tPre - tCryptoPre).toFixed(1)} ms)`, '(reported)', true);
report('node -r envcrypt/config -e 0 / bare node', `${(tRequirePre / tBare2).toFixed(2)}x (${tRequirePre.toFixed(1)} ms)`, '(reported)', true);
const [tBare3, tDec] = race([bare, dec2000]);
report('decrypt 2,000 keys / bare node', `${(tDec / tBare3).toFixed(2)}x (${tDec.toFixed(1)} ms)`, '<= 3x', tDec / tBare3 <= 3);
const [tEnc] = race([enc10000]);
report('encrypt 10,000 keys (~1 MB)', `${tEnc.toFixed(0)} ms`, '<= 1000 ms', tEnc <= 1000);

console.log(`envcrypt bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${RUNS} alternating runs, medians`);
console.log(`baselines: launcher floor ${tFloor.toFixed(1)} ms, bare node ${tBare.toFixed(1)} ms`);
for (const l of lines) console.log(l);
rmSync(dir, { recursive: true, force: true });
// The audit case: a 50-key file with 500 commits of history, and 250.
for (const l of await (await import('./bench-audit.mjs')).benchAudit()) console.log(l);
