import { isAbsolute, relative } from 'node:path';
import { fileStatus, type FileStatus } from '../../api/status.js';
import { ExitCode } from '../../errors.js';
import { optString, strings, type Command } from '../command.js';
import { withIdentity } from '../shared-options.js';
import { escapeLine, hint, report, warning, type Io } from '../output.js';

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || isAbsolute(rel) ? path : rel;
}

function row(label: string, value: string): string {
  return `${`${label}:`.padEnd(15)}${value}\n`;
}

/** Items under one label, one per line: each kept to its line (a recipient read from the file may hold a line feed). */
function column(items: readonly string[]): string {
  return items.map(escapeLine).join(`\n${' '.repeat(15)}`);
}

function macText(s: FileStatus): string {
  if (s.mac === 'ok') return 'ok (verified)';
  if (s.mac === 'no key') return 'no key (none of the available identities opens it)';
  if (s.mac === 'mismatch') return `mismatch: ${s.macDetail ?? 'the file was changed since it was encrypted'}`;
  return s.encrypted ? `n/a${s.macDetail ? ` (${s.macDetail})` : ' (not checked)'}` : 'n/a';
}

function integrityText(s: FileStatus): string {
  switch (s.integrity) {
    case 'verified':
      return 'ok (the record covers every key, value, comment, the selector and the recipients)';
    case 'present':
      return 'record present, not verified (no key)';
    case 'mismatch':
      return 'mismatch (see MAC)';
    default:
      return 'no integrity record: key names, empty and unencrypted values, the selector and the recipient list are not authenticated';
  }
}

function driftText(s: FileStatus): string | null {
  if (!s.drift) return null;
  const { missing, extra } = s.drift;
  if (missing.length === 0 && extra.length === 0) return 'the file has the rule\'s recipients';
  return column([...missing.map((r) => `missing ${r} (in the rule, not in the file)`), ...extra.map((r) => `extra ${r} (in the file, not in the rule)`)]);
}

function printText(s: FileStatus, io: Io): void {
  let out = row('file', s.file);
  out += row('encrypted', s.encrypted ? `yes (${s.format}, ${s.writtenBy === 'envcrypt' ? `written by envcrypt (sops ${s.version} format)` : `written by sops ${s.version}`})` : `no${s.format ? ` (${s.format})` : ''}`);
  if (s.encrypted) {
    if (s.groups) {
      out += row('key groups', `${s.groups.length}, any ${s.shamirThreshold} of them rebuild the data key (shamir_threshold)`);
      s.groups.forEach((g, i) => (out += row(`  group ${i + 1}`, g.length ? column(g) : 'no age keys')));
    } else out += row('recipients', s.recipients.length ? column(s.recipients) : 'none (no age keys)');
    if (s.otherKeyTypes.length) out += row('other keys', `${s.otherKeyTypes.join(', ')} (envcrypt cannot use these)`);
    out += row('last modified', s.lastmodified ?? '');
    out += row('MAC', macText(s));
    out += row('integrity', integrityText(s));
    // `shamir_threshold` in the list is the key-group threshold, not a recipient (api/key-layout.ts).
    if (s.unverified?.length) out += row('unverified', column(s.unverified.map((u) => (u === 'shamir_threshold' ? 'shamir_threshold (the key-group threshold)' : u))));
    if (s.selectorDrift) out += row('selector', `drift: ${s.selectorDrift}`);
  }
  const rule = s.rule;
  out += row('rule', rule ? `creation rule ${rule.index} of ${shown(rule.config)}${rule.pathRegex === undefined ? ' (no path_regex: matches every file)' : ` (path_regex ${rule.pathRegex})`}` : 'no .sops.yaml creation rule matches');
  const drift = driftText(s);
  if (drift) out += row('vs rule', drift);
  report(io, out);
  if (s.drift?.missing.length) hint(io, `"envcrypt recipients add KEY ${s.file}" gives a missing recipient access`);
  if (s.drift?.extra.length) hint(io, `"envcrypt recipients remove KEY ${s.file}" takes an extra recipient's access away (new data key)`);
  if (s.encrypted && s.integrity === 'absent') hint(io, `any envcrypt write adds the record, e.g. "envcrypt rotate ${s.file}"; ENVCRYPT_REQUIRE_INTEGRITY=1 refuses files without one`);
  if (s.unverified?.length) hint(io, `confirm a recipient with "envcrypt recipients add KEY ${s.file}" or take it away with "envcrypt recipients remove KEY ${s.file}"`);
  if (s.selectorDrift) warning(io, `${s.file}: ${s.selectorDrift}; new values may be stored in plaintext`);
  if (!s.encrypted && rule) warning(io, `${s.file} is not encrypted, though creation rule ${rule.index} covers it; encrypt it with "envcrypt encrypt ${s.file} --in-place"`);
}

/**
 * `envcrypt status FILE [--json]`: encrypted or not, recipients, last
 * modified, MAC state, the matching rule and recipient drift. A report: exit
 * 0 whether or not the file is encrypted, 3 (after the report) when the MAC
 * or integrity record does not verify; errors for a missing file, a parse
 * error, a damaged file or a broken config.
 */
export const statusCommand: Command = {
  command: 'status <file>',
  describe: 'show whether a file is encrypted, to whom, whether its MAC verifies, and whether it matches its .sops.yaml rule',
  builder: (y) =>
    withIdentity(y)
      .positional('file', { type: 'string', describe: 'the file to report on' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' })
      .option('mac', { type: 'boolean', default: true, describe: 'verify the MAC with the available keys (--no-mac to skip)' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from FILE)' }),
  async handler(args, io) {
    const config = optString(args.config);
    const s = await fileStatus(String(args.file), {
      identityFiles: strings(args.identity),
      env: io.env,
      verifyMac: args.mac !== false,
      onWarning: (m) => warning(io, m),
      ...(config !== undefined ? { configPath: config } : {}),
    });
    const report = s.rule ? { ...s, rule: { ...s.rule, config: shown(s.rule.config) } } : s;
    if (args.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else printText(report, io);
    // The report is printed either way; a MAC or record that does not verify is tampering (exit 3).
    return s.mac === 'mismatch' || s.integrity === 'mismatch' ? ExitCode.mac : 0;
  },
};
