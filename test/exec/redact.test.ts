import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { createRedactor, createRedactStream, MIN_SECRET_LENGTH, type Redactor } from '../../src/exec/redact.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** Feed `chunks` one by one and return everything the redactor gave back. */
function run(r: Redactor, chunks: (string | Buffer)[]): Buffer {
  const out = chunks.map((c) => r.push(typeof c === 'string' ? Buffer.from(c) : c));
  out.push(r.flush());
  return Buffer.concat(out);
}

const redact = (secrets: Record<string, string>, ...chunks: (string | Buffer)[]): string =>
  run(createRedactor(secrets), chunks).toString('utf8');

/**
 * Reference semantics, written the slow and obvious way: scan left to right;
 * at each byte take the longest value (≥ MIN_SECRET_LENGTH characters, first
 * key for a repeated value) starting there, else copy the byte.
 */
function oracle(secrets: Record<string, string>, input: Buffer): Buffer {
  const pats: [Buffer, Buffer][] = [];
  const seen = new Set<string>();
  for (const [k, v] of Object.entries(secrets)) {
    if ([...v].length < MIN_SECRET_LENGTH || seen.has(v)) continue;
    seen.add(v);
    pats.push([Buffer.from(v), Buffer.from(`[REDACTED:${k}]`)]);
  }
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; ) {
    let best: [Buffer, Buffer] | undefined;
    for (const p of pats) {
      if (i + p[0].length <= input.length && input.subarray(i, i + p[0].length).equals(p[0]) && (!best || p[0].length > best[0].length)) best = p;
    }
    if (best) {
      out.push(best[1]);
      i += best[0].length;
    } else {
      out.push(input.subarray(i, i + 1));
      i++;
    }
  }
  return Buffer.concat(out);
}

/** Split `buf` at the given offsets (sorted, deduplicated, clamped). */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, buf.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    parts.push(buf.subarray(prev, p));
    prev = p;
  }
  parts.push(buf.subarray(prev));
  return parts;
}

describe('createRedactor', () => {
  it('replaces every occurrence of a value by [REDACTED:KEY]', () => {
    expect(redact({ PW: 'hunter22' }, 'pw=hunter22, again hunter22!')).toBe('pw=[REDACTED:PW], again [REDACTED:PW]!');
    expect(redact({ PW: 'hunter22' }, 'hunter2 hunter2')).toBe('hunter2 hunter2');
  });

  it('masks a value split across two writes, at every split point', () => {
    const secret = 'sk-live-ÄÖ€😀-tail';
    const input = Buffer.from(`pre ${secret} post`);
    const expected = 'pre [REDACTED:TOKEN] post';
    for (let cut = 0; cut <= input.length; cut++) {
      expect(run(createRedactor({ TOKEN: secret }), [input.subarray(0, cut), input.subarray(cut)]).toString()).toBe(expected);
    }
  });

  it('masks a value written one byte at a time', () => {
    const input = Buffer.from('x:correct-horse-battery-staple:y');
    const chunks = [...input].map((b) => Buffer.from([b]));
    expect(run(createRedactor({ P: 'correct-horse-battery-staple' }), chunks).toString()).toBe('x:[REDACTED:P]:y');
  });

  it('holds back only what could start a value, and at most maxHold bytes', () => {
    const r = createRedactor({ S: 'abcdefgh' });
    expect(r.maxHold).toBe(7);
    expect(r.push(Buffer.from('xx')).toString()).toBe('xx');
    expect(r.push(Buffer.from('yyabcdefg')).toString()).toBe('yy');
    expect(r.push(Buffer.from('Z')).toString()).toBe('abcdefgZ');
    expect(r.push(Buffer.from('abc')).toString()).toBe('');
    expect(r.flush().toString()).toBe('abc');
    expect(r.flush().toString()).toBe('');
  });

  it('prefers the longest value starting at the same place', () => {
    const s = { SHORT: 'abcd', LONG: 'abcdef' };
    expect(redact(s, 'xxabcdefyy')).toBe('xx[REDACTED:LONG]yy');
    expect(redact(s, 'xxabcdeyy')).toBe('xx[REDACTED:SHORT]eyy');
    // The long value is undecided at the first write's end: nothing leaks while waiting.
    expect(redact(s, 'xxabcde', 'fyy')).toBe('xx[REDACTED:LONG]yy');
    expect(redact(s, 'xxabcde', 'Xyy')).toBe('xx[REDACTED:SHORT]eXyy');
    expect(redact(s, 'xxabcde')).toBe('xx[REDACTED:SHORT]e');
  });

  it('lets the value that starts first win when values overlap', () => {
    const s = { A: 'abcdef', B: 'cdefgh' };
    expect(redact(s, 'abcdefgh')).toBe('[REDACTED:A]gh');
    expect(redact(s, 'zcdefgh')).toBe('z[REDACTED:B]');
    expect(redact({ A: 'aaaa' }, 'aaaaaaaaa')).toBe('[REDACTED:A][REDACTED:A]a');
  });

  it('names a repeated value after its first key', () => {
    expect(redact({ FIRST: 'same-value', SECOND: 'same-value' }, 'same-value')).toBe('[REDACTED:FIRST]');
  });

  it(`leaves values shorter than ${MIN_SECRET_LENGTH} characters alone`, () => {
    const s = { EMPTY: '', ONE: '1', PORT: '80', ENV: 'dev', WIDE: 'é€😀', OK: 'true' };
    expect(redact(s, 'port 80 in dev, 1 é€😀 is true')).toBe('port 80 in dev, 1 é€😀 is [REDACTED:OK]');
    expect(createRedactor({ A: 'abc' }).maxHold).toBe(0);
  });

  it('passes bytes that are not UTF-8 through untouched', () => {
    const input = Buffer.from([0xff, 0xfe, 0x00, 0x80, ...Buffer.from('secret!'), 0xc3]);
    const out = run(createRedactor({ S: 'secret!' }), [input.subarray(0, 5), input.subarray(5)]);
    expect(out).toEqual(Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from('[REDACTED:S]'), Buffer.from([0xc3])]));
  });

  it('copies what it holds, so the caller may reuse its buffer', () => {
    const r = createRedactor({ S: 'abcdef' });
    const buf = Buffer.from('xabc');
    expect(r.push(buf).toString()).toBe('x');
    buf.fill(0x21);
    expect(r.push(Buffer.from('def')).toString()).toBe('[REDACTED:S]');
  });

  // These two guard against quadratic scanning, which would run for minutes,
  // far past the timeout. How fast the redactor is is not asserted here.
  it('passes 4 MB of ordinary output with 200 values through unchanged', { timeout: 15_000 }, () => {
    const secrets: Record<string, string> = {};
    for (let i = 0; i < 200; i++) secrets[`K${i}`] = `value-${i}-${'x'.repeat(i % 40)}-end`;
    const line = Buffer.from('an ordinary log line with value-7- and value-12-xxxx mentions, nothing secret\n');
    const input = Buffer.concat(Array.from({ length: 50_000 }, () => line)); // ~4 MB
    const r = createRedactor(secrets);
    const out = run(r, splitAt(input, Array.from({ length: 64 }, (_, i) => i * 65536)));
    expect(out.equals(input)).toBe(true);
  });

  it('redacts a short value inside a long near-match (a pathological input)', { timeout: 15_000 }, () => {
    const long = `${'a'.repeat(4000)}b`;
    const input = Buffer.from('a'.repeat(200_000));
    const out = run(createRedactor({ L: long, S: 'aaaa' }), splitAt(input, [1000, 50_000, 150_000]));
    expect(out.toString()).toBe('[REDACTED:S]'.repeat(50_000));
  });
});

describe('properties', () => {
  // Values use one alphabet and the surrounding text another: then no value
  // can appear by accident across text, and "[REDACTED:K0]" contains neither.
  const secretChar = fc.constantFrom('a', 'b', 'é', '😀');
  const noiseChar = fc.constantFrom('x', 'y', ' ', '\n', 'ü', '€');
  const secretsArb = fc
    .uniqueArray(fc.string({ unit: secretChar, minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 })
    .map((vals) => Object.fromEntries(vals.map((v, i) => [`K${i}`, v])));
  const caseArb = secretsArb.chain((secrets) => {
    const vals = Object.values(secrets);
    const piece = fc.oneof(
      fc.string({ unit: noiseChar, maxLength: 8 }),
      fc.constantFrom(...vals),
      // Fragments of values: partial matches that must be held, then released.
      fc.constantFrom(...vals).chain((v) => fc.integer({ min: 0, max: v.length }).map((n) => v.slice(0, n))),
      fc.string({ unit: secretChar, maxLength: 6 }),
    );
    return fc.record({
      secrets: fc.constant(secrets),
      input: fc.array(piece, { maxLength: 20 }).map((ps) => Buffer.from(ps.join(''))),
      cuts: fc.array(fc.nat(200), { maxLength: 8 }),
    });
  });

  it('gives the same output as the reference scan, however the input is split', () => {
    fc.assert(
      fc.property(caseArb, ({ secrets, input, cuts }) => {
        expect(run(createRedactor(secrets), splitAt(input, cuts))).toEqual(oracle(secrets, input));
      }),
      { numRuns: RUNS },
    );
  });

  it('never lets a value through, and keeps every other byte', () => {
    const noise = /[xy \nü€]/gu;
    fc.assert(
      fc.property(caseArb, ({ secrets, input, cuts }) => {
        const out = run(createRedactor(secrets), splitAt(input, cuts)).toString('utf8');
        for (const v of Object.values(secrets)) if ([...v].length >= MIN_SECRET_LENGTH) expect(out).not.toContain(v);
        // With values (and markers) taken out, output and input are the same text.
        const rest = (s: string) => (s.match(noise) ?? []).join('');
        expect(rest(out.replace(/\[REDACTED:K\d+\]/g, ''))).toBe(rest(input.toString('utf8')));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('createRedactStream', () => {
  it('redacts what is piped through it', async () => {
    const src = Readable.from([Buffer.from('token: abc'), Buffer.from('def1234 end')]);
    const chunks: Buffer[] = [];
    for await (const c of src.pipe(createRedactStream({ T: 'abcdef1234' }))) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('token: [REDACTED:T] end');
  });
});
