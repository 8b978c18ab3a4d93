/**
 * `envcrypt keygen`: new identities in age-keygen's format, written so that
 * a key is never replaced, and the public keys of an identity file.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { readTextFile } from '../io/read.js';
import { identityFileText, newIdentity, publicKeyOf } from '../keys/keygen.js';

/** A new identity, as the text of an identity file and its recipient. */
export interface NewKey {
  text: string;
  recipient: string;
}

/**
 * Make a new identity (X25519, or post-quantum hybrid with `pq`). With
 * `output`, it is written to a new file with mode 0600 that must not exist.
 *
 * @throws EnvcryptError `REFUSED` when `output` exists; `IO` when it cannot be created
 */
export async function generateKey(opts: { pq?: boolean; output?: string } = {}): Promise<NewKey> {
  const id = await newIdentity(!!opts.pq);
  const text = identityFileText(id);
  if (opts.output !== undefined) writeNewSecretFile(opts.output, text);
  return { text, recipient: id.recipient };
}

/** The recipients (public keys) of the identities in an identity file. */
export async function publicKeysOfFile(path: string): Promise<string[]> {
  return publicKeyOf(readTextFile(path), path);
}

/** Create a file that must not exist yet, with mode 0600. */
function writeNewSecretFile(path: string, text: string): void {
  // A fresh machine has no ~/.config/envcrypt yet: make it private (0700).
  // Existing directories keep their mode.
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new EnvcryptError('IO', `cannot create the directory ${dirname(path)}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new EnvcryptError('REFUSED', `refusing to overwrite ${path}, which already exists`, {
        hints: ['keygen never replaces a key; choose another path with -o/--output, or move the old key away first'],
      });
    }
    throw new EnvcryptError('IO', `cannot create ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
