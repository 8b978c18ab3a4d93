// Big inputs: time and peak RSS of encrypt and decrypt on a 10 MB file, a
// 100,000-key file, a 1 MB single value and 1,000-deep YAML nesting.
// Prints one line per case; the aim is peak RSS above the same command on a
// one-line file <= 10x the size of the encrypted file (the larger of the two
// files each command handles: ENC strings make it 1.4-2.5x the plaintext).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = join(resolve(import.meta.dirname, '..'), 'bin', 'envcrypt.js');
const dir = mkdtempSync(join(tmpdir(), 'envcrypt-big-'));
execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'ignore' });
const recipient = execFileSync(process.execPath, [BIN, 'keygen', '-y', join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
const env = { ...process.env, ENVCRYPT_AGE_KEY_FILE: join(dir, 'key.txt') };

const nested = (depth) => {
  let s = '';
  for (let i = 0; i < depth; i++) s += `${' '.repeat(i * 2)}k${i}:\n`;
  return s + `${' '.repeat(depth * 2)}leaf: value\n`;
};
const cases = [
  ['10 MB dotenv (100k keys of 100 B)', 'ten.env', Array.from({ length: 100_000 }, (_, i) => `KEY_${i}=${'x'.repeat(90)}`).join('\n') + '\n'],
  ['100,000 keys (short values)', 'many.env', Array.from({ length: 100_000 }, (_, i) => `K${i}=v${i}`).join('\n') + '\n'],
  ['1 MB single value', 'one.env', `BIG=${'y'.repeat(1 << 20)}\n`],
  ['1,000-deep YAML nesting', 'deep.yaml', nested(1000)],
];

function measure(args) {
  const py = 'import resource,subprocess,sys,time; t=time.time(); r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); print(r.returncode, round((time.time()-t)*1000), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.stderr.decode()[:200].replace(chr(10), " "))';
  const [code, ms, kb, ...err] = execFileSync('python3', ['-c', py, process.execPath, BIN, ...args], { cwd: dir, env, encoding: 'utf8' }).trim().split(' ');
  return { code: Number(code), ms: Number(ms), mib: Number(kb) / 1024, err: err.join(' ') };
}

writeFileSync(join(dir, 'tiny.env'), 'A=1\n');
const baseEnc = measure(['encrypt', 'tiny.env', '-r', recipient, '-o', 'tiny.env.enc']);
const baseDec = measure(['decrypt', 'tiny.env.enc']);
console.log(`baselines (a one-line file): encrypt peak RSS ${baseEnc.mib.toFixed(0)} MiB, decrypt ${baseDec.mib.toFixed(0)} MiB`);
for (const [name, file, text] of cases) {
  writeFileSync(join(dir, file), text);
  const size = statSync(join(dir, file)).size / 2 ** 20;
  const enc = measure(['encrypt', file, '-r', recipient, '-o', `${file}.enc`.replace(/\.yaml\.enc$/, '.enc.yaml')]);
  const encName = `${file}.enc`.replace(/\.yaml\.enc$/, '.enc.yaml');
  const dec = enc.code === 0 ? measure(['decrypt', encName]) : { code: -1, ms: 0, mib: 0, err: 'skipped' };
  const encSize = enc.code === 0 ? statSync(join(dir, encName)).size / 2 ** 20 : size;
  for (const [op, r] of [['encrypt', enc], ['decrypt', dec]]) {
    const over = Math.max(0, r.mib - (op === 'encrypt' ? baseEnc : baseDec).mib);
    const ok = r.code === 0 ? (over <= 10 * encSize ? 'MEETS ' : 'MISSES') : r.code === 5 ? 'CLEAR ' : 'FAILED';
    console.log(`${ok} ${name.padEnd(36)} ${op} ${String(r.ms).padStart(6)} ms  peak ${r.mib.toFixed(0).padStart(4)} MiB (+${over.toFixed(0)} over baseline = ${(over / encSize).toFixed(1)}x the ${encSize.toFixed(2)} MiB encrypted file; plaintext ${size.toFixed(2)} MiB)${r.code ? ` exit ${r.code}: ${r.err}` : ''}`);
  }
}
rmSync(dir, { recursive: true, force: true });
