/**
 * The three faces of an audit report: a terminal table, Markdown (for
 * `$GITHUB_STEP_SUMMARY` or a PR comment) and JSON. A report holds no value,
 * so none can be printed; key names, authors and paths are still
 * attacker-written text, so the table escapes control characters and the
 * Markdown escapes its own syntax.
 */
import { escapeLine } from '../../io/escape.js';
import { shortRecipient } from '../../keys/short-recipient.js';
import { compareValues } from './report.js';
import type { AuditReport, EventRef, Exposure, FileReport, ValueReport, Violation } from './types.js';

/** The `--json` text: the report as it is (schema 1, see the README). */
export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const day = (iso: string) => iso.slice(0, 10);
const short = (sha: string) => sha.slice(0, 7);

function status(v: ValueReport): string {
  const parts = [v.exposure === 'certain' ? 'exposed' : v.exposure === 'possible' ? 'maybe exposed' : '', v.overdue ? 'overdue' : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'ok';
}

/** One row per current value, most urgent first across files. */
function rows(report: AuditReport): { f: FileReport; v: ValueReport }[] {
  const out = report.files.flatMap((f) => f.values.map((v) => ({ f, v })));
  return out.sort((a, b) => compareValues(a.v, b.v) || (a.f.file < b.f.file ? -1 : a.f.file > b.f.file ? 1 : 0));
}

function cells(f: FileReport, v: ValueReport): string[] {
  return [f.file, v.key, status(v), `${day(v.lastChange.date)}${v.uncertain ? '?' : ''}`, `${v.ageDays}d`, v.maxAgeDays !== undefined ? `${v.maxAgeDays}d` : '-', v.lastChange.author, short(v.lastChange.commit)];
}

const HEAD = ['FILE', 'KEY', 'STATUS', 'CHANGED', 'AGE', 'LIMIT', 'BY', 'COMMIT'];

function when(e: EventRef): string {
  return `${day(e.date)} by ${e.author} (${short(e.commit)})`;
}

function exposureLine(x: Exposure, recipient: (r: string) => string): string {
  const certain = x.keys.filter((k) => k.certain).map((k) => k.key);
  const maybe = x.keys.filter((k) => !k.certain).map((k) => k.key);
  const knows = [certain.length ? `still knows ${certain.join(', ')}` : '', maybe.length ? `may know ${maybe.join(', ')} (versions audit could not open)` : ''].filter(Boolean).join('; ');
  return `${recipient(x.recipient)} removed ${when(x.removed)}, ${x.days} days ago: ${knows || 'knows no current value'}${x.dataKeyKnown ? '; the data key was not rotated since: they can read the current file' : ''}${x.overdue ? ' [past exposure_max_age]' : ''}`;
}

function violationLine(v: Violation): string {
  return v.kind === 'overdue'
    ? `${v.file}: ${v.key} is ${v.ageDays} days old, over its ${v.maxAgeDays}-day limit (rule ${v.rule})`
    : `${v.file}: ${v.keys.join(', ')} still known to removed ${shortRecipient(v.recipient)} after ${v.days} days (limit ${v.maxDays})`;
}

/** The terminal table, then exposures, gaps and policy violations. */
export function renderTable(report: AuditReport): string {
  const esc = escapeLine;
  const table = [HEAD, ...rows(report).map(({ f, v }) => cells(f, v).map(esc))];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const out = table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  for (const f of report.files) {
    if (f.currentUnknown) out.push('', `${esc(f.file)}: current values unknown: ${f.currentUnknown}`);
    if (f.exposures.length) out.push('', `${esc(f.file)}: removed recipients`, ...f.exposures.map((x) => `  ${esc(exposureLine(x, shortRecipient))}`));
    if (f.gaps.length) out.push('', `${esc(f.file)}: ${f.gaps.length} version${f.gaps.length === 1 ? '' : 's'} not opened`, ...f.gaps.map((g) => `  ${esc(`${when(g)} ${g.path}: ${g.reason}`)}`));
  }
  out.push('', report.violations.length ? `policy (${esc(report.policy)}): ${report.violations.length} violation${report.violations.length === 1 ? '' : 's'}` : `policy (${esc(report.policy)}): ok`);
  for (const v of report.violations) out.push(`  ${esc(violationLine(v))}`);
  return `${out.join('\n')}\n`;
}

/** Markdown-safe text: no table breaks, no HTML, no code spans or links from a key name. */
function md(s: string): string {
  return escapeLine(s).replace(/[\\`*_[\]<>|#!~]/g, (c) => `\\${c}`);
}

/** Markdown for `$GITHUB_STEP_SUMMARY` or a pull-request comment. */
export function renderMarkdown(report: AuditReport): string {
  const out: string[] = ['## envcrypt audit', ''];
  out.push(report.ok ? `Policy \`${report.policy.replaceAll('`', "'")}\`: **ok**.` : `Policy \`${report.policy.replaceAll('`', "'")}\`: **${report.violations.length} violation${report.violations.length === 1 ? '' : 's'}**.`, '');
  for (const v of report.violations) out.push(`- ${md(violationLine(v))}`);
  if (report.violations.length) out.push('');
  out.push(`| ${HEAD.map((h) => h.toLowerCase()).join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`);
  for (const { f, v } of rows(report)) out.push(`| ${cells(f, v).map(md).join(' | ')} |`);
  for (const f of report.files) {
    if (f.currentUnknown) out.push('', `**${md(f.file)}**: current values unknown: ${md(f.currentUnknown)}`);
    if (f.exposures.length) out.push('', `### ${md(f.file)}: removed recipients`, '', ...f.exposures.map((x) => `- ${md(exposureLine(x, (r) => r))}`));
    if (f.gaps.length) out.push('', `### ${md(f.file)}: versions not opened`, '', ...f.gaps.map((g) => `- ${md(`${when(g)} ${g.path}: ${g.reason}`)}`));
  }
  return `${out.join('\n')}\n`;
}
