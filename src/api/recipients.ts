/**
 * `recipients list|add|remove`: who can open a file, and changing that.
 *
 * Adding re-wraps the file's existing data key for the new recipient (as
 * `sops updatekeys` does): no value, MAC or `lastmodified` changes. Removing
 * makes a new data key, since the leaver knows the old one, and re-encrypts
 * every value under it. With no files named, both apply to every encrypted
 * file of the repository and update `.sops.yaml` too.
 */
import { existsSync } from 'node:fs';
import { coveredOf, integrityRecord } from '../crypto/integrity.js';
import { ageRecipients, readMetadata, type Metadata } from '../stores/metadata.js';
import { EnvcryptError } from '../errors.js';
import { readTextFile } from '../io/read.js';
import { wrapDataKey } from '../keys/age/wrap.js';
import { publicKeyOf } from '../keys/keygen.js';
import { checkPqMix, normalRecipient, parseRecipient, recipientKey, shortRecipient, type ParsedRecipient } from '../keys/recipient.js';
import { sshPublicKeyOf } from '../keys/ssh/key.js';
import { findConfig } from '../repo/sops-config/find.js';
import { resolveTargets, shownPath, type RepoScan, type TargetOptions } from '../repo/files.js';
import { loadConfig, matchRule } from '../repo/sops-config/rules.js';
import { addRecipientToRules, removeRecipientFromRules } from '../repo/sops-config/edit.js';
import { formatFor, storeFor } from '../stores/index.js';
import type { Format, Store } from '../stores/store.js';
import type { Branch } from '../tree/types.js';
import { emitOptionsFor, rekeyFile, type ChangePlan, type ConfigPlan, type FilePlan, type RekeyOptions } from './rotate.js';
import { shareKeySources } from '../keys/discovery.js';
import { decryptText } from './decrypt.js';
import { encryptBranches, vouchedByRecord, type Grant } from './encrypt.js';
import { layoutOf, vouchKey } from './key-layout.js';
import { describeGroups, groupsNeeded } from '../crypto/key-groups.js';
import type { DecryptedFile } from './decrypt.js';
import { emitChecked } from './seal.js';
import { announceGrants, governingRule, type GoverningRule } from './vouch.js';

// How the CLI names a recipient in its messages.
export { shortRecipient } from '../keys/recipient.js';

/** A plan for adding or removing one recipient. */
export interface RecipientPlan extends ChangePlan {
  /** The recipient, normalised (a public key even when KEY named an identity file). */
  recipient: string;
}

/** One file's recipients, as `recipients list --json` prints them. */
export interface RecipientsEntry {
  file: string;
  recipients: string[];
  /** With several key groups: each group's recipients, and how many groups rebuild the data key. */
  groups?: string[][];
  shamirThreshold?: number;
}

/** Options for {@link planAddRecipient}. */
export interface AddOptions extends RekeyOptions {
  /**
   * The key group (1-based) the recipient joins. Required for a file with
   * several groups; a file with one group takes 1 or nothing.
   */
  group?: number;
}

const FORMS = 'give age1…, age1pq1…, an age plugin recipient age1<name>1…, "ssh-ed25519 AAAA…", "ssh-rsa AAAA…", or the path of a .pub file or an identity file';

/**
 * The recipients a file names, normalised: the public key of an identity
 * file or SSH private key, or else every line that is not blank or a `#`
 * comment, each a recipient, as `age -R` reads a recipients file (`encrypt
 * -R`, `edit -R`).
 *
 * @throws EnvcryptError `NOT_FOUND` for a missing file; `BAD_KEY` with the
 *   file and line of a line that is not a recipient; `USAGE` for a file with none
 */
export async function resolveRecipientsFile(path: string): Promise<string[]> {
  const text = readTextFile(path);
  if (/^-----BEGIN (OPENSSH|RSA|EC|DSA)? ?PRIVATE KEY-----/m.test(text)) return [parseRecipient(sshPublicKeyOf(text, path)).text];
  if (/AGE-SECRET-KEY-/i.test(text)) {
    const rs = await publicKeyOf(text, path);
    if (rs.length !== 1) throw new EnvcryptError('USAGE', `${path} holds ${rs.length} identities; name one recipient instead`, { hints: [FORMS] });
    return [parseRecipient(rs[0]!).text];
  }
  const out: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      out.push(parseRecipient(line).text);
    } catch (e) {
      // file:line, and never the line itself: it may be a secret pasted in the wrong file.
      if (e instanceof EnvcryptError) throw new EnvcryptError('BAD_KEY', 'this line is not a public key', { cause: e, file: path, position: { line: i + 1, column: raw.length - raw.trimStart().length + 1 }, hints: [FORMS] });
      throw e;
    }
  }
  if (out.length === 0) throw new EnvcryptError('USAGE', `${path} holds no recipient`, { hints: [FORMS] });
  return out;
}

/** The one public key in a file named as KEY (`recipients add`, `remove`). */
async function recipientFromFile(path: string): Promise<string> {
  const rs = await resolveRecipientsFile(path);
  if (rs.length !== 1) {
    throw new EnvcryptError('USAGE', `${path} holds ${rs.length} keys; expected exactly one public key or identity`, {
      hints: [FORMS, 'to encrypt to every recipient of a list, use "envcrypt encrypt -R FILE" (or edit -R)'],
    });
  }
  return rs[0]!;
}

/**
 * Turn the KEY argument into a validated recipient: an `age1…`/`age1pq1…`
 * string, an `ssh-ed25519`/`ssh-rsa` public key line, or the path of a file
 * holding one (a `.pub` file), an age identity file, or an SSH private key
 * (whose public key is derived; the private key is never stored).
 *
 * @throws EnvcryptError `BAD_KEY` naming the accepted forms; `NOT_FOUND` for a
 *   path that does not exist
 */
export async function resolveRecipient(key: string): Promise<ParsedRecipient> {
  const s = key.trim();
  if (/^(age1|ssh-)/.test(s) || /^age-secret-key-/i.test(s)) return parseRecipient(s);
  if (existsSync(s)) return parseRecipient(await recipientFromFile(s));
  if (/[/\\]|\.(pub|txt|key)$/.test(s)) throw new EnvcryptError('NOT_FOUND', `no such file: ${s}`, { hints: [FORMS] });
  try {
    return parseRecipient(s);
  } catch (e) {
    if (e instanceof EnvcryptError) e.hints.push('or the path of a .pub file or an identity file');
    throw e;
  }
}

/**
 * The age recipients of each file, read from the metadata alone (no key is
 * needed). With no files, every encrypted file of the repository that a
 * `.sops.yaml` rule matches.
 *
 * @throws EnvcryptError `NOT_ENCRYPTED` for a named file without sops metadata
 */
export async function listRecipients(files: readonly string[], opts: TargetOptions = {}): Promise<RecipientsEntry[]> {
  const targets = await resolveTargets(files, opts);
  const out: RecipientsEntry[] = [];
  for (const file of targets.files) {
    const { md } = await readEncrypted(file);
    out.push({ file, recipients: ageRecipients(md), ...(md.groups.length > 1 ? { groups: layoutOf(md), shamirThreshold: groupsNeeded(md) } : {}) });
  }
  return out;
}

/** A file's parts as read, without decrypting anything. */
interface ReadEncrypted {
  text: string;
  format: Format;
  store: Store;
  /** The encrypted branches, written back as they are when only the metadata changes. */
  branches: Branch[];
  md: Metadata;
}

async function readEncrypted(file: string): Promise<ReadEncrypted> {
  const text = readTextFile(file);
  const format = formatFor(file, undefined, undefined, text);
  const store = await storeFor(format);
  try {
    const parsed = store.parseEncrypted(text);
    if (!parsed.metadata) {
      throw new EnvcryptError('NOT_ENCRYPTED', `${file} is not encrypted (it has no sops metadata)`, { file, hints: [`encrypt it with "envcrypt encrypt ${file}"`] });
    }
    return { text, format, store, branches: parsed.branches, md: readMetadata(parsed.metadata) };
  } catch (e) {
    if (e instanceof EnvcryptError) e.inFile(file);
    throw e;
  }
}

/**
 * Wrap the file's data key for `r`, or confirm `r` when the file lists it but
 * nothing vouches for it (its stanza was not made by envcrypt: it is replaced
 * by a fresh wrap of the real key). The file is decrypted first, with its
 * integrity record and MAC verified, so that a tampered file is never signed.
 * Values, the MAC and `lastmodified` stay as they are (like sops updatekeys).
 */
async function addToFile(file: string, r: ParsedRecipient, opts: AddOptions): Promise<FilePlan> {
  const text = readTextFile(file);
  const format = formatFor(file, undefined, undefined, text);
  const store = await storeFor(format);
  const dec = await decryptText(text, file, { ...opts, format });
  const md = dec.metadata;
  const n = md.groups.length;
  const g = groupFor(file, md, r, opts.group);
  const fromRecord = vouchedByRecord(dec);
  const listed = md.groups[g]!.age.some((e) => recipientKey(normalRecipient(e.recipient)) === recipientKey(r.text));
  if (listed && [...fromRecord].some((c) => c === vouchKey(n, g, r.text) || (n === 1 && recipientKey(c) === recipientKey(r.text)))) {
    return { file, before: text, after: null, note: `${file} already lists ${shortRecipient(r.text)}${n > 1 ? ` in key group ${g + 1}` : ''}`, keys: [] };
  }
  checkPqMix([...ageRecipients(md).map(normalRecipient).flatMap((c) => { try { return [parseRecipient(c)]; } catch { return []; } }), r]);
  const rule = governingRule(file, { env: opts.env ?? process.env, ...(opts.configPath ? { configPath: opts.configPath } : {}) });
  if (n > 1) return addToGroup(file, text, dec, g, r, rule, opts);
  const fresh = { recipient: r.text, enc: await wrapDataKey(dec.dataKey, r) };
  const g0 = md.groups[0]!;
  const age = listed ? g0.age.map((e) => (recipientKey(normalRecipient(e.recipient)) === recipientKey(r.text) ? fresh : e)) : [...g0.age, fresh];
  const grants: Grant[] = [{ recipient: r.text, source: '"envcrypt recipients add"', added: !listed, wrapped: true }];
  const unverified: string[] = [];
  for (const x of age.map((e) => normalRecipient(e.recipient))) {
    if (x === r.text || fromRecord.has(x)) continue;
    const source = rule?.vouched.get(x);
    if (source === undefined) unverified.push(x);
    else grants.push({ recipient: x, source, added: false, wrapped: false });
  }
  const next: Metadata = { ...md, groups: [{ ...g0, age }], unverified };
  next.integrity = integrityRecord(dec.encrypted, coveredOf(next), dec.dataKey);
  announceGrants(file, grants, opts.onWarning, dec.integrity !== 'verified');
  // The encrypted branches as read: no value, MAC or lastmodified changes.
  const after = emitChecked(store, { branches: dec.encrypted, metadata: next, dataKey: dec.dataKey, grants, firstRecord: dec.integrity !== 'verified' }, dec.branches, file, emitOptionsFor(file, format, opts));
  return { file, before: text, after, keys: [], grants };
}

/** Which key group (0-based) a recipient joins: `--group N`, or the only one. */
function groupFor(file: string, md: Metadata, r: ParsedRecipient, group: number | undefined): number {
  const n = md.groups.length;
  if (group === undefined) {
    if (n === 1) return 0;
    throw new EnvcryptError('USAGE', `${file} has ${n} key groups: say which one ${shortRecipient(r.text)} joins with --group N`, {
      file,
      hints: [...describeGroups(md), `a member of a group can open only that group's share; ${groupsNeeded(md)} groups together rebuild the data key`],
    });
  }
  if (!Number.isInteger(group) || group < 1 || group > n) {
    throw new EnvcryptError('USAGE', `--group ${group} does not exist in ${file}, which has ${n} key group${n === 1 ? '' : 's'}`, { file, hints: describeGroups(md) });
  }
  return group - 1;
}

/**
 * Add `r` to key group `g` of a file with several: its share is wrapped for
 * `r` (a listed but unvouched stanza is replaced by a fresh wrap). When this
 * process did not open that group, the same data key is split afresh, which
 * needs every member and the threshold vouched for. Values keep their
 * ciphertext; `lastmodified` and the MAC change.
 */
async function addToGroup(file: string, text: string, dec: DecryptedFile, g: number, r: ParsedRecipient, rule: GoverningRule | null, opts: AddOptions): Promise<FilePlan> {
  const md = dec.metadata;
  const same = (e: { recipient: string }) => recipientKey(normalRecipient(e.recipient)) === recipientKey(r.text);
  // Drop a listed stanza from the previous version, so that it is wrapped afresh rather than kept.
  const previous: DecryptedFile = { ...dec, metadata: { ...md, groups: md.groups.map((G, i) => (i === g ? { ...G, age: G.age.filter((e) => !same(e)) } : G)) } };
  const layout = layoutOf(previous.metadata);
  layout[g]!.push(r.text);
  const vouched = new Map(rule?.vouched ?? []);
  vouched.set(vouchKey(md.groups.length, g, r.text), '"envcrypt recipients add"');
  const enc = await encryptBranches(dec.branches, {
    recipients: layout.flat(),
    groups: layout,
    previous,
    vouched,
    ...(rule?.threshold !== undefined ? { vouchedThreshold: rule.threshold } : {}),
  });
  announceGrants(file, enc.grants, opts.onWarning, enc.firstRecord);
  const format = formatFor(file);
  const after = emitChecked(await storeFor(format), enc, dec.branches, file, emitOptionsFor(file, format, opts));
  return { file, before: text, after, keys: [], grants: enc.grants };
}

function configPlans(scan: RepoScan, edit: (text: string, file: string, rules: number[]) => { text: string; changed: number[] }, rulesOf: (config: string) => number[]): ConfigPlan[] {
  const out: ConfigPlan[] = [];
  for (const path of scan.configs.keys()) {
    const file = shownPath(path, process.cwd());
    const before = readTextFile(path);
    const r = edit(before, file, rulesOf(path));
    if (r.changed.length > 0) out.push({ file, before, after: r.text, rules: r.changed });
  }
  return out;
}

/**
 * Plan adding a recipient: each file's existing data key is unwrapped with
 * your identity and wrapped for `key` too. A file that already lists it is
 * left alone (with a note).
 *
 * With no files, every encrypted file of the repository matched by a rule is
 * changed, and `key` is added to **each creation rule that matched at least
 * one of those files**. Rules that matched none are left alone (and named in
 * a note): adding a member to every rule would grant access to secrets that
 * do not exist yet, which is a decision for a human.
 *
 * @param key - see {@link resolveRecipient}
 * @throws EnvcryptError before anything is written, on any file's failure
 */
export async function planAddRecipient(key: string, files: readonly string[], options: AddOptions = {}): Promise<RecipientPlan> {
  const opts: AddOptions = { ...shareKeySources(options), ...(options.group !== undefined ? { group: options.group } : {}) };
  const r = await resolveRecipient(key);
  const targets = await resolveTargets(files, opts);
  const plans: FilePlan[] = [];
  for (const f of targets.files) plans.push(await addToFile(f, r, opts));
  const notes: string[] = [];
  let configs: ConfigPlan[] = [];
  const scan = targets.scan;
  if (scan) {
    const matched = (config: string) => [...new Set(scan.files.filter((f) => f.configPath === config).map((f) => f.rule))];
    configs = configPlans(scan, (text, file, rules) => addRecipientToRules(text, file, r.text, rules, opts.group), matched);
    for (const [path, config] of scan.configs) {
      for (const rule of config.creationRules ?? []) {
        if (rule.recipients.length > 0 && !rule.recipients.some((x) => recipientKey(x) === recipientKey(r.text)) && !matched(path).includes(rule.index)) {
          notes.push(`rule ${rule.index} of ${shownPath(path, process.cwd())} matched no encrypted file and was left unchanged; add the key there by hand if it should apply`);
        }
      }
    }
  }
  return { recipient: r.text, files: plans, configs, configsFirst: false, notes };
}

/**
 * Plan removing a recipient: each file that lists it is decrypted (MAC
 * verified) and re-encrypted under a **new data key** for the remaining
 * recipients, since the leaver knows the old key. Files that do not list it
 * are left alone (with a note). Removing a file's last recipient is refused.
 *
 * With no files, every encrypted file of the repository matched by a rule is
 * handled, and the key is removed from every creation rule that lists it.
 * With files named, `.sops.yaml` is left alone and a note says when a rule
 * governing one of them still lists the key.
 *
 * @throws EnvcryptError `REFUSED` for a last recipient; any other failure,
 *   before anything is written
 */
export async function planRemoveRecipient(key: string, files: readonly string[], options: RekeyOptions = {}): Promise<RecipientPlan> {
  const opts = shareKeySources(options);
  const r = await resolveRecipient(key);
  const targets = await resolveTargets(files, opts);
  const plans: FilePlan[] = [];
  for (const f of targets.files) {
    plans.push(
      await rekeyFile(f, opts, (current) => {
        const gone = recipientKey(r.text);
        if (!current.some((g) => g.some((c) => recipientKey(c) === gone))) return `${f} does not list ${shortRecipient(r.text)}`;
        // Out of every group that lists it.
        const rest = current.map((g) => g.filter((c) => recipientKey(c) !== gone));
        if (rest.every((g) => g.length === 0)) {
          throw new EnvcryptError('REFUSED', `refusing to remove ${shortRecipient(r.text)}, the last recipient of ${f}: nobody could decrypt it`, {
            file: f,
            hints: ['add the new owner first with "envcrypt recipients add <key>", then remove this one', 'or delete the file if its secrets are no longer needed'],
          });
        }
        const empty = rest.findIndex((g) => g.length === 0);
        if (empty >= 0) {
          throw new EnvcryptError('REFUSED', `refusing to remove ${shortRecipient(r.text)}, the last recipient of key group ${empty + 1} of ${f}: that group's share of the data key would be lost`, {
            file: f,
            hints: [`add someone to key group ${empty + 1} first with "envcrypt recipients add <key> --group ${empty + 1} ${f}", then remove this one`],
          });
        }
        return rest;
      }),
    );
  }
  const notes: string[] = [];
  let configs: ConfigPlan[] = [];
  if (targets.scan) configs = configPlans(targets.scan, (text, file) => removeRecipientFromRules(text, file, r.text), () => []);
  else notes.push(...stillListed(targets.files, r.text, opts));
  return { recipient: r.text, files: plans, configs, configsFirst: true, notes };
}

/** Notes for named files whose creation rule still lists the removed key. */
function stillListed(files: readonly string[], r: string, opts: TargetOptions): string[] {
  const out = new Set<string>();
  for (const f of files) {
    const configPath = findConfig(f, { ...(opts.configPath ? { configPath: opts.configPath } : {}), env: opts.env ?? process.env });
    if (configPath === null || !existsSync(configPath)) continue;
    const rule = matchRule(loadConfig(configPath), configPath, f);
    if (rule?.recipients.some((x) => recipientKey(x) === recipientKey(r))) {
      out.add(`rule ${rule.index} of ${configPath} still lists ${shortRecipient(r)}, so new files will be encrypted to it; run "envcrypt recipients remove" without files to update every file and the config`);
    }
  }
  return [...out];
}
