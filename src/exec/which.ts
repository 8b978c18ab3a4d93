/**
 * Command lookup for `envcrypt exec`: find the file the child will run, the
 * way `execvp(3)` would, so that a missing or unusable command is reported
 * before anything starts, with the shell's exit codes (127 and 126).
 */

import { resolve } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { DEFAULT_PATH, probe, searchPath } from '../io/path-search.js';

/**
 * Describe the `PATH` that was searched without printing values that may
 * have come from a decrypted file: the child's `PATH` is shown only when it
 * is the one envcrypt itself was started with.
 */
function pathHint(env: NodeJS.ProcessEnv, dirs: readonly string[]): string {
  if (env['PATH'] === undefined) {
    return `PATH is not set in the command's environment, so only the default ${DEFAULT_PATH} was searched`;
  }
  if (env['PATH'] === process.env['PATH']) return `searched PATH=${env['PATH']}`;
  return `searched the ${dirs.length} absolute entries of the PATH the command will get (not shown: it differs from envcrypt's own PATH)`;
}

/**
 * Resolve `command` to the file the child process will execute.
 *
 * The rules are those of `execvp(3)` with the child's environment, except
 * that the current directory is never searched:
 * - a name containing `/` is a path (relative to `cwd`) and is not searched;
 * - otherwise each absolute entry of `env.PATH` is tried in order (empty and
 *   relative entries, which would mean the current directory or a directory
 *   under it, are skipped; no `PATH` at all means {@link DEFAULT_PATH}), the
 *   first executable regular file wins, and directories and files without
 *   execute permission are skipped.
 *
 * @param command - the command name or path, as typed after `--`
 * @param env - the environment the child will get; its `PATH` is searched, not envcrypt's
 * @param cwd - the directory the child will start in
 * @returns the absolute path of the file to execute
 * @throws {@link EnvcryptError} `USAGE` when `command` is empty;
 *   `CMD_NOT_FOUND` (exit 127) when no such file exists;
 *   `CMD_NOT_EXECUTABLE` (exit 126) when a path names a directory or a file
 *   without execute permission, or when the search found only such files
 */
export function which(command: string, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  if (command === '') {
    throw new EnvcryptError('USAGE', 'the command name is empty', {
      hints: ['put the command after --, as in "envcrypt exec -- node app.js"'],
    });
  }
  if (command.includes('/')) return checkPath(command, cwd);

  // Like execvp, a file we may not execute does not stop the search, but it
  // decides the error if nothing better turns up. Directories are skipped
  // silently, as bash and which(1) do.
  const { found, unusable, dirs, skipped } = searchPath(command, env['PATH']);
  if (found !== undefined) return found;

  const skippedHint = skipped > 0 ? [`${skipped} empty or relative PATH ${skipped === 1 ? 'entry was' : 'entries were'} not searched: envcrypt never looks up a command in the current directory`] : [];
  if (unusable !== undefined) {
    const showPath = env['PATH'] === undefined || env['PATH'] === process.env['PATH'];
    throw new EnvcryptError('CMD_NOT_EXECUTABLE', `command not executable: ${command}`, {
      hints: [
        showPath
          ? `found ${unusable}, which lacks execute permission`
          : 'found a file of that name on PATH, but it lacks execute permission',
        pathHint(env, dirs),
        ...skippedHint,
      ],
    });
  }
  const hints = [pathHint(env, dirs), ...skippedHint];
  const local = probe(resolve(cwd, command));
  if (local === 'executable' || local === 'not-executable') {
    hints.push(`a file named ${command} is in the current directory; run it as ./${command}`);
  }
  throw new EnvcryptError('CMD_NOT_FOUND', `command not found: ${command}`, { hints });
}

// A name with a slash is executed as given, without searching.
function checkPath(command: string, cwd: string): string {
  const file = resolve(cwd, command);
  switch (probe(file)) {
    case 'executable':
      return file;
    case 'missing':
      throw new EnvcryptError('CMD_NOT_FOUND', `command not found: ${command}`, {
        hints: ['the path contains a slash, so PATH was not searched; check the spelling and the current directory'],
      });
    case 'directory':
      throw new EnvcryptError('CMD_NOT_EXECUTABLE', `command is a directory: ${command}`);
    case 'not-executable':
      throw new EnvcryptError('CMD_NOT_EXECUTABLE', `command not executable: ${command}`, {
        hints: [`make it executable with "chmod +x ${command}", or name its interpreter, as in "envcrypt exec -- node ${command}"`],
      });
  }
}
