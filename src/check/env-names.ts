/** Which file names are plaintext dotenv files that must never reach git. */
import { basename } from 'node:path';

/** Committed on purpose: templates that hold names and placeholders, not secrets. */
const TEMPLATES = new Set(['.env.example', '.env.sample', '.env.template']);

/**
 * True for `.env` and `.env.*` names, except encrypted ones (`*.enc`) and the
 * conventional templates (`.env.example`, `.env.sample`, `.env.template`).
 * The content still decides: a sops-encrypted `.env.production` is fine.
 */
export function isPlainEnvName(path: string): boolean {
  const name = basename(path);
  if (name !== '.env' && !name.startsWith('.env.')) return false;
  if (name.endsWith('.enc')) return false;
  return !TEMPLATES.has(name);
}
