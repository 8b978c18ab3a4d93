/**
 * `init`: set a repository up for envcrypt. Makes the user's key if there is
 * none, writes a `.sops.yaml` with a creation rule for encrypted `.env` (and
 * `*.enc.yaml|json`) files, and keeps plaintext `.env` files out of git.
 * Running it again changes nothing; an existing key is never replaced.
 */
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { runGit } from '../repo/git.js';
import { writeFileAtomic } from '../io/atomic.js';
import { defaultKeyFile, identitySources } from '../keys/discovery.js';
import { identityFileText, newIdentity } from '../keys/keygen.js';
import { CONFIG_NAME } from '../repo/sops-config/find.js';
import { loadConfig, matchRule } from '../repo/sops-config/rules.js';
import { loadAgeLib } from '../keys/age/lib.js';

/**
 * The creation rule `init` writes, in any directory: `.env` and `.env.<anything>`
 * (so both the plaintext `.env` that `envcrypt encrypt .env -o .env.enc` is
 * given, since rules are matched against the input file, and the encrypted
 * `.env.enc`, `.env.production.enc` that repo-wide commands look for), and
 * `*.enc.yaml`, `*.enc.yml`, `*.enc.json`. Plaintext files that match are
 * harmless to repo-wide commands, which only take files with sops metadata.
 */
export const INIT_PATH_REGEX = String.raw`(^|/)\.env(\.[^/]*)?$|\.enc\.(ya?ml|json)$`;

/**
 * Lines `init` puts in `.gitignore`: plaintext `.env` and `.env.*` are
 * ignored; encrypted `*.enc` files and the `.env.example` template are not.
 * Later lines win in gitignore, so the two negations come last.
 */
export const GITIGNORE_LINES: readonly string[] = ['.env', '.env.*', '!*.enc', '!.env.example'];

const GITIGNORE_HEADER = '# envcrypt: plaintext .env files stay local; their encrypted *.enc copies are committed';

/** Options for {@link init}. */
export interface InitOptions {
  /** Where the repository is looked for (default `process.cwd()`). */
  cwd?: string;
  /** Where key variables and `XDG_CONFIG_HOME` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Make a post-quantum hybrid key when a new one is needed. */
  pq?: boolean;
  /** Clock, for the key file's "created" line. */
  now?: Date;
  /** Receives warnings such as a key file readable by others (default: printed to stderr). */
  onWarning?: (message: string) => void;
}

/** What `init` did. */
export interface InitResult {
  /** The repository root (git top level, else `cwd`). */
  root: string;
  key: {
    /** Your public key. */
    recipient: string;
    /** Where the identity came from (a file path or a variable name). */
    source: string;
    /** True when `init` made it. */
    created: boolean;
  };
  sopsYaml: {
    path: string;
    /**
     * `created`; `unchanged` (a rule for `.env.enc` already lists you);
     * `not-a-recipient` (a rule exists and does not list you: ask a member to
     * add you); `no-rule` (the config has no rule for `.env.enc`).
     */
    status: 'created' | 'unchanged' | 'not-a-recipient' | 'no-rule';
  };
  gitignore: { path: string; status: 'created' | 'updated' | 'unchanged'; added: string[] };
  /** Problems found after writing, e.g. plaintext `.env` files git already tracks. */
  warnings: string[];
}

/** One git query that may fail (no git, not a work tree): ok and stdout. */
function gitOk(cwd: string, args: string[]): { ok: boolean; out: string } {
  try {
    const r = runGit(args, cwd);
    return { ok: r.status === 0, out: r.stdout };
  } catch {
    return { ok: false, out: '' };
  }
}

/** Create a secret file that must not exist yet, mode 0600, in a 0700 directory. */
function createSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (cause) {
    throw new EnvcryptError('IO', `cannot create ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause, file: path });
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Your key: the first identity any discovery source has, else a new one at the default path. */
async function ensureKey(opts: InitOptions): Promise<InitResult['key']> {
  const env = opts.env ?? process.env;
  const age = await loadAgeLib();
  for (const source of identitySources({ env, identityFiles: [], ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) })) {
    // Only age identities: an SSH key found by discovery decrypts, but is not made or kept by init.
    const ids = source.load()?.filter((i): i is string => typeof i === 'string' && /^AGE-SECRET-KEY-/.test(i));
    if (ids && ids.length > 0) return { recipient: await age.identityToRecipient(ids[0]!), source: source.label, created: false };
  }
  const file = defaultKeyFile(env);
  const id = await newIdentity(!!opts.pq);
  createSecretFile(file, identityFileText(id, opts.now));
  return { recipient: id.recipient, source: file, created: true };
}

function sopsYamlText(recipient: string): string {
  return [
    '# Which files envcrypt (and sops) encrypt, and to whom. The first rule whose',
    '# path_regex matches a file wins. Add a teammate with "envcrypt recipients add <key>".',
    'creation_rules:',
    `  - path_regex: '${INIT_PATH_REGEX}'`,
    `    age: ${recipient}`,
    '',
  ].join('\n');
}

function ensureSopsYaml(root: string, recipient: string): InitResult['sopsYaml'] {
  const path = join(root, CONFIG_NAME);
  if (!existsSync(path)) {
    writeFileAtomic(path, sopsYamlText(recipient), { mode: 0o644 });
    return { path, status: 'created' };
  }
  const rule = matchRule(loadConfig(path), path, join(root, '.env.enc'));
  if (!rule) return { path, status: 'no-rule' };
  return { path, status: rule.recipients.includes(recipient) ? 'unchanged' : 'not-a-recipient' };
}

function ensureGitignore(root: string): InitResult['gitignore'] {
  const path = join(root, '.gitignore');
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const present = new Set((before ?? '').split('\n').map((l) => l.trim()));
  const added = GITIGNORE_LINES.filter((l) => !present.has(l));
  if (added.length === 0) return { path, status: 'unchanged', added };
  const head = before === null || before === '' ? '' : before.endsWith('\n') ? `${before}\n` : `${before}\n\n`;
  const header = present.has(GITIGNORE_HEADER) ? [] : [GITIGNORE_HEADER];
  writeFileAtomic(path, `${head}${[...header, ...added].join('\n')}\n`, { mode: 0o644 });
  return { path, status: before === null ? 'created' : 'updated', added };
}

/** Check the ignore rules as git applies them, and look for plaintext already committed. */
function gitChecks(root: string): string[] {
  const warnings: string[] = [];
  if (!gitOk(root, ['rev-parse', '--is-inside-work-tree']).ok) return warnings;
  // check-ignore exits 0 when the path is ignored; --no-index ignores whether it is tracked.
  const ignored = (p: string) => gitOk(root, ['check-ignore', '-q', '--no-index', p]).ok;
  if (!ignored('.env')) warnings.push('.env is not ignored by git: an earlier "!" line in .gitignore re-includes it; check .gitignore');
  if (ignored('.env.enc')) warnings.push('.env.enc is ignored by git, so the encrypted file would not be committed; check .gitignore');
  const tracked = gitOk(root, ['ls-files', '-ci', '--exclude-standard']).out.split('\n').filter((f) => /(^|\/)\.env(\.[^/]*)?$/.test(f) && !/\.(enc|example)$/.test(f));
  for (const f of tracked) {
    warnings.push(`${f} is committed to git in plaintext: run "git rm --cached ${f}", and rotate its secrets, since git history keeps them`);
  }
  return warnings;
}

/**
 * Set up the repository containing `cwd` (its git top level, else `cwd`).
 * See the module comment; each step is skipped when already done.
 *
 * @throws EnvcryptError for an unreadable key source or a broken `.sops.yaml`
 */
export async function init(opts: InitOptions = {}): Promise<InitResult> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const top = gitOk(cwd, ['rev-parse', '--show-toplevel']);
  const root = top.ok && top.out.trim() !== '' ? top.out.trim() : cwd;
  const key = await ensureKey(opts);
  const sopsYaml = ensureSopsYaml(root, key.recipient);
  const gitignore = ensureGitignore(root);
  return { root, key, sopsYaml, gitignore, warnings: gitChecks(root) };
}
