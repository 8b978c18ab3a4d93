import { EnvcryptError } from '../errors.js';
import type { Branch, Comment, Leaf } from '../tree/types.js';
import { aadFor, mapLeaves } from '../tree/walk.js';
import { decryptParts, encryptValue, parseEnc } from './cipher.js';
import { IvStash } from './iv-stash.js';
import { computeMac, macEquals } from './mac.js';
import { canonicalLastModified } from '../stores/metadata.js';
import { compileSelector, type EncryptPredicate, type Selector } from './selector.js';
import { canonicalText, leafFromPlaintext, typeOf } from './values.js';

/** How a key path is named in messages: dotted, never with a value. */
export function describePath(path: readonly string[]): string {
  return path.length ? `"${path.join('.')}"` : 'the top level';
}

/** Options for {@link decryptTree}. */
export interface DecryptTreeOptions {
  /** Receives the IV of every value, for diff-stable re-encryption. */
  stash?: IvStash;
  /** Skip the MAC check (recovery only: it also accepts forged values). */
  ignoreMac?: boolean;
  /** Receives non-fatal notes, e.g. a comment that could not be decrypted. */
  onWarning?: (message: string) => void;
}

/**
 * Decrypt every encrypted leaf and comment, then verify the MAC. Nothing is
 * returned unless every value authenticates and the MAC matches, so a caller
 * can never print a partial result.
 */
export function decryptTree(
  branches: readonly Branch[],
  meta: { selector: Selector; macOnlyEncrypted: boolean; mac: string; lastmodified: string },
  key: Uint8Array,
  opts: DecryptTreeOptions = {},
): Branch[] {
  const isEnc = compileSelector(meta.selector);
  const stash = opts.stash ?? new IvStash();
  const plain = mapLeaves(branches, (node, ctx) => {
    if (node.kind === 'comment') return decryptComment(node, ctx.path, key, stash, opts.onWarning);
    if (node.kind === 'null' || !isEnc(node, ctx)) return node;
    const where = describePath(ctx.path);
    if (node.kind !== 'str') {
      throw new EnvcryptError('DECRYPT_FAILED', `value at ${where} should be encrypted but is a plain ${node.kind}`, {
        hints: ['someone may have edited the encrypted file by hand; use "envcrypt edit" or "envcrypt set"'],
      });
    }
    if (node.value === '') return node;
    const parts = parseEnc(node.value, where);
    if (!parts) {
      throw new EnvcryptError('DECRYPT_FAILED', `value at ${where} should be encrypted but is plaintext`, {
        hints: ['someone may have edited the encrypted file by hand; use "envcrypt edit" or "envcrypt set"'],
      });
    }
    const aad = aadFor(ctx.path);
    const text = decryptParts(key, parts, aad, where);
    stash.remember(text, aad, parts.iv);
    return leafFromPlaintext(parts.type, text, where) as Leaf;
  });
  if (!opts.ignoreMac) verifyMac(plain, meta, isEnc, key, stash);
  return plain;
}

function decryptComment(node: Comment, path: readonly string[], key: Uint8Array, stash: IvStash, warn?: (m: string) => void): Comment {
  const parts = parseEnc(node.text, `a comment in ${describePath(path)}`);
  if (!parts) return node;
  // YAML libraries attach comments to different nodes; GCM makes wrong guesses
  // fail safely, so try the path and then each ancestor (SOPS-FORMAT §10.2).
  for (let n = path.length; n >= 0; n--) {
    const aad = aadFor(path.slice(0, n));
    try {
      const text = decryptParts(key, parts, aad, '');
      stash.remember(text, aad, parts.iv);
      return node.inline ? { kind: 'comment', text, inline: true } : { kind: 'comment', text };
    } catch {
      /* try the next ancestor */
    }
  }
  warn?.(`a comment in ${describePath(path)} could not be decrypted and is kept as it is`);
  return node;
}

function verifyMac(
  plain: readonly Branch[],
  meta: { macOnlyEncrypted: boolean; mac: string; lastmodified: string },
  isEnc: EncryptPredicate,
  key: Uint8Array,
  stash: IvStash,
): void {
  const hints = [
    'values were changed, removed or reordered since the file was last encrypted; a hand-resolved merge conflict is the usual cause',
    'compare with the last good version in git; --ignore-mac reads the file anyway, but use it only to recover, since it also accepts forged values',
  ];
  if (!meta.mac) throw new EnvcryptError('MAC_MISMATCH', 'the file has no MAC', { hints });
  const aad = canonicalLastModified(meta.lastmodified) ?? meta.lastmodified;
  const parts = parseEnc(meta.mac, 'the MAC');
  if (!parts) throw new EnvcryptError('MAC_MISMATCH', 'the MAC is not encrypted', { hints });
  let stored: string;
  try {
    stored = decryptParts(key, parts, aad, 'the MAC');
  } catch {
    throw new EnvcryptError('MAC_MISMATCH', 'the MAC does not authenticate (lastmodified or the MAC was changed)', { hints });
  }
  stash.remember(stored, aad, parts.iv);
  if (!macEquals(stored, computeMac(plain, isEnc, meta.macOnlyEncrypted))) {
    throw new EnvcryptError('MAC_MISMATCH', 'MAC mismatch: values were changed, removed or reordered since it was last encrypted', { hints });
  }
}

function commentMatchesError(path: readonly string[]): EnvcryptError {
  return new EnvcryptError('UNSUPPORTED', `an encrypted comment in ${describePath(path)} matches unencrypted_comment_regex, so the file could not be decrypted`, {
    hints: [
      'make unencrypted_comment_regex match only your marker comment (e.g. "^ *sops:noenc$"), never encrypted text such as ENC[AES256_GCM,…]',
    ],
  });
}

/** Options for {@link encryptTree}. */
export interface EncryptTreeOptions {
  selector: Selector;
  macOnlyEncrypted: boolean;
  lastmodified: string;
  /** IVs of values that were decrypted earlier; unchanged values reuse them. */
  stash?: IvStash;
}

/**
 * Encrypt a plaintext tree under `key` and compute its encrypted MAC. Values
 * and comments found in the stash keep their IV, so their ciphertext is
 * byte-identical to before.
 */
export function encryptTree(plain: readonly Branch[], key: Uint8Array, opts: EncryptTreeOptions): { branches: Branch[]; mac: string } {
  const isEnc = compileSelector(opts.selector);
  const stash = opts.stash;
  const branches = mapLeaves(plain, (node, ctx) => {
    if (node.kind === 'null' || !isEnc(node, ctx)) return node;
    const text = canonicalText(node);
    if (text === '') return node;
    const aad = aadFor(ctx.path);
    const enc = encryptValue(key, text, aad, typeOf(node), stash?.lookup(text, aad));
    if (node.kind === 'comment') {
      const out: Comment = node.inline ? { kind: 'comment', text: enc, inline: true } : { kind: 'comment', text: enc };
      // Decryption reads the comment stack from the file, so an encrypted comment whose ciphertext
      // matches unencrypted_comment_regex would turn what follows it into "unencrypted" there (and the
      // MAC would fail). sops refuses this at encrypt time (sops.go Tree.Encrypt); so does envcrypt.
      if (opts.selector.kind === 'unencrypted_comment_regex' && !isEnc(out, ctx)) throw commentMatchesError(ctx.path);
      return out;
    }
    return { kind: 'str', value: enc };
  });
  const digest = computeMac(plain, isEnc, opts.macOnlyEncrypted);
  const macAad = canonicalLastModified(opts.lastmodified) ?? opts.lastmodified;
  const mac = encryptValue(key, digest, macAad, 'str', stash?.lookup(digest, macAad));
  return { branches, mac };
}
