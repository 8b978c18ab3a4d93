/**
 * Turn a file envcrypt encrypted into one with only sops's guarantees, and
 * tamper with it the way someone without the key can: the SOPS MAC leaves out
 * key names and empty values, and with `mac_only_encrypted` unencrypted
 * values too, and the selector is not authenticated at all.
 *
 * Text edits only, so every other byte stays as envcrypt wrote it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

export type TextFormat = 'dotenv' | 'yaml' | 'json';

/** The format of an encrypted file, from its name as envcrypt picks it. */
export function formatOf(name: string): TextFormat {
  if (/\.ya?ml$/.test(name)) return 'yaml';
  if (/\.json$/.test(name)) return 'json';
  return 'dotenv';
}

/**
 * Delete envcrypt's integrity record (`sops_envcrypt_integrity=…` in a
 * dotenv file, `envcrypt_integrity` in YAML and JSON metadata) if there is
 * one, so the file reads as sops wrote it (integrity `absent`). A file
 * without a record is returned unchanged.
 */
export function withoutIntegrity(text: string, format: TextFormat): string {
  switch (format) {
    case 'dotenv':
      return text.replace(/^sops_envcrypt_integrity=.*\n/m, '');
    case 'yaml':
      // The field's line, and any more-indented continuation lines of a block scalar.
      return text.replace(/^( *)envcrypt_integrity:.*\n(?:\1 +\S.*\n)*/m, '');
    case 'json':
      return text.replace(/^\s*"envcrypt_integrity":\s*"(?:[^"\\]|\\.)*",?\n/m, '').replace(/,(\s*\n\s*})/g, '$1');
  }
}

const SELECTOR = '(?:unencrypted_suffix|encrypted_suffix|unencrypted_regex|encrypted_regex|unencrypted_comment_regex|encrypted_comment_regex)';

/** Replace the file's selector (which values are encrypted) in its metadata. */
export function withSelector(text: string, format: TextFormat, kind: string, value: string): string {
  const re = {
    dotenv: new RegExp(`^sops_${SELECTOR}=.*$`, 'm'),
    yaml: new RegExp(`^( *)${SELECTOR}:.*$`, 'm'),
    json: new RegExp(`"${SELECTOR}":\\s*"(?:[^"\\\\]|\\\\.)*"`),
  }[format];
  if (!re.test(text)) throw new Error('no selector in the metadata');
  return text.replace(re, (_m, indent: string | undefined) =>
    format === 'dotenv' ? `sops_${kind}=${value}` : format === 'yaml' ? `${indent ?? ''}${kind}: ${JSON.stringify(value)}` : `"${kind}": ${JSON.stringify(value)}`,
  );
}

/** Add a top-level plaintext `key: value` at the start of the file's values. */
export function withPlainValue(text: string, format: TextFormat, key: string, value: string): string {
  switch (format) {
    case 'dotenv':
      if (/[\n"'#]/.test(value)) throw new Error('keep dotenv test values simple');
      return `${key}=${value}\n${text}`;
    case 'yaml':
      return `${JSON.stringify(key)}: ${JSON.stringify(value)}\n${text}`;
    case 'json':
      return text.replace(/^\{\n/, `{\n\t${JSON.stringify(key)}: ${JSON.stringify(value)},\n`);
  }
}

/** Apply `edit` to the text of `dir/name`, written as `dir/out`; the record is always deleted first. */
export function sopsLike(dir: string, name: string, out: string, edit: (text: string, format: TextFormat) => string = (t) => t): string {
  const format = formatOf(name);
  const text = edit(withoutIntegrity(readFileSync(join(dir, name), 'utf8'), format), format);
  writeFileSync(join(dir, out), text);
  return join(dir, out);
}

/**
 * The injection fixtures of the exec and preload suites, in `dir`: for each
 * of `a.env`, `a.yaml` and `a.json` (already written there), encrypted with
 * `mac_only_encrypted` to `recipient`, `sops-<out>` (the file without its
 * integrity record), `inject-<out>` (selector widened and a plaintext
 * NODE_OPTIONS added, which a mac_only_encrypted MAC does not cover) and
 * `path-<out>` (an empty PATH, in no MAC at all); and `evil.js`, which
 * leaves `evil-ran` behind if anything ever runs it.
 */
export function writeInjectionFixtures(dir: string, recipient: string, env: NodeJS.ProcessEnv): void {
  for (const [src, out] of [['a.env', 'a.env.enc'], ['a.yaml', 'a.enc.yaml'], ['a.json', 'a.enc.json']] as const) {
    const r = runCli(['encrypt', src, '-r', recipient, '-o', out, '--mac-only-encrypted'], { cwd: dir, env });
    if (r.code !== 0) throw new Error(r.stderr);
    sopsLike(dir, out, `sops-${out}`);
    sopsLike(dir, out, `inject-${out}`, (text, format) =>
      withPlainValue(withSelector(text, format, 'unencrypted_regex', '_unencrypted$|^NODE_OPTIONS$'), format, 'NODE_OPTIONS', `--require ${join(dir, 'evil.js')}`));
    sopsLike(dir, out, `path-${out}`, (text, format) => withPlainValue(text, format, 'PATH', ''));
  }
  writeFileSync(join(dir, 'evil.js'), `require('fs').writeFileSync(${JSON.stringify(join(dir, 'evil-ran'))}, '');\n`);
}
