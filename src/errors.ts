/**
 * Typed errors. Library code throws {@link EnvcryptError}; only the CLI turns
 * them into text. Messages name files, keys and positions, never values.
 */

/** Stable exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  generic: 1,
  usage: 2,
  mac: 3,
  noIdentity: 4,
  parse: 5,
  notFound: 6,
  alreadyEncrypted: 7,
  notEncrypted: 8,
  refused: 9,
  conflict: 10,
  /** `audit --check`: a value breaks the lifecycle policy (too old, or still known to a removed recipient too long). */
  policy: 11,
  cmdNotExecutable: 126,
  cmdNotFound: 127,
} as const;

/** Machine-readable error codes. */
export type ErrorCode =
  | 'USAGE'
  | 'NOT_FOUND'
  | 'IO'
  | 'PARSE'
  | 'BAD_FORMAT'
  | 'BAD_METADATA'
  | 'BAD_KEY'
  | 'NO_RECIPIENTS'
  | 'NO_IDENTITY'
  | 'MAC_MISMATCH'
  | 'UNVOUCHED'
  | 'SELECTOR_DRIFT'
  | 'DECRYPT_FAILED'
  | 'UNAUTHENTICATED'
  | 'ALREADY_ENCRYPTED'
  | 'NOT_ENCRYPTED'
  | 'REFUSED'
  | 'CONFLICT'
  | 'UNSUPPORTED'
  | 'PLUGIN'
  | 'CMD_NOT_FOUND'
  | 'CMD_NOT_EXECUTABLE'
  | 'INTERNAL';

const exitFor: Record<ErrorCode, number> = {
  USAGE: ExitCode.usage,
  NOT_FOUND: ExitCode.notFound,
  IO: ExitCode.generic,
  PARSE: ExitCode.parse,
  BAD_FORMAT: ExitCode.parse,
  BAD_METADATA: ExitCode.parse,
  BAD_KEY: ExitCode.parse,
  NO_RECIPIENTS: ExitCode.generic,
  NO_IDENTITY: ExitCode.noIdentity,
  MAC_MISMATCH: ExitCode.mac,
  UNVOUCHED: ExitCode.mac,
  SELECTOR_DRIFT: ExitCode.mac,
  DECRYPT_FAILED: ExitCode.mac,
  // A value no MAC or integrity record authenticates, where that matters.
  UNAUTHENTICATED: ExitCode.mac,
  ALREADY_ENCRYPTED: ExitCode.alreadyEncrypted,
  NOT_ENCRYPTED: ExitCode.notEncrypted,
  REFUSED: ExitCode.refused,
  CONFLICT: ExitCode.conflict,
  UNSUPPORTED: ExitCode.generic,
  // An age plugin failed while encrypting (when decrypting, its identity could not be used: NO_IDENTITY).
  PLUGIN: ExitCode.generic,
  CMD_NOT_FOUND: ExitCode.cmdNotFound,
  CMD_NOT_EXECUTABLE: ExitCode.cmdNotExecutable,
  INTERNAL: ExitCode.generic,
};

/** A position in a file, 1-based. */
export interface Position { line: number; column: number }

/** Options for {@link EnvcryptError}. */
export interface ErrorOptions {
  hints?: string[];
  file?: string;
  position?: Position;
  cause?: unknown;
}

/**
 * The one error type of envcrypt. `message` is a lowercase fact with no
 * final period and never contains a secret value.
 */
export class EnvcryptError extends Error {
  /** Machine-readable code. */
  readonly code: ErrorCode;
  /** What the user could do next, each a lowercase sentence. */
  readonly hints: string[];
  /** The file the error is about, if any. */
  file?: string;
  /** Where in {@link EnvcryptError.file}, if known. */
  position?: Position;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EnvcryptError';
    this.code = code;
    this.hints = opts.hints ?? [];
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.position !== undefined) this.position = opts.position;
  }

  /** The process exit code this error maps to. */
  get exitCode(): number {
    return exitFor[this.code];
  }

  /** Attach a file name (and keep an existing one). Returns `this`. */
  inFile(file: string): this {
    this.file ??= file;
    return this;
  }
}

/** Shorthand for a parse error at a position. */
export function parseError(message: string, position?: Position, hints?: string[]): EnvcryptError {
  return new EnvcryptError('PARSE', message, position ? { position, ...(hints ? { hints } : {}) } : hints ? { hints } : {});
}

/** True if `e` is an {@link EnvcryptError}. */
export function isEnvcryptError(e: unknown): e is EnvcryptError {
  return e instanceof EnvcryptError;
}
