/**
 * Plugin recipients (`age1name1…`) and identities (`AGE-PLUGIN-NAME-1…`),
 * as the C2SP age plugin specification maps them to a plugin NAME and so to
 * the binary `age-plugin-name`. The name comes from text an attacker may
 * write (a file's recipient list, `.sops.yaml`), so it is checked against the
 * specification's alphabet before it becomes part of a program name: no
 * path separator, no space, nothing else.
 */
import { bech32 } from '@scure/base';
import { EnvcryptError } from '../../errors.js';
import { escapeControls } from '../../io/escape.js';

/** The specification's `NAME = 1*(ALPHA / DIGIT / "-" / "_" / "." / "+")`. */
const NAME = /^[A-Za-z0-9._+-]+$/;

/**
 * True if `name` may name a plugin (and so the binary `age-plugin-<name>`).
 *
 * @param name - a plugin name, as decoded from a recipient or identity
 */
export function validPluginName(name: string): boolean {
  return NAME.test(name);
}

/** A decoded plugin recipient or identity. */
export interface PluginKey {
  /** The plugin name, lower-case. */
  name: string;
  /** The key as given (trimmed), which is what the plugin receives. */
  text: string;
}

// The Bech32 human-readable part runs up to the last "1"; plugin keys have no length limit.
function decodeHrp(s: string): string | null {
  const d = bech32.decodeUnsafe(s, false);
  return d ? d.prefix : null;
}

/**
 * Decode a plugin recipient `age1<name>1…`. Call it after the built-in forms
 * (`age1pq1…`, X25519 `age1…`) were ruled out.
 *
 * @param input - the recipient text
 * @returns the plugin name and the recipient
 * @throws {@link EnvcryptError} `BAD_KEY` for a bad Bech32 encoding or a name
 *   outside the specification's alphabet (never quoting more than a prefix)
 */
export function parsePluginRecipient(input: string): PluginKey {
  const s = input.trim();
  const hrp = decodeHrp(s);
  if (hrp === null || !hrp.startsWith('age1') || hrp.length === 4) {
    throw new EnvcryptError('BAD_KEY', `malformed age recipient "${escapeControls(s.slice(0, 12))}…": bad bech32 encoding or checksum`, {
      hints: ['copy the whole age1… line again'],
    });
  }
  const name = hrp.slice(4);
  if (!validPluginName(name)) {
    throw new EnvcryptError('BAD_KEY', 'refusing an age plugin recipient whose plugin name is not letters, digits, "-", "_", "." and "+"', {
      hints: ['a plugin recipient is age1<name>1…, and the plugin is the program age-plugin-<name> on PATH; this one would name no valid program'],
    });
  }
  return { name, text: s };
}

/** True if `s` has the shape of a plugin identity (`AGE-PLUGIN-…-1…`), valid or not. */
export function looksLikePluginIdentity(s: string): boolean {
  return /^AGE-PLUGIN-/i.test(s);
}

/**
 * Decode a plugin identity `AGE-PLUGIN-<NAME>-1…`. Messages never quote it:
 * it may hold key material.
 *
 * @param input - the identity text
 * @returns the plugin name (lower-case, as age passes it on) and the identity
 * @throws {@link EnvcryptError} `BAD_KEY` for a bad encoding or plugin name
 */
export function parsePluginIdentity(input: string): PluginKey {
  const s = input.trim();
  const hrp = decodeHrp(s);
  // bech32 lower-cases the prefix; an identity is written upper-case.
  if (hrp === null || !hrp.startsWith('age-plugin-') || !hrp.endsWith('-') || s !== s.toUpperCase()) {
    throw new EnvcryptError('BAD_KEY', 'malformed age plugin identity: bad bech32 encoding or checksum', {
      hints: ['a plugin identity is one upper-case AGE-PLUGIN-<NAME>-1… word, as the plugin printed it'],
    });
  }
  const name = hrp.slice('age-plugin-'.length, -1);
  if (!validPluginName(name)) {
    throw new EnvcryptError('BAD_KEY', 'refusing an age plugin identity whose plugin name is not letters, digits, "-", "_", "." and "+"');
  }
  return { name, text: s };
}

/** The program that speaks for plugin `name`. */
export function pluginBinary(name: string): string {
  return `age-plugin-${name}`;
}
