import { basename } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { FORMATS, type Format, type Store } from './store.js';

/**
 * Choose the format from a file name: `.yaml`/`.yml` → yaml, `.json` → json,
 * `.ini` → ini, `.env`, `.env.*`, `*.env` → dotenv. A trailing `.enc` is
 * ignored first, so `.env.enc`, `app.env.enc` and `secrets.yaml.enc` work.
 * Returns null when the name says nothing; {@link formatFor} turns that into
 * an error. No name means `binary`: sops falls back to its binary store for
 * any unknown extension, envcrypt asks for `--input-type binary` instead
 * (README "Decisions").
 */
export function formatFromName(path: string): Format | null {
  let name = basename(path);
  if (name.endsWith('.enc') && name !== '.enc') name = name.slice(0, -4);
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.ini')) return 'ini';
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) return 'dotenv';
  return null;
}

/** Validate a `--input-type`/`--output-type` value. */
export function parseFormat(s: string, flag: string): Format {
  if ((FORMATS as readonly string[]).includes(s)) return s as Format;
  throw new EnvcryptError('USAGE', `unknown format "${s}" for ${flag}`, { hints: [`valid formats are ${FORMATS.join(', ')}`] });
}

/**
 * True when `text` has the layout of a sops binary file: a JSON object whose
 * first member is `"data"` holding a string, with a `"sops"` member. A cheap
 * look at the text; the binary store's parser checks the rest (exactly these
 * two members). This is how sops stores a file of any other format, so a
 * file in this layout is read as binary whatever its name says nothing of.
 */
export function looksBinarySops(text: string): boolean {
  return /^\s*\{\s*"data"\s*:\s*"/.test(text) && text.includes('"sops"');
}

/**
 * The format of an encrypted file: from its name, else `binary` when its text
 * is in sops's binary layout; null when neither says.
 */
export function encryptedFormatOf(path: string, text: string): Format | null {
  return formatFromName(path) ?? (looksBinarySops(text) ? 'binary' : null);
}

/**
 * The format to use for `path`, from an explicit type or the name; never a
 * silent guess. When the name says nothing and `encryptedText` (the file's
 * content, for commands that read an encrypted file) is in sops's binary
 * layout, that is `binary`: the file itself says so (see {@link looksBinarySops}).
 */
export function formatFor(path: string, explicit?: string, flag = '--input-type', encryptedText?: string): Format {
  if (explicit) return parseFormat(explicit, flag);
  const f = encryptedText === undefined ? formatFromName(path) : encryptedFormatOf(path, encryptedText);
  if (f) return f;
  throw new EnvcryptError('USAGE', `cannot tell the format of ${path} from its name`, {
    hints: [
      `pass ${flag} ${FORMATS.join('|')}`,
      'names envcrypt knows: .env, .env.*, *.env, *.yaml, *.yml, *.json, *.ini (each optionally with .enc)',
      `to encrypt a whole file as one value (a TLS key, a kubeconfig), pass ${flag} binary`,
    ],
  });
}

/**
 * The store for a format. Stores are imported on demand so that the exec
 * path for a dotenv file never loads the YAML parser.
 */
export async function storeFor(format: Format): Promise<Store> {
  switch (format) {
    case 'dotenv':
      return (await import('./dotenv.js')).dotenvStore;
    case 'yaml':
      return (await import('./yaml.js')).yamlStore;
    case 'json':
      return (await import('./json.js')).jsonStore;
    case 'ini':
      return (await import('./ini.js')).iniStore;
    case 'binary':
      return (await import('./binary.js')).binaryStore;
  }
}
