/**
 * The wire of the age plugin protocol (C2SP age-plugin, "IPC protocol"):
 * commands are age header stanzas, `-> command args…` followed by the body
 * in canonical unpadded base64, 64 columns a line, closed by a short
 * (possibly empty) line. This module encodes them and reads them, strictly,
 * from the plugin's stdout. It knows nothing of processes or phases.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { decodeBase64NoPad } from '../../io/base64.js';

/** One protocol stanza: a command, its arguments and its (decoded) body. */
export interface WireStanza {
  type: string;
  args: string[];
  body: Uint8Array;
}

const COLUMNS = 64;
const BYTES_PER_LINE = 48;
/** A stanza line longer than this is a broken plugin, not a bigger key: stop reading. */
const MAX_LINE = 64 * 1024;
/** Likewise for a whole body (a file key is 16 bytes; a message a few hundred). */
const MAX_BODY = 1024 * 1024;

/** An argument is a non-empty run of printable ASCII other than space. */
export function validArg(arg: string): boolean {
  return /^[\x21-\x7e]+$/.test(arg);
}

/**
 * Serialize a stanza exactly as an age v1 header does: the body always ends
 * with a line shorter than 64 columns (empty when the body fills its last
 * line, or is empty).
 *
 * @throws Error for an argument that is empty or not printable ASCII, which
 *   would change the stanza's meaning on the wire
 */
export function encodeStanza(type: string, args: readonly string[] = [], body: Uint8Array = new Uint8Array(0)): string {
  for (const a of [type, ...args]) if (!validArg(a)) throw new Error('invalid stanza argument');
  const b64 = Buffer.from(body).toString('base64').replace(/=+$/, '');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  if (body.length % BYTES_PER_LINE === 0) lines.push('');
  return `-> ${[type, ...args].join(' ')}\n${lines.join('\n')}\n`;
}

/**
 * A grease stanza, as the specification asks clients to send so that
 * plugins keep ignoring commands they do not know (age's client sends one
 * two times in three).
 */
export function greaseStanza(): string {
  if (randomInt(3) === 0) return '';
  const args = Array.from({ length: randomInt(3) }, () => String(randomInt(100)));
  const body = randomInt(2) === 0 ? new Uint8Array(randomBytes(randomInt(100))) : new Uint8Array(0);
  return encodeStanza(`grease-${randomBytes(4).toString('hex')}`, args, body);
}

/** Why the plugin's output could not be read, without quoting it. */
export class ProtocolError extends Error {}

/**
 * Reads stanzas from a byte stream (the plugin's stdout) as they arrive.
 * Feed it with {@link StanzaReader.push} and {@link StanzaReader.end};
 * {@link StanzaReader.next} resolves with the next complete stanza.
 */
export class StanzaReader {
  private buf = '';
  private lines: string[] = [];
  private ended = false;
  private waiter: (() => void) | undefined;

  /** Append output. */
  push(chunk: Buffer): void {
    // latin1: one char per byte, so any non-ASCII byte fails the checks below.
    this.buf += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      this.lines.push(this.buf.slice(0, nl));
      this.buf = this.buf.slice(nl + 1);
    }
    if (this.buf.length > MAX_LINE) this.ended = true;
    this.wake();
  }

  /** The stream ended (the plugin closed its stdout or exited). */
  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async line(): Promise<string> {
    for (;;) {
      const l = this.lines.shift();
      if (l !== undefined) {
        if (l.length > MAX_LINE) throw new ProtocolError('a line longer than 64 KiB');
        return l;
      }
      if (this.ended) throw new ProtocolError(this.buf.length > MAX_LINE ? 'a line longer than 64 KiB' : 'the output ended in the middle of the conversation');
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /**
   * The next stanza.
   *
   * @throws {@link ProtocolError} when the output ends first, or is not a
   *   well-formed stanza (non-canonical base64 included)
   */
  async next(): Promise<WireStanza> {
    const head = await this.line();
    const parts = head.split(' ');
    if (parts[0] !== '->' || parts.length < 2 || !parts.slice(1).every(validArg)) {
      throw new ProtocolError('a line that is not a "-> command" stanza');
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const text = await this.line();
      const bytes = text.length <= COLUMNS ? decodeBase64NoPad(text) : null;
      if (bytes === null) throw new ProtocolError('a stanza body that is not canonical base64 in 64-column lines');
      chunks.push(bytes);
      size += bytes.length;
      if (size > MAX_BODY) throw new ProtocolError('a stanza body over 1 MiB');
      if (bytes.length < BYTES_PER_LINE) break;
    }
    return { type: parts[1]!, args: parts.slice(2), body: new Uint8Array(Buffer.concat(chunks)) };
  }
}
