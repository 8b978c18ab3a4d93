import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EnvcryptError } from '../../../src/errors.js';
import { decodeArmor } from '../../../src/keys/age/armor.js';
import { parseAgeFile, type AgeStanza } from '../../../src/keys/age/header.js';
import { cctvVectors } from '../../helpers/cctv.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '');

/** Test-side encoder of the MACed part of a header, written from the spec (not from the parser). */
function encodeHeaderForMac(stanzas: AgeStanza[]): Buffer {
  let text = 'age-encryption.org/v1\n';
  for (const s of stanzas) {
    text += `-> ${[s.type, ...s.args].join(' ')}\n`;
    const body = b64(s.body);
    for (let i = 0; i < body.length; i += 64) text += `${body.slice(i, i + 64)}\n`;
    if (s.body.length % 48 === 0) text += '\n'; // the closing short line is empty
  }
  return Buffer.from(`${text}---`, 'latin1');
}

function encodeFile(stanzas: AgeStanza[], mac: Uint8Array, payload: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([encodeHeaderForMac(stanzas), Buffer.from(` ${b64(mac)}\n`), payload]));
}

/** Calls parseAgeFile and returns the EnvcryptError it throws (failing if it does not). */
function rejection(file: Uint8Array | string): EnvcryptError {
  try {
    parseAgeFile(typeof file === 'string' ? new Uint8Array(Buffer.from(file, 'latin1')) : file);
  } catch (e) {
    expect(e).toBeInstanceOf(EnvcryptError);
    return e as EnvcryptError;
  }
  throw new Error('parseAgeFile accepted the input');
}

// ---------------------------------------------------------------- CCTV

interface Vector { name: string; expect: string; file: Uint8Array }

function headerVectors(): Vector[] {
  return cctvVectors()
    .filter((v) => v.expect !== 'armor failure') // the armor's business: age-armor.test.ts
    .map((v) => ({ name: v.name, expect: v.expect, file: v.armored ? decodeArmor(Buffer.from(v.body).toString('latin1')) : v.body }));
}

/**
 * "header failure" vectors whose header is well-formed age syntax: the rule they break belongs to
 * a later step, so the generic parser must accept them. Every entry gives its reason.
 */
const LATER_STEP: [RegExp, string][] = [
  [/^x25519_(?!not_canonical_body)/, 'X25519 stanza rules (arguments, share, body size, low order) are checked when unwrapping; see x25519-native.test.ts'],
  [/^hybrid_(?!not_canonical_body)/, 'mlkem768x25519 stanza rules belong to the general path (age-encryption)'],
  [/^scrypt_(?!not_canonical_body)/, 'scrypt stanza rules belong to the general path; "scrypt must be alone" is checked when unwrapping'],
  [/^stream_(no|short)_nonce$/, 'the payload nonce is read when decrypting, after the header MAC'],
];
const laterStep = (name: string): string | undefined => LATER_STEP.find(([re]) => re.test(name))?.[1];

describe('CCTV vectors', () => {
  const vectors = headerVectors();
  it('are present, with both kinds of header failure', () => {
    const failures = vectors.filter((v) => v.expect === 'header failure');
    expect(failures.filter((v) => laterStep(v.name) === undefined).length).toBeGreaterThan(15);
    expect(failures.filter((v) => laterStep(v.name) !== undefined).length).toBeGreaterThan(15);
  });

  for (const v of vectors) {
    const reason = v.expect === 'header failure' ? laterStep(v.name) : undefined;
    if (v.expect === 'header failure' && reason === undefined) {
      it(`${v.name}: rejected by the parser`, () => {
        const e = rejection(v.file);
        expect(e.code).toBe('DECRYPT_FAILED');
        expect(e.message).toMatch(/^invalid age header: /);
      });
    } else {
      it(`${v.name}: parses and re-encodes byte for byte${reason ? ` (fails later: ${reason})` : ''}`, () => {
        const h = parseAgeFile(v.file);
        expect(h.mac).toHaveLength(32);
        expect(encodeHeaderForMac(h.stanzas).equals(Buffer.from(h.headerForMac))).toBe(true);
        expect(Buffer.from(encodeFile(h.stanzas, h.mac, h.payload)).equals(Buffer.from(v.file))).toBe(true);
      });
    }
  }

  it('reads the stanzas of a known vector', () => {
    const v = vectors.find((x) => x.name === 'x25519_grease');
    const h = parseAgeFile(v!.file);
    expect(h.stanzas.map((s) => [s.type, s.args.length, s.body.length])).toEqual([
      ['grease', 0, 0],
      ['X25519', 1, 32],
      ['grease', 0, 0],
    ]);
    expect(h.stanzas[1]!.args[0]).toBe('TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc');
  });
});

// ---------------------------------------------------------------- properties

const argChar = fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c));
const arg = fc.string({ unit: argChar, minLength: 1, maxLength: 12 });
const stanza = fc.record({
  type: arg,
  args: fc.array(arg, { maxLength: 3 }),
  body: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0, 48, 96, 144).map((n) => new Uint8Array(n).fill(7))),
});

describe('parseAgeFile (properties)', () => {
  it('parses what the spec encoder writes, for any stanzas, MAC and payload', () => {
    fc.assert(
      fc.property(fc.array(stanza, { maxLength: 4 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 100 }), (stanzas, mac, payload) => {
        const h = parseAgeFile(encodeFile(stanzas, mac, payload));
        expect(h.stanzas).toEqual(stanzas);
        expect(h.mac).toEqual(mac);
        expect(h.payload).toEqual(payload);
        expect(Buffer.from(h.headerForMac).equals(encodeHeaderForMac(stanzas))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('a flipped byte in the header is rejected or changes what is MACed', () => {
    const stanzas: AgeStanza[] = [{ type: 'X25519', args: ['TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc'], body: new Uint8Array(32).fill(1) }];
    const file = encodeFile(stanzas, new Uint8Array(32), new Uint8Array(40));
    const macAt = Buffer.from(file).indexOf('\n--- ') + 1;
    fc.assert(
      fc.property(fc.nat({ max: macAt + 2 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const bad = file.slice();
        bad[pos]! ^= mask;
        let h;
        try {
          h = parseAgeFile(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(EnvcryptError);
          return;
        }
        // Accepted: then the MACed bytes differ, so the MAC check will catch it.
        expect(Buffer.from(h.headerForMac).equals(Buffer.from(file.subarray(0, macAt + 3)))).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- examples

describe('parseAgeFile (examples)', () => {
  const SHARE = 'TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc';
  const MAC = b64(new Uint8Array(32).fill(9));
  const file = (header: string): string => `age-encryption.org/v1\n${header}--- ${MAC}\n\x00payload`;

  it('accepts a header with no stanza (decryption then finds no match)', () => {
    const h = parseAgeFile(new Uint8Array(Buffer.from(file(''), 'latin1')));
    expect(h.stanzas).toEqual([]);
    expect(Buffer.from(h.headerForMac).toString()).toBe('age-encryption.org/v1\n---');
    expect(Buffer.from(h.payload).toString('latin1')).toBe('\x00payload');
  });

  it('returns views into the input, not copies of the payload', () => {
    const bytes = new Uint8Array(Buffer.from(file(`-> X25519 ${SHARE}\n${SHARE}\n`), 'latin1'));
    const h = parseAgeFile(bytes);
    expect(h.payload.buffer).toBe(bytes.buffer);
  });

  const CANARY = 'CANARYSECRET';
  const bad: [string, string, RegExp][] = [
    ['an empty file', '', /empty or has no complete first line/],
    ['a binary file', '\x89PNG\r\n', /line 1 is not "age-encryption.org\/v1"/],
    ['a truncated header', `age-encryption.org/v1\n-> X25519 ${CANARY}\n`, /ends after line 2 without a "---" MAC line/],
    ['a CR in the MAC line', file('').replace(`${MAC}\n`, `${MAC}\r\n`), /line 2 does not hold a canonical 32-byte MAC/],
    ['a 33-byte MAC', file('').replace(MAC, b64(new Uint8Array(33))), /canonical 32-byte MAC/],
    ['a padded MAC', file('').replace(MAC, `${MAC}=`), /canonical 32-byte MAC/],
    ['a non-ASCII argument', file(`-> X25519 ${CANARY}\xc3\xa9\n\n`), /line 2 has an empty stanza argument or one with a character outside printable ASCII/],
    ['a NUL in an argument', file(`-> X25519 ${CANARY}\x00\n\n`), /outside printable ASCII/],
    ['a tab separator', file(`-> X25519\t${CANARY}\n\n`), /outside printable ASCII/],
    ['a trailing space', file(`-> X25519 ${CANARY} \n\n`), /empty stanza argument/],
    ['"->" glued to the type', file(`->X25519 ${CANARY}\n\n`), /line 2 is a malformed stanza line/],
    ['a body line of 65 columns', file(`-> X25519 ${CANARY}\n${'A'.repeat(65)}\n`), /line 3 is longer than 64 columns/],
    ['a padded body line', file(`-> X25519 ${CANARY}\nQUE=\n`), /line 3 is not a canonical base64 stanza body line/],
    ['a body line with spare bits set', file(`-> X25519 ${CANARY}\nQUF\n`), /line 3 is not a canonical/],
    ['a full body line then the MAC', file(`-> X25519 ${CANARY}\n${'A'.repeat(64)}\n`), /line 4 is not a canonical base64 stanza body line/],
    ['a comment line', file(`# ${CANARY}\n`), /line 2 is neither a "->" stanza nor the "---" MAC line/],
    ['"---" without a space', file('').replace(`--- ${MAC}`, `---${MAC}`), /line 2 is a malformed "---" MAC line/],
  ];
  for (const [what, text, why] of bad) {
    it(`rejects ${what} without quoting it`, () => {
      const e = rejection(text);
      expect(e.code).toBe('DECRYPT_FAILED');
      expect(e.message).toMatch(why);
      expect([e.message, ...e.hints].join('\n')).not.toMatch(/CANARY|X25519 |QUF/);
    });
  }
});
