/**
 * The Docker mistakes `envcrypt check` reports: a secret in a build argument
 * or an `ENV` (both end up in the image: `docker history` shows build
 * arguments, and an `ENV` is in the image config), a plaintext `.env` copied
 * into a layer, and a build context whose `.dockerignore` lets `.env` files
 * in (so `COPY . .` bakes them into the image).
 *
 * Only names and positions are reported, never a default value.
 */
import { basename } from 'node:path';
import { isPlainEnvName } from './env-names.js';
import type { Finding } from './finding.js';

/** True for the file names Docker and Podman build from: `Dockerfile`, `Dockerfile.prod`, `prod.Dockerfile`, `Containerfile`. */
export function isDockerfileName(path: string): boolean {
  const n = basename(path);
  return /^(Dockerfile|Containerfile)(\..+)?$/.test(n) || /\.(Dockerfile|Containerfile)$/.test(n);
}

// Suffixes that name a secret by convention; `NPM_TOKEN`, `PASSWORD` and the like are caught by the suffix rule
// with or without a prefix. `*_KEY_FILE` and `*_KEY_ID` are paths and identifiers, not secrets, and do not match.
const SECRET_NAME = /(^|_)(TOKEN|PASSWORD|PASSWD|PASS|SECRET|SECRETS|KEY|PRIVATE_KEY|API_KEY|CREDENTIALS|AUTH)$/i;

/** True when an `ARG` / `ENV` name looks like it holds a secret (`*_TOKEN`, `*_PASSWORD`, `*_SECRET`, `*_KEY`, `NPM_TOKEN`, …). */
export function isSecretLikeName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** One instruction: its keyword (upper case), arguments as written, and the line it starts on. */
interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/**
 * Split a Dockerfile into instructions: comments dropped, continuation lines
 * (ending in the escape character, `\` unless a `# escape=` directive says
 * otherwise) joined.
 */
export function instructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  const directive = /^#\s*escape\s*=\s*(\S)\s*$/i;
  for (const l of lines) {
    const m = directive.exec(l.trim());
    if (m) escape = m[1]!;
    else if (!/^#\s*\w+\s*=/.test(l.trim())) break;
  }
  const out: Instruction[] = [];
  let current: { parts: string[]; line: number } | null = null;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (current === null && trimmed === '')) return;
    const continues = trimmed.endsWith(escape);
    const part = continues ? trimmed.slice(0, -1) : trimmed;
    if (current === null) current = { parts: [], line: i + 1 };
    current.parts.push(part);
    if (continues) return;
    const whole = current.parts.join(' ').trim();
    const m = /^(\S+)\s*(.*)$/s.exec(whole);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: current.line });
    current = null;
  });
  return out;
}

/** The variable names an `ARG` or `ENV` instruction declares. */
function declaredNames(ins: Instruction): string[] {
  const words = ins.args.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? [];
  if (ins.keyword === 'ENV' && words.length > 0 && !words[0]!.includes('=')) return [words[0]!]; // legacy `ENV NAME value`
  return words.map((w) => w.split('=')[0]!).filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
}

/** The sources of a `COPY`/`ADD` from the build context (none for `--from=`, which copies from a stage or image). */
function copySources(ins: Instruction): string[] {
  let rest = ins.args.trim();
  const flags = rest.match(/^(?:--\S+\s+)*/)![0];
  if (/--from=/.test(flags)) return [];
  rest = rest.slice(flags.length).trim();
  if (rest.startsWith('<<')) return []; // a heredoc: inline content, no source file
  let words: string[];
  if (rest.startsWith('[')) {
    try {
      words = (JSON.parse(rest) as unknown[]).map(String);
    } catch {
      return [];
    }
  } else words = rest.split(/\s+/);
  return words.slice(0, -1);
}

const HINT_BUILD = 'pass a build-time secret with "RUN --mount=type=secret,id=NAME …" (BuildKit); give the app its secrets at run time with "envcrypt exec" and the key mounted as a secret';

/**
 * The findings of one Dockerfile: `ARG`/`ENV` with a secret-like name
 * (`docker-secret-arg`), and `COPY`/`ADD` of a plaintext `.env`
 * (`docker-copy-env`).
 */
export function checkDockerfile(file: string, text: string): Finding[] {
  const out: Finding[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'ARG' || ins.keyword === 'ENV') {
      for (const name of declaredNames(ins).filter(isSecretLikeName)) {
        const where = ins.keyword === 'ARG' ? 'a build argument (its value is kept in the image history)' : 'an ENV (its value is baked into the image)';
        out.push({ file, line: ins.line, rule: 'docker-secret-arg', severity: 'error', message: `${name} looks like a secret and is declared as ${where}`, hint: HINT_BUILD });
      }
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      for (const src of copySources(ins).filter((s) => isPlainEnvName(s.replace(/\/+$/, '')))) {
        out.push({ file, line: ins.line, rule: 'docker-copy-env', severity: 'error', message: `${ins.keyword} puts the plaintext ${basename(src)} into an image layer`, hint: 'copy the encrypted file (.env.enc) instead and run the app with "envcrypt exec" and the key mounted as a secret' });
      }
    }
  }
  return out;
}

/** A compiled `.dockerignore`: true when a context-relative path is left out of the build context. */
export type DockerIgnore = (rel: string) => boolean;

function patternRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        const slash = p[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${p.slice(i + 1, end).replace(/^!/, '^').replaceAll('\\', '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < p.length) re += p[++i]!.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Compile a `.dockerignore` as Docker reads it: one pattern a line, `#`
 * comments, paths from the context root (a leading `/` is ignored), `*`, `?`,
 * `[…]` and `**`, `!` re-includes; the last pattern that matches a path (or
 * one of its parent directories) decides.
 */
export function compileDockerIgnore(text: string): DockerIgnore {
  const rules: { re: RegExp; include: boolean }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const include = p.startsWith('!');
    if (include) p = p.slice(1).trim();
    p = p.replace(/^(\.?\/)+/, '').replace(/\/+$/, '');
    if (p === '' || p === '.') continue;
    rules.push({ re: patternRegExp(p), include });
  }
  return (rel) => {
    const parts = rel.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const r of rules) if (prefixes.some((x) => r.re.test(x))) ignored = !r.include;
    return ignored;
  };
}

/** The names probed in every build context, whether or not such a file exists yet. */
export const PROBE_ENV_NAMES = ['.env', '.env.local', '.env.production'] as const;

/**
 * The finding for a build context (the directory of a Dockerfile, as
 * `docker build DIR` uses it) whose `.dockerignore` is missing or lets in a
 * plaintext `.env` file (`docker-context-env`): an error when such a file is
 * there (`present`, context-relative), a warning for the next one someone
 * creates.
 *
 * @param dockerignore - the context's `.dockerignore` text, or null when it has none
 */
export function checkBuildContext(file: string, dockerignore: string | null, present: readonly string[]): Finding[] {
  const ignore = compileDockerIgnore(dockerignore ?? '');
  const letIn = present.filter((p) => !ignore(p));
  const probes = PROBE_ENV_NAMES.filter((p) => !ignore(p));
  const hint = 'add ".env" and ".env.*" (and "!*.enc" if an encrypted .env.*.enc must go in) to the .dockerignore next to the Dockerfile; run the app with "envcrypt exec" and the encrypted file';
  const source = dockerignore === null ? 'has no .dockerignore' : 'has a .dockerignore that does not exclude';
  if (letIn.length > 0) {
    return [{ file, rule: 'docker-context-env', severity: 'error', message: `the build context ${source}${dockerignore === null ? ', so it takes' : ''} plaintext ${letIn.join(', ')}`, hint }];
  }
  if (probes.length > 0) {
    return [{ file, rule: 'docker-context-env', severity: 'warning', message: `the build context ${source}${dockerignore === null ? ': a plaintext' : ''} ${probes.join(', ')}${dockerignore === null ? ' would go into the image' : ''}`, hint }];
  }
  return [];
}
