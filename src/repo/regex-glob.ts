/**
 * `.sops.yaml` `path_regex` → `.gitattributes` glob, for the shapes rules
 * actually take (`\.env\.enc$`, `^secrets/.*\.yaml$`, `\.(yaml|json)$`), so
 * that `git setup` can write one pattern per rule instead of one line per
 * file. A translation is exact or narrower than the regex, never broader:
 * a file the glob misses still gets its own line. Anything else (character
 * classes, repetition, nested groups, a catch-all) gives no glob.
 */

/** A token of a translatable regex: one literal character, `.*` (any, `/` included), or `[^/]*` (within a segment). */
type Tok = { lit: string } | 'any' | 'seg';

/** Literal characters a glob may hold as they are (nothing glob- or gitattributes-special). */
const SAFE = /^[A-Za-z0-9._\-/@%+=,~:]$/;
/** Characters a regex may escape with `\` to mean themselves. */
const ESCAPABLE = '.-_/+*?()[]{}|^$\\@%=,~:';
/** At most this many globs from one regex's alternations. */
const MAX_EXPANSION = 16;

/** Expand one level of `(a|b)` / `(?:a|b)` groups of plain alternatives into separate regexes; null when nested or too many. */
function expand(re: string): string[] | null {
  let out = [''];
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      out = out.map((o) => o + re.slice(i, i + 2));
      i++;
      continue;
    }
    if (c === ')' || c === '|') return null;
    if (c !== '(') {
      out = out.map((o) => o + c);
      continue;
    }
    let j = i + 1;
    if (re.startsWith('?:', j)) j += 2;
    const alts: string[] = [];
    let cur = '';
    for (; j < re.length; j++) {
      const d = re[j]!;
      if (d === '\\') {
        cur += re.slice(j, j + 2);
        j++;
      } else if (d === '(' ) return null;
      else if (d === '|') {
        alts.push(cur);
        cur = '';
      } else if (d === ')') break;
      else cur += d;
    }
    if (j >= re.length) return null;
    // A group followed by a quantifier (`(a|b)?`, `(x)*`) is not a plain alternation.
    if ('?*+{'.includes(re[j + 1] ?? '')) return null;
    alts.push(cur);
    out = out.flatMap((o) => alts.map((a) => o + a));
    if (out.length > MAX_EXPANSION) return null;
    i = j;
  }
  return out;
}

function tokens(re: string): { toks: Tok[]; start: boolean; end: boolean } | null {
  let body = re;
  const start = body.startsWith('^');
  if (start) body = body.slice(1);
  const end = body.endsWith('$') && !body.endsWith('\\$');
  if (end) body = body.slice(0, -1);
  const toks: Tok[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const d = body[i + 1];
      if (d === undefined || !ESCAPABLE.includes(d)) return null;
      toks.push({ lit: d });
      i++;
    } else if (c === '.' && body[i + 1] === '*') {
      toks.push('any');
      i++;
      if (body[i + 1] === '?') i++; // lazy `.*?` matches the same paths
    } else if (body.startsWith('[^/]*', i)) {
      toks.push('seg');
      i += 4;
    } else if ('.[]()|*+?{}^$'.includes(c)) return null;
    else toks.push({ lit: c });
  }
  // A search is unanchored: an implicit `.*` on each open side.
  if (!start) toks.unshift('any');
  if (!end) toks.push('any');
  // `.*.*` is `.*`.
  return { toks: toks.filter((t, k) => !(t === 'any' && toks[k - 1] === 'any')), start, end };
}

function isSlash(t: Tok | undefined): boolean {
  return typeof t === 'object' && t.lit === '/';
}

/** One regex without alternation → a glob, relative to the config's directory; null when it cannot be said as one. */
function single(re: string): string | null {
  const t = tokens(re);
  if (!t) return null;
  const segs: Tok[][] = [[]];
  for (const tok of t.toks) {
    if (isSlash(tok)) segs.push([]);
    else segs[segs.length - 1]!.push(tok);
  }
  const parts: string[] = [];
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k]!;
    const last = k === segs.length - 1;
    if (seg.length === 1 && seg[0] === 'any') {
      parts.push('**');
      continue;
    }
    let g = '';
    for (let m = 0; m < seg.length; m++) {
      const tok = seg[m]!;
      if (tok === 'seg') g += '*';
      else if (tok === 'any') {
        // `.*` may cross directories: at the start of a segment that is any
        // number of directories and then any name start; at the end of a
        // segment that is not the last, any name end and directories.
        // In the middle of a name it stays within the name (narrower).
        if (m === 0) g += parts.length === 0 && k === 0 && segs.length === 1 ? '*' : '**/*';
        else if (m === seg.length - 1 && !last) g += '*/**';
        else g += '*';
      } else {
        if (!SAFE.test(tok.lit)) return null;
        g += tok.lit;
      }
    }
    if (g === '') return null; // `//`, or a leading/trailing slash: not a path glob
    parts.push(g);
  }
  let glob = parts.join('/');
  // A leading `.*` then a name with no slash: a basename pattern, which matches at any depth.
  if (glob.startsWith('**/*') && !glob.slice(3).includes('/')) glob = glob.slice(3);
  else if (t.toks[0] !== 'any') glob = `/${glob}`;
  // Nothing but wildcards would give every file the attributes: not a rule about encrypted files.
  if (!/[A-Za-z0-9]/.test(glob)) return null;
  return glob;
}

/**
 * The `.gitattributes` globs that match what `path_regex` (RE2, searched
 * in the path relative to the config's directory) matches, or a subset of
 * it. `dir` is the config's directory relative to the top of the work tree
 * (`''` at the top); the globs are relative to the top. Null when the regex
 * has a shape this does not translate.
 */
export function regexToGlobs(pathRegex: string, dir = ''): string[] | null {
  const alts = expand(pathRegex);
  if (!alts || alts.length === 0) return null;
  const globs: string[] = [];
  for (const a of alts) {
    const g = single(a);
    if (g === null) return null;
    const full = dir === '' ? g : g.startsWith('/') ? `/${dir}${g}` : g.startsWith('**/') ? `/${dir}/${g}` : `/${dir}/**/${g}`;
    if (!globs.includes(full)) globs.push(full);
  }
  return globs;
}

/**
 * Whether a `.gitattributes` glob (as {@link regexToGlobs} and the fixed
 * patterns write them: `*`, `?`, `**`, a leading `/`) matches `path`
 * (relative to the top, `/`-separated), following gitattributes rules: a
 * glob without a slash matches the name at any depth.
 */
export function globMatches(glob: string, path: string): boolean {
  if (!glob.includes('/')) return toRegex(glob).test(path.slice(path.lastIndexOf('/') + 1));
  return toRegex(glob.replace(/^\//, '')).test(path);
}

function toRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i) && (i === 0 || glob[i - 1] === '/')) {
      re += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i) && i + 2 === glob.length && glob[i - 1] === '/') {
      re += '.*';
      i += 1;
    } else if (glob[i] === '*') re += '[^/]*';
    else if (glob[i] === '?') re += '[^/]';
    else re += glob[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
