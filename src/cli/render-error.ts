import { EnvcryptError, ExitCode } from '../errors.js';
import { error, hint, type Io } from './output.js';

const REPORT = 'if you think this error is unhelpful, report it at https://github.com/envcrypt/envcrypt/issues';

/**
 * Turn any thrown value into stderr lines and an exit code. Envcrypt errors
 * print their message (with file and line:column) and hints; anything else
 * is an internal error whose stack is shown only with ENVCRYPT_DEBUG=1, since
 * a stack or message from a dependency could carry input text.
 */
export function renderError(io: Io, e: unknown): number {
  if (e instanceof EnvcryptError) {
    const where = e.file && !e.message.includes(e.file) ? `${e.file}${e.position ? `:${e.position.line}:${e.position.column}` : ''}: ` : '';
    const pos = !where && e.position ? ` (line ${e.position.line}, column ${e.position.column})` : '';
    error(io, `${where}${e.message}${pos}`);
    for (const h of e.hints) hint(io, h);
    return e.exitCode;
  }
  error(io, 'internal error');
  if (io.env.ENVCRYPT_DEBUG === '1' && e instanceof Error) io.stderr(`${e.stack ?? e.message}\n`);
  else hint(io, 'set ENVCRYPT_DEBUG=1 to see the stack trace (it may include file contents)');
  hint(io, REPORT);
  return ExitCode.generic;
}
