import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** True when two paths name the same file (after resolving links, where they exist). */
export function samePath(a: string, b: string): boolean {
  const canon = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return canon(a) === canon(b);
}
