import { listRecipients, planAddRecipient, planRemoveRecipient, shortRecipient } from '../../api/recipients.js';
import { changedFiles, commitPlan, planGrants, type ChangePlan, type RekeyOptions } from '../../api/rotate.js';
import { EnvcryptError } from '../../errors.js';
import { optString, strings, type Args, type Command } from '../command.js';
import { withIdentity } from '../shared-options.js';
import { escapeLine, note, report, warning, type Io } from '../output.js';

const ACTIONS = ['list', 'add', 'remove'] as const;

/** Library options from the shared flags. */
export function rekeyOptions(args: Args, io: Io): RekeyOptions {
  const config = optString(args.config);
  return {
    identityFiles: strings(args.identity),
    env: io.env,
    onWarning: (m) => warning(io, m),
    ...(config !== undefined ? { configPath: config } : {}),
  };
}

/**
 * Print a plan's notes, write it unless `dryRun`, then say what changed.
 * `what(file, dryRun)` words one file's change ("added …" or "would add …").
 */
export function finishPlan(plan: ChangePlan, io: Io, dryRun: boolean, what: (file: string, dryRun: boolean) => string): void {
  for (const f of plan.files) if (f.note) note(io, `${f.note}; unchanged`);
  for (const n of plan.notes) note(io, n);
  if (changedFiles(plan).length === 0 && plan.configs.length === 0) {
    note(io, 'nothing to change');
    return;
  }
  if (!dryRun) commitPlan(plan);
  for (const f of changedFiles(plan)) note(io, what(f.file, dryRun));
  for (const c of plan.configs) note(io, `${c.file}: creation rule${c.rules.length === 1 ? '' : 's'} ${c.rules.join(', ')} ${dryRun ? 'would be ' : ''}updated`);
  if (dryRun) note(io, 'dry run: nothing was written');
}

async function list(files: string[], args: Args, io: Io): Promise<number> {
  const entries = await listRecipients(files, rekeyOptions(args, io));
  if (args.json) {
    io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  if (entries.length === 0) note(io, 'no encrypted files found');
  for (const e of entries) {
    // One line per recipient: one read from the file may hold a line feed.
    if (!e.groups) report(io, `${escapeLine(e.file)}\n${e.recipients.map((r) => `  ${escapeLine(r)}\n`).join('')}`);
    else report(io, `${escapeLine(e.file)} (${e.shamirThreshold} of ${e.groups.length} key groups)\n${e.groups.map((g, i) => `  group ${i + 1}:\n${g.map((r) => `    ${escapeLine(r)}\n`).join('')}`).join('')}`);
  }
  return 0;
}

function needKey(action: string, rest: string[]): [string, string[]] {
  const [key, ...files] = rest;
  if (key === undefined || key.trim() === '') {
    throw new EnvcryptError('USAGE', `recipients ${action} needs a KEY`, {
      hints: [`usage: envcrypt recipients ${action} KEY [FILE…]; KEY is age1…, age1pq1…, "ssh-ed25519 AAAA…", or a .pub or identity file`],
    });
  }
  return [key, files];
}

function nothingFound(plan: ChangePlan): void {
  if (plan.files.length === 0 && plan.configs.length === 0) {
    throw new EnvcryptError('NOT_FOUND', 'no encrypted file in this repository matches a .sops.yaml creation rule', {
      hints: ['name the files to change', 'or check the path_regex of the creation rules'],
    });
  }
}

async function add(rest: string[], args: Args, io: Io): Promise<number> {
  const [key, files] = needKey('add', rest);
  const group = args.group === undefined ? undefined : Number(args.group);
  const plan = await planAddRecipient(key, files, { ...rekeyOptions(args, io), ...(group !== undefined ? { group } : {}) });
  nothingFound(plan);
  finishPlan(plan, io, !!args['dry-run'], (f, dry) => `${dry ? 'would add' : 'added'} ${shortRecipient(plan.recipient)} to ${f}`);
  if (args.json) io.stdout(`${JSON.stringify({ files: changedFiles(plan).map((f) => f.file), configs: plan.configs.map((c) => c.file), grants: planGrants(plan) })}\n`);
  return 0;
}

async function remove(rest: string[], args: Args, io: Io): Promise<number> {
  const [key, files] = needKey('remove', rest);
  const plan = await planRemoveRecipient(key, files, rekeyOptions(args, io));
  nothingFound(plan);
  const changed = changedFiles(plan);
  const keys = [...new Set(changed.flatMap((f) => f.keys))];
  finishPlan(plan, io, !!args['dry-run'], (f, dry) => `${dry ? 'would remove' : 'removed'} ${shortRecipient(plan.recipient)} from ${f}; new data key, values re-encrypted`);
  if (changed.length > 0 && !args['dry-run']) {
    warning(io, `${shortRecipient(plan.recipient)} could read these secrets until now, and old versions of the files stay in git history`);
    note(io, `rotate the secrets themselves where they are issued (passwords, tokens, API keys): ${keys.length} key${keys.length === 1 ? '' : 's'} affected${args.json ? '' : `: ${keys.join(', ')}`}`);
  }
  if (args.json) io.stdout(`${JSON.stringify({ files: changed.map((f) => f.file), keys, grants: planGrants(plan) })}\n`);
  return 0;
}

/** `envcrypt recipients list|add|remove …`. */
export const recipientsCommand: Command = {
  command: 'recipients <action> [args..]',
  describe: 'list, add or remove who can decrypt files (every encrypted file of the repository when no FILE is given)',
  builder: (y) =>
    withIdentity(y)
      .usage(
        [
          '$0 recipients list [FILE…]        each file\'s age recipients (no key needed)',
          '$0 recipients add KEY [FILE…]     give KEY access (data key re-wrapped, values untouched)',
          '                                  --group N: the key group KEY joins (files with several)',
          '$0 recipients remove KEY [FILE…]  take access away (new data key, values re-encrypted)',
          '',
          'KEY: age1…, age1pq1…, "ssh-ed25519 AAAA…", "ssh-rsa AAAA…", a .pub file or an identity file.',
          '',
          'With no FILE: every encrypted file under the repository root (git top level, else the',
          'nearest .sops.yaml) that a creation rule matches, all or nothing, and .sops.yaml too:',
          'add puts KEY in each rule that matched a file, remove takes it out of every rule.',
        ].join('\n'),
      )
      .positional('action', { choices: ACTIONS, describe: 'list, add or remove' })
      .positional('args', { type: 'string', array: true, describe: 'KEY (add, remove) and FILEs' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' })
      .option('group', { type: 'number', requiresArg: true, describe: 'add: the key group (1-based) KEY joins; needed for files with several key groups' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'check everything and say what would change, but write nothing' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (default: searched upward from each file)' }),
  async handler(args, io) {
    const action = String(args.action);
    const rest = strings(args.args);
    if (action === 'list') return list(rest, args, io);
    if (action === 'add') return add(rest, args, io);
    return remove(rest, args, io);
  },
};
