import { fstatSync } from 'node:fs';

type Tty = typeof import('node:tty');

/**
 * `tty.isatty(fd)`, loading `node:tty` only when first asked: that module
 * pulls in `net` and streams, which the exec and preload start-up path never
 * needs. (`process.getBuiltinModule` is node ≥ 20.16; the bundles also have a
 * `require`; the last resort treats any character device but /dev/null as a
 * terminal.)
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

let cached: Tty | null | undefined;
function loadTty(): Tty | null {
  if (cached !== undefined) return cached;
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  cached = get ? (get('node:tty') as Tty) : typeof require === 'function' ? (require('node:tty') as Tty) : null;
  return cached;
}
