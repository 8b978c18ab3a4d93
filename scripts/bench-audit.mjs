// The audit case of npm run bench (alone: node scripts/bench.mjs --audit):
// `envcrypt audit` of a 50-key file with 500 commits of history, each
// commit changing one value, and of the same file at 250 commits (--rev
// HEAD~250), to show the cost grows linearly with the commits. The history
// is written with one `git fast-import` from versions made in-process.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'envcrypt.js');
const node = process.execPath;

/** Build the repository, time the audits; returns report lines. */
export async function benchAudit({ runs = Number(process.env.BENCH_AUDIT_RUNS ?? 5), commits = 500, keys = 50 } = {}) {
  const lib = await import(join(ROOT, 'dist', 'index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'envcrypt-bench-audit-'));
  try {
    const keyFile = join(dir, 'throwaway-key.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    const recipient = execFileSync(node, [BIN, 'keygen', '-y', keyFile], { encoding: 'utf8' }).trim();
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, ENVCRYPT_AGE_KEY_FILE: keyFile };
    const values = Array.from({ length: keys }, (_, i) => `v0-${i}-${'x'.repeat(24)}`);
    const plain = () => values.map((v, i) => `KEY_${i}=${v}\n`).join('');
    const quiet = { recipients: [recipient], onWarning: () => undefined };
    const built = performance.now();
    let text = await lib.encryptText(plain(), '.env.enc', quiet);
    const chunks = [];
    const blob = (mark, data) => chunks.push(`blob\nmark :${mark}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
    blob(1, `creation_rules:\n  - path_regex: \\.env\\.enc$\n    age: ${recipient}\n`);
    for (let c = 0; c < commits; c++) {
      if (c > 0) {
        values[c % keys] = `v${c}-${c % keys}-${'y'.repeat(24)}`;
        const previous = await lib.decryptText(text, '.env.enc', { env, withDataKey: true });
        text = await lib.encryptText(plain(), '.env.enc', { ...quiet, previous });
      }
      blob(c + 2, text);
      const when = 1_600_000_000 + c * 86_400;
      const msg = `change ${c}`;
      chunks.push(`commit refs/heads/main\nmark :${100_000 + c}\nauthor Bench <bench@example.com> ${when} +0000\ncommitter Bench <bench@example.com> ${when} +0000\ndata ${msg.length}\n${msg}\n${c > 0 ? `from :${100_000 + c - 1}\n` : ''}${c === 0 ? 'M 100644 :1 .sops.yaml\n' : ''}M 100644 :${c + 2} .env.enc\n\n`);
    }
    const git = (args, input) => execFileSync('git', args, { cwd: dir, input, env: { ...env, GIT_CONFIG_NOSYSTEM: '1' }, stdio: ['pipe', 'ignore', 'ignore'] });
    git(['init', '-q', '-b', 'main']);
    git(['fast-import', '--quiet'], chunks.join(''));
    git(['reset', '-q', '--hard', 'main']);
    const setup = performance.now() - built;
    const time = (args) => {
      const t = performance.now();
      const r = spawnSync(node, [BIN, 'audit', '--json', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`audit failed: ${r.stderr}`);
      const versions = JSON.parse(r.stdout.toString()).files[0].versions;
      return { ms: performance.now() - t, versions };
    };
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const half = [], full = [];
    let nHalf = 0, nFull = 0;
    // Alternating, as the rest of the bench does, so machine load hits both alike.
    for (let i = 0; i < runs; i++) {
      const h = time(['--rev', `HEAD~${commits / 2}`]);
      const f = time([]);
      half.push(h.ms); full.push(f.ms);
      nHalf = h.versions; nFull = f.versions;
    }
    const mHalf = median(half), mFull = median(full);
    return [
      `${mFull <= 3000 ? 'MEETS ' : 'MISSES'}  ${`envcrypt audit, ${keys} keys × ${nFull} commits`.padEnd(52)} ${`${(mFull / 1000).toFixed(2)} s`.padEnd(24)} target ≤ 3 s`,
      `        ${`envcrypt audit, ${keys} keys × ${nHalf} commits`.padEnd(52)} ${`${(mHalf / 1000).toFixed(2)} s`.padEnd(24)} full/half ${(mFull / mHalf).toFixed(2)}× (linear: about 2× minus start-up)`,
      `        (history of ${commits} versions made in ${(setup / 1000).toFixed(1)} s; ${runs} alternating runs, medians)`,
    ];
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) for (const l of await benchAudit()) console.log(l);
