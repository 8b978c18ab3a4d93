import { readFileSync, statSync } from 'node:fs';
import { builtin } from '../io/builtin.js';
import { escapeControls } from '../io/escape.js';
import { join } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { parseIdentityText } from './identity-text.js';
import { splitCommand } from './shell-split.js';

/** Where identities may come from, for the library and CLI. */
export interface KeyOptions {
  /** `-i/--identity` files, tried first, in order. */
  identityFiles?: readonly string[];
  /** The environment to read `ENVCRYPT_*` / `SOPS_*` variables from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Receives warnings such as a key file readable by others (default: printed to stderr). */
  onWarning?: (message: string) => void;
  /** Asks for the passphrase of a protected SSH key (the CLI prompts on a TTY); without it such keys fail clearly. */
  sshPassphrase?: (source: string) => Promise<string>;
  /** Sources already built for this operation (see {@link shareKeySources}); built from the fields above when absent. */
  sources?: readonly IdentitySource[];
}

/** An SSH private key found by discovery, kept as text until a stanza needs it. */
export interface SshKeyText {
  kind: 'ssh';
  text: string;
  source: string;
}

/** What a source yields: age identity strings and SSH private keys. */
export type FoundIdentity = string | SshKeyText;

/** One place searched for identities, and what was found there. */
export interface SourceReport {
  label: string;
  status: string;
}

/** A lazily loaded source of identities. */
export interface IdentitySource {
  /** How messages name it: a flag or variable with the path it gives, or a default key file's path. Never empty. */
  label: string;
  /** What to report when {@link IdentitySource.load} returns null: "unset", "not found", "not given". */
  absent: string;
  /** Set for an identity file the user named (`-i`, `*_AGE_KEY_FILE`): its path. See {@link noFallbackFromNamed}. */
  named?: string;
  /**
   * Set for a key command, which is told the recipient it is asked about:
   * `load(recipient)` runs it with that recipient in `SOPS_AGE_RECIPIENT`
   * and `ENVCRYPT_AGE_RECIPIENT`, as sops 3.12+ does for each stanza it tries.
   */
  perRecipient?: boolean;
  /**
   * Returns the identities, or null when the source is absent (unset or no
   * such file). Synchronous (a key command runs with `spawnSync`), so the
   * preloads can decrypt before the app's first line runs. `recipient` is
   * only used by a {@link IdentitySource.perRecipient} source.
   */
  load(recipient?: string): FoundIdentity[] | null;
  /**
   * A shared per-recipient source (see {@link shareKeySources}): every
   * identity its earlier runs printed, tried before running it again, so a
   * command that ignores the recipient still runs once per operation.
   */
  loaded?(): FoundIdentity[];
}

/** The variables a key command finds the recipient in: sops's name and envcrypt's own. */
export const RECIPIENT_VARIABLES = ['SOPS_AGE_RECIPIENT', 'ENVCRYPT_AGE_RECIPIENT'] as const;

/**
 * A recipient from a file's metadata is attacker-controlled: it reaches a
 * key command's environment only if it is made of the characters of an
 * `age1…` or `ssh-… AAAA…` recipient, none of which a shell treats specially.
 */
export function safeRecipientText(r: string): boolean {
  return r.length <= 4096 && /^(age1[0-9a-z]+|ssh-(ed25519|rsa) [A-Za-z0-9+/]+=*( [A-Za-z0-9@.,:_+-]+)*)$/.test(r);
}

/** `os.homedir()`, for an environment without HOME; `node:os` is loaded only then. */
function home(): string {
  return builtin<typeof import('node:os')>('node:os').homedir();
}

function configHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(env.HOME ?? home(), '.config');
}

/** Default path of envcrypt's own key file. */
export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configHome(env), 'envcrypt', 'keys.txt');
}

type Warn = (message: string) => void;

/** The default warning sink, in the CLI's voice. */
export const stderrWarning: Warn = (m) => {
  process.stderr.write(`envcrypt: warning: ${escapeControls(m)}\n`);
};

/**
 * A source read from one file: absent when no path is given, or when an
 * optional file does not exist; any other read error fails with NOT_FOUND.
 * `what` and `from` name the file in that error ("identity file", "the
 * default key files").
 */
function fileBackedSource(
  label: string,
  path: string | undefined,
  required: boolean,
  warn: Warn,
  names: { what: string; from: string },
  parse: (text: string, path: string) => FoundIdentity[],
): IdentitySource {
  return {
    // A default key file is named by its path; a variable or flag by its name and the path it gives.
    label: label === '' ? (path ?? '') : path ? `${label}=${path}` : label,
    absent: path ? 'not found' : 'unset',
    load() {
      if (!path) return null;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        const code = (e as NodeJS.ErrnoException).code;
        const from = label || names.from;
        throw new EnvcryptError(
          'NOT_FOUND',
          code === 'ENOENT' ? `no such ${names.what}: ${path} (from ${from})` : `cannot read ${names.what} ${path} (from ${from}): ${code ?? 'error'}`,
          { cause: e, hints: label ? [`check the path given by ${label}; envcrypt never falls back from a key you name to another one`] : [] },
        );
      }
      const ids = parse(text, path);
      // Only about a file that is a key: a public-key file given by mistake gets its own error.
      warnIfReadableByOthers(path, warn);
      return ids;
    },
  };
}

function fileSource(label: string, path: string | undefined, required: boolean, warn: Warn): IdentitySource {
  return fileBackedSource(label, path, required, warn, { what: 'identity file', from: 'the default key files' }, parseIdentityText);
}

/**
 * An identity file named explicitly (`-i`, `ENVCRYPT_AGE_KEY_FILE`,
 * `SOPS_AGE_KEY_FILE`): besides failing when missing or unreadable, it must
 * hold at least one identity. {@link noFallbackFromNamed} makes any failure
 * of such a source an error of the operation, never a reason to try the next.
 */
function namedFileSource(label: string, path: string | undefined, warn: Warn): IdentitySource {
  const source = fileSource(label, path, true, warn);
  if (!path) return source;
  return {
    ...source,
    named: path,
    load() {
      const ids = source.load() ?? [];
      if (ids.length === 0) {
        throw new EnvcryptError('BAD_KEY', `identity file ${path} (from ${label}) holds no identity`, {
          hints: ['an identity file holds AGE-SECRET-KEY-1… lines, as "envcrypt keygen" or "age-keygen" writes them'],
        });
      }
      return ids;
    },
  };
}

/**
 * Key options under which discovery never falls back from an identity file
 * the user named (`-i`, `ENVCRYPT_AGE_KEY_FILE`, `SOPS_AGE_KEY_FILE`): once
 * such a file fails (missing, unreadable, not an identity file, no identity
 * in it), every later source fails too, so no other key can open the file.
 * The search then ends in `NO_IDENTITY`; the caller throws `failure()`
 * instead, which names the file. A named file after the source that opens
 * the file is never read, as before.
 */
export function noFallbackFromNamed<T extends KeyOptions>(opts: T): { opts: T; failure: () => unknown } {
  const shared = shareKeySources(opts);
  let failed: { error: unknown } | undefined;
  const sources = (shared.sources ?? []).map(
    (s): IdentitySource => ({
      label: s.label,
      absent: s.absent,
      ...(s.named !== undefined ? { named: s.named } : {}),
      ...(s.perRecipient ? { perRecipient: true } : {}),
      ...(s.loaded ? { loaded: s.loaded.bind(s) } : {}),
      load(recipient?: string) {
        if (failed) throw failed.error;
        try {
          return s.load(recipient);
        } catch (error) {
          if (s.named !== undefined) failed = { error };
          throw error;
        }
      },
    }),
  );
  return { opts: { ...shared, sources }, failure: () => failed?.error };
}

// One warning per file per process, however many times a command reads keys.
const warnedPaths = new Set<string>();

function warnIfReadableByOthers(path: string, warn: Warn): void {
  if (warnedPaths.has(path)) return;
  try {
    const mode = statSync(path).mode;
    if (mode & 0o077) {
      warnedPaths.add(path);
      warn(`identity file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run "chmod 600 ${path}"`);
    }
  } catch {
    /* the read already succeeded; a failed stat only skips the warning */
  }
}

function sshFileSource(label: string, path: string | undefined, required: boolean, warn: Warn): IdentitySource {
  return fileBackedSource(label, path, required, warn, { what: 'ssh key', from: 'the default ssh keys' }, (text, source) => [{ kind: 'ssh', text, source }]);
}

function textSource(label: string, text: string | undefined): IdentitySource {
  return { label, absent: 'unset', load: () => (text === undefined || text === '' ? null : parseIdentityText(text, label)) };
}

/** What a key command prints: an age identity file, or (`SOPS_AGE_SSH_PRIVATE_KEY_CMD`) an SSH private key. */
type CommandOutput = 'age' | 'ssh';

function commandSource(label: string, cmd: string | undefined, env: NodeJS.ProcessEnv, output: CommandOutput = 'age'): IdentitySource {
  return {
    label,
    absent: 'unset',
    perRecipient: true,
    load(recipient?: string) {
      if (!cmd) return null;
      // Loaded here, not at the top: the preload never needs child_process otherwise.
      const { spawnSync } = builtin<typeof import('node:child_process')>('node:child_process');
      const [file, ...args] = splitCommand(cmd);
      if (!file) throw new EnvcryptError('BAD_KEY', `${label} is empty`);
      const childEnv = recipient === undefined ? env : { ...env, ...Object.fromEntries(RECIPIENT_VARIABLES.map((v) => [v, recipient])) };
      // Run directly, not through a shell; stderr goes to the user (it may be a prompt).
      const r = spawnSync(file, args, { env: childEnv, encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
      const what = output === 'ssh' ? 'an SSH private key' : 'an age identity file';
      if (r.error || r.status !== 0) {
        throw new EnvcryptError('BAD_KEY', `the command in ${label} failed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status ?? r.signal}`})`, {
          hints: [`check ${label}; its stdout must be ${what}`],
        });
      }
      if (output === 'ssh') {
        // Parsed when a stanza needs it, as an SSH key file is; its errors name the variable, never the text.
        if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(r.stdout)) {
          throw new EnvcryptError('BAD_KEY', `the command in ${label} did not print an SSH private key`, { hints: [`its stdout must be ${what} (OpenSSH or PEM)`] });
        }
        return [{ kind: 'ssh', text: r.stdout, source: label }];
      }
      try {
        return parseIdentityText(r.stdout, `the output of ${label}`);
      } catch {
        // Never echo the output: it is supposed to be a secret key.
        throw new EnvcryptError('BAD_KEY', `the command in ${label} did not print age identities`, {
          hints: ['its stdout must contain AGE-SECRET-KEY-1… lines'],
        });
      }
    },
  };
}

/**
 * The identity sources in the documented order:
 * `-i` files, `ENVCRYPT_AGE_KEY`, `ENVCRYPT_AGE_KEY_FILE`, `ENVCRYPT_AGE_KEY_CMD`,
 * `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`,
 * `$XDG_CONFIG_HOME/envcrypt/keys.txt`, `$XDG_CONFIG_HOME/sops/age/keys.txt`,
 * then SSH keys: `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`,
 * `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`. The key commands are told the
 * recipient they are asked about (see {@link IdentitySource.perRecipient}).
 */
export function identitySources(opts: KeyOptions = {}): IdentitySource[] {
  const env = opts.env ?? process.env;
  const files = opts.identityFiles ?? [];
  const warn = opts.onWarning ?? stderrWarning;
  const named = (label: string, path: string | undefined): IdentitySource => namedFileSource(label, path, warn);
  const sources: IdentitySource[] = files.length
    ? files.map((f) => named('-i/--identity', f))
    : [{ label: '-i/--identity', absent: 'not given', load: () => null }];
  sources.push(
    textSource('ENVCRYPT_AGE_KEY', env.ENVCRYPT_AGE_KEY),
    named('ENVCRYPT_AGE_KEY_FILE', env.ENVCRYPT_AGE_KEY_FILE || undefined),
    commandSource('ENVCRYPT_AGE_KEY_CMD', env.ENVCRYPT_AGE_KEY_CMD, env),
    textSource('SOPS_AGE_KEY', env.SOPS_AGE_KEY),
    named('SOPS_AGE_KEY_FILE', env.SOPS_AGE_KEY_FILE || undefined),
    commandSource('SOPS_AGE_KEY_CMD', env.SOPS_AGE_KEY_CMD, env),
    fileSource('', defaultKeyFile(env), false, warn),
    fileSource('', join(configHome(env), 'sops', 'age', 'keys.txt'), false, warn),
    sshFileSource('SOPS_AGE_SSH_PRIVATE_KEY_FILE', env.SOPS_AGE_SSH_PRIVATE_KEY_FILE || undefined, true, warn),
    // sops's own order (age/keysource.go loadAgeSSHIdentities): the file, then the command, then ~/.ssh.
    commandSource('SOPS_AGE_SSH_PRIVATE_KEY_CMD', env.SOPS_AGE_SSH_PRIVATE_KEY_CMD, env, 'ssh'),
    sshFileSource('', join(env.HOME ?? home(), '.ssh', 'id_ed25519'), false, warn),
    sshFileSource('', join(env.HOME ?? home(), '.ssh', 'id_rsa'), false, warn),
  );
  return sources;
}

/**
 * Options whose identity sources are read at most once, however many files
 * one operation decrypts (layered `-f` files, the three sides of a merge, a
 * repo-wide re-key): a key file is read once, and a key command runs once
 * per recipient it is asked about (once in all when what it printed already
 * opens the next file). A source that failed fails the same way again
 * without being retried.
 */
export function shareKeySources<T extends KeyOptions>(opts: T): T {
  if (opts.sources) return opts;
  const sources = identitySources(opts).map((s): IdentitySource => {
    // One result per recipient asked about ('' for none); a source that ignores it has just the one.
    const results = new Map<string, { ids: FoundIdentity[] | null } | { error: unknown }>();
    return {
      label: s.label,
      absent: s.absent,
      ...(s.named !== undefined ? { named: s.named } : {}),
      ...(s.perRecipient ? { perRecipient: true, loaded: () => [...results.values()].flatMap((r) => ('ids' in r && r.ids ? r.ids : [])) } : {}),
      load(recipient?: string) {
        const slot = s.perRecipient ? (recipient ?? '') : '';
        let result = results.get(slot);
        if (!result) {
          try {
            result = { ids: s.load(s.perRecipient ? recipient : undefined) };
          } catch (error) {
            result = { error };
          }
          results.set(slot, result);
        }
        if ('error' in result) throw result.error;
        return result.ids;
      },
    };
  });
  return { ...opts, sources };
}
