import { EnvcryptError } from '../errors.js';
import type { Node } from './types.js';

/** One step of a value path: a mapping key or a list index. */
export type PathStep = string | number;

/**
 * Parse a value path in sops syntax (`["a"]["b"][0]`, quotes `"` or `'`, no
 * escapes) or the simple dotted form (`a.b.0`; a purely numeric step is an
 * index, as is `[0]`).
 */
export function parsePath(s: string): PathStep[] {
  const bad = (why: string) =>
    new EnvcryptError('USAGE', `invalid path ${JSON.stringify(s)}: ${why}`, {
      hints: [`use sops syntax '["db"]["hosts"][0]' or the dotted form db.hosts.0`],
    });
  if (s === '') throw bad('it is empty');
  if (!s.startsWith('[')) {
    return s.split('.').map((p) => {
      if (p === '') throw bad('it has an empty step');
      return /^\d+$/.test(p) ? Number(p) : p;
    });
  }
  const steps: PathStep[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '[') throw bad(`expected "[" at offset ${i}`);
    const q = s[i + 1];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, i + 2);
      if (end < 0 || s[end + 1] !== ']') throw bad(`unterminated key at offset ${i}`);
      steps.push(s.slice(i + 2, end));
      i = end + 2;
    } else {
      const end = s.indexOf(']', i);
      const idx = s.slice(i + 1, end < 0 ? undefined : end);
      if (end < 0 || !/^\d+$/.test(idx)) throw bad(`expected a quoted key or an index at offset ${i}`);
      steps.push(Number(idx));
      i = end + 1;
    }
  }
  return steps;
}

/** Format a path for messages: `db.hosts[0]`. */
export function formatPath(steps: readonly PathStep[]): string {
  return steps.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Look up a path in a node; returns undefined when a step is missing. */
export function getPath(node: Node, steps: readonly PathStep[]): Node | undefined {
  let cur: Node | undefined = node;
  for (const step of steps) {
    if (!cur) return undefined;
    if (typeof step === 'number') {
      if (cur.kind !== 'list') return undefined;
      cur = cur.items.filter((x): x is Node => x.kind !== 'comment')[step];
    } else {
      if (cur.kind !== 'map') return undefined;
      let found: Node | undefined;
      for (const it of cur.items) if (it.kind === 'pair' && it.key === step) found = it.value;
      cur = found;
    }
  }
  return cur;
}
