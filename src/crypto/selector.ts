import { EnvcryptError } from '../errors.js';
import type { Comment, Leaf } from '../tree/types.js';
import type { VisitContext } from '../tree/walk.js';

/** The six SOPS selectors that decide which leaves are encrypted (SOPS-FORMAT §3). */
export type SelectorKind =
  | 'unencrypted_suffix'
  | 'encrypted_suffix'
  | 'unencrypted_regex'
  | 'encrypted_regex'
  | 'unencrypted_comment_regex'
  | 'encrypted_comment_regex';

/** Every selector name, in the order metadata validation lists them. */
export const SELECTOR_KINDS: readonly SelectorKind[] = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
];

/** One selector and its argument. */
export interface Selector {
  kind: SelectorKind;
  value: string;
}

/** The default when a file names none. */
export const DEFAULT_SELECTOR: Selector = { kind: 'unencrypted_suffix', value: '_unencrypted' };

/**
 * Compile a Go RE2 pattern to a JS RegExp. The two agree on the patterns
 * people write for sops (anchors, classes, alternation, `(?i)`); RE2 has no
 * lookaround or backreferences, so a pattern using them is rejected.
 */
export function compileRe2(pattern: string, where: string): RegExp {
  let src = pattern;
  // No `u` flag: RE2 accepts identity escapes such as `\_` that `u` rejects.
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i') flags += 'i';
      else if (f === 's') flags += 's';
      else if (f === 'm') flags += 'm';
      else throw new EnvcryptError('BAD_METADATA', `unsupported regex flag (?${f}) in ${where}`);
    }
    src = src.slice(lead[0].length);
  }
  if (/\(\?[=!<]|\\[1-9]/.test(src)) {
    throw new EnvcryptError('BAD_METADATA', `regex in ${where} uses lookaround or a backreference, which RE2 (and so sops) does not support`);
  }
  // RE2 spells named groups (?P<name>…); JS spells them (?<name>…).
  src = src.replaceAll('(?P<', '(?<');
  try {
    return new RegExp(src, flags);
  } catch {
    throw new EnvcryptError('BAD_METADATA', `invalid regex in ${where}`, { hints: ['selector regexes use Go RE2 syntax'] });
  }
}

/** A compiled selector: answers "is this leaf encrypted?". */
export type EncryptPredicate = (node: Leaf | Comment, ctx: VisitContext) => boolean;

/** Compile a selector into a predicate over the walk context. */
export function compileSelector(sel: Selector): EncryptPredicate {
  const v = sel.value;
  switch (sel.kind) {
    case 'unencrypted_suffix':
      return (_n, ctx) => !ctx.path.some((k) => k.endsWith(v));
    case 'encrypted_suffix':
      return (_n, ctx) => ctx.path.some((k) => k.endsWith(v));
    case 'unencrypted_regex': {
      const re = compileRe2(v, 'unencrypted_regex');
      return (_n, ctx) => !ctx.path.some((k) => re.test(k));
    }
    case 'encrypted_regex': {
      const re = compileRe2(v, 'encrypted_regex');
      return (_n, ctx) => ctx.path.some((k) => re.test(k));
    }
    case 'unencrypted_comment_regex': {
      const re = compileRe2(v, 'unencrypted_comment_regex');
      return (n, ctx) => !ctx.comments.some((c) => re.test(c)) && !(n.kind === 'comment' && re.test(n.text));
    }
    case 'encrypted_comment_regex': {
      const re = compileRe2(v, 'encrypted_comment_regex');
      // The marker comment itself stays plain; what follows it is encrypted.
      return (n, ctx) => ctx.comments.some((c) => re.test(c)) && !(n.kind === 'comment' && re.test(n.text));
    }
  }
}
