/**
 * What `envcrypt check` reports: one finding per problem, naming a file and
 * (when known) a line, never the text that triggered it.
 */

/** The checks `envcrypt check` runs; each finding names the one that fired. */
export type GuardRule =
  /** A file a `.sops.yaml` creation rule covers is not encrypted. */
  | 'not-encrypted'
  /** An encrypted file holds a value the selector says is encrypted, in plaintext. */
  | 'plaintext-value'
  /** An encrypted file holds a plaintext comment the selector would encrypt (a warning). */
  | 'plaintext-comment'
  /** A sops file that does not parse (a merge conflict, hand edits) or has invalid metadata. */
  | 'parse'
  /** An encrypted file's MAC does not verify, or a value does not decrypt. */
  | 'mac'
  /** An encrypted file has no envcrypt integrity record (a warning; an error with ENVCRYPT_REQUIRE_INTEGRITY). */
  | 'no-integrity'
  /** An encrypted file lists recipients nothing vouches for (a warning). */
  | 'unverified-recipient'
  /** An encrypted file's selector differs from its `.sops.yaml` rule's, or from the default. */
  | 'selector-drift'
  /** A plaintext `.env` / `.env.*` file is tracked, staged, or not ignored by git. */
  | 'plaintext-env'
  /** Something shaped like an age secret key. */
  | 'age-secret-key'
  /** A PEM/OpenSSH private key block. */
  | 'private-key'
  /** A file that could not be fully checked (too large, key source broken): a warning. */
  | 'unchecked'
  /** A Dockerfile declares an `ARG` or `ENV` with a secret-like name (`*_TOKEN`, `*_PASSWORD`, …). */
  | 'docker-secret-arg'
  /** A Dockerfile `COPY`s or `ADD`s a plaintext `.env` file into a layer. */
  | 'docker-copy-env'
  /** A Docker build context's `.dockerignore` is missing or lets plaintext `.env` files in. */
  | 'docker-context-env';

/** `error` findings make `check` fail; `warning` findings are reported only. */
export type Severity = 'error' | 'warning';

/** One problem found by `envcrypt check`. */
export interface Finding {
  /** The file, relative to the working directory when inside it. */
  file: string;
  /** 1-based line, for content findings. */
  line?: number;
  rule: GuardRule;
  severity: Severity;
  /** A lowercase fact with no value or excerpt of the file in it. */
  message: string;
  /** What to do about it, when the fix is specific to the finding (printed once per kind of finding). */
  hint?: string;
}

/** Order findings by file, then line (findings without a line first), then rule. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  const la = a.line ?? 0;
  const lb = b.line ?? 0;
  if (la !== lb) return la - lb;
  return a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0;
}
