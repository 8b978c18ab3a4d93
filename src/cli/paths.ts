import { existsSync } from 'node:fs';
import { EnvcryptError } from '../errors.js';
import { samePath } from '../io/same-path.js';

/**
 * Refuse to write plaintext over the input or over an existing file unless
 * `force` is set (age's foot-gun rule: the escape hatch is named in the hint).
 */
export function checkOutputPath(out: string, input: string, force: boolean): void {
  if (samePath(out, input)) {
    throw new EnvcryptError('REFUSED', `refusing to write the output over its input ${input}`, {
      hints: ['choose another path with -o/--output'],
    });
  }
  if (!force && existsSync(out)) {
    throw new EnvcryptError('REFUSED', `refusing to overwrite ${out}, which already exists`, {
      hints: ['choose another path with -o/--output, or pass --force to replace it'],
    });
  }
}
