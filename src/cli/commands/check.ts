import type { Finding, GuardRule } from '../../check/finding.js';
import { runCheck } from '../../check/scan.js';
import { ExitCode } from '../../errors.js';
import { optString, strings, type Command } from '../command.js';
import { withIdentity } from '../shared-options.js';
import { error, escapeLine, hint, note, report, warning, type Io } from '../output.js';

/** What to do about each kind of finding; printed once per kind found. */
const HINTS: Partial<Record<GuardRule, string>> = {
  'not-encrypted': 'encrypt it with "envcrypt encrypt FILE --in-place", or narrow the rule\'s path_regex if the file holds no secret',
  'plaintext-value': 'run "envcrypt edit FILE" and save to encrypt every value again; a value that was committed in plaintext should be rotated',
  mac: 'a hand-resolved merge conflict is the usual cause; compare with the last good version in git',
  parse: 'a hand-resolved merge conflict is the usual cause; compare with the last good version in git',
  'age-secret-key': 'never commit a private key; if one was committed, treat it as leaked: make a new key and remove the old one with "envcrypt recipients remove"',
  'private-key': 'never commit a private key; if one was committed, treat it as leaked and replace it',
};

/** Named one by one up to this many; past it, one hint for all. */
const MAX_NAMED = 3;

/**
 * One hint per plaintext .env file, in the order the steps are taken:
 * unstage it (or stop tracking it), ignore it, and commit its encrypted
 * copy `FILE.enc` instead (a name `git setup` and `.sops.yaml` from `init`
 * already cover).
 */
export function plainEnvHints(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  if (findings.length > MAX_NAMED) {
    return ['for each plaintext .env file: "git rm --cached -- FILE" (if staged or tracked), add FILE to .gitignore, then "envcrypt encrypt FILE -o FILE.enc" and "git add FILE.enc"'];
  }
  return findings.map((f) => {
    const q = /^[A-Za-z0-9_@%+=:,./-]+$/.test(f.file) ? f.file : `'${f.file.replaceAll("'", `'\\''`)}'`;
    const steps: string[] = [];
    const staged = /is staged/.test(f.message);
    const tracked = /is tracked/.test(f.message);
    if (staged || tracked) steps.push(`unstage it ("git rm --cached -- ${q}"; the file stays on disk)`);
    steps.push('make sure .gitignore lists it');
    steps.push(`and commit its encrypted copy instead ("envcrypt encrypt ${q} -o ${q}.enc", then "git add ${q}.enc")`);
    const history = tracked ? '; if it was ever committed, it stays in git history: rotate what it held' : '';
    return `${f.file}: ${steps.join(', ')}${history}`;
  });
}

function line(f: Finding): string {
  return `${escapeLine(f.file)}${f.line !== undefined ? `:${f.line}` : ''}: ${f.severity}: ${f.message} [${f.rule}]\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function printText(findings: readonly Finding[], checked: number, quiet: boolean, io: Io): void {
  for (const f of findings) report(io, line(f));
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.length - errors.length;
  const kinds = new Set(findings.map((f) => f.rule));
  // A plaintext .env file gets one hint of its own (below); a rule covering it is the same problem, not a second one.
  const plainEnv = findings.filter((f) => f.rule === 'plaintext-env');
  const plainEnvFiles = new Set(plainEnv.map((f) => f.file));
  if (findings.every((f) => f.rule !== 'not-encrypted' || plainEnvFiles.has(f.file))) kinds.delete('not-encrypted');
  for (const k of kinds) {
    const h = HINTS[k];
    if (h) hint(io, h);
  }
  for (const h of new Set(findings.flatMap((f) => (f.hint ? [f.hint] : [])))) hint(io, h);
  for (const h of plainEnvHints(plainEnv)) hint(io, h);
  if (kinds.has('age-secret-key') || kinds.has('private-key')) hint(io, 'throwaway test keys can be left out with --exclude PATTERN (e.g. --exclude "test/fixtures/**"); for the pre-commit hook: envcrypt git setup --hook --exclude PATTERN');
  if (errors.length > 0) {
    const files = new Set(errors.map((f) => f.file)).size;
    error(io, `${plural(errors.length, 'problem')} in ${plural(files, 'file')}${warnings ? ` and ${plural(warnings, 'warning')}` : ''} (${plural(checked, 'file')} checked)`);
  } else if (!quiet) {
    note(io, `checked ${plural(checked, 'file')}: no plaintext secrets found${warnings ? ` (${plural(warnings, 'warning')})` : ''}`);
  }
}

/**
 * `envcrypt check [PATH…] [--staged]`: the plaintext-commit guard. Exit 0
 * when nothing is wrong (warnings allowed), 1 when there is a finding.
 */
export const checkCommand: Command = {
  command: 'check [paths..]',
  describe: 'find plaintext secrets before they are committed: unencrypted files a .sops.yaml rule covers, plaintext values in encrypted files, bad MACs, plaintext .env files in git, private keys, secrets in Dockerfiles',
  builder: (y) =>
    withIdentity(y)
      .usage(
        [
          '$0 check [PATH…]      check PATHs, or the whole repository (tracked and untracked files git does not ignore)',
          '$0 check --staged     check what is staged for commit, as a pre-commit hook does (content from the index)',
          '',
          'Findings are printed as FILE[:LINE]: error|warning: MESSAGE [RULE], never with the text that triggered them.',
          'Exit status: 0 when no error was found (warnings do not fail), 1 when one was, other codes for usage and config errors.',
        ].join('\n'),
      )
      .positional('paths', { type: 'string', array: true, describe: 'files or directories to check (default: the repository, or this directory outside git)' })
      .option('staged', { type: 'boolean', default: false, describe: 'check the files staged for commit, reading their staged content' })
      .option('json', { type: 'boolean', default: false, describe: 'print { ok, findings, checked } as JSON on stdout' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing when all is well' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'say what was skipped and why (MACs without a key, files scanned in part)' })
      .option('exclude', { type: 'string', array: true, requiresArg: true, describe: 'leave out files matching this glob, relative to the repository root (repeatable; "*.pem", "test/fixtures/**")' })
      .option('mac', { type: 'boolean', default: true, describe: 'verify the MAC of encrypted files when a key is available (--no-mac to skip)' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from each file)' }),
  async handler(args, io) {
    const json = !!args.json;
    const quiet = !!args.quiet;
    const seen = new Set<string>();
    const config = optString(args.config);
    const paths = strings(args.paths);
    const report = await runCheck({
      paths,
      staged: !!args.staged,
      exclude: strings(args.exclude),
      verifyMac: args.mac !== false,
      identityFiles: strings(args.identity),
      env: io.env,
      // Key-file warnings would repeat for every encrypted file; say each once.
      onWarning: (m) => {
        if (!seen.has(m)) warning(io, m);
        seen.add(m);
      },
      ...(config !== undefined ? { configPath: config } : {}),
      ...(args.verbose && !quiet ? { onInfo: (m: string) => note(io, m) } : {}),
    });
    if (json) io.stdout(`${JSON.stringify({ ok: report.ok, findings: report.findings, checked: report.checked }, null, 2)}\n`);
    else printText(report.findings, report.checked, quiet, io);
    return report.ok ? ExitCode.ok : ExitCode.generic;
  },
};
