/**
 * `rotate`: a new data key for one file or every file of the repository,
 * with the same recipients. Also the planning and committing machinery that
 * `recipients add|remove` share: every file's new text is computed in memory
 * first, and only then written, as one batch.
 */
import { EnvcryptError } from '../errors.js';
import { writeBatch, type BatchOptions, type PlannedWrite } from '../io/batch-write.js';
import { readTextFile } from '../io/read.js';
import { shareKeySources, type KeyOptions } from '../keys/discovery.js';
import { resolveTargets, type TargetOptions } from '../repo/files.js';
import { formatFor, storeFor } from '../stores/index.js';
import type { EmitOptions, Format } from '../stores/store.js';
import { formatPath } from '../tree/path.js';
import type { Branch } from '../tree/types.js';
import { forEachLeaf } from '../tree/walk.js';
import { decryptText } from './decrypt.js';
import { encryptBranches, type Grant } from './encrypt.js';
import { emitChecked } from './seal.js';
import { announceGrants, governingRule } from './vouch.js';
import { indentFor } from './write-back.js';
import { layoutOf } from './key-layout.js';

/** What will happen to one file. */
export interface FilePlan {
  /** The path as given or as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** The text read. */
  before: string;
  /** The new text, or null when the file stays as it is. */
  after: string | null;
  /** Why the file stays as it is, when it does. */
  note?: string;
  /** Key paths whose values were re-encrypted (under a new data key). */
  keys: string[];
  /** Recipients given the data key on the strength of this command or `.sops.yaml` (announced on stderr). */
  grants?: Grant[];
}

/** A change to one `.sops.yaml`. */
export interface ConfigPlan {
  file: string;
  before: string;
  after: string;
  /** 1-based indices of the creation rules that change. */
  rules: number[];
}

/** Everything a command will write, prepared in memory. */
export interface ChangePlan {
  files: FilePlan[];
  configs: ConfigPlan[];
  /**
   * Write the configs before the files (removing a recipient: no new file is
   * encrypted to the leaver while the batch runs) or after them (adding one:
   * the config never promises access the files do not give yet).
   */
  configsFirst: boolean;
  /** Things the user should know that are not errors (rules left alone, and so on). */
  notes: string[];
}

/** Options for the repo-wide commands. */
export interface RekeyOptions extends KeyOptions, TargetOptions {}

/** Every recipient the plan gives the data key on the strength of the command or `.sops.yaml`, per file (for `--json`). */
export function planGrants(plan: ChangePlan): Array<Grant & { file: string }> {
  return changedFiles(plan).flatMap((f) => (f.grants ?? []).map((g) => ({ file: f.file, ...g })));
}

/** Files the plan changes. */
export function changedFiles(plan: ChangePlan): FilePlan[] {
  return plan.files.filter((f) => f.after !== null);
}

/**
 * Write a plan: configs and files in the order {@link ChangePlan.configsFirst}
 * gives, as one batch (see {@link writeBatch}).
 *
 * Why a crash can never leave a file that no remaining recipient opens: each
 * file is replaced by one atomic rename, so at any moment it is either its old
 * version (old data key, wrapped for the old recipients, which include every
 * remaining one) or its new version (new data key, wrapped for exactly the
 * remaining ones). There is no third state: the new data key never reaches
 * disk except inside a complete new file. Files not yet written keep the old
 * key, which the remaining recipients still hold, so running the command
 * again finishes the job.
 *
 * @returns the paths written, in order
 */
export function commitPlan(plan: ChangePlan, opts: BatchOptions = {}): string[] {
  const files: PlannedWrite[] = changedFiles(plan).map((f) => ({ path: f.file, text: f.after!, expected: f.before }));
  const configs: PlannedWrite[] = plan.configs.map((c) => ({ path: c.file, text: c.after, expected: c.before }));
  return writeBatch(plan.configsFirst ? [...configs, ...files] : [...files, ...configs], opts);
}

/** YAML/JSON indentation from the `stores` section of the file's `.sops.yaml`, as `encrypt` uses ({@link indentFor}). */
export function emitOptionsFor(path: string, format: Format, opts: TargetOptions): EmitOptions {
  const indent = indentFor(path, format, {
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
  });
  return indent === undefined ? {} : { indent };
}

/** Key paths of every encrypted value (comments excluded), once each, in walk order. */
export function encryptedKeyPaths(branches: readonly Branch[]): string[] {
  const seen = new Set<string>();
  forEachLeaf(branches, (node, ctx) => {
    if (node.kind === 'str' && node.value.startsWith('ENC[AES256_GCM,')) seen.add(formatPath(ctx.path));
  });
  return [...seen];
}

/**
 * Re-encrypt one file under a new data key to the recipients `next` returns
 * for its current ones, key group by key group (one list per group; with
 * several, the new key is split afresh with the file's threshold). The file is decrypted first with its MAC verified;
 * values, comments, selector and `mac_only_encrypted` are kept.
 *
 * @param next - the new recipients of each group, or a string saying why the file stays as it is
 * @throws EnvcryptError from decryption (`NO_IDENTITY`, `MAC_MISMATCH`, …);
 *   `UNSUPPORTED` for a file with non-age master keys, which a new data key
 *   would lock out
 */
export async function rekeyFile(file: string, opts: RekeyOptions, next: (current: readonly (readonly string[])[]) => string[][] | string): Promise<FilePlan> {
  const before = readTextFile(file);
  const format = formatFor(file, undefined, undefined, before);
  const dec = await decryptText(before, file, { ...opts, format });
  const other = dec.metadata.groups.flatMap((g) => g.other.map((p) => p.key));
  if (other.length > 0) {
    throw new EnvcryptError('UNSUPPORTED', `${file} also has ${[...new Set(other)].join(', ')} master keys, which envcrypt cannot re-wrap a new data key for`, {
      file,
      hints: ['use sops for this file ("sops rotate -i"), or re-encrypt it to age keys only'],
    });
  }
  const layout = next(layoutOf(dec.metadata));
  const keys = encryptedKeyPaths(dec.encrypted);
  if (typeof layout === 'string') return { file, before, after: null, note: layout, keys: [] };
  const rule = governingRule(file, { env: opts.env ?? process.env, ...(opts.configPath ? { configPath: opts.configPath } : {}) });
  const enc = await encryptBranches(dec.branches, {
    recipients: layout.flat(),
    ...(layout.length > 1 ? { groups: layout } : {}),
    previous: dec,
    rotate: true,
    ...(rule ? { vouched: rule.vouched, ...(rule.threshold !== undefined ? { vouchedThreshold: rule.threshold } : {}) } : {}),
  });
  announceGrants(file, enc.grants, opts.onWarning, enc.firstRecord);
  const store = await storeFor(format);
  const after = emitChecked(store, enc, dec.branches, file, emitOptionsFor(file, format, opts));
  return { file, before, after, keys, grants: enc.grants };
}

/**
 * Plan `rotate`: a new data key for each file (or, with no files, every
 * encrypted file of the repository that `.sops.yaml` rules match), the same
 * recipients, every value re-encrypted. IVs of values are reused under the
 * new key, which is safe: a (key, IV) pair is still never used twice.
 *
 * Nothing is written; pass the plan to {@link commitPlan}. Any failure
 * (a file you cannot decrypt, a MAC mismatch) throws before anything is written.
 */
export async function planRotate(files: readonly string[], options: RekeyOptions = {}): Promise<ChangePlan> {
  const opts = shareKeySources(options);
  const targets = await resolveTargets(files, opts);
  const plans: FilePlan[] = [];
  for (const f of targets.files) plans.push(await rekeyFile(f, opts, (current) => current.map((g) => [...g])));
  return { files: plans, configs: [], configsFirst: false, notes: [] };
}
