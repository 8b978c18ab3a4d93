import type { Argv } from 'yargs';
import { readPrefixOf } from '../io/read.js';
import { formatFor, formatFromName } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import { optString, type Args } from './command.js';

// Re-exported for the commands, which reach io/ only through cli/.
export { envFlag } from '../io/env-flag.js';

/** `-i/--identity`, shared by every command that decrypts. */
export function withIdentity(y: Argv): Argv {
  return y.option('identity', {
    alias: 'i',
    type: 'string',
    array: true,
    describe: 'age identity file to decrypt with (repeatable; tried before ENVCRYPT_AGE_KEY* and the default key files)',
    requiresArg: true,
  });
}

/** `--input-type`, shared by every command that reads one file. */
export function withInputType(y: Argv): Argv {
  return y.option('input-type', { type: 'string', requiresArg: true, describe: 'dotenv, yaml, json, ini or binary (default: from the file name)' });
}

/** The format of `file`: `--input-type` when given, else from the name. */
export function inputFormat(args: Args, file: string): Format {
  return formatFor(file, optString(args['input-type']));
}

/**
 * The format of an encrypted `file`: `--input-type` when given, else from
 * the name, else `binary` when the file is in sops's binary layout (sops
 * writes a whole file of any other name that way).
 */
export function encryptedInputFormat(args: Args, file: string): Format {
  const explicit = optString(args['input-type']);
  if (explicit !== undefined || formatFromName(file) !== null) return formatFor(file, explicit);
  return formatFor(file, undefined, '--input-type', readPrefixOf(file, 4096) ?? undefined);
}

/** `-R/--recipients-file FILE`, as age takes it: a recipients file, one per line (or an identity file, whose public key is used). */
export function withRecipientFiles(y: Argv): Argv {
  return y.option('recipients-file', {
    alias: 'R',
    type: 'string',
    array: true,
    requiresArg: true,
    describe: 'recipients file, one per line as for age -R (age1…, ssh .pub lines; # comments), or an identity file (its public key is used); repeatable',
  });
}
