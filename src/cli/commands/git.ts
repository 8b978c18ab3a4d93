import { plainMerge, setupClone, textconv as showForDiff, type SetupResult } from '../../api/git.js';
import { mergeFile } from '../../api/merge-file.js';
import { EnvcryptError } from '../../errors.js';
import { strings, type Args, type Command } from '../command.js';
import { envFlag, withIdentity } from '../shared-options.js';
import { error, hint, note, warning, type Io } from '../output.js';

const ACTIONS = ['setup', 'textconv', 'merge-driver'] as const;

function keyOptions(args: Args, io: Io) {
  return { identityFiles: strings(args.identity), env: io.env, onWarning: (m: string) => warning(io, m) };
}

function report(r: SetupResult, io: Io): void {
  const changed = r.added.length > 0 || r.config.length > 0 || (r.hook && r.hook.action !== 'unchanged');
  if (r.added.length > 0) note(io, `added ${r.added.length} line${r.added.length === 1 ? '' : 's'} to .gitattributes (commit it so that everyone gets them)`);
  if (r.config.length > 0) note(io, `set ${r.config.map(([k]) => k).join(', ')} in the repository's git config`);
  if (r.hook && r.hook.action !== 'unchanged') note(io, `${r.hook.action} the pre-commit hook ${r.hook.path}`);
  if (!changed) note(io, 'already set up; nothing changed');
  if (r.config.length > 0 || r.hook?.action === 'installed' || r.hook?.action === 'updated' || r.hook?.action === 'replaced') {
    const how = r.invocation.kind === 'path' ? 'envcrypt on PATH' : r.invocation.kind === 'repo' ? 'this repository\'s node_modules/.bin/envcrypt' : `"${r.invocation.words.join(' ')}"`;
    note(io, `git runs ${how}`);
    if (r.invocation.kind === 'absolute') hint(io, 'install envcrypt on PATH (npm install -g envcrypt) or in this repository (npm install -D envcrypt) and run "envcrypt git setup" again, so that moving this copy does not break "git diff" and "git merge"');
  }
  note(io, `${r.files.length} encrypted file${r.files.length === 1 ? '' : 's'} found; "git diff" decrypts them for key holders and "git merge" merges them by key`);
  if (r.config.length > 0) hint(io, 'git config is not shared by clones: everyone who merges encrypted files runs "envcrypt git setup" once');
}

async function setup(args: Args, io: Io): Promise<number> {
  report(await setupClone({ hook: !!args.hook, force: !!args.force, exclude: strings(args.exclude) }), io);
  return 0;
}

/** git diff must never fail because of a file: anything that cannot be decrypted is shown as it is. */
async function textconv(rest: string[], args: Args, io: Io): Promise<number> {
  const file = rest[0];
  if (file === undefined || rest.length > 1) throw new EnvcryptError('USAGE', 'git textconv needs exactly one FILE');
  const shown = await showForDiff(file, keyOptions(args, io));
  if (shown.shownEncrypted !== null) note(io, `git textconv: showing ${file} encrypted: ${shown.shownEncrypted}`);
  io.stdout(shown.text);
  return 0;
}

function noMergeHints(e: EnvcryptError, path: string): void {
  if (e.code === 'NO_IDENTITY') e.hints.push(`the merge driver needs a key that opens ${path}; get one, then run the merge again`);
  e.hints.push(
    `${path} is left as your version and git marks it conflicted: keep one side with "git checkout --ours ${path}" or "git checkout --theirs ${path}", then "git add ${path}"`,
  );
}

async function mergeDriver(rest: string[], args: Args, io: Io): Promise<number> {
  if (rest.length < 3 || rest.length > 4) {
    throw new EnvcryptError('USAGE', 'git merge-driver needs BASE OURS THEIRS [PATH]', {
      hints: ['git runs it as "envcrypt git merge-driver %O %A %B %P"; set it up with "envcrypt git setup"'],
    });
  }
  const [base, ours, theirs] = rest as [string, string, string];
  const path = rest[3] ?? ours;
  const plain = await plainMerge(base, ours, theirs, path, process.cwd());
  if (plain !== null) {
    if (plain > 0) note(io, `${path} is not encrypted; merged it line by line with ${plain} conflict${plain === 1 ? '' : 's'}`);
    return plain > 0 ? 1 : 0;
  }
  let outcome;
  try {
    const allow = !!args['allow-selector-change'] || envFlag(io.env.ENVCRYPT_ALLOW_SELECTOR_CHANGE);
    outcome = await mergeFile(base, ours, theirs, { ...keyOptions(args, io), name: path, ...(allow ? { allowSelectorChange: true } : {}) });
  } catch (e) {
    if (e instanceof EnvcryptError) noMergeHints(e, path);
    throw e;
  }
  if (outcome.rotated) note(io, `merged ${path} with a new data key${outcome.removed.length > 0 ? ' (a recipient was removed on one side)' : ''}`);
  const n = outcome.conflicts.length;
  if (n === 0) return 0;
  error(io, `merge conflict in ${path} on ${n} key${n === 1 ? '' : 's'}: ${outcome.conflicts.join(', ')}`);
  hint(io, `the file keeps your side's values for ${n === 1 ? 'that key' : 'those keys'}; both sides' other changes are merged`);
  hint(io, `compare the two sides with "git diff :2:${path} :3:${path}" (yours, then theirs; decrypted for key holders)`);
  hint(io, `resolve with "envcrypt edit ${path}", then "git add ${path}"`);
  return 1;
}

/** `envcrypt git setup|textconv|merge-driver …`. */
export const gitCommand: Command = {
  command: 'git <action> [args..]',
  describe: 'git integration: decrypted "git diff" and merge by key for encrypted files ("envcrypt git setup" once per clone)',
  builder: (y) =>
    withIdentity(y)
      .usage(
        [
          '$0 git setup [--hook [--exclude GLOB]…] [--force]   set up this clone: .gitattributes lines, git config drivers, optional pre-commit hook',
          '$0 git textconv FILE                   print FILE decrypted (as it is when no key opens it); git diff runs this',
          '$0 git merge-driver BASE OURS THEIRS [PATH]   merge by key into OURS; git merge runs this',
          '',
          'setup adds "diff=envcrypt merge=envcrypt" for *.env.enc, .env.*.enc, *.enc.env, *.enc.yaml, *.enc.yml, *.enc.json,',
          'for the globs the .sops.yaml rules\' path_regex translate to, and for each encrypted file none of those covers.',
          'git runs "envcrypt" when it is on PATH, else node_modules/.bin/envcrypt of a repo-local install, else node and this copy\'s path.',
          'The merge driver exits 1 on a conflict (naming the keys, never the values) and leaves a valid encrypted file.',
          'Throwaway test keys that the hook should not flag: setup --hook --exclude "test/fixtures/**" (repeatable; the hook',
          'is rewritten from the options given each time, so list every glob again when running setup --hook again).',
        ].join('\n'),
      )
      .positional('action', { choices: ACTIONS, describe: 'setup, textconv or merge-driver' })
      .positional('args', { type: 'string', array: true, describe: 'FILE (textconv); BASE OURS THEIRS [PATH] (merge-driver)' })
      .option('hook', { type: 'boolean', default: false, describe: 'setup: also install a pre-commit hook running "envcrypt check --staged"' })
      .option('exclude', { type: 'string', array: true, requiresArg: true, describe: 'setup --hook: leave files matching this glob out of the hook\'s check (repeatable; for throwaway test keys)' })
      .option('force', { type: 'boolean', default: false, describe: 'setup --hook: replace a pre-commit hook that is not envcrypt\'s' })
      .option('allow-selector-change', { type: 'boolean', default: false, describe: 'merge-driver: store new values as ours\' selector says even when it drifted from the .sops.yaml rule (also ENVCRYPT_ALLOW_SELECTOR_CHANGE=1, since git runs the driver)' }),
  async handler(args, io) {
    const action = String(args.action);
    const rest = strings(args.args);
    if (action === 'setup') {
      if (rest.length > 0) throw new EnvcryptError('USAGE', 'git setup takes no FILE arguments');
      return setup(args, io);
    }
    if (action === 'textconv') return textconv(rest, args, io);
    return mergeDriver(rest, args, io);
  },
};
