import { runAudit } from '../../api/audit.js';
import { fixGenerated } from '../../api/audit-fix.js';
import { renderJson, renderMarkdown, renderTable } from '../../api/audit/render.js';
import { EnvcryptError, ExitCode } from '../../errors.js';
import { optString, strings, type Command } from '../command.js';
import { withIdentity } from '../shared-options.js';
import { escapeLine, hint, note, warning } from '../output.js';

const FORMATS = ['table', 'json', 'markdown'] as const;

/**
 * `envcrypt audit [FILE…]`: each value's age, who could still know it, and
 * what the policy says is due, from the git history of the encrypted files.
 * Exit 0, or 11 with `--check` when the policy is broken.
 */
export const auditCommand: Command = {
  command: 'audit [files..]',
  describe: 'the lifecycle of every secret from git history: age of each value, removed recipients who still know values, policy violations',
  builder: (y) =>
    withIdentity(y)
      .usage(
        [
          '$0 audit [FILE…]                       every encrypted file a .sops.yaml rule matches, or the FILEs',
          '$0 audit --check --format markdown     for CI: exit 11 when a value breaks the policy (.envcrypt.yaml)',
          '$0 audit --fix-generated               regenerate the due values the policy lists under regenerate:',
          '',
          'Never prints a value, nor a hash, prefix or length of one: only key names, dates, authors, commits and recipients.',
        ].join('\n'),
      )
      .positional('files', { type: 'string', array: true, describe: 'encrypted files to audit (default: every file a .sops.yaml creation rule matches)' })
      .option('check', { type: 'boolean', default: false, describe: 'exit 11 when any value breaks the policy' })
      .option('format', { type: 'string', choices: FORMATS, describe: 'table (default), json or markdown (for $GITHUB_STEP_SUMMARY)' })
      .option('json', { type: 'boolean', default: false, describe: 'the same as --format json' })
      .option('policy', { type: 'string', requiresArg: true, describe: 'policy file (default: .envcrypt.yaml at the top of the repository)' })
      .option('policy-ref', { type: 'string', requiresArg: true, describe: 'read .envcrypt.yaml as it is at this git revision (in CI: the base branch)' })
      .option('rev', { type: 'string', requiresArg: true, describe: 'walk the history of this revision (default HEAD)' })
      .option('fix-generated', { type: 'boolean', default: false, describe: 'regenerate the due values that match the policy\'s regenerate: patterns, and list the rest' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from each file)' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'say how many versions and data key unwraps each file took' }),
  async handler(args, io) {
    const format = args.json ? 'json' : (optString(args.format) ?? 'table');
    const policyFile = optString(args.policy);
    const policyRef = optString(args['policy-ref']);
    if (policyFile !== undefined && policyRef !== undefined) throw new EnvcryptError('USAGE', '--policy and --policy-ref cannot be used together');
    const config = optString(args.config);
    const rev = optString(args.rev);
    const keys = { identityFiles: strings(args.identity), env: io.env, onWarning: (m: string) => warning(io, m) };
    const report = await runAudit({
      ...keys,
      files: strings(args.files),
      policy: { ...(policyFile !== undefined ? { file: policyFile } : {}), ...(policyRef !== undefined ? { ref: policyRef } : {}) },
      ...(config !== undefined ? { configPath: config } : {}),
      ...(rev !== undefined ? { rev } : {}),
      ...(args.verbose ? { onInfo: (m: string) => note(io, escapeLine(m)) } : {}),
    });
    io.stdout(format === 'json' ? renderJson(report) : format === 'markdown' ? renderMarkdown(report) : renderTable(report));
    if (args['fix-generated']) {
      const fix = await fixGenerated(report, { ...keys, ...(config !== undefined ? { configPath: config } : {}) });
      for (const d of fix.regenerated) note(io, escapeLine(`${d.file}: regenerated ${d.key} (${d.why.join(', ')})`));
      for (const d of fix.manual) warning(io, escapeLine(`${d.file}: ${d.key} is ${d.why.join(' and ')}: rotate it upstream by hand, then "envcrypt set ${d.file} ${d.key}"`));
      if (fix.regenerated.length) hint(io, 'review and commit the regenerated values; services reading them pick up the new ones on their next start');
    }
    if (report.files.some((f) => f.exposures.length > 0) && format === 'table') hint(io, 'a removed recipient keeps every value it could read: rotate those at their source (database, API provider), then "envcrypt set FILE KEY"');
    return args.check && !report.ok ? ExitCode.policy : ExitCode.ok;
  },
};
