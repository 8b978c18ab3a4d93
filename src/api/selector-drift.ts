/**
 * Selector drift: a file whose selector (which values are encrypted) differs
 * from what its `.sops.yaml` rule says, or from the sops default when no rule
 * applies. On a file without an integrity record the selector is not
 * authenticated, so a pusher can widen it (`encrypted_regex: ^(A|B)$`) and
 * make every secret added later go into the repository in plaintext.
 */
import { DEFAULT_SELECTOR, compileSelector, type Selector } from '../crypto/selector.js';
import { canonicalText } from '../crypto/values.js';
import { EnvcryptError } from '../errors.js';
import { formatPath } from '../tree/path.js';
import type { Branch } from '../tree/types.js';
import { aadFor, forEachLeaf } from '../tree/walk.js';
import type { GoverningRule } from './vouch.js';

/** How a selector is shown: `unencrypted_suffix "_unencrypted"`. */
export function describeSelector(s: Selector): string {
  return `${s.kind} ${JSON.stringify(s.value)}`;
}

/** The selector a file should have: its rule's, else the sops default. */
export function expectedSelector(rule: GoverningRule | null): Selector {
  return rule?.selector ?? DEFAULT_SELECTOR;
}

/** A sentence describing the drift, or null when the selector is as expected. */
export function selectorDrift(actual: Selector, rule: GoverningRule | null): string | null {
  const want = expectedSelector(rule);
  if (actual.kind === want.kind && actual.value === want.value) return null;
  return `the file's selector (${describeSelector(actual)}) differs from ${rule ? rule.source : 'the default, as no .sops.yaml rule applies'} (${describeSelector(want)})`;
}

/**
 * Refuse to store a new or changed value in plaintext only because the
 * file's selector drifted: a value the expected selector would encrypt but
 * the file's leaves in clear. With `unencrypted_comment_regex` the comments
 * are part of the selector, and in a file without an integrity record they
 * are as unauthenticated as the selector itself: a pusher can add a marker
 * comment where the next value will go. `untrustedComments` says which
 * comments do not count towards leaving a new value in clear: `previous`
 * (those already in the file; comments the user adds now, in `edit`, count),
 * `all` (a merge, where no one typed them), or `none` (the record vouched
 * for them).
 *
 * @throws EnvcryptError `SELECTOR_DRIFT` (exit 3) naming the first such key
 *   path and both selectors, never the value
 */
export function refuseDriftedPlaintext(
  file: string,
  previous: readonly Branch[],
  next: readonly Branch[],
  actual: Selector,
  rule: GoverningRule | null,
  untrustedComments: 'none' | 'previous' | 'all' = 'none',
): void {
  const drift = selectorDrift(actual, rule);
  const byComment = untrustedComments !== 'none' && actual.kind === 'unencrypted_comment_regex';
  if (drift === null && !byComment) return;
  const old = new Set<string>();
  const oldComments = new Set<string>();
  forEachLeaf(previous, (n, ctx) => {
    if (n.kind === 'comment') oldComments.add(n.text);
    if (n.kind !== 'null') old.add(`${aadFor(ctx.path)}\0${n.kind === 'comment' ? '#' + n.text : canonicalText(n)}`);
  });
  const isEnc = compileSelector(actual);
  const wantEnc = drift === null ? isEnc : compileSelector(expectedSelector(rule));
  let culprit: readonly string[] | null = null;
  forEachLeaf(next, (n, ctx) => {
    if (culprit || n.kind === 'null' || n.kind === 'comment') return;
    const trusted = byComment ? { path: ctx.path, comments: untrustedComments === 'all' ? [] : ctx.comments.filter((c) => !oldComments.has(c)) } : ctx;
    if (isEnc(n, ctx) || !wantEnc(n, trusted) || canonicalText(n) === '') return;
    if (!old.has(`${aadFor(ctx.path)}\0${canonicalText(n)}`)) culprit = ctx.path;
  });
  if (culprit === null) return;
  const why = drift ?? 'it follows a comment matching the file\'s unencrypted_comment_regex, and the file has no integrity record to show that comment is genuine';
  throw new EnvcryptError('SELECTOR_DRIFT', `refusing to store the value at ${formatPath(culprit)} unencrypted: ${why}`, {
    file,
    hints: [
      'someone may have changed the selector to keep new secrets in plaintext; compare the file with its last good version in git',
      'if the new selector is intended, pass --allow-selector-change (ENVCRYPT_ALLOW_SELECTOR_CHANGE=1 for the git merge driver), or update the .sops.yaml rule to match',
    ],
  });
}
