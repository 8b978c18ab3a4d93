/**
 * The sops-file checks of `envcrypt check`: a file a creation rule covers must
 * be encrypted, an encrypted file must hold no plaintext where its selector
 * says ciphertext, and its MAC must verify when a key is at hand.
 */
import { decryptText, integrityRequired } from '../api/decrypt.js';
import { selectorDrift } from '../api/selector-drift.js';
import { looksEncrypted } from '../crypto/cipher.js';
import { readMetadata, type Metadata } from '../stores/metadata.js';
import { compileSelector } from '../crypto/selector.js';
import { describePath } from '../crypto/tree-cipher.js';
import { EnvcryptError } from '../errors.js';
import type { KeyOptions } from '../keys/discovery.js';
import { ruleSource, type MatchedRule } from '../repo/sops-config/rules.js';
import type { Branch } from '../tree/types.js';
import { forEachLeaf } from '../tree/walk.js';
import type { Finding } from './finding.js';
import { isSopsConfig, NO_METADATA_REASON, parseSops, type SopsParse } from '../stores/sniff.js';

/** The creation rule that governs a file, and the config it is in (as shown to the user). */
export interface GoverningRule {
  rule: MatchedRule;
  config: string;
}

/** One file to check, already read. */
export interface SopsCheckInput {
  /** The path as shown in findings. */
  file: string;
  /** The path used for the format (its name) and rule matching. */
  path: string;
  /** The content, or null when binary or too large to parse. */
  text: string | null;
  /** True when the file was larger than the scan cap. */
  truncated: boolean;
  /** The rule that governs it, if any. */
  governing: GoverningRule | null;
  /** The parse, when the caller already has it. */
  parsed?: SopsParse;
}

/** Options for {@link checkSopsFile}. */
export interface SopsCheckOptions extends KeyOptions {
  /** Try to verify MACs (default true). */
  verifyMac?: boolean;
  /** Receives notes shown with `--verbose` (a MAC skipped for want of a key). */
  onInfo?: (message: string) => void;
}

/** The rule as a phrase: `creation rule 2 (path_regex \.env$) of .sops.yaml`. */
export function describeRule(g: GoverningRule): string {
  const how = g.rule.pathRegex === undefined ? '' : ` (path_regex ${g.rule.pathRegex})`;
  return `creation rule ${g.rule.index}${how} of ${g.config}`;
}

/**
 * Leaves the selector encrypts but that hold plaintext, as findings; and one
 * warning for plaintext comments the selector would have encrypted (sops
 * reads such files, and comments are not in the MAC, but one may hold a
 * secret someone pasted in by hand).
 */
export function plaintextLeaks(file: string, branches: readonly Branch[], md: Metadata): Finding[] {
  const isEnc = compileSelector(md.selector);
  const paths = new Map<string, string>();
  let comments = 0;
  forEachLeaf(branches, (node, ctx) => {
    if (node.kind === 'null') return;
    if (node.kind === 'comment') {
      const t = node.text.trim();
      if (t !== '' && !looksEncrypted(t) && isEnc(node, ctx)) comments++;
      return;
    }
    if (!isEnc(node, ctx)) return;
    if (node.kind === 'str' && (node.value === '' || looksEncrypted(node.value))) return;
    const where = describePath(ctx.path);
    if (!paths.has(where)) paths.set(where, node.kind === 'str' ? 'plaintext' : `a plain ${node.kind}`);
  });
  const out: Finding[] = [...paths].map(([where, what]) => ({
    file,
    rule: 'plaintext-value',
    severity: 'error',
    message: `value at ${where} should be encrypted but is ${what}`,
  }));
  if (comments > 0) {
    out.push({
      file,
      rule: 'plaintext-comment',
      severity: 'warning',
      message: `${comments} comment${comments === 1 ? ' is' : 's are'} in plaintext where the file's ${md.selector.kind} selector would encrypt ${comments === 1 ? 'it' : 'them'}`,
    });
  }
  return out;
}

/**
 * What the file's authentication leaves open: no integrity record (a sops
 * file, or a record someone removed), recipients nothing vouches for, and a
 * selector that differs from the rule's (or the default).
 */
export function authenticationFindings(file: string, md: Metadata, governing: GoverningRule | null, opts: SopsCheckOptions = {}): Finding[] {
  const out: Finding[] = [];
  if (md.integrity === undefined) {
    const required = integrityRequired(opts.env ?? process.env);
    out.push({
      file,
      rule: 'no-integrity',
      severity: required ? 'error' : 'warning',
      message: `no integrity record: key names, empty and unencrypted values, the selector and the recipient list are not authenticated${required ? ' (ENVCRYPT_REQUIRE_INTEGRITY is set)' : ''}`,
    });
  } else if (md.unverified.length > 0) {
    // `shamir_threshold` in the list is the key-group threshold, not a recipient (api/key-layout.ts).
    const rs = md.unverified.filter((r) => r !== 'shamir_threshold');
    if (rs.length > 0) out.push({ file, rule: 'unverified-recipient', severity: 'warning', message: `recipients nothing vouches for: ${rs.join(', ')} (confirm with "envcrypt recipients add", or remove)` });
    if (rs.length < md.unverified.length) {
      out.push({ file, rule: 'unverified-recipient', severity: 'warning', message: `the key-group shamir_threshold ${md.shamirThreshold ?? ''} is not vouched for (set it in the .sops.yaml creation rule to confirm it)` });
    }
  }
  const rule = governing ? { vouched: new Map<string, string>(), ...(governing.rule.selector ? { selector: governing.rule.selector } : {}), source: ruleSource(governing.config, governing.rule) } : null;
  const drift = selectorDrift(md.selector, rule);
  if (drift) out.push({ file, rule: 'selector-drift', severity: 'error', message: `${drift}; new values may be stored in plaintext` });
  return out;
}

async function macFinding(input: SopsCheckInput, text: string, format: SopsParse['format'], opts: SopsCheckOptions): Promise<Finding | null> {
  try {
    const keys: KeyOptions = {
      ...(opts.identityFiles ? { identityFiles: opts.identityFiles } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      ...(opts.sshPassphrase ? { sshPassphrase: opts.sshPassphrase } : {}),
    };
    // The name is only for messages here: the format was already chosen.
    await decryptText(text, input.file, { ...keys, ...(format ? { format } : {}) });
    return null;
  } catch (e) {
    if (!(e instanceof EnvcryptError)) throw e;
    if (e.code === 'NO_IDENTITY' || e.code === 'UNSUPPORTED') {
      opts.onInfo?.(`${input.file}: MAC not checked (${e.code === 'NO_IDENTITY' ? 'no key for it' : e.message})`);
      return null;
    }
    if (e.code === 'MAC_MISMATCH' || e.code === 'DECRYPT_FAILED') {
      return { file: input.file, rule: 'mac', severity: 'error', message: e.message.replace(` in ${input.file}`, '') };
    }
    // A key source that cannot be read is the machine's problem, not the file's.
    return { file: input.file, rule: 'unchecked', severity: 'warning', message: `MAC not checked: ${e.message}` };
  }
}

/**
 * Run the sops-file checks on one file.
 *
 * @returns findings: `not-encrypted` (a governed file without sops metadata),
 *   `parse` (a sops file that does not parse or has bad metadata),
 *   `plaintext-value`, `plaintext-comment`, `mac`, and `unchecked`
 */
export async function checkSopsFile(input: SopsCheckInput, opts: SopsCheckOptions = {}): Promise<Finding[]> {
  const { file, governing } = input;
  const governed = governing !== null && governing.rule.pathRegex !== undefined && !isSopsConfig(input.path);
  if (input.text === null) {
    if (!governed) return [];
    if (input.truncated) return [{ file, rule: 'unchecked', severity: 'warning', message: `too large to check, though ${describeRule(governing)} covers it` }];
    return [{ file, rule: 'not-encrypted', severity: 'error', message: `${describeRule(governing)} covers it, but it is not encrypted (it is a binary file)` }];
  }
  const parsed = input.parsed ?? (await parseSops(input.path, input.text));
  if (parsed.kind === 'broken') {
    const at = parsed.position ? ` (line ${parsed.position.line}, column ${parsed.position.column})` : '';
    const message = parsed.reason === NO_METADATA_REASON ? `damaged: ${parsed.reason} (truncated or cut apart?)` : `holds encrypted values but does not parse${at}: ${parsed.reason}`;
    return [{ file, ...(parsed.position ? { line: parsed.position.line } : {}), rule: 'parse', severity: 'error', message }];
  }
  if (parsed.kind === 'plain') {
    return governed ? [{ file, rule: 'not-encrypted', severity: 'error', message: `${describeRule(governing)} covers it, but it is not encrypted` }] : [];
  }
  let md: Metadata;
  try {
    md = readMetadata(parsed.metadata);
  } catch (e) {
    if (!(e instanceof EnvcryptError)) throw e;
    return [{ file, rule: 'parse', severity: 'error', message: e.message }];
  }
  const findings = [...plaintextLeaks(file, parsed.branches, md), ...authenticationFindings(file, md, governing, opts)];
  // Decrypting would stop at the same leaked value, so the MAC adds nothing
  // then; a drifted selector, though, may come with tampering only the MAC or
  // the integrity record can show.
  if (opts.verifyMac !== false && !findings.some((f) => f.severity === 'error' && f.rule === 'plaintext-value')) {
    const mac = await macFinding(input, input.text, parsed.format, opts);
    if (mac) findings.push(mac);
  }
  return findings;
}
