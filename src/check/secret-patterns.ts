/**
 * Recognising private key material in file content: age identities and PEM /
 * OpenSSH private key blocks. Only the line and kind of a hit are reported;
 * the matched text never leaves this module.
 *
 * Both patterns ask for more than the shape, so that code and documentation
 * that merely talk about keys (a regex, a placeholder, a parser's test) pass:
 * an age identity must carry a valid bech32 checksum, and a `-----BEGIN …
 * PRIVATE KEY-----` line must be followed by base64 key data.
 */
import { bech32 } from '@scure/base';
import type { GuardRule } from './finding.js';

/** How many leading bytes decide whether a file is binary (git looks at 8000). */
export { BINARY_SNIFF_BYTES, isBinary } from '../io/read.js';

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
  /** A further test of a match the regex alone cannot make (a checksum). */
  accept?: (m: RegExpExecArray) => boolean;
}

/** True when `s` is bech32 with a valid checksum (any case-consistent text). */
function validBech32(s: string): boolean {
  // age identities are shorter than bech32's 90-character limit; `false` keeps a longer look-alike from throwing.
  return bech32.decodeUnsafe(s, false) !== undefined;
}

/**
 * A line break as it stands in a file (LF or CRLF) or escaped inside a JSON or
 * YAML string (`\n`), as in a cloud service-account key file.
 */
const BREAK = String.raw`(?:\r?\n|\\n)`;

const PATTERNS: readonly Pattern[] = [
  {
    probe: Buffer.from('AGE-SECRET-KEY-'),
    // X25519 and post-quantum (AGE-SECRET-KEY-PQ-1…) identities both encode a
    // 32-byte secret: 52 data and 6 checksum characters from the uppercase
    // bech32 alphabet (no 1, B, I or O) after the separator `1`.
    re: /AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]{58}/g,
    rule: 'age-secret-key',
    what: (m) => (m[1] ? 'an age post-quantum secret key' : 'an age secret key'),
    accept: (m) => validBech32(m[0]),
  },
  {
    probe: Buffer.from('PRIVATE KEY'),
    // After the BEGIN line: optional RFC 1421 / RFC 4880 armor headers
    // ("Proc-Type: …", "Version: …") and a blank line, then a line that is
    // base64 to its end (at least 16 characters: real keys start with a
    // full 64- or 70-character line). A truncated "MIIE..." in a README, or
    // the header alone in code and comments, is not key data.
    re: new RegExp(
      String.raw`-----BEGIN (RSA |EC |OPENSSH |DSA |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----[ \t]*${BREAK}` +
        String.raw`(?:[A-Za-z][A-Za-z0-9-]*: [^\r\n\\]*${BREAK})*(?:[ \t]*${BREAK})?` +
        String.raw`[A-Za-z0-9+/]{16,}={0,2}[ \t]*(?:$|\\n)`,
      'gm',
    ),
    rule: 'private-key',
    what: (m) => `a private key block${m[1] ? ` (${m[1].trim()})` : ''}`,
  },
];


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
      if (line === lastLine || (p.accept && !p.accept(m))) continue;
      hits.push({ line, rule: p.rule, what: p.what(m) });
      lastLine = line;
    }
  }
  return hits.sort((a, b) => a.line - b.line);
}
