/**
 * A git repository with a scripted history of one encrypted file, for
 * `envcrypt audit`: every commit at a fixed author and committer date, so
 * the timelines are exact. Keys are throwaway, made for the run.
 *
 *  1 2024-01-01 alice   old.env.enc created: DB_PASSWORD, API_TOKEN, SESSION_SECRET, LOG_LEVEL (to alice)
 *  2 2024-02-01 alice   DB_PASSWORD changed
 *  3 2024-03-01 alice   bob added as a recipient (same data key)
 *  4 2024-04-01 bob     API_TOKEN changed
 *  5 2024-05-01 alice   renamed to .env.enc
 *  6 2024-06-01 alice   bob removed: data key rotated
 *  7 2024-06-15 alice   DB_PASSWORD changed (rotated after the removal; API_TOKEN is not)
 *    2024-07-01 alice   on branch feature: NEW_KEY added
 *    2024-07-05 alice   on main: README.md (another file)
 *  8 2024-07-10 merger  merge of feature (the file is rewritten by the merge)
 *  9 2024-08-01 carol   the file replaced by one encrypted only to carol (LOG_LEVEL changed there)
 * 10 2024-09-01 alice   encrypted again to alice alone, LOG_LEVEL=warn
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptText } from '../../src/api/encrypt.js';
import { planAddRecipient, planRemoveRecipient } from '../../src/api/recipients.js';
import { commitPlan } from '../../src/api/rotate.js';
import { setValue } from '../../src/api/set.js';
import { identityFileText, newIdentity } from '../../src/keys/keygen.js';
import { str } from '../../src/tree/types.js';
import { cleanEnv } from './run-cli.js';

/** Every value the history ever held: none may appear in any output. */
export const CANARIES = {
  p1: 'CANARY-audit-p1-8d2f', p2: 'CANARY-audit-p2-41ac', p3: 'CANARY-audit-p3-77e0',
  t1: 'CANARY-audit-t1-c3b9', t2: 'CANARY-audit-t2-09dd',
  s1: 'CANARY-audit-s1-5a6e', n1: 'CANARY-audit-n1-e2f4',
  info: 'CANARY-audit-info-1b', debug: 'CANARY-audit-debug-3c', warn: 'CANARY-audit-warn-4d',
};

export interface Person { name: string; file: string; recipient: string }

export interface AuditRepo {
  dir: string;
  alice: Person;
  bob: Person;
  carol: Person;
  /** Commit shas by step (1-10, 'feature' for the side-branch commit). */
  commits: Record<string, string>;
  /** The environment a test runs audit with: alice's key only. */
  env: NodeJS.ProcessEnv;
}

function run(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Build the repository in `dir` (empty). */
export async function buildAuditRepo(dir: string): Promise<AuditRepo> {
  const person = async (name: string): Promise<Person> => {
    const id = await newIdentity(false);
    const file = join(dir, '..', `${name}-throwaway-key.txt`);
    writeFileSync(file, identityFileText(id), { mode: 0o600 });
    return { name, file, recipient: id.recipient };
  };
  const [alice, bob, carol] = [await person('alice'), await person('bob'), await person('carol')];
  const base = cleanEnv({ GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent-home', XDG_CONFIG_HOME: '/nonexistent-config' });
  const env = { ...base, ENVCRYPT_AGE_KEY_FILE: alice.file };
  const as = (p: Person) => ({ identityFiles: [p.file], env: base, onWarning: () => undefined });
  const commits: Record<string, string> = {};
  const gitAt = (date: string, who: string, ...args: string[]) =>
    run(dir, { ...base, GIT_AUTHOR_DATE: `${date}T12:00:00Z`, GIT_COMMITTER_DATE: `${date}T12:00:00Z` }, '-c', `user.name=${who}`, '-c', `user.email=${who}@example.com`, ...args);
  // The branch's ref file names the new commit: no extra git process per commit (refs stay loose in a fresh repository).
  const head = () => readFileSync(join(dir, '.git', readFileSync(join(dir, '.git', 'HEAD'), 'utf8').replace(/^ref: /, '').trim()), 'utf8').trim();
  const commit = (step: string, date: string, who: string, message: string, add = false) => {
    if (add) gitAt(date, who, 'add', '-A');
    gitAt(date, who, 'commit', '-q', '-a', '-m', message);
    commits[step] = head();
  };
  const plain = (v: Record<string, string>) => Object.entries(v).map(([k, x]) => `${k}=${x}\n`).join('');
  const encryptTo = async (name: string, values: Record<string, string>, to: Person) =>
    writeFileSync(join(dir, name), await encryptText(plain(values), name, { recipients: [to.recipient], onWarning: () => undefined }));

  run(dir, base, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: \\.env\\.enc$\n    age: ${alice.recipient}\n`);
  await encryptTo('old.env.enc', { DB_PASSWORD: CANARIES.p1, API_TOKEN: CANARIES.t1, SESSION_SECRET: CANARIES.s1, LOG_LEVEL: CANARIES.info }, alice);
  commit('1', '2024-01-01', 'alice', 'create', true);
  await setValue(join(dir, 'old.env.enc'), 'DB_PASSWORD', str(CANARIES.p2), as(alice));
  commit('2', '2024-02-01', 'alice', 'rotate db');
  commitPlan(await planAddRecipient(bob.recipient, [join(dir, 'old.env.enc')], as(alice)));
  commit('3', '2024-03-01', 'alice', 'add bob');
  await setValue(join(dir, 'old.env.enc'), 'API_TOKEN', str(CANARIES.t2), as(bob));
  commit('4', '2024-04-01', 'bob', 'new token');
  gitAt('2024-05-01', 'alice', 'mv', 'old.env.enc', '.env.enc');
  commit('5', '2024-05-01', 'alice', 'rename');
  commitPlan(await planRemoveRecipient(bob.recipient, [join(dir, '.env.enc')], as(alice)));
  commit('6', '2024-06-01', 'alice', 'remove bob');
  await setValue(join(dir, '.env.enc'), 'DB_PASSWORD', str(CANARIES.p3), as(alice));
  commit('7', '2024-06-15', 'alice', 'rotate db after bob left');
  gitAt('2024-07-01', 'alice', 'checkout', '-q', '-b', 'feature');
  await setValue(join(dir, '.env.enc'), 'NEW_KEY', str(CANARIES.n1), as(alice));
  commit('feature', '2024-07-01', 'alice', 'new key on a branch');
  gitAt('2024-07-05', 'alice', 'checkout', '-q', 'main');
  writeFileSync(join(dir, 'README.md'), 'docs\n');
  commit('main', '2024-07-05', 'alice', 'docs', true);
  gitAt('2024-07-10', 'merger', 'merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
  commits['8'] = head();
  const values = { DB_PASSWORD: CANARIES.p3, API_TOKEN: CANARIES.t2, SESSION_SECRET: CANARIES.s1, LOG_LEVEL: CANARIES.debug, NEW_KEY: CANARIES.n1 };
  await encryptTo('.env.enc', values, carol);
  commit('9', '2024-08-01', 'carol', 'carol rewrites the file');
  await encryptTo('.env.enc', { ...values, LOG_LEVEL: CANARIES.warn }, alice);
  commit('10', '2024-09-01', 'alice', 'alice takes it back');
  return { dir, alice, bob, carol, commits, env };
}
