/**
 * `.sops.yaml` creation rules (SOPS-FORMAT §12): which rule applies to a file
 * ({@link matchRule}) and what a new file is encrypted with
 * ({@link resolveCreation}). Parsing the file is in `config-load.ts`.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Selector } from '../../crypto/selector.js';
import { EnvcryptError } from '../../errors.js';
import { stderrWarning } from '../../keys/discovery.js';
import { parseRecipient } from '../../keys/recipient.js';
import { loadConfig, type MatchedRule, type SopsConfig, type StoresConfig } from './load.js';
import { explicitConfig, findConfig } from './find.js';

// Loading moved to config-load.ts; re-exported so existing importers of rules.ts keep working.
export { loadConfig, parseConfig, storeIndent } from './load.js';
export type { CreationRule, MatchedRule, SopsConfig, StoresConfig } from './load.js';

/**
 * The path `path_regex` is searched in: the target relative to the config's
 * directory, or its absolute path when it is outside that directory (as sops
 * does). `/` separates directories on every platform.
 */
export function pathForMatching(configPath: string, targetPath: string): string {
  const abs = resolve(targetPath);
  const rel = relative(dirname(resolve(configPath)), abs);
  const outside = rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  const p = outside ? abs : rel;
  return sep === '\\' ? p.replaceAll('\\', '/') : p;
}

/**
 * The first creation rule whose `path_regex` matches the target (an
 * unanchored RE2 search), or which has no `path_regex`.
 *
 * @returns the rule, or null when none matches or there are no rules
 */
export function matchRule(config: SopsConfig, configPath: string, targetPath: string): MatchedRule | null {
  const p = pathForMatching(configPath, targetPath);
  const rule = (config.creationRules ?? []).find((r) => !r.pathRe || r.pathRe.test(p));
  if (!rule) return null;
  const { pathRe: _compiled, ...view } = rule;
  return view;
}

/** Options for {@link resolveCreation}. */
export interface ResolveOptions {
  /** `-r/--recipient` values (each may be comma-separated); they replace every other source of keys. */
  recipients?: readonly string[];
  /**
   * Where `recipients` came from, as announcements name it (default
   * `-r/--recipient`): `encrypt -R team.txt` reads them from a file that may
   * be in the repository, and a grant announced must say so.
   */
  recipientsSource?: string;
  /** Where `ENVCRYPT_*` / `SOPS_*` variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** `--config PATH`; see {@link findConfig}. */
  configPath?: string;
  /** Receives warnings (default: printed to stderr). */
  onWarning?: (message: string) => void;
}

/** What to encrypt a new file with, and where that came from. */
export interface Creation {
  recipients: string[];
  /** The matching rule's selector; the caller's flag, if any, replaces it. */
  selector?: Selector;
  macOnlyEncrypted?: boolean;
  /** Where the recipients came from, e.g. `.sops.yaml rule 2 (path_regex secrets/prod/.*)`, for `--verbose` and hints. */
  source: string;
  /** The config file used, if any. */
  configPath?: string;
  /** 1-based index of the matching creation rule, if any. */
  rule?: number;
  stores?: StoresConfig;
  /**
   * The rule's key groups, when it has several (`recipients` then lists
   * them all): the data key is split with Shamir, `shamirThreshold` of them
   * rebuild it (sops's default: every group).
   */
  groups?: string[][];
  shamirThreshold?: number;
}

/** How a path is shown in messages: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Where a rule is, for messages: `deploy/.sops.yaml:7:5 (creation rule 2)`, with `detail` inside the parentheses. */
export function ruleSource(configPath: string, rule: MatchedRule, detail?: string): string {
  return `${shown(configPath)}:${rule.position.line}:${rule.position.column} (creation rule ${rule.index}${detail ? `, ${detail}` : ''})`;
}

/** Recipients from `-r` or an environment variable: the first source that is set wins. */
function givenRecipients(opts: ResolveOptions, env: NodeJS.ProcessEnv): { recipients: string[]; source: string } | null {
  const sources: Array<[string, readonly string[] | undefined]> = [
    [opts.recipientsSource ?? '-r/--recipient', opts.recipients],
    ['ENVCRYPT_AGE_RECIPIENTS', env.ENVCRYPT_AGE_RECIPIENTS === undefined ? undefined : [env.ENVCRYPT_AGE_RECIPIENTS]],
    ['SOPS_AGE_RECIPIENTS', env.SOPS_AGE_RECIPIENTS === undefined ? undefined : [env.SOPS_AGE_RECIPIENTS]],
  ];
  for (const [source, values] of sources) {
    const items = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    if (items.length === 0) continue;
    const recipients: string[] = [];
    for (const item of items) {
      try {
        const text = parseRecipient(item).text;
        if (!recipients.includes(text)) recipients.push(text);
      } catch (e) {
        if (e instanceof EnvcryptError) throw new EnvcryptError(e.code, `${e.message} (from ${source})`, { hints: e.hints, cause: e });
        throw e;
      }
    }
    return { recipients, source };
  }
  return null;
}

/** Refuse rules envcrypt cannot honour; warn about keys it would drop. */
function checkRule(rule: MatchedRule, cfg: string, warn: (m: string) => void): void {
  const where = { file: cfg, position: rule.position };
  const bare = rule.groups && rule.groups.length > 1 ? rule.groups.findIndex((g) => g.length === 0) : -1;
  if (bare >= 0) {
    throw new EnvcryptError('UNSUPPORTED', `key group ${bare + 1} of creation rule ${rule.index} has no age keys; envcrypt can only wrap its share of the data key for age keys`, {
      ...where,
      hints: ['add an age key to that group, or encrypt files matching this rule with sops'],
    });
  }
  const others = rule.otherKeyTypes.join(', ');
  if (rule.recipients.length === 0 && others !== '') {
    throw new EnvcryptError('UNSUPPORTED', `creation rule ${rule.index} lists only ${others} keys; envcrypt only encrypts to age keys`, {
      ...where,
      hints: ['add age recipients to the rule, or pass -r/--recipient age1…'],
    });
  }
  if (others !== '') warn(`${cfg}: creation rule ${rule.index} also lists ${others} keys, which envcrypt ignores; the file is encrypted to its age keys only`);
}

/**
 * Decide the recipients, selector and store settings for encrypting
 * `targetPath`. Recipients come from, in order: `opts.recipients` (`-r`),
 * `ENVCRYPT_AGE_RECIPIENTS`, `SOPS_AGE_RECIPIENTS` (comma-separated), then the
 * first matching creation rule of the `.sops.yaml` found by {@link findConfig}.
 * As in sops, recipients from flags or the environment replace the rule's keys
 * but keep its selector and `mac_only_encrypted`. The config, when found, is
 * always loaded, so a broken one is an error even with `-r`.
 *
 * @throws EnvcryptError `NO_RECIPIENTS` when no source gives any, with hints
 *   naming the config searched; `UNSUPPORTED` for a rule (or one of its key
 *   groups) with only non-age keys; `BAD_KEY` for a malformed recipient; config errors as
 *   {@link loadConfig}
 */
export function resolveCreation(targetPath: string, opts: ResolveOptions = {}): Creation {
  const env = opts.env ?? process.env;
  const warn = opts.onWarning ?? stderrWarning;
  const configPath = findConfig(targetPath, { ...opts, env, onWarning: warn });
  let config: SopsConfig | null = null;
  if (configPath !== null) {
    try {
      config = loadConfig(configPath);
    } catch (e) {
      const from = explicitConfig({ ...opts, env })?.from;
      if (e instanceof EnvcryptError && e.code === 'NOT_FOUND' && from) e.hints.push(`the path comes from ${from}`);
      throw e;
    }
  }
  const rule = config && configPath !== null ? matchRule(config, configPath, targetPath) : null;
  const base = {
    ...(configPath !== null ? { configPath } : {}),
    ...(config ? { stores: config.stores } : {}),
    ...(rule ? { rule: rule.index } : {}),
    ...(rule?.selector ? { selector: rule.selector } : {}),
    ...(rule?.macOnlyEncrypted !== undefined ? { macOnlyEncrypted: rule.macOnlyEncrypted } : {}),
  };
  const given = givenRecipients(opts, env);
  if (given) return { ...base, ...given };
  const cfg = configPath === null ? '' : shown(configPath);
  if (rule) {
    checkRule(rule, cfg, warn);
    const how = rule.pathRegex === undefined ? 'no path_regex, matches every file' : `path_regex ${rule.pathRegex}`;
    if (rule.recipients.length > 0) {
      const groups = rule.groups && rule.groups.length > 1 ? { groups: rule.groups, ...(rule.shamirThreshold !== undefined ? { shamirThreshold: rule.shamirThreshold } : {}) } : {};
      return { ...base, recipients: rule.recipients, source: ruleSource(configPath!, rule, how), ...groups };
    }
  }
  throw noRecipients(targetPath, configPath, config, rule, cfg);
}

function noRecipients(targetPath: string, configPath: string | null, config: SopsConfig | null, rule: MatchedRule | null, cfg: string): EnvcryptError {
  let configHint: string;
  if (configPath === null) {
    configHint = `or add a creation rule to a .sops.yaml; none was found in ${shown(dirname(resolve(targetPath)))} or its parent directories`;
  } else if (rule) {
    configHint = `or add age keys to creation rule ${rule.index} of ${cfg}, which matches ${targetPath} but lists none`;
  } else if (!config?.creationRules?.length) {
    configHint = `or add a creation rule to ${cfg}, which has none`;
  } else {
    const n = config.creationRules.length;
    configHint = `or add a creation rule to ${cfg}: none of its ${n} rule${n === 1 ? '' : 's'} matches ${pathForMatching(configPath, targetPath)} (path_regex is searched in the path relative to the config's directory)`;
  }
  return new EnvcryptError('NO_RECIPIENTS', `no recipients for ${targetPath}`, {
    file: targetPath,
    hints: ['pass -r/--recipient age1… (repeatable, or comma-separated)', 'or set ENVCRYPT_AGE_RECIPIENTS=age1…,age1…', configHint],
  });
}
