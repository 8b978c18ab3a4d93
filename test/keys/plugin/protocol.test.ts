// The wire of the age plugin protocol: stanzas encoded exactly as in an age
// v1 header (c2sp.org/age, "Header"), and read back strictly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeStanza, greaseStanza, ProtocolError, StanzaReader, validArg } from '../../../src/keys/plugin/protocol.js';
import { RUNS } from '../../helpers/paths.js';

async function read(text: string, end = true): Promise<unknown> {
  const r = new StanzaReader();
  r.push(Buffer.from(text, 'latin1'));
  if (end) r.end();
  try {
    const s = await r.next();
    return { type: s.type, args: s.args, body: Buffer.from(s.body).toString('hex') };
  } catch (e) {
    return e instanceof ProtocolError ? `error: ${e.message}` : e;
  }
}

describe('plugin protocol stanzas', () => {
  it('encodes as age does: 64-column body lines, a final short line, an empty one when the body fills its last line', () => {
    expect(encodeStanza('done')).toBe('-> done\n\n');
    expect(encodeStanza('ok', ['yes'], new Uint8Array([1, 2, 3]))).toBe('-> ok yes\nAQID\n');
    const b48 = encodeStanza('x', [], new Uint8Array(48));
    expect(b48.split('\n')).toEqual(['-> x', 'A'.repeat(64), '', '']);
    expect(() => encodeStanza('a b')).toThrow();
    expect(() => encodeStanza('a', [''])).toThrow();
  });

  it('reads back what it writes, grease included', async () => {
    const body = new Uint8Array(100).map((_, i) => i);
    expect(await read(encodeStanza('file-key', ['0'], body))).toEqual({ type: 'file-key', args: ['0'], body: Buffer.from(body).toString('hex') });
    for (let i = 0; i < 10; i++) {
      const g = greaseStanza();
      if (g !== '') expect(await read(g)).toMatchObject({ type: expect.stringMatching(/^grease-/) });
    }
  });

  it('refuses malformed output: no arrow, non-canonical base64, long lines, truncation', async () => {
    expect(await read('hello\n\n')).toBe('error: a line that is not a "-> command" stanza');
    expect(await read('-> ok\nAQI=\n')).toBe('error: a stanza body that is not canonical base64 in 64-column lines');
    expect(await read('-> ok\nAQJ\n')).toBe('error: a stanza body that is not canonical base64 in 64-column lines');
    expect(await read(`-> ok\n${'A'.repeat(68)}\n`)).toBe('error: a stanza body that is not canonical base64 in 64-column lines');
    expect(await read('-> ok\n')).toBe('error: the output ended in the middle of the conversation');
    expect(await read('-> ok\x00\n\n')).toBe('error: a line that is not a "-> command" stanza');
  });

  it('property: what is encoded reads back; any other output is a stanza or a ProtocolError, never another exception', async () => {
    const arg = fc.string({ minLength: 1, maxLength: 8 }).filter(validArg);
    await fc.assert(
      fc.asyncProperty(arg, fc.array(arg, { maxLength: 3 }), fc.uint8Array({ maxLength: 200 }), async (type, args, body) => {
        expect(await read(encodeStanza(type, args, body))).toEqual({ type, args, body: Buffer.from(body).toString('hex') });
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      // Half of them start like a stanza, so the body reader is exercised too.
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 300 }), async (arrow, bytes) => {
        const r = await read((arrow ? '-> x\n' : '') + Buffer.from(bytes).toString('latin1'));
        expect(typeof r === 'string' ? r.startsWith('error: ') : typeof r === 'object' && r !== null && 'type' in r).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
