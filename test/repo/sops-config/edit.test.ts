import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bech32 } from '@scure/base';
import { EnvcryptError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/repo/sops-config/rules.js';
import { addRecipientToRules, removeRecipientFromRules } from '../../../src/repo/sops-config/edit.js';
import { caught } from '../../helpers/errors.js';

// Public recipients of the published throwaway test keys in test/fixtures/sops (PROVENANCE.md).
const A = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const B = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';
const C = 'age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph';
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

function recipients(text: string): string[][] {
  return (parseConfig(text, '.sops.yaml').creationRules ?? []).map((r) => r.recipients);
}

/** The lines of `b` that are not in `a` (a multiset difference, good enough for line edits). */
function addedLines(a: string, b: string): string[] {
  const left = a.split('\n');
  return b.split('\n').filter((l) => {
    const i = left.indexOf(l);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

describe('addRecipientToRules keeps the file as written', () => {
  it('appends to a comma-separated string, keeping its trailing comment', () => {
    const text = `# team keys\ncreation_rules:\n  - path_regex: \\.env\\.enc$   # dotenv\n    age: ${A},${B}  # alice, bob\n`;
    const r = addRecipientToRules(text, '.sops.yaml', C, [1]);
    expect(r.changed).toEqual([1]);
    expect(r.text).toBe(text.replace(`${A},${B}`, `${A},${B},${C}`));
  });

  it('keeps a ", " separator and the quoting style', () => {
    const dq = `creation_rules:\n  - age: "${A}, ${B}"\n`;
    expect(addRecipientToRules(dq, 'f', C, [1]).text).toBe(`creation_rules:\n  - age: "${A}, ${B}, ${C}"\n`);
    const sq = `creation_rules:\n  - age: '${A}'\n`;
    expect(addRecipientToRules(sq, 'f', C, [1]).text).toBe(`creation_rules:\n  - age: '${A},${C}'\n`);
  });

  it('adds a list item with the list indentation after the last item and its comment', () => {
    const text = `creation_rules:\n    - path_regex: x\n      age:\n          - ${A} # alice\n          - ${B} # bob\n      # after the list\n`;
    const r = addRecipientToRules(text, 'f', C, [1]);
    expect(r.text).toBe(text.replace(`${B} # bob\n`, `${B} # bob\n          - ${C}\n`));
  });

  it('adds to a flow list and to a block scalar', () => {
    const flow = `creation_rules:\n  - age: [${A}, ${B}]\n`;
    expect(addRecipientToRules(flow, 'f', C, [1]).text).toBe(`creation_rules:\n  - age: [${A}, ${B}, ${C}]\n`);
    const folded = `creation_rules:\n  - age: >-\n      ${A},\n      ${B}\n    path_regex: y\n`;
    const r = addRecipientToRules(folded, 'f', C, [1]);
    expect(r.text).toBe(`creation_rules:\n  - age: >-\n      ${A},\n      ${B},\n      ${C}\n    path_regex: y\n`);
  });

  it('adds an age key to a rule that has none, at the rule keys\' indentation', () => {
    const text = `creation_rules:\n  - path_regex: x # only pgp so far\n    pgp: ABC\n  - path_regex: y\n    age: ${A}\n`;
    const r = addRecipientToRules(text, 'f', C, [1]);
    expect(r.text).toBe(`creation_rules:\n  - path_regex: x # only pgp so far\n    pgp: ABC\n    age: ${C}\n  - path_regex: y\n    age: ${A}\n`);
    const flowRule = `creation_rules:\n  - {path_regex: w, age: ${A}}\n`;
    expect(recipients(addRecipientToRules(flowRule, 'f', C, [1]).text)).toEqual([[A, C]]);
  });

  it('edits the age list inside a single key group', () => {
    const text = `creation_rules:\n  - path_regex: x\n    key_groups:\n      - age:\n          - ${A}\n`;
    expect(recipients(addRecipientToRules(text, 'f', C, [1]).text)).toEqual([[A, C]]);
  });

  it('touches only the rules it is given, and a rule that lists the key already not at all', () => {
    const text = `creation_rules:\n  - path_regex: a\n    age: ${A}\n  - path_regex: b\n    age: ${A}\n  - path_regex: c\n    age: ${C}\n`;
    const r = addRecipientToRules(text, 'f', C, [2, 3]);
    expect(r.changed).toEqual([2]);
    expect(recipients(r.text)).toEqual([[A], [A, C], [C]]);
    expect(addedLines(text, r.text)).toEqual([`    age: ${A},${C}`]);
  });

  it('returns the input itself when every rule already lists the key', () => {
    const text = `creation_rules:\n  - age: ${A},${C}\n`;
    expect(addRecipientToRules(text, 'f', C, [1])).toEqual({ text, changed: [] });
  });

  it('refuses layouts it cannot rewrite safely, naming the rules to edit by hand', () => {
    const groups = `creation_rules:\n  - key_groups:\n      - age: [${A}]\n      - age: [${B}]\n`;
    const e = caught(() => addRecipientToRules(groups, '.sops.yaml', C, [1]));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.hints.join('\n')).toContain('rules 1');
    const alias = `base: &keys ${A}\ncreation_rules:\n  - age: *keys\n`;
    // The validator refuses the unknown top-level field first; either way nothing is written.
    expect(() => addRecipientToRules(alias, '.sops.yaml', C, [1])).toThrow(EnvcryptError);
    const merged = `creation_rules:\n  - &r {path_regex: a, age: ${A}}\n  - <<: *r\n    path_regex: b\n`;
    expect(caught(() => addRecipientToRules(merged, '.sops.yaml', C, [2])).code).toBe('UNSUPPORTED');
  });

  it('rejects a malformed recipient before touching anything', () => {
    expect(caught(() => addRecipientToRules(`creation_rules:\n  - age: ${A}\n`, 'f', 'age1nope', [1])).code).toBe('BAD_KEY');
  });
});

describe('removeRecipientFromRules', () => {
  it('removes from every rule that lists the key, whatever the layout', () => {
    const text = [
      '# top',
      'creation_rules:',
      `  - path_regex: a   # c1`,
      `    age: ${A},${B}  # c2`,
      '  - path_regex: b',
      '    age:',
      `      - ${A} # alice`,
      `      - ${B} # bob`,
      '    # trailing',
      '  - path_regex: c',
      '    age: >-',
      `      ${A},`,
      `      ${B}`,
      '  - path_regex: d',
      `    age: [${B}, ${A}]`,
      '  - path_regex: e',
      `    age: ${C}`,
      '',
    ].join('\n');
    const r = removeRecipientFromRules(text, 'f', B);
    expect(r.changed).toEqual([1, 2, 3, 4]);
    expect(recipients(r.text)).toEqual([[A], [A], [A], [A], [C]]);
    // The bob line goes with its comment; every other comment stays.
    expect(r.text).not.toContain('# bob');
    for (const c of ['# top', '# c1', '# c2', '# alice', '# trailing']) expect(r.text).toContain(c);
  });

  it('leaves an empty age value when the last key goes', () => {
    const text = `creation_rules:\n  - path_regex: a\n    age: ${B}\n  - path_regex: b\n    age:\n      - ${B}\n`;
    const r = removeRecipientFromRules(text, 'f', B);
    expect(recipients(r.text)).toEqual([[], []]);
    expect(r.text).toBe(`creation_rules:\n  - path_regex: a\n    age: ""\n  - path_regex: b\n    age:\n      []\n`);
  });

  it('ignores rules that do not list the key, even ones it could not edit', () => {
    const text = `creation_rules:\n  - key_groups:\n      - age: [${A}]\n      - age: [${C}]\n  - age: ${A},${B}\n`;
    const r = removeRecipientFromRules(text, 'f', B);
    expect(r.changed).toEqual([2]);
    expect(recipients(r.text)).toEqual([[A, C], [A]]);
  });

  it('is a no-op for a key no rule lists', () => {
    const text = `creation_rules:\n  - age: ${A}\n`;
    expect(removeRecipientFromRules(text, 'f', C)).toEqual({ text, changed: [] });
  });

  it('refuses (rather than silently keeping the key) when the key comes through a merged group', () => {
    const text = `creation_rules:\n  - key_groups:\n      - merge:\n          - age: [${B}]\n        age: [${A}]\n`;
    expect(caught(() => removeRecipientFromRules(text, 'f', B)).code).toBe('UNSUPPORTED');
  });
});

/** A random valid X25519 recipient. */
const recipientArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bech32.encode('age', bech32.toWords(b), 1000));

type Style = 'plain' | 'double' | 'single' | 'block' | 'flow';
function render(style: Style, keys: string[], indent: number): string {
  const pad = ' '.repeat(indent);
  switch (style) {
    case 'plain':
      return `${pad}age: ${keys.join(',')}`;
    case 'double':
      return `${pad}age: "${keys.join(', ')}"`;
    case 'single':
      return `${pad}age: '${keys.join(',')}'`;
    case 'flow':
      return `${pad}age: [${keys.join(', ')}]`;
    case 'block':
      return `${pad}age:\n${keys.map((k, i) => `${pad}  - ${k}${i % 2 ? ' # member' : ''}`).join('\n')}`;
  }
}

describe('properties', () => {
  const ruleArb = fc.record({
    style: fc.constantFrom<Style>('plain', 'double', 'single', 'block', 'flow'),
    keys: fc.uniqueArray(recipientArb, { minLength: 1, maxLength: 4 }),
    comment: fc.boolean(),
  });
  const configArb = fc.record({ rules: fc.array(ruleArb, { minLength: 1, maxLength: 4 }), indent: fc.constantFrom(2, 4), fresh: recipientArb });
  const textOf = (c: { rules: { style: Style; keys: string[]; comment: boolean }[]; indent: number }) => {
    const pad = ' '.repeat(c.indent);
    const rules = c.rules.map((r, i) => `${pad}- path_regex: r${i}${r.comment ? ' # rule' : ''}\n${render(r.style, r.keys, c.indent + 2)}`);
    return `# header\ncreation_rules:\n${rules.join('\n')}\n`;
  };

  it('adding a new key to some rules gives exactly those rules one more key; removing it again restores the text', () => {
    fc.assert(
      fc.property(configArb, fc.array(fc.nat(), { maxLength: 4 }), (c, picks) => {
        fc.pre(c.rules.every((r) => !r.keys.includes(c.fresh)));
        const text = textOf(c);
        const which = [...new Set(picks.map((p) => (p % c.rules.length) + 1))];
        const added = addRecipientToRules(text, 'f', c.fresh, which);
        expect(recipients(added.text)).toEqual(c.rules.map((r, i) => (which.includes(i + 1) ? [...r.keys, c.fresh] : r.keys)));
        expect(added.text.startsWith('# header\n')).toBe(true);
        const back = removeRecipientFromRules(added.text, 'f', c.fresh);
        expect(back.text).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it('removing a listed key drops it from every rule and keeps the others in order', () => {
    fc.assert(
      fc.property(configArb, fc.nat(), (c, pick) => {
        const all = c.rules.flatMap((r) => r.keys);
        const gone = all[pick % all.length]!;
        const r = removeRecipientFromRules(textOf(c), 'f', gone);
        expect(recipients(r.text)).toEqual(c.rules.map((x) => x.keys.filter((k) => k !== gone)));
      }),
      { numRuns: RUNS },
    );
  });
});
