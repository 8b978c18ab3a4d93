import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GITIGNORE_LINES, init, INIT_PATH_REGEX } from '../../src/api/init.js';
import { identityFileText, newIdentity } from '../../src/keys/keygen.js';
import { loadConfig, matchRule } from '../../src/repo/sops-config/rules.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp git repository and a private config home inside it. */
function repo(git = true): { dir: string; env: NodeJS.ProcessEnv } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'envcrypt-init-')));
  dirs.push(base);
  const dir = join(base, 'repo');
  mkdirSync(dir);
  if (git) execFileSync('git', ['init', '-q'], { cwd: dir });
  return { dir, env: { XDG_CONFIG_HOME: join(base, 'config'), HOME: join(base, 'home'), PATH: process.env.PATH } };
}

const ignored = (dir: string, p: string) => spawnSync('git', ['check-ignore', '-q', '--no-index', p], { cwd: dir }).status === 0;

describe('init in a new repository', () => {
  it('creates a 0600 key, a .sops.yaml rule to it, and .gitignore lines', async () => {
    const { dir, env } = repo();
    const r = await init({ cwd: join(dir), env, onWarning: () => {} });
    const keyFile = join(env.XDG_CONFIG_HOME!, 'envcrypt', 'keys.txt');
    expect(r.key).toMatchObject({ created: true, source: keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toContain(`# public key: ${r.key.recipient}`);
    expect(r.sopsYaml).toEqual({ path: join(dir, '.sops.yaml'), status: 'created' });
    const config = loadConfig(r.sopsYaml.path);
    expect(config.creationRules?.map((x) => [x.pathRegex, x.recipients])).toEqual([[INIT_PATH_REGEX, [r.key.recipient]]]);
    expect(r.gitignore).toEqual({ path: join(dir, '.gitignore'), status: 'created', added: [...GITIGNORE_LINES] });
    expect(r.warnings).toEqual([]);
  });

  it('is idempotent: a second run changes no byte and keeps the key', async () => {
    const { dir, env } = repo();
    const first = await init({ cwd: dir, env, onWarning: () => {} });
    const files = [join(dir, '.sops.yaml'), join(dir, '.gitignore'), join(env.XDG_CONFIG_HOME!, 'envcrypt', 'keys.txt')];
    const before = files.map((f) => readFileSync(f, 'utf8'));
    const second = await init({ cwd: dir, env, onWarning: () => {} });
    expect(second.key).toEqual({ recipient: first.key.recipient, source: first.key.source, created: false });
    expect(second.sopsYaml.status).toBe('unchanged');
    expect(second.gitignore.status).toBe('unchanged');
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual(before);
  });

  it('works from a subdirectory (files go to the git top level) and outside git (files go to cwd)', async () => {
    const { dir, env } = repo();
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    expect((await init({ cwd: join(dir, 'a', 'b'), env, onWarning: () => {} })).root).toBe(dir);
    const plain = repo(false);
    const r = await init({ cwd: plain.dir, env: plain.env, onWarning: () => {} });
    expect(r.root).toBe(plain.dir);
    expect(r.sopsYaml.path).toBe(join(plain.dir, '.sops.yaml'));
  });
});

describe('the .sops.yaml rule', () => {
  it('matches .env files (plaintext input and encrypted output) and *.enc.yaml|yml|json, in any directory', async () => {
    const { dir, env } = repo();
    await init({ cwd: dir, env, onWarning: () => {} });
    const cfg = join(dir, '.sops.yaml');
    const config = loadConfig(cfg);
    const matches = (p: string) => matchRule(config, cfg, join(dir, p)) !== null;
    for (const p of ['.env', '.env.local', '.env.enc', '.env.production.enc', 'app/.env.enc', 'config.enc.yaml', 'k8s/secrets.enc.yml', 'config.enc.json']) {
      expect(matches(p), p).toBe(true);
    }
    for (const p of ['config.yaml', '.envrc', '.envrc.enc', 'x.enc.yaml.bak', 'config.json', 'enc.yaml', 'my.env.d/x']) expect(matches(p), p).toBe(false);
  });
});

describe('the .gitignore lines, as git applies them', () => {
  it('ignore plaintext .env files but not encrypted ones or the example', async () => {
    const { dir, env } = repo();
    await init({ cwd: dir, env, onWarning: () => {} });
    for (const p of ['.env', '.env.local', '.env.production', 'app/.env', 'app/.env.test']) expect(ignored(dir, p), p).toBe(true);
    for (const p of ['.env.enc', '.env.production.enc', 'app/.env.enc', '.env.example', 'config.enc.yaml', '.envrc']) expect(ignored(dir, p), p).toBe(false);
  });

  it('appends only missing lines, after a final newline the old file lacked', async () => {
    const { dir, env } = repo();
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n.env');
    const r = await init({ cwd: dir, env, onWarning: () => {} });
    expect(r.gitignore.status).toBe('updated');
    expect(r.gitignore.added).toEqual(['.env.*', '!*.enc', '!.env.example']);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe(
      'node_modules/\n.env\n\n# envcrypt: plaintext .env files stay local; their encrypted *.enc copies are committed\n.env.*\n!*.enc\n!.env.example\n',
    );
  });

  it('warns about a plaintext .env git already tracks, and about rules that defeat the ignore', async () => {
    const { dir, env } = repo();
    writeFileSync(join(dir, '.env'), 'TOKEN=x\n');
    execFileSync('git', ['add', '.env'], { cwd: dir });
    const r = await init({ cwd: dir, env, onWarning: () => {} });
    expect(r.warnings).toEqual(['.env is committed to git in plaintext: run "git rm --cached .env", and rotate its secrets, since git history keeps them']);
    const other = repo();
    // Every line init wants is there, but a later "!.env" re-includes the plaintext file.
    writeFileSync(join(other.dir, '.gitignore'), '.env\n.env.*\n!*.enc\n!.env.example\n!.env\n');
    const r2 = await init({ cwd: other.dir, env: other.env, onWarning: () => {} });
    expect(r2.gitignore.status).toBe('unchanged');
    expect(r2.warnings).toEqual(['.env is not ignored by git: an earlier "!" line in .gitignore re-includes it; check .gitignore']);
  });
});

describe('an existing setup', () => {
  it('uses a key from ENVCRYPT_AGE_KEY_FILE and creates none', async () => {
    const { dir, env } = repo();
    const id = await newIdentity(false);
    const keyFile = join(dir, '..', 'mine.txt');
    writeFileSync(keyFile, identityFileText(id), { mode: 0o600 });
    const r = await init({ cwd: dir, env: { ...env, ENVCRYPT_AGE_KEY_FILE: keyFile }, onWarning: () => {} });
    expect(r.key).toEqual({ recipient: id.recipient, source: `ENVCRYPT_AGE_KEY_FILE=${keyFile}`, created: false });
    expect(() => statSync(join(env.XDG_CONFIG_HOME!, 'envcrypt', 'keys.txt'))).toThrow();
  });

  it('leaves a teammate\'s .sops.yaml alone when it does not list you', async () => {
    const { dir, env } = repo();
    const other = (await newIdentity(false)).recipient;
    const text = `# team\ncreation_rules:\n  - path_regex: \\.enc$\n    age: ${other}\n`;
    writeFileSync(join(dir, '.sops.yaml'), text);
    const r = await init({ cwd: dir, env, onWarning: () => {} });
    expect(r.sopsYaml.status).toBe('not-a-recipient');
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(text);
  });

  it('reports a config with no rule for .env.enc, leaving it alone', async () => {
    const { dir, env } = repo();
    writeFileSync(join(dir, '.sops.yaml'), 'creation_rules:\n  - path_regex: ^k8s/\n    age: age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr\n');
    expect((await init({ cwd: dir, env, onWarning: () => {} })).sopsYaml.status).toBe('no-rule');
  });

  it('makes a post-quantum key with pq', async () => {
    const { dir, env } = repo();
    expect((await init({ cwd: dir, env, pq: true, onWarning: () => {} })).key.recipient).toMatch(/^age1pq1/);
  });
});
