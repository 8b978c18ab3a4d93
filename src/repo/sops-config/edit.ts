/**
 * Adding and removing an age recipient in `.sops.yaml` creation rules while
 * keeping the file as the user wrote it.
 *
 * The `yaml` Document API locates each rule's `age` value and its source
 * range; the change is then spliced into the original text, so comments,
 * blank lines, indentation and quoting everywhere else stay byte for byte.
 * The result is re-parsed with {@link parseConfig} and must have exactly the
 * intended recipients, or nothing is returned.
 */
import type { Document, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { yamlLib } from '../../io/yaml-lib.js';
import { EnvcryptError } from '../../errors.js';
import { parseRecipient, recipientKey, shortRecipient } from '../../keys/recipient.js';
import { parseConfig } from './rules.js';

/** The result of an edit. */
export interface RuleEdit {
  /** The new text (the input itself when nothing changed). */
  text: string;
  /** 1-based indices of the rules that changed. */
  changed: number[];
}

interface Splice {
  start: number;
  end: number;
  insert: string;
}

type Range3 = [number, number, number];

function rangeOf(n: { range?: Range3 | null | undefined }): Range3 {
  if (!n.range) throw new Error('yaml node without a range');
  return n.range;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function lineEnd(text: string, pos: number): number {
  const i = text.indexOf('\n', pos);
  return i < 0 ? text.length : i;
}

/** Position just after the last non-blank character before `end`. */
function contentEnd(text: string, end: number): number {
  let i = end;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return i;
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** Compare recipients as rules.ts reads them (validated), by key. */
function normal(r: string): string {
  try {
    return recipientKey(parseRecipient(r).text);
  } catch {
    return recipientKey(r);
  }
}

function splitItems(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

class Unsupported extends Error {}

/** A scalar holding a comma-separated list, written back in its own style. */
function renderScalar(text: string, node: Scalar, values: readonly string[], inFlow: boolean): Splice {
  const [start, end] = rangeOf(node);
  const src = text.slice(start, end);
  const sep = /,[ \t]+\S/.test(src) ? ', ' : ',';
  const joined = values.join(sep);
  switch (node.type) {
    case 'QUOTE_DOUBLE':
      return { start, end, insert: JSON.stringify(joined) };
    case 'QUOTE_SINGLE':
      return { start, end, insert: `'${joined.replaceAll("'", "''")}'` };
    case 'BLOCK_FOLDED':
    case 'BLOCK_LITERAL': {
      if (values.length === 0) return { start, end: contentEnd(text, end), insert: '""' };
      // Keep the header (">-", "|") and the body's indentation; one recipient per line.
      const header = src.slice(0, src.indexOf('\n'));
      const firstBody = lineEnd(text, start) + 1;
      const indent = /^[ \t]*/.exec(text.slice(firstBody))![0] || '  ';
      const body = values.map((v, i) => `${indent}${v}${i < values.length - 1 ? ',' : ''}`).join('\n');
      return { start, end: contentEnd(text, end), insert: `${header}\n${body}` };
    }
    default:
      // Inside [ ] or { } a comma ends a plain scalar, so a list of several must be quoted there.
      return { start, end, insert: joined === '' || (inFlow && values.length > 1) ? JSON.stringify(joined) : joined };
  }
}

function seqItems(seq: YAMLSeq): Scalar[] {
  return seq.items.map((it) => {
    if (!yamlLib().isScalar(it) || typeof it.value !== 'string') throw new Unsupported();
    return it;
  });
}

/**
 * The mappings that hold the rule's `age` keys: the rule itself, or its key
 * groups (only group `group`, 1-based, when given; a rule with several
 * groups needs one named to add to).
 */
function hostMaps(rule: unknown, group: number | undefined, adding: boolean): YAMLMap[] {
  if (!yamlLib().isMap(rule)) throw new Unsupported();
  const groups = rule.items.find((p) => yamlLib().isScalar(p.key) && p.key.value === 'key_groups');
  let hosts: unknown[];
  if (!groups) hosts = group === undefined || group === 1 ? [rule] : [];
  else {
    if (!yamlLib().isSeq(groups.value)) throw new Unsupported();
    const items = groups.value.items;
    if (group !== undefined) hosts = [items[group - 1]];
    else if (items.length === 1 || !adding) hosts = items;
    else throw new Unsupported();
  }
  if (hosts.length === 0 || hosts[0] === undefined) throw new Unsupported();
  return hosts.map((host) => {
    if (!yamlLib().isMap(host)) throw new Unsupported();
    // Merge keys (<<) and aliases could bring in keys we would not see.
    if (host.items.some((p) => !yamlLib().isScalar(p.key) || typeof p.key.value !== 'string' || yamlLib().isAlias(p.value))) throw new Unsupported();
    return host;
  });
}

function agePair(host: YAMLMap): Pair<Scalar, unknown> | undefined {
  return host.items.find((p) => (p.key as Scalar).value === 'age') as Pair<Scalar, unknown> | undefined;
}

function addSplice(text: string, host: YAMLMap, r: string, k: string): Splice | null {
  const pair = agePair(host);
  if (!pair) {
    if (host.flow) {
      const close = contentEnd(text, rangeOf(host)[1]) - 1;
      if (text[close] !== '}') throw new Unsupported();
      return { start: close, end: close, insert: `${host.items.length ? ', ' : ''}age: ${r}` };
    }
    const first = host.items[0];
    if (!first) throw new Unsupported();
    const last = host.items[host.items.length - 1]!;
    const lastEnd = rangeOf((last.value ?? last.key) as YamlNode)[1];
    const at = lineEnd(text, contentEnd(text, lastEnd) - 1);
    return { start: at, end: at, insert: `\n${' '.repeat(column(text, rangeOf(first.key as YamlNode)[0]))}age: ${r}` };
  }
  const v = pair.value;
  if (v === null || (yamlLib().isScalar(v) && (v.value === null || v.value === ''))) {
    const start = rangeOf(pair.key)[0];
    const end = v ? Math.max(rangeOf(pair.key)[1], contentEnd(text, rangeOf(v as YamlNode)[1])) : rangeOf(pair.key)[1];
    return { start, end: Math.max(end, text.indexOf(':', rangeOf(pair.key)[1]) + 1), insert: `age: ${r}` };
  }
  if (yamlLib().isScalar(v) && typeof v.value === 'string') {
    const items = splitItems(v.value);
    if (items.some((x) => normal(x) === k)) return null;
    return renderScalar(text, v, [...items, r], !!host.flow);
  }
  if (!yamlLib().isSeq(v)) throw new Unsupported();
  const items = seqItems(v);
  if (items.some((it) => splitItems(it.value as string).some((x) => normal(x) === k))) return null;
  if (v.flow) {
    if (items.length === 0) return { start: rangeOf(v)[0], end: rangeOf(v)[1], insert: `[${r}]` };
    const at = rangeOf(items[items.length - 1]!)[1];
    return { start: at, end: at, insert: `, ${r}` };
  }
  const lastItem = items[items.length - 1]!;
  const at = lineEnd(text, contentEnd(text, rangeOf(lastItem)[1]) - 1);
  return { start: at, end: at, insert: `\n${' '.repeat(column(text, rangeOf(v)[0]))}- ${r}` };
}

function removeSplices(text: string, host: YAMLMap, k: string): Splice[] {
  const v = agePair(host)?.value;
  if (v === undefined || v === null || (yamlLib().isScalar(v) && (v.value === null || v.value === ''))) return [];
  if (yamlLib().isScalar(v) && typeof v.value === 'string') {
    const items = splitItems(v.value);
    const kept = items.filter((x) => normal(x) !== k);
    return kept.length === items.length ? [] : [renderScalar(text, v, kept, !!host.flow)];
  }
  if (!yamlLib().isSeq(v)) throw new Unsupported();
  const items = seqItems(v);
  const hits = items.filter((it) => splitItems(it.value as string).some((x) => normal(x) === k));
  if (hits.length === 0) return [];
  const keptValues = items.flatMap((it) => splitItems(it.value as string)).filter((x) => normal(x) !== k);
  const [seqStart, seqEnd] = rangeOf(v);
  if (v.flow) return [{ start: seqStart, end: seqEnd, insert: `[${keptValues.join(', ')}]` }];
  if (keptValues.length === 0) return [{ start: seqStart, end: contentEnd(text, seqEnd), insert: '[]' }];
  return hits.map((it) => {
    const rest = splitItems(it.value as string).filter((x) => normal(x) !== k);
    if (rest.length > 0) return renderScalar(text, it, rest, false);
    // Drop the item's whole line (dash, value and any comment on that line).
    const start = lineStart(text, rangeOf(it)[0]);
    const end = Math.min(text.length, lineEnd(text, contentEnd(text, rangeOf(it)[1]) - 1) + 1);
    return { start, end, insert: '' };
  });
}

function rulesOf(doc: Document): unknown[] {
  if (!yamlLib().isMap(doc.contents)) throw new Unsupported();
  const rules = doc.contents.items.find((p) => yamlLib().isScalar(p.key) && p.key.value === 'creation_rules')?.value;
  if (!yamlLib().isSeq(rules)) throw new Unsupported();
  return rules.items;
}

function apply(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.insert + out.slice(s.end);
  return out;
}

type Want = (index: number, before: readonly string[]) => string[];

/**
 * Edit the rules `which` selects, then check the result against `want`: every
 * rule must end up with exactly the recipients `want` gives it.
 */
function edit(text: string, file: string, r: string, which: (i: number) => boolean, make: (h: YAMLMap) => Splice[], want: Want, verb: string, group?: number): RuleEdit {
  const before = parseConfig(text, file).creationRules ?? [];
  const manual = () =>
    new EnvcryptError('UNSUPPORTED', `cannot ${verb} ${shortRecipient(r)} in ${file} automatically: a rule uses a layout envcrypt does not rewrite`, {
      file,
      hints: [
        `edit ${file} by hand (rules ${before.filter((x) => which(x.index)).map((x) => x.index).join(', ') || 'none'}), or name the files to change so that ${file} is left alone`,
        'envcrypt rewrites age keys given as a string, a list, or inside a key group (name it with --group when a rule has several); not through aliases or merge keys',
      ],
    });
  const doc = yamlLib().parseDocument(text, { keepSourceTokens: false });
  const splices: Splice[] = [];
  const changed: number[] = [];
  try {
    for (const [i, rule] of rulesOf(doc).entries()) {
      if (!which(i + 1)) continue;
      const s = hostMaps(rule, group, verb === 'add').flatMap(make);
      if (s.length) changed.push(i + 1);
      splices.push(...s);
    }
  } catch (e) {
    if (e instanceof Unsupported) throw manual();
    throw e;
  }
  // Verified even when nothing was spliced: a key we could not see (say, in a
  // merged group) would otherwise be silently left in place.
  const out = apply(text, splices);
  let after;
  try {
    after = parseConfig(out, file).creationRules ?? [];
  } catch {
    throw manual();
  }
  const ok = after.length === before.length && before.every((b, i) => {
    const expected = which(b.index) ? want(b.index, b.recipients) : b.recipients;
    const got = after[i]!.recipients;
    return got.length === expected.length && expected.every((x) => got.includes(x));
  });
  if (!ok) throw manual();
  return { text: out, changed };
}

/**
 * Add `recipient` to the age keys of the given creation rules (1-based), in
 * key group `group` (1-based) of rules that have key groups. Rules that
 * already list it are left as they are.
 *
 * @param text - the `.sops.yaml` text
 * @param file - its name, for messages
 * @throws EnvcryptError `UNSUPPORTED` for a rule layout that cannot be edited
 *   safely (aliases, merge keys, several key groups and no `group`); `PARSE` as
 *   {@link parseConfig}; `BAD_KEY` for a malformed recipient
 */
export function addRecipientToRules(text: string, file: string, recipient: string, rules: readonly number[], group?: number): RuleEdit {
  const r = parseRecipient(recipient).text;
  const k = recipientKey(r);
  return edit(text, file, r, (i) => rules.includes(i), (h) => {
    const s = addSplice(text, h, r, k);
    return s ? [s] : [];
  }, (_i, b) => (b.some((x) => recipientKey(x) === k) ? [...b] : [...b, r]), 'add', group);
}

/**
 * Remove `recipient` from the age keys of every creation rule that lists it
 * (or only of `rules`, 1-based, when given). A rule left with no age key keeps
 * an empty `age` value (`""` or `[]`).
 *
 * @throws EnvcryptError as {@link addRecipientToRules}
 */
export function removeRecipientFromRules(text: string, file: string, recipient: string, rules?: readonly number[]): RuleEdit {
  const r = parseRecipient(recipient).text;
  const k = recipientKey(r);
  // Only rules that list the key are touched, so an unrelated rule with a layout we cannot edit is no obstacle.
  const listing = (parseConfig(text, file).creationRules ?? []).filter((x) => x.recipients.some((y) => recipientKey(y) === k)).map((x) => x.index);
  const which = (i: number) => listing.includes(i) && (rules === undefined || rules.includes(i));
  return edit(text, file, r, which, (h) => removeSplices(text, h, k), (_i, b) => b.filter((x) => recipientKey(x) !== k), 'remove');
}
