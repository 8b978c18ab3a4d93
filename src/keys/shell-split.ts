import { EnvcryptError } from '../errors.js';

/**
 * Split a command line the way a POSIX shell splits words, without running a
 * shell: whitespace separates, single quotes are literal, double quotes allow
 * `\"` `\\` `\$` `\``, and a backslash outside quotes escapes the next char.
 * Used for `$EDITOR` and `*_KEY_CMD` values (`code --wait` works).
 */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new EnvcryptError('USAGE', 'unterminated single quote in command');
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) i++;
        cur += s[i];
      }
      if (i >= s.length) throw new EnvcryptError('USAGE', 'unterminated double quote in command');
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
