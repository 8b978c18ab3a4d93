import { fstatSync } from 'node:fs';
import { builtin } from './builtin.js';

type Tty = typeof import('node:tty');

/**
 * `tty.isatty(fd)`, loading `node:tty` only when first asked: that module
 * pulls in `net` and streams, which the exec and preload start-up path never
 * needs. (The last resort, where no loader works, treats any character
 * device but /dev/null as a terminal.)
 */
export function isTerminal(fd: number): boolean {
  const tty = loadTty();
  if (tty) return tty.isatty(fd);
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev !== 259; // 259 = makedev(1, 3), /dev/null
  } catch {
    return false;
  }
}

function loadTty(): Tty | null {
  try {
    return builtin<Tty>('node:tty');
  } catch {
    return null;
  }
}
