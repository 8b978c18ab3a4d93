/**
 * Recognising private key material in file content: age identities and PEM /
 * OpenSSH private key blocks. Only the line and kind of a hit are reported;
 * the matched text never leaves this module.
 */
import type { GuardRule } from './finding.js';

/** How many leading bytes decide whether a file is binary (git looks at 8000). */
export const BINARY_SNIFF_BYTES = 8192;

/** One match: where, and what kind of key it looks like. */
export interface SecretHit {
  /** 1-based line number. */
  line: number;
  rule: Extract<GuardRule, 'age-secret-key' | 'private-key'>;
  /** A short name for messages, e.g. "an age secret key"; never the text. */
  what: string;
}

interface Pattern {
  /** A cheap literal that every match contains, searched for first. */
  probe: Buffer;
  re: RegExp;
  rule: SecretHit['rule'];
  what: (m: RegExpExecArray) => string;
}

const PATTERNS: readonly Pattern[] = [
  {
    probe: Buffer.from('AGE-SECRET-KEY-'),
    // X25519 identities are exactly 58 bech32 characters after the `1`; the
    // post-quantum hybrid ones (AGE-SECRET-KEY-PQ-1…) are at least as long.
    re: /AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]{58}/g,
    rule: 'age-secret-key',
    what: (m) => (m[1] ? 'an age post-quantum secret key' : 'an age secret key'),
  },
  {
    probe: Buffer.from('PRIVATE KEY'),
    re: /-----BEGIN (RSA |EC |OPENSSH |DSA |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/g,
    rule: 'private-key',
    what: (m) => `a private key block${m[1] ? ` (${m[1].trim()})` : ''}`,
  },
];

/** True when the buffer looks binary: a NUL byte in its first {@link BINARY_SNIFF_BYTES} bytes (git's test). */
export function isBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * Find private key material in `content`. Every pattern is ASCII, so the bytes
 * are read as latin1: each byte is one character, line counting is exact and a
 * truncated UTF-8 sequence at the end of a capped read cannot confuse it.
 *
 * @returns hits in file order; at most one per line and kind
 */
export function scanSecrets(content: Buffer): SecretHit[] {
  const hits: SecretHit[] = [];
  let text: string | undefined;
  for (const p of PATTERNS) {
    // Buffer.indexOf is native and much faster than a regex over every file.
    if (content.indexOf(p.probe) < 0) continue;
    text ??= content.toString('latin1');
    let line = 1;
    let counted = 0;
    let lastLine = 0;
    p.re.lastIndex = 0;
    for (let m = p.re.exec(text); m !== null; m = p.re.exec(text)) {
      for (let nl = text.indexOf('\n', counted); nl !== -1 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
        line++;
        counted = nl + 1;
      }
      if (line !== lastLine) hits.push({ line, rule: p.rule, what: p.what(m) });
      lastLine = line;
    }
  }
  return hits.sort((a, b) => a.line - b.line);
}
