// envcrypt audit against a real repository with a scripted history (see
// test/helpers/audit-history.ts for the story): exact timelines, recipient
// events, gaps, exposure lists and policy violations; and --fix-generated.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit, type AuditReport, type FileReport } from '../../src/api/audit.js';
import { fixGenerated } from '../../src/api/audit-fix.js';
import { renderJson, renderMarkdown, renderTable } from '../../src/api/audit/render.js';
import { decryptFile } from '../../src/api/decrypt.js';
import { VersionOpener } from '../../src/api/audit/open.js';
import { fileReport } from '../../src/api/audit/report.js';
import { buildTimeline, type TimelineInput } from '../../src/api/audit/timeline.js';
import { compilePolicy, emptyPolicy } from '../../src/repo/audit-policy.js';
import { parseLog } from '../../src/repo/history.js';
import { buildAuditRepo, CANARIES, type AuditRepo } from '../helpers/audit-history.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

let t: ReturnType<typeof tempDir>;
let repo: AuditRepo;
let report: AuditReport;
let file: FileReport;
const NOW = new Date('2024-10-01T12:00:00Z');
const POLICY = `audit:\n  rules:\n    - keys: ['*_PASSWORD', '*_TOKEN']\n      max_age: 90d\n  exposure_max_age: 30d\n  regenerate: ['SESSION_SECRET']\n`;

beforeAll(async () => {
  t = tempDir();
  const dir = join(t.dir, 'repo');
  mkdirSync(dir);
  repo = await buildAuditRepo(dir);
  writeFileSync(join(dir, '.envcrypt.yaml'), POLICY);
  report = await runAudit({ cwd: dir, env: repo.env, now: NOW });
  file = report.files[0]!;
}, 60_000);
afterAll(() => t.cleanup());

const at = (step: string, author: string, date: string) => ({ commit: repo.commits[step], author: `${author} <${author}@example.com>`, date: `${date}T12:00:00.000Z` });

describe('runAudit: timelines from git history', () => {
  it('finds the file through .sops.yaml and follows it through the rename: ten first-parent versions', () => {
    expect(report.files.map((f) => [f.file, f.path, f.versions])).toEqual([['.env.enc', '.env.enc', 10]]);
  });

  it('values: created and changed on plaintext (a re-encryption or rotation is no change), each with commit, date and author', () => {
    const ev = (key: string) => file.values.find((v) => v.key === key)!.events;
    expect(ev('DB_PASSWORD')).toEqual([
      { kind: 'created', ...at('1', 'alice', '2024-01-01') },
      { kind: 'changed', ...at('2', 'alice', '2024-02-01') },
      { kind: 'changed', ...at('7', 'alice', '2024-06-15') },
    ]);
    expect(ev('API_TOKEN')).toEqual([{ kind: 'created', ...at('1', 'alice', '2024-01-01') }, { kind: 'changed', ...at('4', 'bob', '2024-04-01') }]);
    expect(ev('SESSION_SECRET')).toEqual([{ kind: 'created', ...at('1', 'alice', '2024-01-01') }]);
    // Created on a side branch: on the first-parent line, the merge commit brought it in.
    expect(ev('NEW_KEY')).toEqual([{ kind: 'created', ...at('8', 'merger', '2024-07-10') }]);
    // Changed while the file was encrypted to someone else: seen after the gap, and flagged so.
    expect(ev('LOG_LEVEL')).toEqual([{ kind: 'created', ...at('1', 'alice', '2024-01-01') }, { kind: 'changed', ...at('10', 'alice', '2024-09-01'), afterGap: true }]);
    expect(file.removedKeys).toEqual([]);
  });

  it('recipients: added, removed, data key rotated; a version audit cannot open is a gap, and what it lists is unverified', () => {
    const { alice, bob, carol } = repo;
    expect(file.recipientEvents.map((e) => [e.kind, e.recipient ?? '-', e.commit, e.verified, e.afterGap ?? false])).toEqual([
      ['recipient-added', alice.recipient, repo.commits['1'], true, false],
      ['recipient-added', bob.recipient, repo.commits['3'], true, false],
      ['recipient-removed', bob.recipient, repo.commits['6'], true, false],
      ['data-key-rotated', '-', repo.commits['6'], true, false],
      ['recipient-added', carol.recipient, repo.commits['9'], false, false],
      ['recipient-removed', alice.recipient, repo.commits['9'], false, false],
      ['recipient-added', alice.recipient, repo.commits['10'], true, false],
      ['recipient-removed', carol.recipient, repo.commits['10'], true, false],
      ['data-key-rotated', '-', repo.commits['10'], true, true],
    ]);
    expect(file.gaps).toEqual([{ ...at('9', 'carol', '2024-08-01'), path: '.env.enc', reason: 'not encrypted to your identity' }]);
  });

  it('age: days since the last real change; across a gap, from the earliest version the change could be in', () => {
    expect(file.values.map((v) => [v.key, v.ageDays, v.uncertain, v.maxAgeDays ?? null, v.overdue])).toEqual([
      ['API_TOKEN', 183, false, 90, true],
      ['SESSION_SECRET', 274, false, null, false],
      ['DB_PASSWORD', 108, false, 90, true],
      ['NEW_KEY', 83, false, null, false],
      ['LOG_LEVEL', 61, true, null, false],
    ]);
  });

  it('exposure: a removed recipient still knows every value unchanged since; a gap after the last change makes it possible, never certain', () => {
    const { bob, carol } = repo;
    const bobX = file.exposures.find((x) => x.recipient === bob.recipient)!;
    expect(bobX).toEqual({ recipient: bob.recipient, removed: at('6', 'alice', '2024-06-01'), days: 122, keys: [{ key: 'API_TOKEN', certain: true }, { key: 'SESSION_SECRET', certain: true }], dataKeyKnown: false, overdue: true });
    // DB_PASSWORD was rotated after bob left; NEW_KEY and LOG_LEVEL are newer than bob's access.
    const carolX = file.exposures.find((x) => x.recipient === carol.recipient)!;
    expect(carolX.days).toBe(30);
    expect(carolX.overdue).toBe(false);
    expect(carolX.keys.every((k) => !k.certain)).toBe(true);
    expect(carolX.keys.map((k) => k.key).sort()).toEqual(['API_TOKEN', 'DB_PASSWORD', 'LOG_LEVEL', 'NEW_KEY', 'SESSION_SECRET']);
    expect(file.exposures[0]!.recipient).toBe(bob.recipient); // past the policy's limit: first
  });

  it('policy: overdue values and an exposure past exposure_max_age are violations', () => {
    expect(report.ok).toBe(false);
    expect(report.violations).toEqual([
      { kind: 'overdue', file: '.env.enc', key: 'API_TOKEN', ageDays: 183, maxAgeDays: 90, rule: 1 },
      { kind: 'overdue', file: '.env.enc', key: 'DB_PASSWORD', ageDays: 108, maxAgeDays: 90, rule: 1 },
      { kind: 'exposure', file: '.env.enc', recipient: repo.bob.recipient, days: 122, maxDays: 30, keys: ['API_TOKEN', 'SESSION_SECRET'] },
    ]);
  });

  it('with only bob\'s key: the versions bob cannot open are gaps and the current values are unknown, never guessed', async () => {
    const r = await runAudit({ cwd: repo.dir, env: { ...repo.env, ENVCRYPT_AGE_KEY_FILE: repo.bob.file }, now: NOW, files: ['.env.enc'] });
    const f = r.files[0]!;
    expect(f.gaps.map((g) => g.commit)).toEqual(['1', '2', '6', '7', '8', '9', '10'].map((s) => repo.commits[s]));
    expect(f.currentUnknown).toBe('not encrypted to your identity');
    expect(f.values).toEqual([]);
  });

  it('a policy from a git revision (CI takes it from the base branch), and no policy at all', async () => {
    const none = await runAudit({ cwd: repo.dir, env: repo.env, now: NOW, policy: { ref: 'HEAD' } });
    expect([none.policy, none.ok]).toEqual(['HEAD:.envcrypt.yaml', true]); // .envcrypt.yaml is not committed
    await expect(runAudit({ cwd: repo.dir, env: repo.env, policy: { ref: 'no-such-branch' } })).rejects.toThrow(/no such git revision/);
  });

  it('a version that fails verification is a gap, never trusted; versions sharing a stanza are unwrapped once', async () => {
    const text = readFileSync(join(repo.dir, '.env.enc'), 'utf8');
    const opener = new VersionOpener({ env: repo.env });
    expect((await opener.open(Buffer.from(text), '.env.enc', 'dotenv')).kind).toBe('open');
    // Another value's ciphertext under API_TOKEN: GCM (the key path is the AAD) refuses it.
    const lines = text.split('\n');
    const token = lines.findIndex((l) => l.startsWith('API_TOKEN='));
    const db = lines.find((l) => l.startsWith('DB_PASSWORD='))!;
    lines[token] = `API_TOKEN=${db.slice('DB_PASSWORD='.length)}`;
    expect(await opener.open(Buffer.from(lines.join('\n')), '.env.enc', 'dotenv')).toEqual({ kind: 'gap', reason: 'fails verification (a value, the MAC or the integrity record)', recipients: [repo.alice.recipient] });
    expect(opener.unwraps).toBe(1);
  });

  it('a shallow clone is refused: its oldest commit would look like the creation of every value', async () => {
    const { spawnSync } = await import('node:child_process');
    const shallow = join(t.dir, 'shallow');
    spawnSync('git', ['clone', '-q', '--depth', '2', `file://${repo.dir}`, shallow], { env: repo.env });
    await expect(runAudit({ cwd: shallow, env: repo.env, files: ['.env.enc'] })).rejects.toThrow(/is a shallow clone: audit needs the whole history/);
  });

  it('no output format holds a value, or a fragment or hash of one', async () => {
    const { createHash } = await import('node:crypto');
    const text = [renderJson(report), renderTable(report), renderMarkdown(report)].join('\n');
    for (const v of Object.values(CANARIES)) {
      expect(text).not.toContain(v.slice(-8));
      for (const h of ['sha256', 'sha1', 'md5'] as const) {
        const d = createHash(h).update(v).digest();
        expect(text).not.toContain(d.toString('hex').slice(0, 8));
        expect(text).not.toContain(d.toString('base64').slice(0, 8));
      }
    }
  });
});

describe('exposure without a rotation (synthetic versions)', () => {
  const commit = (n: number) => ({ sha: `c${n}`, date: 1_700_000_000 + n * 86_400, author: 'a', email: 'a@x', merge: false });
  const open = (values: [string, string][], recipients: string[], keyId: number) => ({ kind: 'open' as const, values: new Map(values), recipients, keyId, integrity: 'verified' as const });

  it('a recipient removed while the data key stayed can read the current file: every value, even one changed since', () => {
    const versions: TimelineInput[] = [
      { commit: commit(0), path: 'f', state: open([['A', 'str:1'], ['B', 'str:1']], ['r1', 'r2'], 0) },
      { commit: commit(1), path: 'f', state: open([['A', 'str:1'], ['B', 'str:1']], ['r1'], 0) }, // r2 dropped, no rotation (as sops rm-age can leave it)
      { commit: commit(2), path: 'f', state: open([['A', 'str:1'], ['B', 'str:2']], ['r1'], 0) },
    ];
    const { report } = fileReport('f', 'f', versions, buildTimeline(versions), compilePolicy(emptyPolicy()), new Date((1_700_000_000 + 10 * 86_400) * 1000));
    expect(report.exposures).toEqual([{ recipient: 'r2', removed: expect.objectContaining({ commit: 'c1' }), days: 9, keys: [{ key: 'A', certain: true }, { key: 'B', certain: true }], dataKeyKnown: true, overdue: false }]);
    expect(report.recipientEvents.map((e) => e.kind)).toEqual(['recipient-added', 'recipient-added', 'recipient-removed']);
  });

  it('a value changed back to an old plaintext is known to whoever saw that plaintext', () => {
    const versions: TimelineInput[] = [
      { commit: commit(0), path: 'f', state: open([['A', 'str:old']], ['r1', 'r2'], 0) },
      { commit: commit(1), path: 'f', state: open([['A', 'str:new']], ['r1'], 1) },
      { commit: commit(2), path: 'f', state: open([['A', 'str:old']], ['r1'], 1) },
    ];
    const { report } = fileReport('f', 'f', versions, buildTimeline(versions), compilePolicy(emptyPolicy()), new Date((1_700_000_000 + 3 * 86_400) * 1000));
    expect(report.values[0]!.events.map((e) => e.kind)).toEqual(['created', 'changed', 'changed']);
    expect(report.exposures.map((x) => [x.recipient, x.keys, x.dataKeyKnown])).toEqual([['r2', [{ key: 'A', certain: true }], false]]);
  });
});

describe('renderers', () => {
  it('the table: most urgent first (exposed, then overdue, then oldest), then exposures, gaps, the policy', () => {
    const lines = renderTable(report).split('\n');
    expect(lines[0]).toMatch(/^FILE +KEY +STATUS +CHANGED +AGE +LIMIT +BY +COMMIT$/);
    expect(lines.slice(1, 6).map((l) => l.split(/\s{2,}/).slice(1, 3).join(' | '))).toEqual([
      'API_TOKEN | exposed, overdue',
      'SESSION_SECRET | exposed',
      'DB_PASSWORD | maybe exposed, overdue',
      'NEW_KEY | maybe exposed',
      'LOG_LEVEL | maybe exposed',
    ]);
    expect(renderTable(report)).toContain('policy (.envcrypt.yaml): 3 violations');
  });

  it('markdown escapes key names that carry Markdown or HTML', () => {
    const evil: AuditReport = { ...report, files: [{ ...file, values: [{ ...file.values[0]!, key: '<img src=x>|`x`' }] }] };
    const md = renderMarkdown(evil);
    expect(md).toContain('\\<img src=x\\>\\|\\`x\\`');
    expect(md).toMatch(/^## envcrypt audit\n/);
  });
});

describe('parseLog', () => {
  it('reads renames and merges from git log -z --raw output', () => {
    const out = '\x01aaa\x001700000000\x00A\x00a@x\x00p1 p2\x00\n:100644 100644 1 2 M\x00f\x00:100644 100644 3 4 R090\x00old\x00new\x00\x01bbb\x001600000000\x00B\x00b@x\x00\x00\n:000000 100644 0 5 A\x00old\x00';
    expect(parseLog(out)).toEqual([
      { commit: { sha: 'aaa', date: 1700000000, author: 'A', email: 'a@x', merge: true }, changes: [{ status: 'M', blob: '2', path: 'f' }, { status: 'R', blob: '4', from: 'old', path: 'new' }] },
      { commit: { sha: 'bbb', date: 1600000000, author: 'B', email: 'b@x', merge: false }, changes: [{ status: 'A', blob: '5', path: 'old' }] },
    ]);
  });
});

describe('the CLI (envcrypt audit)', () => {
  const noValue = (text: string) => {
    for (const v of Object.values(CANARIES)) expect(text).not.toContain(v.slice(-8));
  };

  it('--check exits 11 on a violation, with the table on stdout and --verbose notes on stderr, never a value', () => {
    const r = runCli(['audit', '--check', '--verbose'], { cwd: repo.dir, env: repo.env });
    expect(r.code).toBe(11);
    expect(r.stdout).toMatch(/^FILE +KEY +STATUS/);
    expect(r.stdout).toMatch(/API_TOKEN +exposed, overdue/);
    expect(r.stderr).toMatch(/envcrypt: \.env\.enc: 10 versions, 1 gaps/);
    // One unwrap per distinct stanza set: the first key, the rotation, carol's stanza (refused), alice's new one.
    expect(r.stderr).toMatch(/envcrypt: 4 data key unwraps for 10 versions/);
    expect(r.stderr).toMatch(/hint: a removed recipient keeps every value/);
    noValue(r.stdout + r.stderr);
  });

  it('--format markdown and --json; exit 0 when the policy holds; --policy with --policy-ref is a usage error', () => {
    writeFileSync(join(t.dir, 'lenient.yaml'), 'audit:\n  rules:\n    - max_age: 5000d\n');
    const m = runCli(['audit', '--check', '--format', 'markdown', '--policy', join(t.dir, 'lenient.yaml')], { cwd: repo.dir, env: repo.env });
    expect([m.code, m.stderr]).toEqual([0, '']);
    expect(m.stdout).toMatch(/^## envcrypt audit\n\nPolicy `.*lenient.yaml`: \*\*ok\*\*/);
    const j = runCli(['audit', '--json', '.env.enc'], { cwd: repo.dir, env: repo.env });
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.stdout) as AuditReport;
    expect([parsed.schema, parsed.ok, parsed.files[0]!.values.length]).toEqual([1, false, 5]);
    noValue(m.stdout + m.stderr + j.stdout + j.stderr);
    expect(runCli(['audit', '--policy', 'a', '--policy-ref', 'b'], { cwd: repo.dir, env: repo.env }).code).toBe(2);
  });
});

describe('fixGenerated', () => {
  it('regenerates only what is due and listed under regenerate:, through the normal write path; lists the rest for upstream rotation', async () => {
    const f = join(repo.dir, '.env.enc');
    const before = (await decryptFile(f, { env: repo.env })).branches;
    const fix = await fixGenerated(report, { cwd: repo.dir, env: repo.env, onWarning: () => undefined });
    expect(fix.regenerated).toEqual([{ file: '.env.enc', key: 'SESSION_SECRET', why: ['exposed'] }]);
    expect(fix.manual.map((d) => `${d.key}:${d.why.join('+')}`)).toEqual(['API_TOKEN:overdue+exposed', 'DB_PASSWORD:overdue+exposed', 'NEW_KEY:exposed', 'LOG_LEVEL:exposed']);
    const after = await decryptFile(f, { env: repo.env });
    expect(after.integrity).toBe('verified');
    const changed = after.branches[0]!.items.filter((it, i) => JSON.stringify(it) !== JSON.stringify(before[0]!.items[i])).map((it) => (it.kind === 'pair' ? it.key : ''));
    expect(changed).toEqual(['SESSION_SECRET']);
    expect(readFileSync(f, 'utf8')).not.toContain(CANARIES.s1);
  });
});

describe('audit keys (flatValues)', () => {
  it('a key holding a dot, a bracket or only digits is named so that set finds that key, never a nested one (an attack on --fix-generated)', async () => {
    const { flatValues } = await import('../../src/api/audit/open.js');
    const { parsePath } = await import('../../src/tree/path.js');
    const { list, map, pair, str } = await import('../../src/tree/types.js');
    const tree = map([
      pair('db.password', str('a')),
      pair('db', map([pair('password', str('b')), pair('0', str('c'))])),
      pair('hosts', list([str('d')])),
      pair("it's", map([pair('x"y', str('e'))])),
    ]);
    const keys = [...flatValues([tree]).keys()];
    expect(keys).toEqual(['["db.password"]', 'db.password', '["db"]["0"]', 'hosts.0', `["it's"]['x"y']`]);
    expect(keys.map((k) => parsePath(k))).toEqual([['db.password'], ['db', 'password'], ['db', '0'], ['hosts', 0], ["it's", 'x"y']]);
  });
});
