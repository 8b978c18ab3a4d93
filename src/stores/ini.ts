/**
 * The INI store (sops `stores/ini/store.go`). The tree is sops's: one
 * document whose top-level keys are the sections in file order, the implicit
 * `DEFAULT` (keys before any header) always first, even when empty; every
 * value a string (INI has no types); a section's comment is the first item of
 * its mapping and a key's comment the item right after the key (it is written
 * on the lines above the key). The sops metadata is the section `[sops]`,
 * flattened as in dotenv but without the `sops_` prefix
 * (`age__list_0__map_enc`), line breaks in values written as `\n`.
 */
import { EnvcryptError } from '../errors.js';
import { escapeControls } from '../io/escape.js';
import { scalarText } from '../tree/scalar-text.js';
import type { Branch, Comment, MapNode, Node, Pair } from '../tree/types.js';
import { flattenMetadata, SOPS_PREFIX, unflattenMetadata } from './flatten.js';
import { DEFAULT_SECTION, type IniSection, parseIni } from './ini-syntax.js';
import { type WriteKey, type WriteSection, writeIni } from './ini-write.js';
import type { Store } from './store.js';

/** The section holding the sops metadata. */
const SOPS_SECTION = 'sops';

/** sops's `stripCommentChar`: every leading `;` and space (or `#` and space) goes. */
export function stripCommentChar(c: string): string {
  if (c.startsWith(';')) return c.replace(/^[; ]+/, '');
  if (c.startsWith('#')) return c.replace(/^[# ]+/, '');
  return c;
}

function toBranch(sections: readonly IniSection[]): Branch {
  return {
    kind: 'map',
    items: sections.map((s) => {
      const items: Array<Pair | Comment> = [];
      if (s.comment !== '') items.push({ kind: 'comment', text: stripCommentChar(s.comment) });
      for (const k of s.keys) {
        items.push({ kind: 'pair', key: k.name, value: { kind: 'str', value: k.value } });
        if (k.comment !== '') items.push({ kind: 'comment', text: stripCommentChar(k.comment) });
      }
      return { kind: 'pair', key: s.name, value: { kind: 'map', items } };
    }),
  };
}

function cannot(what: string, hint = 'use YAML or JSON for this data'): EnvcryptError {
  return new EnvcryptError('UNSUPPORTED', `${what}, which an INI file cannot hold`, { hints: [hint] });
}

/**
 * The tree as sections to write. `strict` (an encrypted file) refuses any
 * comment the INI layout would move or merge; plaintext output merges
 * consecutive comments and hands a top-level comment to the next section.
 */
function toSections(branches: readonly Branch[], strict: boolean): WriteSection[] {
  if (branches.length !== 1) throw cannot(`${branches.length} documents`, 'an INI file holds one document; extract one first');
  const out: WriteSection[] = [];
  let pending: string | null = null;
  const join = (a: string | null, b: string, where: string): string => {
    if (a !== null && strict) throw cannot(`two comments in a row ${where}`, 'join them into one comment');
    return a === null ? b : `${a}\n${b}`;
  };
  for (const item of branches[0]!.items) {
    if (item.kind === 'comment') {
      if (strict) throw cannot('a comment outside any section', 'move it into a section');
      pending = join(pending, item.text, 'at the top level');
      continue;
    }
    if (item.value.kind !== 'map') throw cannot(`the top-level key ${quote(item.key)} is not a section`, 'put it in a section: [section] then key = value');
    const sec = toSection(item.key, item.value, strict, join);
    if (pending !== null) sec.comment = sec.comment === null ? pending : `${pending}\n${sec.comment}`;
    pending = null;
    if (strict && sec.comment !== null && out.length === 0 && sec.name === DEFAULT_SECTION) {
      throw cannot('a comment on the DEFAULT section, which has no header to carry it', 'put the comment above a key');
    }
    out.push(sec);
  }
  if (pending !== null) throw cannot('a comment after the last section', 'move it above a section or a key');
  return out;
}

function toSection(name: string, body: MapNode, strict: boolean, join: (a: string | null, b: string, where: string) => string): WriteSection {
  const sec: WriteSection = { name, comment: null, keys: [] };
  let last: WriteKey | null = null;
  for (const item of body.items) {
    if (item.kind === 'comment') {
      if (last === null) sec.comment = join(sec.comment, item.text, `at the top of section ${quote(name)}`);
      else last.comment = join(last.comment, item.text, `after ${quote(`${name}.${last.name}`)}`);
      continue;
    }
    const v: Node = item.value;
    if (v.kind === 'map' || v.kind === 'list') throw cannot(`${quote(`${name}.${item.key}`)} holds nested values`, 'INI holds sections of key = value pairs only; use YAML or JSON');
    last = { name: item.key, value: scalarText(v), comment: null };
    sec.keys.push(last);
  }
  return sec;
}

function quote(s: string): string {
  return escapeControls(JSON.stringify(s));
}

/**
 * The INI {@link Store}.
 *
 * - `parsePlain` / `parseEncrypted`: go-ini's reading, with what it would
 *   lose refused (`ini-syntax.ts`); a section named `sops` is the metadata.
 * - `emitPlain`: go-ini's writing (`ini-write.ts`); non-string scalars as
 *   sops's `ValToString` writes them; nested values, lists and several
 *   documents are refused naming the key.
 * - `emitEncrypted`: the same, the `[sops]` section last, metadata keys in
 *   the order of the given tree (sops 3.13: alphabetical).
 * - `emitValue`: a scalar as its text; a section as its `key = value` lines.
 */
export const iniStore: Store = {
  format: 'ini',

  parsePlain(text: string): Branch[] {
    return [toBranch(parseIni(text))];
  },

  parseEncrypted(text: string): { branches: Branch[]; metadata: MapNode | null } {
    const sections = parseIni(text, true);
    const meta = sections.find((s) => s.name === SOPS_SECTION);
    if (meta === undefined) return { branches: [toBranch(sections)], metadata: null };
    const entries = meta.keys.map((k) => ({ key: SOPS_PREFIX + k.name, value: k.value.replaceAll('\\n', '\n'), line: k.position.line }));
    return { branches: [toBranch(sections.filter((s) => s !== meta))], metadata: unflattenMetadata(entries) };
  },

  hasMetadata(branches: Branch[]): boolean {
    return branches.some((b) => b.items.some((i) => i.kind === 'pair' && i.key === SOPS_SECTION));
  },

  emitPlain(branches: Branch[]): string {
    return writeIni(toSections(branches, false));
  },

  emitEncrypted(branches: Branch[], metadata: MapNode): string {
    const sections = toSections(branches, true);
    if (sections.some((s) => s.name === SOPS_SECTION)) {
      throw new EnvcryptError('REFUSED', `the data already has a section "${SOPS_SECTION}", which is reserved for SOPS metadata`, { hints: ['rename the section'] });
    }
    const keys = flattenMetadata(metadata).map((e) => {
      if (e.value.includes('\\n')) throw cannot(`metadata field ${quote(e.key)} holds a backslash followed by "n"`, 'the INI metadata writes line breaks as \\n');
      return { name: e.key.slice(SOPS_PREFIX.length), value: e.value.replaceAll('\n', '\\n'), comment: null };
    });
    return writeIni([...sections, { name: SOPS_SECTION, comment: null, keys }]);
  },

  emitValue(node: Node): string {
    if (node.kind === 'list') throw cannot('a list', 'extract one element, or use --output-type yaml');
    if (node.kind !== 'map') return scalarText(node);
    return writeIni(toSections([{ kind: 'map', items: [{ kind: 'pair', key: DEFAULT_SECTION, value: node }] }], false));
  },
};
