// npm run bench: start-up and throughput of envcrypt against baselines measured
// in the same run. Commands are run alternately (A, B, A, B, …) so drift in
// machine load affects both sides alike; medians are reported.
//
// `node scripts/bench.mjs --only keys,encrypt` runs some groups only (each
// still measures its own baselines): base (exec and preload start-up,
// decrypt, encrypt of 10,000 keys), keys (post-quantum and SSH identities),
// encrypt (encrypt against decrypt, extra recipients), big (an environment
// too large for the OS; decrypt of 100,000 keys against a node:crypto
// reference). BENCH_RUNS sets the number of runs (default 31).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

// Node's own start-up settings from the caller's environment would be paid by
// every command alike and only dilute the ratios: NODE_EXTRA_CA_CERTS, for
// one, makes node 20 read and parse a CA bundle at every launch (about 40 ms
// on the 2-core machine, more than envcrypt's whole cost). Every command here
// runs without them; the report names what was removed.
const SCRUBBED = Object.keys(process.env).filter((k) => k.startsWith('NODE_')).sort();
for (const k of SCRUBBED) delete process.env[k];

// `--audit`: only the audit case (scripts/bench-audit.mjs), not the start-up figures.
if (process.argv.includes('--audit')) {
  const { benchAudit } = await import('./bench-audit.mjs');
  for (const l of await benchAudit()) console.log(l);
  process.exit(0);
}

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'envcrypt.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt < 0 ? null : new Set((process.argv[onlyAt + 1] ?? '').split(','));
const group = (name) => ONLY === null || ONLY.has(name);
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

function time(cmd, args, env = {}, status = 0) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: dir, env: { ...process.env, ...keyEnv, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== status) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternate the commands `runs` times (after one warm-up each); return medians in ms. */
function race(cmds, runs = RUNS) {
  for (const c of cmds) time(...c);
  const samples = cmds.map(() => []);
  for (let i = 0; i < runs; i++) cmds.forEach((c, j) => samples[j].push(time(...c)));
  return samples.map(median);
}

/** New-space use (KiB) when a preload command's `-e` script starts, and the space's capacity. */
function youngAtFirstLine([cmd, args, env = {}]) {
  const probe = "const s=require('v8').getHeapSpaceStatistics().find((x)=>x.space_name==='new_space');console.log(s.space_used_size/1024,s.space_size/1024)";
  const at = args.indexOf('-e');
  return sh(cmd, [...args.slice(0, at), '-e', probe], { ...keyEnv, ...env }).trim().split(' ').map(Number);
}

/** Peak RSS (MiB) of a command and its children, via getrusage(RUSAGE_CHILDREN). */
function peakRss(cmd, args) {
  const py = 'import resource,subprocess,sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
  const kb = Number(execFileSync('python3', ['-c', py, cmd, ...args], { cwd: dir, env: { ...process.env, ...keyEnv }, encoding: 'utf8' }).trim());
  return kb / 1024;
}

const LAUNCH = "require('child_process').spawnSync('true',{stdio:'inherit'})";
const floor = [node, ['-e', LAUNCH]];
// The exec floor: the launcher floor after the crypto floor's preload (the
// same primitives' first calls, on the same files), with no parsing or
// checking at all: what any exec built on node:crypto cannot skip.
const execFloor = [node, ['-r', 'nothing/crypto-floor', '-e', LAUNCH], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
const bare = [node, ['-e', '0']];
const exec3 = [node, [BIN, 'exec', '-f', 'small.env.enc', '--', 'true']];
const preload = [node, ['--import', 'envcrypt/config', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
const dec2000 = [node, [BIN, 'decrypt', 'k2000.env.enc']];
const enc10000 = [node, [BIN, 'encrypt', 'k10000.env', '-r', recipient]];

const lines = [];
const report = (name, value, target, ok) => lines.push(`${ok ? 'MEETS ' : 'MISSES'}  ${name.padEnd(52)} ${value.padEnd(24)} target ${target}`);

let tFloor = NaN;
let tBare = NaN;
if (group('base')) {
  let tExec, tExecFloor;
  [tFloor, tBare, tExec, tExecFloor] = race([floor, bare, exec3, execFloor]);
  report('exec -f small.env.enc -- true (3 keys) / launcher floor', `${(tExec / tFloor).toFixed(2)}x (${tExec.toFixed(1)} ms)`, '<= 1.15x', tExec / tFloor <= 1.15);
  report('  the exec floor (crypto floor, then launch) / launcher floor', `${(tExecFloor / tFloor).toFixed(2)}x (+${(tExecFloor - tFloor).toFixed(1)} ms)`, '(reference)', true);
  report('  exec / the exec floor', `${(tExec / tExecFloor).toFixed(2)}x (+${(tExec - tExecFloor).toFixed(1)} ms)`, '(reported)', true);
  report('exec (3 keys) / bare node -e 0', `${(tExec / tBare).toFixed(2)}x`, '(reported)', true);
  const rss = peakRss(exec3[0], exec3[1]);
  const rssBare = peakRss(bare[0], bare[1]);
  report('exec peak RSS', `${rss.toFixed(1)} MiB (bare ${rssBare.toFixed(1)})`, '<= 60 MiB', rss <= 60);
  const emptyPreload = [node, ['--import', 'nothing/config', '-e', '0']];
  const cryptoPreload = [node, ['--import', 'nothing/crypto', '-e', '0']];
  const floorPreload = [node, ['--import', 'nothing/crypto-floor', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
  const requirePreload = [node, ['-r', 'envcrypt/config', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
  const requireFloor = [node, ['-r', 'nothing/crypto-floor', '-e', '0'], { ENVCRYPT_CONFIG_PATH: 'small.env.enc' }];
  const [tBare2, tPre, tEmptyPre, tCryptoPre, tFloorPre, tRequirePre, tRequireFloor] = race([bare, preload, emptyPreload, cryptoPreload, floorPreload, requirePreload, requireFloor]);
  report('node --import envcrypt/config -e 0 / bare node', `${(tPre / tBare2).toFixed(2)}x (${tPre.toFixed(1)} ms)`, '<= 1.2x', tPre / tBare2 <= 1.2);
  report('  an empty package preload / bare node', `${(tEmptyPre / tBare2).toFixed(2)}x (+${(tEmptyPre - tBare2).toFixed(1)} ms)`, '(reference)', true);
  report('  a preload that loads node:crypto / bare node', `${(tCryptoPre / tBare2).toFixed(2)}x (+${(tCryptoPre - tBare2).toFixed(1)} ms)`, '(reference)', true);
  report('  the crypto floor of a preload / bare node', `${(tFloorPre / tBare2).toFixed(2)}x (+${(tFloorPre - tBare2).toFixed(1)} ms)`, '(reference)', true);
  report('  envcrypt/config / the node:crypto preload', `${(tPre / tCryptoPre).toFixed(2)}x (+${(tPre - tCryptoPre).toFixed(1)} ms)`, '(reported)', true);
  report('--import envcrypt/config / the crypto-floor preload', `${(tPre / tFloorPre).toFixed(2)}x (+${(tPre - tFloorPre).toFixed(1)} ms)`, '<= 1.05x', tPre / tFloorPre <= 1.05);
  report('node -r envcrypt/config -e 0 / bare node', `${(tRequirePre / tBare2).toFixed(2)}x (${tRequirePre.toFixed(1)} ms)`, '<= 1.2x', tRequirePre / tBare2 <= 1.2);
  report('  the crypto floor as -r / bare node', `${(tRequireFloor / tBare2).toFixed(2)}x (+${(tRequireFloor - tBare2).toFixed(1)} ms)`, '(reference)', true);
  report('  -r envcrypt/config / the crypto floor as -r', `${(tRequirePre / tRequireFloor).toFixed(2)}x (+${(tRequirePre - tRequireFloor).toFixed(1)} ms)`, '(reported)', true);
  // V8 schedules a young-generation collection once new space passes 80% of
  // its capacity (1 MiB at start-up): a preload that ends past it pays one
  // collection the crypto floor does not.
  const [yPre, cap] = youngAtFirstLine(preload);
  const [yFloor] = youngAtFirstLine(floorPreload);
  report('  young generation at the first line, --import', `${yPre.toFixed(0)} KiB (crypto floor ${yFloor.toFixed(0)})`, `(reported; a scavenge is scheduled at ${(cap * 0.8).toFixed(0)})`, true);
  const [tBare3, tDec] = race([bare, dec2000]);
  report('decrypt 2,000 keys / bare node', `${(tDec / tBare3).toFixed(2)}x (${tDec.toFixed(1)} ms)`, '<= 3x', tDec / tBare3 <= 3);
  const [tEnc] = race([enc10000]);
  report('encrypt 10,000 keys (~1 MB)', `${tEnc.toFixed(0)} ms`, '<= 1000 ms', tEnc <= 1000);
}

// Post-quantum and SSH identities: the user's stanza last of 10, and alone,
// against the same command with one X25519 recipient (small.env.enc).
if (group('keys')) {
  const pqKey = (name) => {
    sh(node, [BIN, 'keygen', '--pq', '-o', name]);
    return sh(node, [BIN, 'keygen', '-y', name]).trim();
  };
  const sshKey = (name, args) => {
    sh('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'throwaway bench key', '-f', join(dir, name)]);
    return sh('cat', [`${name}.pub`]).trim();
  };
  const others = (n, make) => Array.from({ length: n }, (_, i) => make(i));
  const pqOthers = others(9, (i) => pqKey(`pq-other-${i}.txt`));
  const xOthers = others(9, (i) => {
    sh('age-keygen', ['-o', `x-other-${i}.txt`]);
    return sh(node, [BIN, 'keygen', '-y', `x-other-${i}.txt`]).trim();
  });
  const pq = pqKey('pq.txt');
  const ed = sshKey('id_ed25519', ['-t', 'ed25519']);
  const rsa = sshKey('id_rsa', ['-t', 'rsa', '-b', '3072']);
  const enc = (out, recipients) => sh(node, [BIN, 'encrypt', 'small.env', ...recipients.flatMap((r) => ['-r', r]), '-o', out]);
  enc('pq1.env.enc', [pq]);
  enc('pq10.env.enc', [...pqOthers, pq]);
  enc('ed1.env.enc', [ed]);
  enc('ed10.env.enc', [...xOthers, ed]);
  enc('rsa1.env.enc', [rsa]);
  enc('rsa10.env.enc', [...xOthers, rsa]);
  const pqEnv = { ENVCRYPT_AGE_KEY_FILE: join(dir, 'pq.txt') };
  const sshEnv = (key) => ({ ENVCRYPT_AGE_KEY_FILE: '', SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(dir, key) });
  const cases = [
    ['post-quantum', 'pq', pqEnv],
    ['ssh-ed25519', 'ed', sshEnv('id_ed25519')],
    ['ssh-rsa', 'rsa', sshEnv('id_rsa')],
  ];
  const execOf = (file, env) => [node, [BIN, 'exec', '-f', file, '--', 'true'], env];
  const preOf = (file, env) => [node, ['--import', 'envcrypt/config', '-e', '0'], { ...env, ENVCRYPT_CONFIG_PATH: file }];
  for (const [what, f, env] of cases) {
    const [tX, tOne, tTen] = race([execOf('small.env.enc', {}), execOf(`${f}1.env.enc`, env), execOf(`${f}10.env.enc`, env)]);
    report(`exec, ${what} key, alone / X25519 exec`, `${(tOne / tX).toFixed(2)}x (${tOne.toFixed(1)} ms)`, '<= 1.5x', tOne / tX <= 1.5);
    report(`exec, ${what} key, last of 10 / X25519 exec`, `${(tTen / tX).toFixed(2)}x (${tTen.toFixed(1)} ms)`, '<= 1.5x', tTen / tX <= 1.5);
    const [pX, pOne, pTen] = race([preOf('small.env.enc', {}), preOf(`${f}1.env.enc`, env), preOf(`${f}10.env.enc`, env)]);
    report(`--import preload, ${what} key, alone / X25519`, `${(pOne / pX).toFixed(2)}x (${pOne.toFixed(1)} ms)`, '(reported)', true);
    report(`--import preload, ${what} key, last of 10 / X25519`, `${(pTen / pX).toFixed(2)}x (${pTen.toFixed(1)} ms)`, '<= 1.5x', pTen / pX <= 1.5);
  }
}

// Encrypting: start-up against decrypt, and the cost of each extra recipient.
if (group('encrypt')) {
  writeFileSync(join(dir, 'k10.env'), envFile(10, 24));
  sh(node, [BIN, 'encrypt', 'k10.env', '-r', recipient, '-o', 'k10.env.enc']);
  const many = Array.from({ length: 100 }, (_, i) => {
    sh('age-keygen', ['-o', `r-${i}.txt`]);
    return sh(node, [BIN, 'keygen', '-y', `r-${i}.txt`]).trim();
  });
  const enc1 = [node, [BIN, 'encrypt', 'k10.env', '-r', recipient]];
  const enc101 = [node, [BIN, 'encrypt', 'k10.env', '-r', [recipient, ...many].join(',')]];
  const dec10 = [node, [BIN, 'decrypt', 'k10.env.enc']];
  const [tEnc1, tDec10, tEnc101] = race([enc1, dec10, enc101]);
  report('encrypt 10 keys / decrypt 10 keys', `${(tEnc1 / tDec10).toFixed(2)}x (${tEnc1.toFixed(1)} / ${tDec10.toFixed(1)} ms)`, '<= 1.3x', tEnc1 / tDec10 <= 1.3);
  const per = (tEnc101 - tEnc1) / 100;
  report('each extra X25519 recipient (encrypt to 101 vs 1) ', `${per.toFixed(2)} ms`, '<= 0.5 ms', per <= 0.5);
}

// Big files: an environment the OS refuses, and the memory of decrypt.
if (group('big')) {
  // 100,000 keys of ~44 bytes each as NAME=value: a 4.4 MB environment, beyond ARG_MAX.
  writeFileSync(join(dir, 'k100k.env'), Array.from({ length: 100000 }, (_, i) => `KEY_${i}=${'v'.repeat(32)}`).join('\n') + '\n');
  sh(node, [BIN, 'encrypt', 'k100k.env', '-r', recipient, '-o', 'k100k.env.enc']);
  const refused = [node, [BIN, 'exec', '-f', 'k100k.env.enc', '--', 'true'], {}, 126];
  const [tRefused] = race([refused], Math.min(RUNS, 11));
  report('exec of 100,000 keys (4.4 MB env) refused', `${tRefused.toFixed(0)} ms (exit 126)`, '< 300 ms', tRefused < 300);
  // The reference holds what any decrypt must: the file's text, and the
  // plaintext it prints, decrypting each value with node:crypto (AES-GCM
  // under a dummy key: the cost is the same; the tag is not checked).
  writeFileSync(
    join(dir, 'reference-decrypt.cjs'),
    `const c = require('node:crypto');
const text = require('node:fs').readFileSync(process.argv[2], 'utf8');
const key = Buffer.alloc(32, 1);
const out = [];
for (const line of text.split('\\n')) {
  const eq = line.indexOf('=');
  if (eq < 0 || line.startsWith('sops_')) continue;
  const m = /^ENC\\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:([^\\]]*)\\]$/.exec(line.slice(eq + 1));
  if (!m) continue;
  const d = c.createDecipheriv('aes-256-gcm', key, Buffer.from(m[2], 'base64'));
  d.setAAD(Buffer.from(line.slice(0, eq) + ':'));
  out.push(line.slice(0, eq) + '=' + d.update(Buffer.from(m[1], 'base64')).toString('utf8'));
}
process.stdout.write(out.join('\\n') + '\\n');
`,
  );
  const rssDec = peakRss(node, [BIN, 'decrypt', 'k100k.env.enc']);
  const rssRef = peakRss(node, ['reference-decrypt.cjs', 'k100k.env.enc']);
  report('decrypt 100,000 keys: peak RSS / node:crypto reference', `${(rssDec / rssRef).toFixed(2)}x (${rssDec.toFixed(0)} / ${rssRef.toFixed(0)} MiB)`, '<= 1.2x', rssDec / rssRef <= 1.2);
}
console.log(`envcrypt bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${RUNS} alternating runs, medians`);
if (SCRUBBED.length > 0) console.log(`run without the caller's ${SCRUBBED.join(', ')} (node's own start-up settings)`);
if (group('base')) console.log(`baselines: launcher floor ${tFloor.toFixed(1)} ms, bare node ${tBare.toFixed(1)} ms`);
for (const l of lines) console.log(l);
rmSync(dir, { recursive: true, force: true });
// The audit case: a 50-key file with 500 commits of history, and 250.
for (const l of await (await import('./bench-audit.mjs')).benchAudit()) console.log(l);
