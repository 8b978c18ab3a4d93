/**
 * A Kubernetes `Secret` manifest holding the values, for `kubectl apply -f -`.
 * The rules checked here are the API server's (k8s.io/apimachinery
 * `pkg/util/validation`), so a manifest that passes is one the server accepts.
 */

import { basename } from 'node:path';
import { EnvcryptError } from '../errors.js';

/** The longest secret name (a DNS-1123 subdomain). */
export const MAX_NAME_LENGTH = 253;
/** The longest namespace (a DNS-1123 label). */
export const MAX_NAMESPACE_LENGTH = 63;
/** The API server refuses a Secret whose values total more than 1 MiB (`MaxSecretSize`). */
export const MAX_SECRET_BYTES = 1024 * 1024;

const LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const EXTENSION = /^(.+)\.(?:enc|ya?ml|json|env)$/;

/** Options for {@link toK8sSecret}. */
export interface K8sOptions {
  /** `metadata.name`: a DNS-1123 subdomain (see {@link checkSecretName}). */
  name: string;
  /** `metadata.namespace`: a DNS-1123 label; omitted from the manifest when not given. */
  namespace?: string;
}

/**
 * Check a Secret name: lowercase letters, digits, `-` and `.`, starting and
 * ending with a letter or digit, each dot-separated part non-empty, at most
 * 253 characters (a DNS-1123 subdomain).
 *
 * @throws {@link EnvcryptError} `USAGE` naming the invalid name
 */
export function checkSecretName(name: string): void {
  if (name.length > MAX_NAME_LENGTH || !SUBDOMAIN.test(name)) {
    throw new EnvcryptError('USAGE', `${JSON.stringify(name)} is not a valid kubernetes secret name`, {
      hints: [`a name is at most ${MAX_NAME_LENGTH} lowercase letters, digits, "-" and "."; it starts and ends with a letter or digit (--name)`],
    });
  }
}

/**
 * Check a namespace: lowercase letters, digits and `-`, starting and ending
 * with a letter or digit, at most 63 characters (an RFC 1123 label).
 *
 * @throws {@link EnvcryptError} `USAGE` naming the invalid namespace
 */
export function checkNamespace(namespace: string): void {
  if (namespace.length > MAX_NAMESPACE_LENGTH || !LABEL.test(namespace)) {
    throw new EnvcryptError('USAGE', `${JSON.stringify(namespace)} is not a valid kubernetes namespace`, {
      hints: [`a namespace is at most ${MAX_NAMESPACE_LENGTH} lowercase letters, digits and "-"; it starts and ends with a letter or digit (--namespace)`],
    });
  }
}

/**
 * Check a key of a Secret's `data`: letters, digits, `-`, `_` and `.`, at
 * most 253 characters, and not `.`, `..` or anything starting with `..`
 * (the API server's `IsConfigMapKey`).
 *
 * @throws {@link EnvcryptError} `UNSUPPORTED` naming the key
 */
export function checkSecretKey(key: string): void {
  if (!DATA_KEY.test(key) || key.length > MAX_NAME_LENGTH || key === '.' || key.startsWith('..')) {
    throw new EnvcryptError('UNSUPPORTED', `key ${JSON.stringify(key)} cannot be a kubernetes secret key`, {
      hints: [
        'secret keys are letters, digits, "-", "_" and "." (at most 253, not "." or starting with "..")',
        'rename the key, or for nested values choose another --flatten-separator',
      ],
    });
  }
}

/**
 * The default Secret name for an encrypted file: its base name without the
 * trailing `.enc`, `.yaml`, `.yml`, `.json` and `.env` extensions (each
 * removed as long as something is left before it), lower-cased, each run of
 * other characters than `a-z0-9` turned into one `-`, trimmed of `-` at both
 * ends and cut to 253 characters. So `.env.enc` → `env`,
 * `.env.production.enc` → `env-production`, `secrets.enc.yaml` and
 * `secrets.yaml.enc` → `secrets`, `My_App.env` → `my-app`.
 *
 * @returns the name, or `''` when nothing usable is left (then `--name` is needed)
 */
export function secretNameFromPath(path: string): string {
  let base = basename(path);
  for (let m = EXTENSION.exec(base); m !== null; m = EXTENSION.exec(base)) base = m[1]!;
  return base
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/-+$/, '');
}

/**
 * Render the values as a `v1` `Secret` of type `Opaque`, values base64-encoded
 * under `data:`, keys in the order given. Every scalar is written as a
 * double-quoted (JSON-style) YAML string, so no key, name or value can be
 * read back as a number, boolean or null by any YAML 1.1 or 1.2 parser.
 *
 * @example
 * toK8sSecret({ DB_PASSWORD: 'hunter2' }, { name: 'app', namespace: 'prod' })
 * // apiVersion: v1
 * // kind: Secret
 * // metadata:
 * //   name: "app"
 * //   namespace: "prod"
 * // type: Opaque
 * // data:
 * //   "DB_PASSWORD": "aHVudGVyMg=="
 *
 * @throws {@link EnvcryptError} `USAGE` for an invalid name or namespace;
 *   `UNSUPPORTED` for a key Kubernetes refuses, or values over 1 MiB in total
 */
export function toK8sSecret(values: Readonly<Record<string, string>>, opts: K8sOptions): string {
  checkSecretName(opts.name);
  if (opts.namespace !== undefined) checkNamespace(opts.namespace);
  const q = (s: string) => JSON.stringify(s);
  const lines = ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${q(opts.name)}`];
  if (opts.namespace !== undefined) lines.push(`  namespace: ${q(opts.namespace)}`);
  lines.push('type: Opaque');
  const entries = Object.entries(values);
  let total = 0;
  const data: string[] = [];
  for (const [key, value] of entries) {
    checkSecretKey(key);
    const bytes = Buffer.from(value, 'utf8');
    total += bytes.length;
    data.push(`  ${q(key)}: ${q(bytes.toString('base64'))}`);
  }
  if (total > MAX_SECRET_BYTES) {
    throw new EnvcryptError('UNSUPPORTED', `the values total ${total} bytes, over the 1 MiB limit of a kubernetes secret`, {
      hints: ['split the values over several files and secrets'],
    });
  }
  lines.push(entries.length === 0 ? 'data: {}' : 'data:', ...data);
  return `${lines.join('\n')}\n`;
}
