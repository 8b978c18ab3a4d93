/**
 * `envcrypt status FILE`: what a file is, who can read it, whether its MAC
 * verifies, and whether its recipients still match its `.sops.yaml` rule.
 */
import { groupsNeeded } from '../crypto/key-groups.js';
import { ageRecipients, readMetadata } from '../stores/metadata.js';
import { EnvcryptError } from '../errors.js';
import { isBinary, openInput, readPrefix } from '../io/read.js';
import type { KeyOptions } from '../keys/discovery.js';
import { normalRecipient } from '../keys/recipient.js';
import { damagedError, NO_METADATA_REASON, parseSops } from '../stores/sniff.js';
import { findConfig } from '../repo/sops-config/find.js';
import { loadConfig, matchRule } from '../repo/sops-config/rules.js';
import type { Format } from '../stores/store.js';
import { decryptText } from './decrypt.js';
import { selectorDrift } from './selector-drift.js';
import { governingRule } from './vouch.js';

/** Files larger than this are not sops files envcrypt would write; they are reported as not encrypted. */
const MAX_STATUS_BYTES = 64 * 1024 * 1024;

/** The outcome of verifying the MAC. */
export type MacState = 'ok' | 'mismatch' | 'no key' | 'n/a';

/** The creation rule that matches the file. */
export interface StatusRule {
  /** The `.sops.yaml` it is in. */
  config: string;
  /** 1-based position in `creation_rules`. */
  index: number;
  /** Absent for a catch-all rule. */
  pathRegex?: string;
  /** The rule's age recipients. */
  recipients: string[];
}

/** Recipients the file and its rule disagree on. */
export interface RecipientDrift {
  /** In the rule but not in the file: `envcrypt recipients add` would give them access. */
  missing: string[];
  /** In the file but not in the rule: they can read it though the rule does not list them. */
  extra: string[];
}

/** What {@link fileStatus} reports. */
export interface FileStatus {
  file: string;
  /** The format used to read it, or null when its name and content say nothing. */
  format: Format | null;
  encrypted: boolean;
  /** Age recipients in the metadata (empty when not encrypted). */
  recipients: string[];
  /** With several key groups: each group's age recipients, and how many groups rebuild the data key. */
  groups?: string[][];
  shamirThreshold?: number;
  /** Other master key types in the metadata (`pgp`, `kms`, …), which envcrypt cannot use. */
  otherKeyTypes: string[];
  lastmodified?: string;
  /** The sops version that wrote it (envcrypt writes the format of sops 3.13.2). */
  version?: string;
  /** Who wrote it: `envcrypt` when it has an envcrypt integrity record, else `sops`. */
  writtenBy?: 'envcrypt' | 'sops';
  /** `n/a` when not encrypted or when not asked to verify. */
  mac: MacState;
  /** Why the MAC is `mismatch` (or `n/a` for a file envcrypt cannot open); never a value. */
  macDetail?: string;
  /** The matching creation rule, or null when no config or no rule matches. */
  rule: StatusRule | null;
  /** Null when there is nothing to compare (not encrypted, or no rule). */
  drift: RecipientDrift | null;
  /**
   * envcrypt's integrity record: `verified` (checked with your key),
   * `present` (not checked: no key, or `--no-mac`), `mismatch`, or `absent`
   * (written by sops, or the record was removed: key names, empty and
   * unencrypted values, the selector and the recipient list are not
   * authenticated). `n/a` when not encrypted.
   */
  integrity?: 'verified' | 'present' | 'mismatch' | 'absent';
  /** Recipients nothing vouches for: the data key is never newly wrapped for them (all of them when there is no record). */
  unverified?: string[];
  /** How the file's selector differs from its rule's (or the default), or null. */
  selectorDrift?: string | null;
}

/** Options for {@link fileStatus}. */
export interface StatusOptions extends KeyOptions {
  /** `--config PATH` (default: searched upward from the file). */
  configPath?: string;
  /** Try to verify the MAC with the available keys. @defaultValue true */
  verifyMac?: boolean;
}

// openInput: a regular file only (a FIFO would block the open, a device
// never end); the size rule below is status's own, not the input cap.
function readForStatus(path: string): Buffer {
  const { fd, stats, close } = openInput(path);
  try {
    return readPrefix(fd, Math.min(stats.size, MAX_STATUS_BYTES + 1));
  } finally {
    close();
  }
}

/** Recipients in the rule and not in the file, and the other way round. */
export function recipientDrift(fileRecipients: readonly string[], ruleRecipients: readonly string[]): RecipientDrift {
  const inFile = new Set(fileRecipients.map(normalRecipient));
  const inRule = new Set(ruleRecipients.map(normalRecipient));
  return { missing: [...inRule].filter((r) => !inFile.has(r)), extra: [...inFile].filter((r) => !inRule.has(r)) };
}

function ruleFor(path: string, opts: StatusOptions): StatusRule | null {
  const configPath = findConfig(path, { ...(opts.configPath ? { configPath: opts.configPath } : {}), env: opts.env ?? process.env, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
  if (configPath === null) return null;
  const rule = matchRule(loadConfig(configPath), configPath, path);
  if (!rule) return null;
  return { config: configPath, index: rule.index, recipients: rule.recipients, ...(rule.pathRegex !== undefined ? { pathRegex: rule.pathRegex } : {}) };
}

async function macState(text: string, path: string, format: Format, opts: StatusOptions): Promise<Pick<FileStatus, 'mac' | 'macDetail'>> {
  try {
    await decryptText(text, path, { ...opts, format });
    return { mac: 'ok' };
  } catch (e) {
    if (!(e instanceof EnvcryptError)) throw e;
    if (e.code === 'NO_IDENTITY') return { mac: 'no key' };
    if (e.code === 'MAC_MISMATCH' || e.code === 'DECRYPT_FAILED') return { mac: 'mismatch', macDetail: e.message };
    // A file envcrypt cannot open is a fact about it, not a failure of status.
    if (e.code === 'UNSUPPORTED') return { mac: 'n/a', macDetail: e.message };
    throw e;
  }
}

/**
 * Report on one file. Needs no key for anything but the MAC; without a key
 * the MAC is `no key`. A file that is not encrypted is a normal answer.
 *
 * @throws EnvcryptError `NOT_FOUND` for a missing file, `PARSE`/`BAD_METADATA`
 *   for an encrypted file that does not parse or has invalid metadata, config
 *   errors as `loadConfig`
 */
export async function fileStatus(path: string, opts: StatusOptions = {}): Promise<FileStatus> {
  const buf = readForStatus(path);
  const rule = ruleFor(path, opts);
  const base: FileStatus = { file: path, format: null, encrypted: false, recipients: [], otherKeyTypes: [], mac: 'n/a', rule, drift: null };
  if (buf.length > MAX_STATUS_BYTES || isBinary(buf)) return base;
  const text = buf.toString('utf8');
  const parsed = await parseSops(path, text);
  if (parsed.kind === 'broken') {
    throw damagedError(path, parsed.reason === NO_METADATA_REASON ? parsed.reason : `it holds encrypted values but does not parse: ${parsed.reason}`, parsed.position);
  }
  if (parsed.kind === 'plain') return { ...base, format: parsed.format };
  let md;
  try {
    md = readMetadata(parsed.metadata);
  } catch (e) {
    if (e instanceof EnvcryptError) e.inFile(path);
    throw e;
  }
  const recipients = ageRecipients(md);
  const status: FileStatus = {
    ...base,
    format: parsed.format,
    encrypted: true,
    recipients,
    ...(md.groups.length > 1 ? { groups: md.groups.map((g) => g.age.map((e) => e.recipient)), shamirThreshold: groupsNeeded(md) } : {}),
    otherKeyTypes: [...new Set(md.groups.flatMap((g) => g.other.map((p) => p.key)))],
    lastmodified: md.lastmodified,
    version: md.version,
    writtenBy: md.integrity === undefined ? 'sops' : 'envcrypt',
    drift: rule ? recipientDrift(recipients, rule.recipients) : null,
    integrity: md.integrity === undefined ? 'absent' : 'present',
    unverified: md.integrity === undefined ? recipients : md.unverified,
    selectorDrift: selectorDrift(md.selector, governingRule(path, { env: opts.env ?? process.env, ...(opts.configPath ? { configPath: opts.configPath } : {}) })),
  };
  if (opts.verifyMac === false) return status;
  const mac = await macState(text, path, parsed.format, opts);
  const integrity = status.integrity === 'absent' ? 'absent' : mac.mac === 'ok' ? 'verified' : mac.mac === 'mismatch' ? 'mismatch' : 'present';
  return { ...status, ...mac, integrity };
}
