// Every example in examples/ is exercised: the parts that cannot run here
// (Docker, GitHub Actions, Kubernetes) are parsed, and the commands they
// contain are run locally against the committed example file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './helpers/paths.js';
import { cleanEnv, tempDir } from './helpers/run-cli.js';

const EX = join(ROOT, 'examples');
const keyEnv = () => cleanEnv({ ENVCRYPT_AGE_KEY_FILE: join(EX, 'keys/demo-key.txt') });
let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir();
  spawnSync('chmod', ['600', join(EX, 'keys/demo-key.txt')]);
});
afterAll(() => t.cleanup());

/** Run a command line from an example, with `envcrypt`/`npx envcrypt` mapped to the built CLI. */
function runLine(line: string, cwd: string, env: NodeJS.ProcessEnv) {
  const argv = line.trim().replace(/^npx /, '').split(/\s+/);
  const [cmd, ...args] = argv;
  const real = cmd === 'envcrypt' ? [process.execPath, BIN, ...args] : [cmd!, ...args];
  return spawnSync(real[0]!, real.slice(1), { cwd, env, encoding: 'utf8' });
}

describe('examples/node-app', () => {
  it('runs through envcrypt exec and through the ESM preload', () => {
    const dir = join(EX, 'node-app');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies.envcrypt).toBe('file:../..');
    const exec = runLine(pkg.scripts.start, dir, keyEnv());
    expect(exec.stderr).toBe('');
    expect(exec.stdout).toContain('server: configured (database host localhost:5432)');
    // The preload, resolved through node_modules/envcrypt as an installed app would.
    const app = join(t.dir, 'node-app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(app, 'node_modules', 'envcrypt'));
    writeFileSync(join(app, 'server.js'), readFileSync(join(dir, 'server.js')));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module' }));
    const r = spawnSync(process.execPath, ['--import', 'envcrypt/config', 'server.js'], {
      cwd: app,
      env: { ...keyEnv(), ENVCRYPT_CONFIG_PATH: join(EX, 'app.env.enc') },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('server: configured');
  });
});

describe('examples/docker', () => {
  const text = readFileSync(join(EX, 'docker/Dockerfile'), 'utf8');
  const instructions = text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(/\s+/)[0]);

  it('parses: known instructions, multi-stage, no secret in ARG or ENV', () => {
    for (const i of instructions) expect(['FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'ENTRYPOINT', 'CMD']).toContain(i);
    expect(instructions.filter((i) => i === 'FROM').length).toBe(2);
    expect(text).not.toMatch(/^ARG /m);
    expect(text).not.toMatch(/AGE-SECRET-KEY/);
    for (const env of text.match(/^ENV .*$/gm) ?? []) expect(env).toMatch(/_FILE=\/run\/secrets\//);
  });

  it('its entrypoint and command work locally with the key mounted as a file', () => {
    const entry = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(text)![1]!) as string[];
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(text)![1]!) as string[];
    expect(entry.slice(2, 4)).toEqual(['exec', '-f']);
    const app = join(t.dir, 'docker-app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(app, 'node_modules', 'envcrypt'));
    writeFileSync(join(app, 'app.env.enc'), readFileSync(join(EX, 'app.env.enc')));
    writeFileSync(join(app, 'server.js'), readFileSync(join(EX, 'node-app/server.js')));
    const argv = [...entry, ...cmd];
    const r = spawnSync(process.execPath, argv.slice(1), { cwd: app, env: keyEnv(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('server: configured');
  });

  it('compose mounts the key as a secret', () => {
    const compose = parseYaml(readFileSync(join(EX, 'docker/compose.yaml'), 'utf8'));
    expect(compose.services.app.secrets).toEqual(['age_key']);
    expect(compose.secrets.age_key.file).toBe('./age-key.txt');
  });
});

describe('examples/github-actions', () => {
  type Step = { run?: string; uses?: string; env?: Record<string, string> };
  const wf = parseYaml(readFileSync(join(EX, 'github-actions/workflow.yml'), 'utf8'));
  const steps = wf.jobs.test.steps as Step[];
  const SECRET = '${{ secrets.ENVCRYPT_AGE_KEY }}';
  const decrypting = steps.filter((s) => !!s.run && /envcrypt (exec|export|decrypt|get)\b/.test(s.run));
  const auditing = steps.filter((s) => !!s.run && /envcrypt audit\b/.test(s.run));

  it('parses, and gives the key from a repository secret only to the steps that decrypt (step-level env)', () => {
    expect(steps.length).toBeGreaterThan(3);
    expect(decrypting.length).toBe(2);
    // Not for the whole workflow or job: `npm ci` runs every dependency's install scripts.
    expect(wf.env).toBeUndefined();
    expect(wf.jobs.test.env).toBeUndefined();
    for (const s of decrypting) expect(s.env).toEqual({ ENVCRYPT_AGE_KEY: SECRET });
    for (const s of auditing) expect(s.env).toEqual({ ENVCRYPT_AGE_KEY: SECRET });
    for (const s of steps.filter((x) => !decrypting.includes(x) && !auditing.includes(x))) expect(JSON.stringify(s)).not.toMatch(/AGE_KEY|secrets\./);
    expect(wf.permissions).toEqual({ contents: 'read' });
  });

  it('its envcrypt steps work locally with their own env only, with values masked and passed through GITHUB_ENV', () => {
    const ghEnv = join(t.dir, 'github_env');
    writeFileSync(ghEnv, '');
    const key = readFileSync(join(EX, 'keys/demo-key.txt'), 'utf8');
    for (const step of decrypting) {
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, v === SECRET ? key : v]));
      const r = runLine(step.run!, ROOT, cleanEnv({ GITHUB_ENV: ghEnv, ...stepEnv }));
      expect(r.status, `${step.run}: ${r.stderr}`).toBe(0);
      if (step.run!.includes('export')) expect(r.stdout).toMatch(/^::add-mask::/m);
      // Without its step env the same line has no key (exit 4): the scoping is what makes it work.
      expect(runLine(step.run!, ROOT, cleanEnv({ GITHUB_ENV: ghEnv })).status).toBe(4);
    }
    expect(readFileSync(ghEnv, 'utf8')).toMatch(/^API_TOKEN=/m);
  });

  it('audits with --check and a Markdown job summary, the policy from the base branch, on the full history', () => {
    expect(auditing).toHaveLength(1);
    const line = auditing[0]!.run!;
    expect(line).toMatch(/ --check --format markdown --policy-ref \$\{\{ github\.event\.pull_request\.base\.sha \|\| github\.sha \}\} >> "\$GITHUB_STEP_SUMMARY"$/);
    expect((steps[0] as { with?: Record<string, unknown> }).with).toEqual({ 'fetch-depth': 0 });
    // Run it in a repository holding the example file, the expression and the redirection done as Actions and bash would.
    const repo = join(t.dir, 'audit-repo');
    mkdirSync(join(repo, 'examples'), { recursive: true });
    writeFileSync(join(repo, 'examples/app.env.enc'), readFileSync(join(EX, 'app.env.enc')));
    spawnSync('git', ['init', '-q'], { cwd: repo });
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '-A'], { cwd: repo });
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'x'], { cwd: repo });
    const key = readFileSync(join(EX, 'keys/demo-key.txt'), 'utf8');
    const r = runLine(line.replace(/\$\{\{.*?\}\}/, 'HEAD').replace(/ >> .*$/, ''), repo, cleanEnv({ ENVCRYPT_AGE_KEY: key }));
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^## envcrypt audit\n\nPolicy `HEAD:\.envcrypt\.yaml`: \*\*ok\*\*/);
    expect(r.stdout).toContain('| examples/app.env.enc | API\\_TOKEN | ok |');
  });
});

describe('examples/kubernetes', () => {
  it('the pods parse and mount the key from a Secret for envcrypt exec', () => {
    const pod = parseYaml(readFileSync(join(EX, 'kubernetes/exec-pod.yaml'), 'utf8'));
    const c = pod.spec.containers[0];
    expect(c.command.slice(2, 4)).toEqual(['exec', '-f']);
    const mount = c.volumeMounts[0];
    expect(c.env[0].value.startsWith(mount.mountPath)).toBe(true);
    expect(pod.spec.volumes[0].secret.secretName).toBe('envcrypt-age-key');
    const other = parseYaml(readFileSync(join(EX, 'kubernetes/secret-env-pod.yaml'), 'utf8'));
    expect(other.spec.containers[0].envFrom[0].secretRef.name).toBe('app-env');
  });
  it('export --format k8s gives the Secret the pod references', () => {
    const r = runLine(`envcrypt export ${join(EX, 'app.env.enc')} --format k8s --name app-env`, ROOT, keyEnv());
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs[0].kind).toBe('Secret');
    expect(docs[0].metadata.name).toBe('app-env');
    expect(Buffer.from(docs[0].data.API_TOKEN, 'base64').toString()).toBe('tok_demo_9f8e7d6c5b4a');
  });
});

it('every example directory is covered above', () => {
  const dirs = readdirSync(EX, { withFileTypes: true }).filter((d) => d.isDirectory() && !['keys', '.out'].includes(d.name)).map((d) => d.name).sort();
  expect(dirs).toEqual(['docker', 'github-actions', 'kubernetes', 'node-app']);
});
