import { readFileSync, readSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';

/** Read a text file, turning I/O failures into envcrypt errors that name the file. */
export function readTextFile(path: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new EnvcryptError('NOT_FOUND', `no such file: ${path}`, { cause, file: path });
    if (code === 'EISDIR') throw new EnvcryptError('USAGE', `${path} is a directory`, { cause, file: path });
    throw new EnvcryptError('IO', `cannot read ${path}: ${code ?? 'error'}`, { cause, file: path });
  }
  if (buf.includes(0)) {
    throw new EnvcryptError('PARSE', `${path} is a binary file`, { file: path, hints: ['envcrypt reads .env, YAML and JSON text files'] });
  }
  return buf.toString('utf8');
}

/**
 * Read the first `want` bytes of an open file: fewer when the file ends
 * sooner (it may have shrunk since it was measured).
 */
export function readPrefix(fd: number, want: number): Buffer {
  const buf = Buffer.allocUnsafe(want);
  let got = 0;
  while (got < want) {
    // Positional reads: the result does not depend on the descriptor's offset.
    const n = readSync(fd, buf, got, want - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
