/**
 * Who may receive a file's data key, and saying so. The data key is newly
 * wrapped only for recipients that something vouches for: the file's own
 * integrity record, this command's arguments, or the `.sops.yaml` rule that
 * governs the file. The last is announced every time it is relied on,
 * because `.sops.yaml` is as writable by a pusher as the file itself.
 */
import type { Selector } from '../crypto/selector.js';
import { stderrWarning } from '../keys/discovery.js';
import { findConfig } from '../repo/sops-config/find.js';
import { loadConfig, matchRule, ruleSource } from '../repo/sops-config/rules.js';
import type { Grant } from './encrypt.js';
import { vouchKey } from './key-layout.js';

/** The `.sops.yaml` rule that governs a file, as far as vouching and selectors go. */
export interface GoverningRule {
  /** Each recipient the rule lists, with where: `.sops.yaml:4:5 (creation rule 1)`. */
  vouched: Map<string, string>;
  /** What the rule says new files get (the sops default when it names no selector). */
  selector?: Selector;
  macOnlyEncrypted?: boolean;
  /** `.sops.yaml:4:5 (creation rule 1)`. */
  source: string;
  /** With several key groups: each group's recipients, and the threshold the rule vouches for. */
  groups?: string[][];
  threshold?: number;
}

/** Options for {@link governingRule}. */
export interface RuleOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
}

/**
 * The creation rule of the `.sops.yaml` governing `file`, or null when there
 * is no config or no rule matches.
 *
 * @throws EnvcryptError from loading the config
 */
export function governingRule(file: string, opts: RuleOptions = {}): GoverningRule | null {
  const configPath = findConfig(file, { env: opts.env ?? process.env, ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}) });
  if (configPath === null) return null;
  const rule = matchRule(loadConfig(configPath), configPath, file);
  if (!rule) return null;
  const source = ruleSource(configPath, rule);
  // In a rule with several key groups, a recipient is vouched for in its group only.
  const groups = rule.groups && rule.groups.length > 1 ? rule.groups : undefined;
  const vouched = groups ? groups.flatMap((g, i) => g.map((r) => [vouchKey(groups.length, i, r), source] as const)) : rule.recipients.map((r) => [r, source] as const);
  return {
    vouched: new Map(vouched),
    ...(groups ? { groups, threshold: rule.shamirThreshold ?? groups.length } : {}),
    ...(rule.selector ? { selector: rule.selector } : {}),
    ...(rule.macOnlyEncrypted !== undefined ? { macOnlyEncrypted: rule.macOnlyEncrypted } : {}),
    source,
  };
}

/** Recipients named by this command, all with the same source (`-r/--recipient`, `recipients add`). */
export function namedBy(recipients: readonly string[], source: string): Map<string, string> {
  return new Map(recipients.map((r) => [r, source] as const));
}

/** The sentence announcing a grant (never a value: recipients are public). */
export function grantMessage(file: string, g: Grant): string {
  const what = g.added ? 'adding recipient' : g.wrapped ? 'giving the data key to listed recipient' : 'vouching for listed recipient';
  return `${file}: ${what} ${g.recipient} (from ${g.source})`;
}

/**
 * Say what a write vouched for: every recipient given the data key on the
 * strength of this command or `.sops.yaml`, with where it came from, and the
 * first integrity record of a file that had none (it now authenticates key
 * names, empty and unencrypted values and the selector that nothing
 * authenticated before, so they deserve a look in the diff).
 */
export function announceGrants(file: string, grants: readonly Grant[], warn: (m: string) => void = stderrWarning, firstRecord = false): void {
  if (firstRecord) {
    warn(`${file} had no integrity record; the one added now also vouches for its key names, empty and unencrypted values and selector, which nothing authenticated before: check them in the diff`);
  }
  for (const g of grants) warn(grantMessage(file, g));
}
