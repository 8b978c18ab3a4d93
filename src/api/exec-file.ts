/**
 * `envcrypt exec-file FILE -- CMD {}` (sops's `exec-file`): hand the
 * decrypted file to a command that reads its secrets from a path
 * (`GOOGLE_APPLICATION_CREDENTIALS`, Docker-style `/run/secrets`). The
 * plaintext goes through a FIFO by default, or a 0600 file with `fifo:
 * false`, in a fresh 0700 directory that is removed when the command ends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { makeFifo, serveFifoOnce, type FifoServer } from '../io/fifo.js';
import { CLEANUP_SIGNALS, makePrivateTempDir, tempRoot } from '../io/tempdir.js';
import { removeIdentity } from '../exec/sensitive-names.js';
import { reraise, runChild, type ChildResult } from '../exec/spawn.js';
import { formatFor, parseFormat } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import type { DecryptOptions } from './decrypt.js';
import { revealFile } from './reveal.js';

export type { ChildResult } from '../exec/spawn.js';

/** The placeholder replaced by the path, in every argument where it appears (as sops replaces it). */
export const PATH_PLACEHOLDER = '{}';

/** Options for {@link execWithFile}. */
export interface ExecFileOptions extends Omit<DecryptOptions, 'ignoreMac' | 'dataKey' | 'readOnly'> {
  /** The command and its arguments (no shell); each `{}` is replaced by the path. */
  command: readonly string[];
  /** The format the command gets: dotenv, yaml, json (or any store's name); default the input's. */
  outputType?: string;
  /** A FIFO (default), read once; `false` writes a 0600 file the command may read any number of times. */
  fifo?: boolean;
  /** The name of the FIFO or file: no `/`, not `.` or `..`. Default `secrets` plus the output format's extension. */
  filename?: string;
  /** Leave the identity variables (`ENVCRYPT_AGE_KEY`…) in the command's environment. */
  keepIdentity?: boolean;
  /** `--config PATH`, for the `stores` indent of `.sops.yaml`. */
  configPath?: string;
}

const EXTENSIONS: Partial<Record<string, string>> = { dotenv: '.env', yaml: '.yaml', json: '.json', ini: '.ini' };

/**
 * Check a `--filename`: one plain name inside the private directory.
 *
 * @throws EnvcryptError `USAGE` naming the rule broken
 */
export function checkFilename(name: string): void {
  const bad = (why: string) => new EnvcryptError('USAGE', `--filename must be a plain file name: ${why}`, { hints: ['e.g. --filename credentials.json; the directory is always a fresh private one'] });
  if (name === '' || name === '.' || name === '..') throw bad('it is empty, "." or ".."');
  if (name.includes('/') || name.includes('\\')) throw bad('it contains a path separator');
  if (name.includes('\0')) throw bad('it contains a NUL byte');
  if (Buffer.byteLength(name) > 255) throw bad('it is longer than 255 bytes');
}

/**
 * Decrypt `file` (MAC and integrity record verified, as for `exec`, before
 * anything is created or run), put the plaintext at a private path, run the
 * command with each `{}` replaced by that path, and remove the path when the
 * command ends, however it ends. While the command runs, SIGINT, SIGTERM,
 * SIGHUP and the other signals `exec` relays are relayed to it, and the
 * directory goes once it has exited; pass the result to {@link endLikeChild}.
 *
 * With a FIFO, the plaintext is written by this process to the first reader
 * and the FIFO is then unlinked: a second open fails rather than hanging. A
 * command that never opens it does not hang anything: envcrypt waits for the
 * command, as `exec` does, and reports that it never read its secrets.
 *
 * @returns how the command ended
 * @throws EnvcryptError decrypt errors; `USAGE` for a bad filename, output
 *   type or empty command; `IO` when no FIFO can be made; the spawn errors of `exec`
 *   (`CMD_NOT_FOUND` 127, `CMD_NOT_EXECUTABLE` 126)
 */
export async function execWithFile(file: string, opts: ExecFileOptions): Promise<ChildResult> {
  if (opts.command.length === 0) throw new EnvcryptError('USAGE', 'exec-file needs a command to run', { hints: ['usage: envcrypt exec-file FILE -- COMMAND {}'] });
  if (opts.filename !== undefined) checkFilename(opts.filename);
  const inFormat = opts.format ?? formatFor(file);
  const outFormat: Format = opts.outputType !== undefined ? parseFormat(opts.outputType, '--output-type') : inFormat;
  const baseEnv = opts.env ?? process.env;
  const text = await revealFile(file, { ...opts, format: inFormat, outputType: outFormat, readOnly: true });
  if (text === null) throw new EnvcryptError('INTERNAL', 'no plaintext to hand over');
  const name = opts.filename ?? `secrets${EXTENSIONS[outFormat] ?? ''}`;
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  if (!opts.keepIdentity) removeIdentity(env);
  const told = opts.command.some((a) => a.includes(PATH_PLACEHOLDER));
  if (!told) opts.onWarning?.(`no ${PATH_PLACEHOLDER} in the command: it is not told where its secrets are`);

  // From here until the directory is gone, a signal must not kill this process before it
  // cleans up: while the command runs it is relayed (runChild), and it is re-raised after.
  const hold = (): void => undefined;
  for (const s of CLEANUP_SIGNALS) process.on(s, hold);
  const dir = makePrivateTempDir(tempRoot(baseEnv));
  let server: FifoServer | undefined;
  try {
    const path = join(dir.path, name);
    if (opts.fifo === false) writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    else {
      // The command's environment: without the identity variables (unless --keep-identity).
      makeFifo(path, env);
      server = serveFifoOnce(path, text);
    }
    const [command, ...args] = opts.command.map((a) => a.replaceAll(PATH_PLACEHOLDER, path));
    const result = await runChild({ command: command!, args, env });
    if (told && server && !server.opened) opts.onWarning?.(`${command!} ended without opening ${path}, so it never read its secrets`);
    return result;
  } finally {
    server?.stop();
    dir.remove();
    for (const s of CLEANUP_SIGNALS) process.removeListener(s, hold);
  }
}

/**
 * The exit status after {@link execWithFile}, exactly as `exec` ends: the
 * command's code, or death by the signal that killed it (128+N where that
 * signal cannot kill this process).
 */
export function endLikeChild(result: ChildResult): Promise<number> {
  return reraise(result);
}
