import { basename } from 'node:path';
import { EnvcryptError } from '../errors.js';
import { FORMATS, type Format, type Store } from './store.js';

/**
 * Choose the format from a file name: `.yaml`/`.yml` → yaml, `.json` → json,
 * `.env`, `.env.*`, `*.env` → dotenv. A trailing `.enc` is ignored first, so
 * `.env.enc`, `app.env.enc` and `secrets.yaml.enc` work. Returns null when
 * the name says nothing; {@link formatFor} turns that into an error.
 */
export function formatFromName(path: string): Format | null {
  let name = basename(path);
  if (name.endsWith('.enc') && name !== '.enc') name = name.slice(0, -4);
  if (/\.ya?ml$/.test(name)) return 'yaml';
  if (name.endsWith('.json')) return 'json';
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) return 'dotenv';
  return null;
}

/** Validate a `--input-type`/`--output-type` value. */
export function parseFormat(s: string, flag: string): Format {
  if ((FORMATS as readonly string[]).includes(s)) return s as Format;
  throw new EnvcryptError('USAGE', `unknown format "${s}" for ${flag}`, { hints: [`valid formats are ${FORMATS.join(', ')}`] });
}

/** The format to use for `path`, from an explicit type or the name; never a silent guess. */
export function formatFor(path: string, explicit?: string, flag = '--input-type'): Format {
  if (explicit) return parseFormat(explicit, flag);
  const f = formatFromName(path);
  if (f) return f;
  throw new EnvcryptError('USAGE', `cannot tell the format of ${path} from its name`, {
    hints: [`pass ${flag} ${FORMATS.join('|')}`, 'names envcrypt knows: .env, .env.*, *.env, *.yaml, *.yml, *.json (each optionally with .enc)'],
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
  }
}
