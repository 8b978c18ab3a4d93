import { readFileSync } from 'node:fs';
import dotenv from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvcryptError } from '../../src/errors.js';
import { type DotenvItem, isDotenvKey, parseDotenv } from '../../src/stores/dotenv-syntax.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const CORPUS = readFileSync(new URL('../fixtures/plain/edge-cases.env', import.meta.url), 'utf8');

/** Our pairs as a plain object, built the way dotenv builds its result (same key order rules). */
function record(items: DotenvItem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of items) if (it.kind === 'pair') out[it.key] = it.value;
  return out;
}

function oracle(text: string): [string, string][] {
  return Object.entries(dotenv.parse(text));
}

describe('parseDotenv: the edge-case corpus', () => {
  const items = parseDotenv(CORPUS);
  const values = record(items);

  it('reads every value exactly as dotenv.parse does, in the same order', () => {
    expect(Object.entries(values)).toEqual(oracle(CORPUS));
  });

  it('keeps the pairs in file order', () => {
    const keys = items.flatMap((i) => (i.kind === 'pair' ? [i.key] : []));
    expect(keys.slice(0, 4)).toEqual(['BASIC', 'EXPORTED', 'INDENTED', 'SPACED_EQ']);
    expect(keys.at(-1)).toBe('TRAILING_BACKSLASH');
    expect(keys.indexOf('123')).toBeGreaterThan(keys.indexOf('lower_case'));
  });

  it('keeps full-line comments as items with the text after "#"', () => {
    const comments = items.flatMap((i) => (i.kind === 'comment' ? [i.text] : []));
    expect(comments).toContain('no space after the hash');
    expect(comments).toContain(' indented comment');
    expect(comments).not.toContain(' not a comment inside quotes');
    expect(comments).toHaveLength(6);
  });

  // One assertion per case, so that a regression names the case.
  const cases: Record<string, string> = {
    BASIC: 'basic',
    EXPORTED: 'exported value',
    SPACED_EQ: 'spaced around equals',
    TABS: 'tabs around equals',
    EMPTY: '',
    EMPTY_SINGLE: '',
    EMPTY_WITH_COMMENT: '',
    TRIMMED: 'leading and trailing spaces',
    SINGLE_SPACES: '  kept spaces  ',
    SPACE_BEFORE_QUOTE: 'quoted after spaces',
    EQUALS: 'a=b=c',
    LEADING_EQUALS: '=starts with equals',
    HASH_IN_DOUBLE: 'not # a comment',
    INLINE_COMMENT: 'value',
    INLINE_NO_SPACE: 'value',
    URL_FRAGMENT: 'https://example.com/a?b=1',
    URL_QUOTED: 'https://example.com/a?b=1#fragment',
    QUOTED_COMMENT_NO_SPACE: 'quoted',
    BACKTICK_HOLDS_BOTH: `it's "quoted"`,
    ESCAPED_SINGLE_IN_SINGLE: "it\\'s",
    ESCAPED_DOUBLE_IN_DOUBLE: 'say \\"hi\\"',
    NEWLINE_ESCAPE: 'line1\nline2',
    CR_ESCAPE: 'a\rb',
    ESCAPE_IN_SINGLE: 'line1\\nline2',
    ESCAPE_BARE: 'line1\\nline2',
    BACKSLASH_PAIR_IN_DOUBLE: 'a\\\\b',
    BACKSLASH_BEFORE_N: 'a\\\nb',
    TAB_ESCAPE_NOT_EXPANDED: 'a\\tb',
    MULTI_BACKTICK: 'first\n# not a comment inside quotes\nsecond',
    MULTI_INDENTED: '\n  indented line\n',
    PEM: '-----BEGIN KEY-----\nabc\n-----END KEY-----\n',
    UNICODE: 'héllo wörld ✓',
    EMOJI: '🔐 secret',
    '123': 'numeric key',
    export: 'export as a key',
    exportNOSPACE: 'prefix without a space is part of the key',
    SPACED_EXPORT: 'two spaces after export',
    NBSP_TRIMMED: 'value',
    LINE_SEPARATOR_QUOTED: 'a\u2028b',
    CRLF_LINE: 'crlf',
    CRLF_MULTI: 'a\nb',
    TRAILING_BACKSLASH: 'ends with a backslash\\',
  };
  for (const [key, want] of Object.entries(cases)) {
    it(`reads ${key}`, () => {
      expect(values[key]).toBe(want);
    });
  }

  it('numbers lines across multi-line values and CRLF', () => {
    const line = (k: string) => items.find((i) => i.kind === 'pair' && i.key === k)?.line;
    const physical = CORPUS.replace(/\r\n?/g, '\n').split('\n');
    expect(physical[line('MULTI_WITH_EQUALS')! - 1]).toBe('MULTI_WITH_EQUALS="A=1');
    expect(physical[line('TRAILING_BACKSLASH')! - 1]).toMatch(/^TRAILING_BACKSLASH=/);
  });
});

// ---- generated well-formed files -------------------------------------------------------------

const keyArb = fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/).filter((k) => k !== '__proto__');
const tricky = fc.constantFrom(
  'a', 'Z', '0', ' ', '\t', '#', '=', "'", '"', '`', '\\', 'n', 'r', '\n', 'é', '🔐', '\u00a0', '\u2028', '$', '\\n', "\\'", '\\"', '\\`',
);
const content = fc.oneof(fc.string({ unit: tricky, maxLength: 16 }), fc.string({ unit: 'binary', maxLength: 12 }));
const commentText = content.map((s) => s.replace(/[\r\n\u2028\u2029]/g, ''));
const spaces = fc.constantFrom('', ' ', '  ', '\t', ' \t ');

type Style = 'bare' | "'" | '"' | '`';
interface Entry { key: string; raw: string; style: Style; exp: boolean; pre: string; around: string; post: string; comment: string | null }

/** Make `raw` legal inside quote `q` by construction: every quote escaped, no trailing backslash, no CR. */
function quotedBody(raw: string, q: string): string {
  let body = raw.replace(/\r/g, '');
  body = body.split(q).join('\\' + q);
  if (body.startsWith('\\' + q)) body = 'x' + body;
  if (body.endsWith('\\')) body += 'z';
  return body;
}

function bareBody(raw: string): string {
  let v = raw.replace(/[#\r\n\u2028\u2029]/g, '').trim();
  if (/^['"`]/.test(v)) v = 'x' + v;
  return v;
}

/** Render one entry and say what value it must parse to. */
function render(e: Entry): { line: string; want: string } {
  const lhs = `${e.pre}${e.exp ? 'export ' : ''}${e.key}${e.around}=${e.around}`;
  const tail = e.comment === null ? '' : ` #${e.comment}`;
  if (e.style === 'bare') {
    const v = bareBody(e.raw);
    return { line: `${lhs}${v}${e.post}${tail}`, want: v };
  }
  const body = quotedBody(e.raw, e.style);
  const want = e.style === '"' ? body.replace(/\\([nr])/g, (_m, c: string) => (c === 'n' ? '\n' : '\r')) : body;
  return { line: `${lhs}${e.style}${body}${e.style}${e.post}${tail}`, want };
}

const entryArb = fc.record({
  key: keyArb,
  raw: content,
  style: fc.constantFrom<Style>('bare', "'", '"', '`'),
  exp: fc.boolean(),
  pre: spaces,
  around: spaces,
  post: spaces,
  comment: fc.option(commentText, { nil: null }),
});
const fileArb = fc.record({
  entries: fc.uniqueArray(entryArb, { selector: (e) => e.key, maxLength: 8 }),
  extras: fc.array(fc.oneof(commentText.map((t) => `#${t}`), spaces), { maxLength: 4 }),
  crlf: fc.boolean(),
});

describe('parseDotenv: generated files against dotenv.parse', () => {
  it('reads every rendered value as intended and as dotenv does', () => {
    fc.assert(
      fc.property(fileArb, ({ entries, extras, crlf }) => {
        const rendered = entries.map(render);
        const lines = rendered.map((r) => r.line);
        extras.forEach((x, i) => lines.splice((i * 3) % (lines.length + 1), 0, x));
        let text = lines.join('\n') + '\n';
        if (crlf) text = text.replace(/\n/g, '\r\n');
        const ours = record(parseDotenv(text));
        const want: Record<string, string> = {};
        entries.forEach((e, i) => (want[e.key] = rendered[i]!.want));
        expect(ours).toEqual(want);
        expect(Object.entries(ours)).toEqual(oracle(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with dotenv.parse on any text of tricky characters that it accepts', () => {
    let accepted = 0;
    const chaos = fc.string({
      unit: fc.constantFrom('A', 'B', 'c', '=', '=', ' ', '\t', '#', "'", '"', '`', '\\', 'n', '\n', '\n', '\r', 'export ', '\u2028', '\u2029', '\u00a0', 'é', '\\"'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(chaos, (text) => {
        let ours: DotenvItem[];
        try {
          ours = parseDotenv(text);
        } catch (e) {
          expect(e).toBeInstanceOf(EnvcryptError);
          expect((e as EnvcryptError).code).toBe('PARSE');
          return;
        }
        accepted++;
        expect(Object.entries(record(ours))).toEqual(oracle(text));
      }),
      { numRuns: RUNS * 10 },
    );
    // The property is only meaningful if a fair share of the texts is accepted.
    expect(accepted).toBeGreaterThan(RUNS);
  });
});

// ---- errors --------------------------------------------------------------------------------------

describe('parseDotenv: errors', () => {
  const secret = 'hunter2-SECRET';

  it('refuses a line without "=" with its line and column', () => {
    const e = caught(() => parseDotenv(`A=1\n\n   ${secret}\n`));
    expect(e.code).toBe('PARSE');
    expect(e.position).toEqual({ line: 3, column: 4 });
    expect(e.message).toMatch(/^expected KEY=VALUE/);
    expect(e.message).not.toContain(secret);
  });

  it('refuses the KEY: VALUE form', () => {
    const e = caught(() => parseDotenv('A: b\n'));
    expect(e.message).toMatch(/^expected KEY=VALUE/);
  });

  it('refuses an invalid key and points at the bad character', () => {
    const e = caught(() => parseDotenv(`OK=1\nMY KEY=${secret}\n`));
    expect(e.position).toEqual({ line: 2, column: 4 });
    expect(e.message).toBe('invalid character in key');
    expect(caught(() => parseDotenv('"A"=1')).position).toEqual({ line: 1, column: 1 });
    expect(caught(() => parseDotenv('ké=1')).position).toEqual({ line: 1, column: 2 });
  });

  it('refuses a missing key', () => {
    expect(caught(() => parseDotenv('  =value')).message).toBe('missing key before "="');
  });

  it('refuses an unterminated quote at the opening quote, without the value', () => {
    for (const q of [`'`, '"', '`']) {
      const e = caught(() => parseDotenv(`A=1\nB= ${q}${secret}\nC=2\n`));
      expect(e.code).toBe('PARSE');
      expect(e.position).toEqual({ line: 2, column: 4 });
      expect(e.message).toBe('unterminated quoted value');
      expect(e.message).not.toContain(secret);
    }
  });

  it('refuses a quote closed only by a quote with text after it', () => {
    // dotenv would read B's opening quote as the end of A and then fall back to a raw value.
    expect(caught(() => parseDotenv('A="abc\nB="x"\n')).position).toEqual({ line: 1, column: 3 });
  });

  it('refuses text after a closing quote (dotenv finds no end there either), saying so, with the position once', () => {
    const e = caught(() => parseDotenv(`X=1\nA='one\ntwo' ${secret}\n`));
    expect(e.position).toEqual({ line: 2, column: 3 });
    expect(e.message).toBe('quoted value is followed by text after its closing quote');
    expect(e.message).not.toContain(secret);
    // On one line: at the text itself.
    expect(caught(() => parseDotenv("A='x' 'y'")).position).toEqual({ line: 1, column: 7 });
    const junk = caught(() => parseDotenv('A=1\nB="x"junk\n'));
    expect(junk.message).toBe('text after the closing quote');
    expect(junk.position).toEqual({ line: 2, column: 6 });
  });

  it('refuses U+2028/U+2029 outside quotes, also in comments', () => {
    for (const text of ['A=x\u2028B=2', '# c\u2029B=2', "A='x' # c\u2028B=2", '\u2028A=1']) {
      const e = caught(() => parseDotenv(text));
      expect(e.message).toMatch(/unicode line separator/);
    }
    expect(parseDotenv('A="x\u2028y"')).toEqual([{ kind: 'pair', key: 'A', value: 'x\u2028y', line: 1 }]);
  });

  it('lets U+2028 end a quote candidate as dotenv does, then refuses it, instead of reading the text differently', () => {
    // dotenv: A = 'a\\"\nB=\'x\\' (closed at the escaped quote before U+2028). Choosing the
    // earlier candidate would silently give A = 'a\\' and B = 'x\\"\u2028' instead.
    const text = 'A="a\\"\nB=\'x\\"\u2028\'\n';
    expect(dotenv.parse(text)).toEqual({ A: 'a\\"\nB=\'x\\' });
    const e = caught(() => parseDotenv(text));
    expect(e.message).toBe('unicode line separator (U+2028 or U+2029) outside quotes');
  });

  it('refuses a duplicate key, naming both positions', () => {
    const e = caught(() => parseDotenv('A=1\n# x\n  export A=2\n'));
    expect(e.code).toBe('PARSE');
    expect(e.message).toBe('duplicate key "A" at 3:10 (first at 1:1)');
    expect(e.position).toEqual({ line: 3, column: 10 });
    expect(e.hints).toEqual(['remove one of the two lines; dotenv would silently keep the last one']);
  });

  it('refuses binary garbage at line 1 without echoing it', () => {
    const garbage = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe]).toString('utf8');
    const e = caught(() => parseDotenv(garbage));
    expect(e.code).toBe('PARSE');
    expect(e.position?.line).toBe(1);
    expect(e.message).not.toContain('PNG');
  });

  it('reads an empty or blank file as no items', () => {
    expect(parseDotenv('')).toEqual([]);
    expect(parseDotenv('\n \n\t\r\n')).toEqual([]);
  });

  it('parses 100,000 lines (about 10 MB) in linear time', () => {
    const line = `KEY_{i}="${'v'.repeat(90)}" # c\n`;
    let text = '';
    for (let i = 0; i < 100_000; i++) text += line.replace('{i}', String(i));
    expect(text.length).toBeGreaterThan(10_000_000);
    const items = parseDotenv(text);
    expect(items).toHaveLength(100_000);
    expect(items[99_999]).toMatchObject({ key: 'KEY_99999', line: 100_000 });
  });

  it('stays linear on adversarial quotes (every line an escaped quote)', () => {
    let text = 'A="x\\"\n';
    for (let i = 0; i < 50_000; i++) text += `B${i}=y\\"junk\n`;
    const items = parseDotenv(text);
    expect(items).toHaveLength(50_001);
    expect(items[0]).toMatchObject({ key: 'A', value: 'x\\' });
  });
});

describe('isDotenvKey', () => {
  it('isDotenvKey accepts dotenv key characters only', () => {
    expect(['A', 'a.b-c_1', '123'].every(isDotenvKey)).toBe(true);
    expect(['', 'a b', 'é', 'a=b', 'a:b'].some(isDotenvKey)).toBe(false);
  });
});
