import { describe, expect, it } from 'vitest';
import { describeSelector, expectedSelector, refuseDriftedPlaintext, selectorDrift } from '../../src/api/selector-drift.js';
import type { GoverningRule } from '../../src/api/vouch.js';
import { DEFAULT_SELECTOR, type Selector } from '../../src/crypto/selector.js';
import { comment, int, map, nul, pair, str } from '../../src/tree/types.js';
import { caught } from '../helpers/errors.js';

const WIDE: Selector = { kind: 'encrypted_regex', value: '^(A|B)$' };
const rule = (selector?: Selector): GoverningRule => ({ vouched: new Map(), ...(selector ? { selector } : {}), source: '.sops.yaml:2:5 (creation rule 1)' });

describe('describeSelector / expectedSelector', () => {
  it('shows a selector as its kind and quoted value', () => {
    expect(describeSelector(DEFAULT_SELECTOR)).toBe('unencrypted_suffix "_unencrypted"');
    expect(describeSelector(WIDE)).toBe('encrypted_regex "^(A|B)$"');
  });

  it('expects the rule\'s selector, else the sops default', () => {
    expect(expectedSelector(null)).toEqual(DEFAULT_SELECTOR);
    expect(expectedSelector(rule())).toEqual(DEFAULT_SELECTOR);
    expect(expectedSelector(rule(WIDE))).toEqual(WIDE);
  });
});

describe('selectorDrift', () => {
  it('is null when the selector is the expected one', () => {
    expect(selectorDrift(DEFAULT_SELECTOR, null)).toBeNull();
    expect(selectorDrift({ ...WIDE }, rule(WIDE))).toBeNull();
  });

  it('describes a differing kind or value against the rule, or the default', () => {
    expect(selectorDrift(WIDE, null)).toBe(
      'the file\'s selector (encrypted_regex "^(A|B)$") differs from the default, as no .sops.yaml rule applies (unencrypted_suffix "_unencrypted")',
    );
    expect(selectorDrift({ kind: 'unencrypted_suffix', value: '_plain' }, rule())).toBe(
      'the file\'s selector (unencrypted_suffix "_plain") differs from .sops.yaml:2:5 (creation rule 1) (unencrypted_suffix "_unencrypted")',
    );
  });
});

describe('refuseDriftedPlaintext', () => {
  const before = [map([pair('A', str('a')), pair('OLD', str('kept in clear'))])];

  it('refuses a new value the drifted selector leaves in clear (SELECTOR_DRIFT, exit 3), naming the path, never the value', () => {
    const next = [map([...before[0]!.items, pair('db', map([pair('PASSWORD', str('CANARY-new'))]))])];
    const e = caught(() => refuseDriftedPlaintext('f.yaml', before, next, WIDE, null));
    expect([e.code, e.exitCode, e.file]).toEqual(['SELECTOR_DRIFT', 3, 'f.yaml']);
    expect(e.message).toBe(`refusing to store the value at db.PASSWORD unencrypted: ${selectorDrift(WIDE, null)}`);
    expect(e.message + e.hints.join('\n')).not.toContain('CANARY');
    expect(e.hints[1]).toMatch(/--allow-selector-change/);
  });

  it('refuses a changed value at an existing path too', () => {
    const next = [map([pair('A', str('a')), pair('OLD', str('changed'))])];
    expect(caught(() => refuseDriftedPlaintext('f.yaml', before, next, WIDE, null)).message).toMatch(/^refusing to store the value at OLD unencrypted/);
  });

  it('lets through unchanged values, values both selectors encrypt or leave in clear, empty strings, nulls and comments', () => {
    const next = [
      map([
        comment(' new comment'),
        pair('A', str('changed, but encrypted by both')),
        pair('OLD', str('kept in clear')),
        pair('NOTE_unencrypted', str('clear under both')),
        pair('EMPTY', str('')),
        pair('NOTHING', nul),
      ]),
    ];
    expect(refuseDriftedPlaintext('f.yaml', before, next, WIDE, null)).toBeUndefined();
  });

  it('does nothing when the selector has not drifted', () => {
    const next = [map([pair('PASSWORD', str('new'))])];
    expect(refuseDriftedPlaintext('f.yaml', [], next, WIDE, rule(WIDE))).toBeUndefined();
    expect(refuseDriftedPlaintext('f.yaml', [], next, DEFAULT_SELECTOR, null)).toBeUndefined();
  });

  it('compares canonical text: a value that moved to another path counts as new', () => {
    const prev = [map([pair('X', int(1n))])];
    expect(() => refuseDriftedPlaintext('f.yaml', prev, [map([pair('X', int(1n))])], WIDE, null)).not.toThrow();
    expect(caught(() => refuseDriftedPlaintext('f.yaml', prev, [map([pair('Y', int(1n))])], WIDE, null)).message).toMatch(/at Y unencrypted/);
  });
});
