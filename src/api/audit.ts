/**
 * `envcrypt audit [FILE…]`: the lifecycle of every secret from the git
 * history of the encrypted files: how old each value is, who could still
 * know it, and what the policy says is due. See the README, "Lifecycle".
 */
import { join, relative, resolve, sep } from 'node:path';
import { EnvcryptError } from '../errors.js';
import type { KeyOptions } from '../keys/discovery.js';
import { compilePolicy, loadPolicy, type PolicySource } from '../repo/audit-policy.js';
import { shownPath, resolveTargets } from '../repo/files.js';
import { git, isCommit, repoTop } from '../repo/git.js';
import { fileHistories, readVersions } from '../repo/history.js';
import { MAX_SOPS_FILE_BYTES, sopsFormatOf } from '../stores/sniff.js';
import { VersionOpener } from './audit/open.js';
import { fileReport } from './audit/report.js';
import { buildTimeline, type TimelineInput } from './audit/timeline.js';
import type { AuditReport, FileReport, Violation } from './audit/types.js';

export type * from './audit/types.js';

/** Options for {@link runAudit}. */
export interface AuditOptions extends KeyOptions {
  /** Where relative paths start and the repository is found (default `process.cwd()`). */
  cwd?: string;
  /** Files to audit; default every encrypted file a `.sops.yaml` rule matches. */
  files?: readonly string[];
  /** `--config PATH` for finding the files. */
  configPath?: string;
  /** Where the policy comes from (default `.envcrypt.yaml` at the top of the work tree). */
  policy?: PolicySource;
  /** The revision whose history is walked (default `HEAD`). */
  rev?: string;
  /** The time ages are measured at (default: now). */
  now?: Date;
  /** Progress notes for `--verbose` (names, counts and reasons only). */
  onInfo?: (message: string) => void;
}

/**
 * Audit the history of encrypted files. Each version is opened with the
 * user's identities and verified as `decrypt` verifies a file; a version that
 * cannot be opened or does not verify is reported as a gap.
 *
 * @throws EnvcryptError `NOT_FOUND` outside a git work tree or for a policy
 *   source that does not exist, `PARSE` for a bad policy, `IO` when git fails
 */
export async function runAudit(opts: AuditOptions = {}): Promise<AuditReport> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const top = repoTop(cwd);
  const now = opts.now ?? new Date();
  const policy = loadPolicy(top, opts.policy ?? {});
  const compiled = compilePolicy(policy);
  const abs = opts.files?.length
    ? opts.files.map((f) => resolve(cwd, f))
    : (await resolveTargets([], { cwd, ...(opts.configPath ? { configPath: opts.configPath } : {}), ...(opts.env ? { env: opts.env } : {}) })).scan!.files.map((f) => f.path);
  const rels = abs.map((a) => {
    const rel = relative(top, a);
    if (rel.startsWith('..') || rel === '') throw new EnvcryptError('USAGE', `${shownPath(a, cwd)} is not inside the repository at ${top}`);
    return rel.split(sep).join('/');
  });
  // A shallow clone's oldest commit would look like the creation of every value in it: refuse rather than guess.
  if (git(['rev-parse', '--is-shallow-repository'], top).trim() === 'true') {
    throw new EnvcryptError('UNSUPPORTED', `${top} is a shallow clone: audit needs the whole history`, {
      hints: ['fetch it with "git fetch --unshallow" (in GitHub Actions: actions/checkout with fetch-depth: 0)'],
    });
  }
  const rev = opts.rev ?? 'HEAD';
  if (!isCommit(top, rev)) throw new EnvcryptError('NOT_FOUND', `no such git revision: ${rev}`, { hints: ['name a commit, branch or tag with --rev (fetch it first if it is remote)'] });
  const histories = fileHistories(top, rels, rev);
  const opener = new VersionOpener(opts);
  const files: FileReport[] = [];
  const violations: Violation[] = [];
  for (const h of histories) {
    const shown = shownPath(join(top, h.path), cwd);
    const blobs = await readVersions(top, h.versions, MAX_SOPS_FILE_BYTES);
    const fallback = sopsFormatOf(h.path, '');
    const inputs: TimelineInput[] = [];
    for (const [i, v] of h.versions.entries()) inputs.push({ commit: v.commit, path: v.path, state: await opener.open(blobs[i]!, v.path, fallback) });
    const timeline = buildTimeline(inputs);
    const { report, violations: found } = fileReport(shown, h.path, inputs, timeline, compiled, now);
    if (h.versions.length === 0) report.currentUnknown = 'not committed';
    opts.onInfo?.(`${shown}: ${h.versions.length} versions, ${timeline.gaps.length} gaps`);
    files.push(report);
    violations.push(...found);
  }
  opts.onInfo?.(`${opener.unwraps} data key unwraps for ${files.reduce((n, f) => n + f.versions, 0)} versions`);
  return { schema: 1, now: now.toISOString(), policy: policy.source, files, violations, ok: violations.length === 0 };
}
