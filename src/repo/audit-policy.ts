/**
 * The audit policy: `.envcrypt.yaml` at the top of the repository, read by
 * `envcrypt audit` only (never by `exec` or the preload, so start-up never
 * pays for it).
 *
 * ```yaml
 * audit:
 *   rules:
 *     - keys: ['*_PASSWORD', '*_TOKEN']   # key globs; * is any run of characters
 *       files: ['deploy/**']              # optional path globs (as check --exclude)
 *       max_age: 90d
 *   exposure_max_age: 7d                  # a removed recipient's values rotated within N days
 *   regenerate: ['SESSION_SECRET']        # keys audit --fix-generated may regenerate
 * ```
 *
 * Why a file of its own rather than a section of `.sops.yaml`: sops would
 * ignore an extra top-level key there, but envcrypt's `.sops.yaml` loader
 * refuses unknown fields (so that a misspelling is caught), and a separate
 * file can be guarded on its own (CODEOWNERS, or read from the base branch
 * with `--policy-ref`). Either place is as writable by a pusher as the
 * secrets themselves: see SECURITY.md.
 */
import type { Document, LineCounter } from 'yaml';
import { yamlLib } from '../io/yaml-lib.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EnvcryptError, type Position } from '../errors.js';
import { readTextFile } from '../io/read.js';
import { isCommit, runGit } from './git.js';
import { compileExcludes, type PathFilter } from './glob.js';

/** The policy file's name, at the top of the repository. */
export const POLICY_NAME = '.envcrypt.yaml';

/** One `rules:` entry. */
export interface AgeRule {
  /** Key globs; empty means every key. */
  keys: string[];
  /** Path globs; empty means every file. */
  files: string[];
  /** Days. */
  maxAgeDays: number;
  /** 1-based position in `rules:`. */
  index: number;
}

/** A loaded policy. */
export interface AuditPolicy {
  /** Where it came from (`.envcrypt.yaml`, or `REF:.envcrypt.yaml`), for messages. */
  source: string;
  rules: AgeRule[];
  /** Days within which values a removed recipient knew must change; undefined for no limit. */
  exposureMaxAgeDays?: number;
  /** Key globs that `audit --fix-generated` may regenerate when due. */
  regenerate: string[];
}

/** The policy that applies when there is no file: no limits, nothing to regenerate. */
export function emptyPolicy(source = '(none)'): AuditPolicy {
  return { source, rules: [], regenerate: [] };
}

function fail(source: string, message: string, lc: LineCounter, node: unknown): never {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  const p = r ? lc.linePos(r[0]) : undefined;
  const position: Position | undefined = p ? { line: p.line, column: p.col } : undefined;
  throw new EnvcryptError('PARSE', message, { file: source, ...(position ? { position } : {}), hints: ['see "Lifecycle" in the README for the policy format'] });
}

/** Parse a duration: `90d` or `12w`, as days. */
export function parseDays(text: string): number | null {
  const m = /^(\d{1,5})([dw])$/.exec(text.trim());
  return m ? Number(m[1]) * (m[2] === 'w' ? 7 : 1) : null;
}

/** An absent field, or one written with no value (`audit:`). */
function isEmpty(node: unknown): boolean {
  return node === undefined || node === null || (yamlLib().isScalar(node) && node.value === null);
}

function strings(source: string, lc: LineCounter, node: unknown, what: string): string[] {
  if (isEmpty(node)) return [];
  if (yamlLib().isScalar(node) && typeof node.value === 'string') return [node.value];
  if (!yamlLib().isSeq(node)) fail(source, `${what} must be a list of patterns`, lc, node);
  return node.items.map((i) => {
    if (!yamlLib().isScalar(i) || typeof i.value !== 'string' || i.value === '') fail(source, `${what} must be a list of non-empty patterns`, lc, i);
    return i.value;
  });
}

function fields(source: string, lc: LineCounter, node: unknown, allowed: readonly string[], where: string): Map<string, unknown> {
  if (!yamlLib().isMap(node)) fail(source, `${where} must be a mapping`, lc, node);
  const out = new Map<string, unknown>();
  for (const p of node.items) {
    const key = yamlLib().isScalar(p.key) ? String(p.key.value) : '';
    if (!allowed.includes(key)) fail(source, `unknown field "${key}" in ${where} (expected ${allowed.join(', ')})`, lc, p.key);
    out.set(key, p.value);
  }
  return out;
}

function days(source: string, lc: LineCounter, node: unknown, what: string): number {
  const v = yamlLib().isScalar(node) ? parseDays(String(node.value)) : null;
  if (v === null) fail(source, `${what} must be a number of days or weeks, like 90d or 12w`, lc, node);
  return v;
}

/**
 * Parse policy text. Unknown fields are errors with their line:column, as in
 * `.sops.yaml`: a misspelt `max_age` must not silently mean "no limit".
 *
 * @throws EnvcryptError `PARSE`
 */
export function parsePolicy(text: string, source: string): AuditPolicy {
  const lc = new (yamlLib().LineCounter)();
  const doc: Document = yamlLib().parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lc.linePos(e.pos[0]);
    throw new EnvcryptError('PARSE', `${source} is not valid YAML (${e.code.toLowerCase().replaceAll('_', ' ')})`, { file: source, position: { line: p.line, column: p.col } });
  }
  if (doc.contents === null) return emptyPolicy(source);
  const top = fields(source, lc, doc.contents, ['audit'], 'the policy file');
  const audit = top.get('audit');
  if (isEmpty(audit)) return emptyPolicy(source);
  const a = fields(source, lc, audit, ['rules', 'exposure_max_age', 'regenerate'], 'audit');
  const rulesNode = a.get('rules');
  const rules: AgeRule[] = [];
  if (!isEmpty(rulesNode)) {
    if (!yamlLib().isSeq(rulesNode)) fail(source, 'audit.rules must be a list', lc, rulesNode);
    rulesNode.items.forEach((item, i) => {
      const r = fields(source, lc, item, ['keys', 'files', 'max_age'], `rule ${i + 1}`);
      if (!r.has('max_age')) fail(source, `rule ${i + 1} has no max_age`, lc, item);
      rules.push({ keys: strings(source, lc, r.get('keys'), 'keys'), files: strings(source, lc, r.get('files'), 'files'), maxAgeDays: days(source, lc, r.get('max_age'), 'max_age'), index: i + 1 });
    });
  }
  const exposure = a.get('exposure_max_age');
  return {
    source,
    rules,
    ...(!isEmpty(exposure) ? { exposureMaxAgeDays: days(source, lc, exposure, 'exposure_max_age') } : {}),
    regenerate: strings(source, lc, a.get('regenerate'), 'regenerate'),
  };
}

/** Compile key globs: `*` any run of characters (dots included), `?` one; the whole key path must match. */
export function keyMatcher(patterns: readonly string[]): (key: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`));
  return (key) => res.some((r) => r.test(key));
}

/** A policy compiled for matching. */
export interface CompiledPolicy {
  policy: AuditPolicy;
  /** The smallest `max_age` (days) of the rules that match, and which rule set it; null when none does. */
  maxAge(file: string, key: string): { days: number; rule: number } | null;
  /** True when the key may be regenerated by `--fix-generated`. */
  regenerable(key: string): boolean;
}

/** Compile a policy. When several rules match a value, the strictest (smallest) limit wins, whatever their order. */
export function compilePolicy(policy: AuditPolicy): CompiledPolicy {
  const rules = policy.rules.map((r) => ({ r, key: r.keys.length ? keyMatcher(r.keys) : () => true, file: r.files.length ? compileExcludes(r.files) : ((() => true) as PathFilter) }));
  const regen = keyMatcher(policy.regenerate);
  return {
    policy,
    maxAge(file, key) {
      let best: { days: number; rule: number } | null = null;
      for (const { r, key: k, file: f } of rules) if (k(key) && f(file) && (best === null || r.maxAgeDays < best.days)) best = { days: r.maxAgeDays, rule: r.index };
      return best;
    },
    regenerable: regen,
  };
}

/** Where to take the policy from. */
export interface PolicySource {
  /** `--policy FILE`. */
  file?: string;
  /** `--policy-ref REF`: `.envcrypt.yaml` as it is at a git revision (the base branch, in CI). */
  ref?: string;
}

/**
 * Load the policy: from `file`, from `ref`'s `.envcrypt.yaml`, or from the
 * work tree's `.envcrypt.yaml` at `top`. No policy file means the empty
 * policy (nothing is overdue, nothing regenerated).
 *
 * @throws EnvcryptError `NOT_FOUND` for a missing `file` or unknown `ref`, `PARSE`
 */
export function loadPolicy(top: string, src: PolicySource = {}): AuditPolicy {
  if (src.file !== undefined) return parsePolicy(readTextFile(src.file), src.file);
  if (src.ref !== undefined) {
    if (!isCommit(top, src.ref)) {
      throw new EnvcryptError('NOT_FOUND', `no such git revision: ${src.ref}`, { hints: ['fetch it first (e.g. "git fetch origin main"), or name another with --policy-ref'] });
    }
    const name = `${src.ref}:${POLICY_NAME}`;
    const r = runGit(['cat-file', 'blob', name], top);
    return r.status === 0 ? parsePolicy(r.stdout, name) : emptyPolicy(name);
  }
  const path = join(top, POLICY_NAME);
  return existsSync(path) ? parsePolicy(readTextFile(path), POLICY_NAME) : emptyPolicy();
}
