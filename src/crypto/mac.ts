import { createHash, timingSafeEqual } from 'node:crypto';
import type { Branch } from '../tree/types.js';
import { forEachLeaf } from '../tree/walk.js';
import type { EncryptPredicate } from './selector.js';
import { canonicalText } from './values.js';

/** SHA-256("sops"): fed first when `mac_only_encrypted` is set, so the two modes differ. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

/**
 * The SOPS MAC (SOPS-FORMAT §5): SHA-512 over the canonical text of every
 * non-null, non-comment leaf of the *plaintext* tree, in walk order, with no
 * separators; upper-case hex. With `macOnlyEncrypted`, only leaves the
 * selector encrypts are hashed.
 */
export function computeMac(branches: readonly Branch[], isEncrypted: EncryptPredicate, macOnlyEncrypted: boolean): string {
  const h = createHash('sha512');
  if (macOnlyEncrypted) h.update(MAC_ONLY_ENCRYPTED_INIT);
  forEachLeaf(branches, (node, ctx) => {
    if (node.kind === 'null' || node.kind === 'comment') return;
    if (macOnlyEncrypted && !isEncrypted(node, ctx)) return;
    h.update(canonicalText(node), 'utf8');
  });
  return h.digest('hex').toUpperCase();
}

/** Constant-time comparison of two MAC strings. */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
