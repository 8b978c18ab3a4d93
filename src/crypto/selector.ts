import { EnvcryptError } from '../errors.js';
import type { Comment, Leaf } from '../tree/types.js';
import type { VisitContext } from '../tree/walk.js';

// The selector fields are part of the metadata's wire format (stores/metadata.ts);
// this module compiles them.
export { DEFAULT_SELECTOR, SELECTOR_KINDS, type Selector, type SelectorKind } from '../stores/metadata.js';
import type { Selector } from '../stores/metadata.js';

/** A compiled RE2 regex: all envcrypt asks of one is an unanchored search. */
export interface Re2Regex {
  /** True when the regex matches somewhere in `text` (Go's `MatchString`). */
  test(text: string): boolean;
}

type Re2js = typeof import('re2js');
let re2js: Re2js | undefined;

/**
 * The `re2js` package, loaded on the first regex compile. Its module body
 * costs ~15 ms, which `exec` and the preloads, run on every app launch, do
 * not pay for the default selector (`unencrypted_suffix`). `require` is
 * there in every build: the CommonJS bundles get the loader's (re2js is
 * external to them, scripts/build.mjs), dist/index.js gets one from its
 * banner, and vitest provides one to the sources.
 */
function loadRe2js(): Re2js {
  return (re2js ??= require('re2js') as Re2js);
}

/** What RE2 said about a pattern it refused; null for anything that is not an RE2 error. */
function refusal(lib: Re2js, e: unknown): { reason: string; fragment: string } | null {
  if (!(e instanceof lib.RE2JSException)) return null;
  if (e instanceof lib.RE2JSSyntaxException) return { reason: e.getDescription(), fragment: e.getPattern() ?? '' };
  return { reason: e.message.replace(/^error parsing regexp: /, ''), fragment: '' };
}

/**
 * Compile a Go RE2 pattern (the syntax of sops's selector regexes and
 * `.sops.yaml` `path_regex`) with `re2js`, a port of Go's engine: matching
 * takes time linear in the text, whatever the pattern, so a pattern written
 * by whoever can push to the repository (`^(A+)+$`) cannot hang a command.
 * Go's syntax, flags and limits apply: `(?i)`, `(?s)`, `(?m)`, `(?U)`,
 * `(?P<name>…)`, `\pL`; no lookaround or backreferences; repeat counts up
 * to 1000.
 *
 * @param where - what the pattern is, for the error: `encrypted_regex`, `path_regex of creation rule 2`
 * @throws EnvcryptError `BAD_METADATA` for a pattern RE2 refuses
 */
export function compileRe2(pattern: string, where: string): Re2Regex {
  const lib = loadRe2js();
  try {
    return lib.RE2JS.compile(pattern);
  } catch (e) {
    const r = refusal(lib, e);
    if (r === null) throw e;
    // The part of the pattern RE2 names is attacker-written text: shown only
    // when it is short and cannot carry a terminal escape.
    const shown = /^[\x20-\x7e]{1,40}$/.test(r.fragment) ? `: \`${r.fragment}\`` : '';
    const perlOnly = /^(\(\?<?[=!]|\\[1-9])/.test(r.fragment);
    throw new EnvcryptError('BAD_METADATA', `invalid regex in ${where}: ${r.reason}${shown}`, {
      cause: e,
      hints: [
        perlOnly
          ? 'sops regexes use Go RE2 syntax, which has no lookaround or backreferences: rewrite the pattern without them'
          : 'sops regexes use Go RE2 syntax (https://github.com/google/re2/wiki/Syntax): fix the pattern',
      ],
    });
  }
}

/** A compiled selector: answers "is this leaf encrypted?". */
export type EncryptPredicate = (node: Leaf | Comment, ctx: VisitContext) => boolean;

/**
 * A regex search remembered per text: a key is searched once, not again for
 * every leaf below it (the walk tests each leaf's whole path), and a
 * comment once per place it is tested.
 */
function searcher(pattern: string, where: string): (text: string) => boolean {
  const re = compileRe2(pattern, where);
  const seen = new Map<string, boolean>();
  return (text) => {
    let hit = seen.get(text);
    if (hit === undefined) {
      hit = re.test(text);
      seen.set(text, hit);
    }
    return hit;
  };
}

/** Compile a selector into a predicate over the walk context. */
export function compileSelector(sel: Selector): EncryptPredicate {
  const v = sel.value;
  switch (sel.kind) {
    case 'unencrypted_suffix':
      return (_n, ctx) => !ctx.path.some((k) => k.endsWith(v));
    case 'encrypted_suffix':
      return (_n, ctx) => ctx.path.some((k) => k.endsWith(v));
    case 'unencrypted_regex': {
      const test = searcher(v, 'unencrypted_regex');
      return (_n, ctx) => !ctx.path.some(test);
    }
    case 'encrypted_regex': {
      const test = searcher(v, 'encrypted_regex');
      return (_n, ctx) => ctx.path.some(test);
    }
    case 'unencrypted_comment_regex': {
      const test = searcher(v, 'unencrypted_comment_regex');
      return (n, ctx) => !ctx.comments.some(test) && !(n.kind === 'comment' && test(n.text));
    }
    case 'encrypted_comment_regex': {
      const test = searcher(v, 'encrypted_comment_regex');
      // The marker comment itself stays plain; what follows it is encrypted.
      return (n, ctx) => ctx.comments.some(test) && !(n.kind === 'comment' && test(n.text));
    }
  }
}
