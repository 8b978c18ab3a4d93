/**
 * Loading a `.sops.yaml` (SOPS-FORMAT §12): YAML text → a strictly validated
 * {@link SopsConfig}. Matching rules to files and choosing recipients live in
 * `rules.ts`, which re-exports this module's API.
 */
import type { Document, LineCounter } from 'yaml';
import { yamlLib } from '../../io/yaml-lib.js';
import { compileRe2, SELECTOR_KINDS, type Re2Regex, type Selector, type SelectorKind } from '../../crypto/selector.js';
import { EnvcryptError, type ErrorCode, type Position } from '../../errors.js';
import { readTextFile } from '../../io/read.js';
import { parseRecipient } from '../../keys/recipient.js';
import type { Format } from '../../stores/store.js';

/** A creation rule as matched for one file (SOPS-FORMAT §12). */
export interface MatchedRule {
  /** 1-based position of the rule in `creation_rules`. */
  index: number;
  /** Validated, de-duplicated age recipients (of every key group, if several). */
  recipients: string[];
  selector?: Selector;
  macOnlyEncrypted?: boolean;
  /** The rule's `path_regex`; absent for a catch-all rule. */
  pathRegex?: string;
  /** Non-age key types the rule lists (`pgp`, `kms`, …), which envcrypt cannot encrypt to. */
  otherKeyTypes: string[];
  /** Number of `key_groups` (0 when the rule uses the per-type fields). */
  keyGroups: number;
  /** With `key_groups`: the validated age recipients of each group, in order. */
  groups?: string[][];
  /** `shamir_threshold` as the rule gives it (0 or absent: every group, sops's default). */
  shamirThreshold?: number;
  /** Where the rule starts in the config file. */
  position: Position;
}

/** A loaded creation rule: {@link MatchedRule} plus its compiled `path_regex` (RE2, linear-time). */
export interface CreationRule extends MatchedRule {
  pathRe?: Re2Regex;
}

/** `stores:` settings; only `indent` exists in sops 3.13. */
export interface StoresConfig {
  yaml?: { indent?: number };
  json?: { indent?: number };
  json_binary?: { indent?: number };
}

/**
 * The `stores.<format>.indent` setting that applies to `format`: the binary
 * store is sops's JSON layout and reads `json_binary`, as sops does; dotenv
 * and INI have none.
 */
export function storeIndent(stores: StoresConfig, format: Format): number | undefined {
  switch (format) {
    case 'yaml':
    case 'json':
      return stores[format]?.indent;
    case 'binary':
      return stores.json_binary?.indent;
    default:
      return undefined;
  }
}

/** A validated `.sops.yaml`. */
export interface SopsConfig {
  file: string;
  /** Absent when the file has no `creation_rules`, which sops treats as no config. */
  creationRules?: CreationRule[];
  stores: StoresConfig;
}

const TOP_FIELDS = ['creation_rules', 'stores', 'destination_rules'];
const KEY_TYPES_RULE = ['age', 'pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri', 'hckms'];
const RULE_FIELDS = ['path_regex', ...KEY_TYPES_RULE, 'aws_profile', ...SELECTOR_KINDS, 'mac_only_encrypted', 'shamir_threshold', 'key_groups'];
const GROUP_FIELDS = ['age', 'pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hc_vault', 'hckms', 'merge'];
const STORE_FIELDS: Record<string, string[]> = { yaml: ['indent'], json: ['indent'], json_binary: ['indent'], dotenv: [], ini: [] };
/** Caps on work, so a hostile alias graph cannot hang or overflow the stack. */
const NODE_BUDGET = 100_000;
const MAX_NESTING = 16;

interface Ctx { file: string; lc: LineCounter; doc: Document; budget: number; anchors?: unknown[] }
interface Entry { key: string; keyNode: unknown; value: unknown }
interface Item { text: string; node: unknown }

function at(ctx: Ctx, ...nodes: unknown[]): Position | undefined {
  for (const n of nodes) {
    const r = (n as { range?: [number, number, number] } | null | undefined)?.range;
    if (r) {
      const p = ctx.lc.linePos(r[0]);
      return { line: p.line, column: p.col };
    }
  }
  return undefined;
}

function fail(ctx: Ctx, message: string, nodes: unknown[], hints?: string[], code: ErrorCode = 'PARSE', cause?: unknown): never {
  const position = at(ctx, ...nodes);
  throw new EnvcryptError(code, message, { file: ctx.file, ...(position ? { position } : {}), ...(hints?.length ? { hints } : {}), ...(cause ? { cause } : {}) });
}

/** Follow an alias to its anchored node (the last one before it, as YAML says). */
function deref(ctx: Ctx, node: unknown): unknown {
  if (--ctx.budget < 0) fail(ctx, 'config is too large or has too many aliases', [node]);
  if (!yamlLib().isAlias(node)) return node;
  if (!ctx.anchors) {
    const list: unknown[] = [];
    yamlLib().visit(ctx.doc, { Node: (_k, n) => void ((yamlLib().isAlias(n) || n.anchor) && list.push(n)) });
    ctx.anchors = list;
  }
  let found: unknown;
  for (const n of ctx.anchors) {
    if (n === node) break;
    if ((n as { anchor?: string }).anchor === node.source) found = n;
  }
  if (found === undefined) fail(ctx, 'alias refers to no anchor defined before it', [node]);
  return deref(ctx, found);
}

function isNull(n: unknown): boolean {
  return n === null || n === undefined || (yamlLib().isScalar(n) && n.value === null);
}

/** The entries of a mapping, with `<<` merge keys applied (explicit keys win, then earlier sources). */
function mapEntries(ctx: Ctx, node: unknown, what: string, depth = 0): Entry[] {
  const m = deref(ctx, node);
  if (!yamlLib().isMap(m)) fail(ctx, `${what} must be a mapping`, [m, node]);
  if (depth > MAX_NESTING) fail(ctx, `merge keys nest too deeply in ${what}`, [m]);
  const own: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of m.items) {
    const k = pair.key;
    if (yamlLib().isScalar(k) && typeof k.value === 'symbol') {
      const src = deref(ctx, pair.value);
      for (const s of yamlLib().isSeq(src) ? src.items : [src]) merged.push(...mapEntries(ctx, s, what, depth + 1));
      continue;
    }
    if (!yamlLib().isScalar(k)) fail(ctx, `${what} has a key that is not a plain string`, [k, m]);
    own.push({ key: String(k.value), keyNode: k, value: pair.value });
  }
  for (const e of merged) if (!own.some((o) => o.key === e.key)) own.push(e);
  return own;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function checkKnown(ctx: Ctx, entries: Entry[], known: readonly string[], what: string): void {
  for (const e of entries) {
    if (known.includes(e.key)) continue;
    const scored = known.map((k) => ({ k, d: editDistance(e.key, k) })).sort((x, y) => x.d - y.d)[0];
    const close = scored && scored.d <= Math.max(2, Math.floor(e.key.length / 3)) && scored.d < e.key.length;
    const name = JSON.stringify(e.key.length > 40 ? `${e.key.slice(0, 37)}…` : e.key);
    fail(ctx, `unknown field ${name} in ${what}`, [e.keyNode], close ? [`did you mean "${scored.k}"?`] : [`known fields: ${known.join(', ')}`]);
  }
}

function str(ctx: Ctx, e: Entry, what: string): string {
  const n = deref(ctx, e.value);
  if (!yamlLib().isScalar(n) || typeof n.value !== 'string') fail(ctx, `${what} must be a string`, [n, e.keyNode]);
  return n.value;
}

function bool(ctx: Ctx, e: Entry, what: string): boolean {
  const n = deref(ctx, e.value);
  if (!yamlLib().isScalar(n) || typeof n.value !== 'boolean') fail(ctx, `${what} must be true or false`, [n, e.keyNode]);
  return n.value;
}

function count(ctx: Ctx, e: Entry, what: string, min = 0): number {
  const n = deref(ctx, e.value);
  if (!yamlLib().isScalar(n) || typeof n.value !== 'number' || !Number.isSafeInteger(n.value) || n.value < min) {
    fail(ctx, `${what} must be a whole number, ${min} or more`, [n, e.keyNode]);
  }
  return n.value;
}

/** A YAML list (null counts as empty). */
function list(ctx: Ctx, e: Entry, what: string): unknown[] {
  const n = deref(ctx, e.value);
  if (isNull(n)) return [];
  if (!yamlLib().isSeq(n)) fail(ctx, `${what} must be a list`, [n, e.keyNode]);
  return n.items;
}

/** sops's key-list forms: a list whose items may be comma-separated, or (when `allowString`) one comma-separated string. */
function commaItems(ctx: Ctx, e: Entry, what: string, allowString: boolean): Item[] {
  const n = deref(ctx, e.value);
  let parts: unknown[];
  if (allowString && yamlLib().isScalar(n) && typeof n.value === 'string') parts = [n];
  else if (allowString && !isNull(n) && !yamlLib().isSeq(n)) fail(ctx, `${what} must be a comma-separated string or a list`, [n, e.keyNode]);
  else parts = list(ctx, e, what);
  const out: Item[] = [];
  for (const p of parts) {
    const text = str(ctx, { ...e, value: p }, `each item of ${what}`);
    for (const t of text.split(',')) if (t.trim() !== '') out.push({ text: t.trim(), node: deref(ctx, p) });
  }
  return out;
}

function recipientsOf(ctx: Ctx, items: Item[], what: string): string[] {
  const out: string[] = [];
  for (const it of items) {
    let text: string;
    try {
      text = parseRecipient(it.text).text;
    } catch (err) {
      if (!(err instanceof EnvcryptError)) throw err;
      fail(ctx, `${err.message} in ${what}`, [it.node], err.hints, err.code, err);
    }
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

function regex(ctx: Ctx, e: Entry, pattern: string, where: string): Re2Regex {
  try {
    return compileRe2(pattern, where);
  } catch (err) {
    if (!(err instanceof EnvcryptError)) throw err;
    fail(ctx, err.message, [deref(ctx, e.value), e.keyNode], err.hints, 'PARSE', err);
  }
}

/** One key group: its age items and which other key types it lists (merged groups included). */
function readGroup(ctx: Ctx, node: unknown, what: string, depth: number, top = what): { age: Item[]; other: Set<string> } {
  if (depth > MAX_NESTING) fail(ctx, `merged key groups nest too deeply in ${top}`, [node]);
  const entries = mapEntries(ctx, node, what);
  checkKnown(ctx, entries, GROUP_FIELDS, what);
  const age: Item[] = [];
  const other = new Set<string>();
  // sops takes the merged groups' keys first, then the group's own, whatever the
  // order of the fields (config.go extractMasterKeys): the order of the stanzas it writes.
  const merged = entries.filter((e) => e.key === 'merge');
  for (const e of [...merged, ...entries.filter((x) => x.key !== 'merge')]) {
    const field = `${e.key} in ${what}`;
    if (e.key === 'age') age.push(...commaItems(ctx, e, field, false));
    else if (e.key === 'merge') {
      for (const [i, g] of list(ctx, e, field).entries()) {
        const sub = readGroup(ctx, g, `merged group ${i + 1} of ${what}`, depth + 1, top);
        age.push(...sub.age);
        for (const t of sub.other) other.add(t);
      }
    } else if (list(ctx, e, field).length > 0) other.add(e.key);
  }
  return { age, other };
}

function readRule(ctx: Ctx, node: unknown, index: number): CreationRule {
  const what = `creation rule ${index}`;
  const entries = mapEntries(ctx, node, what);
  checkKnown(ctx, entries, RULE_FIELDS, what);
  const rule: CreationRule = { index, recipients: [], otherKeyTypes: [], keyGroups: 0, position: at(ctx, deref(ctx, node), node) ?? { line: 1, column: 1 } };
  let age: Item[] = [];
  const other = new Set<string>();
  let groups: unknown[] = [];
  for (const e of entries) {
    const field = `${e.key} of ${what}`;
    if (e.key === 'path_regex') {
      rule.pathRegex = str(ctx, e, field);
      rule.pathRe = regex(ctx, e, rule.pathRegex, field);
    } else if (e.key === 'age') age = commaItems(ctx, e, field, true);
    else if (KEY_TYPES_RULE.includes(e.key)) {
      // Only the presence of other key types matters: envcrypt cannot encrypt to them.
      const n = e.key === 'hckms' ? list(ctx, e, field).length : commaItems(ctx, e, field, true).length;
      if (n > 0) other.add(e.key);
    } else if (e.key === 'aws_profile') {
      if (!isNull(deref(ctx, e.value))) str(ctx, e, field);
    } else if (e.key === 'mac_only_encrypted') rule.macOnlyEncrypted = bool(ctx, e, field);
    else if (e.key === 'shamir_threshold') {
      const t = count(ctx, e, field);
      if (t > 0) rule.shamirThreshold = t;
    }
    else if (e.key === 'key_groups') groups = list(ctx, e, field);
    else {
      if (rule.selector) {
        fail(ctx, `${what} sets both ${rule.selector.kind} and ${e.key}; at most one selector is allowed`, [e.keyNode], ['keep one of them; sops refuses a file with several selectors']);
      }
      const value = str(ctx, e, field);
      if (e.key.endsWith('_regex')) regex(ctx, e, value, field);
      rule.selector = { kind: e.key as SelectorKind, value };
    }
  }
  if (groups.length > 0) {
    // sops silently ignores the per-type fields when key_groups is set; refuse the ambiguity.
    const clash = entries.find((e) => KEY_TYPES_RULE.includes(e.key) && !isNull(deref(ctx, e.value)));
    if (clash) fail(ctx, `${what} sets both key_groups and ${clash.key}`, [clash.keyNode], ['sops ignores the per-type key fields when key_groups is set; move the keys into the key group']);
    rule.keyGroups = groups.length;
    rule.groups = [];
    for (const [i, g] of groups.entries()) {
      const gw = `key group ${i + 1} of ${what}`;
      const grp = readGroup(ctx, g, gw, 0);
      age.push(...grp.age);
      rule.groups.push(recipientsOf(ctx, grp.age, gw));
      for (const t of grp.other) other.add(t);
    }
  }
  rule.recipients = recipientsOf(ctx, age, what);
  rule.otherKeyTypes = [...other];
  return rule;
}

function readStores(ctx: Ctx, e: Entry): StoresConfig {
  const out: StoresConfig = {};
  if (isNull(deref(ctx, e.value))) return out;
  const stores = mapEntries(ctx, e.value, 'stores');
  checkKnown(ctx, stores, Object.keys(STORE_FIELDS), 'stores');
  for (const s of stores) {
    if (isNull(deref(ctx, s.value))) continue;
    const what = `stores.${s.key}`;
    const fields = mapEntries(ctx, s.value, what);
    checkKnown(ctx, fields, STORE_FIELDS[s.key]!, what);
    // sops reads a JSON indent of -1 as a tab (its default) and refuses a negative YAML indent.
    const min = s.key === 'yaml' ? 0 : -1;
    for (const f of fields) out[s.key as keyof StoresConfig] = { indent: count(ctx, f, `${what}.indent`, min) };
  }
  return out;
}

/** Turn the yaml library's error code into words (its message would quote the input). */
function describeYamlError(code: string): string {
  const words: Record<string, string> = { MULTIPLE_DOCS: 'more than one YAML document', BAD_ALIAS: 'bad or undefined alias', TAB_AS_INDENT: 'tab used for indentation' };
  return words[code] ?? code.toLowerCase().replaceAll('_', ' ');
}

/**
 * Parse and strictly validate the text of a `.sops.yaml`. Unlike sops, an
 * unknown field is an error (sops ignores it, so a misspelled `path_regexp`
 * silently becomes a catch-all rule).
 *
 * @param file - the name used in errors
 * @throws EnvcryptError `PARSE` with `file` and `position` for bad YAML, unknown
 *   fields (with a "did you mean" hint), bad regexes, several selectors and wrong
 *   types; `BAD_KEY` (or `UNSUPPORTED`) for a bad age recipient, naming the rule
 */
export function parseConfig(text: string, file: string): SopsConfig {
  const lc = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter: lc, uniqueKeys: true, merge: true });
  const err = doc.errors[0];
  if (err) {
    const p = err.linePos?.[0];
    throw new EnvcryptError('PARSE', `invalid YAML: ${describeYamlError(err.code)}`, { file, ...(p ? { position: { line: p.line, column: p.col } } : {}) });
  }
  const ctx: Ctx = { file, lc, doc, budget: NODE_BUDGET };
  const config: SopsConfig = { file, stores: {} };
  if (isNull(doc.contents)) return config;
  const top = mapEntries(ctx, doc.contents, 'the config');
  checkKnown(ctx, top, TOP_FIELDS, 'the config');
  for (const e of top) {
    if (e.key === 'creation_rules' && !isNull(deref(ctx, e.value))) config.creationRules = list(ctx, e, 'creation_rules').map((r, i) => readRule(ctx, r, i + 1));
    else if (e.key === 'stores') config.stores = readStores(ctx, e);
    // destination_rules only matter to `sops publish`, which envcrypt does not have.
  }
  return config;
}

/**
 * Read and validate a `.sops.yaml` file; see {@link parseConfig}. It is read
 * as any input is (a regular file, under the input cap): the file is
 * whatever the repository holds.
 *
 * @throws EnvcryptError `NOT_FOUND` when the file is missing; as `readTextFile`
 *   for a file that is not regular, too large or unreadable; else as {@link parseConfig}
 */
export function loadConfig(path: string): SopsConfig {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (e) {
    if (e instanceof EnvcryptError && e.code === 'NOT_FOUND') throw new EnvcryptError('NOT_FOUND', `cannot read config file ${path}: no such file`, { file: path, cause: e });
    throw e;
  }
  return parseConfig(text, path);
}
