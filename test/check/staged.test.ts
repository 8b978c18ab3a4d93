import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlobs, type BlobContent } from '../../src/repo/git.js';
import { stagedEntries } from '../../src/check/staged.js';
import { git } from '../helpers/git.js';
import { tempDir } from '../helpers/run-cli.js';

async function all(gen: AsyncGenerator<BlobContent>): Promise<BlobContent[]> {
  const out: BlobContent[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

describe('stagedEntries and readBlobs', () => {
  let t: ReturnType<typeof tempDir>;
  beforeAll(() => {
    t = tempDir();
    git(t.dir, 'init', '-q');
    writeFileSync(join(t.dir, 'kept.txt'), 'committed\n');
    writeFileSync(join(t.dir, 'gone.txt'), 'to delete\n');
    git(t.dir, 'add', '.');
    git(t.dir, 'commit', '-q', '-m', 'init');
    mkdirSync(join(t.dir, 'sub dir'));
    writeFileSync(join(t.dir, 'sub dir', 'new file.txt'), 'staged version\n');
    writeFileSync(join(t.dir, 'kept.txt'), 'changed\n');
    symlinkSync('kept.txt', join(t.dir, 'link'));
    git(t.dir, 'add', '.');
    git(t.dir, 'rm', '-q', 'gone.txt');
    // The working tree moves on after staging; the staged blob is what gets committed.
    writeFileSync(join(t.dir, 'sub dir', 'new file.txt'), 'working tree version\n');
  });
  afterAll(() => t.cleanup());

  it('lists added and modified files with their modes, but not deletions or unchanged files', () => {
    const e = stagedEntries(t.dir);
    expect(e.map((x) => [x.path, x.mode])).toEqual([
      ['kept.txt', '100644'],
      ['link', '120000'],
      ['sub dir/new file.txt', '100644'],
    ]);
    expect(e.every((x) => /^[0-9a-f]{40,64}$/.test(x.blob))).toBe(true);
  });

  it('reads the staged content, not the working tree', async () => {
    const e = stagedEntries(t.dir);
    const blobs = await all(readBlobs(t.dir, e.map((x) => x.blob), 1024));
    expect(blobs.map((b) => b.data?.toString())).toEqual(['changed\n', 'kept.txt', 'staged version\n']);
  });

  it('keeps only the first cap bytes of each blob but reports the full size, and keeps later blobs aligned', async () => {
    const big = 'x'.repeat(300_000) + 'END';
    writeFileSync(join(t.dir, 'big.txt'), big);
    git(t.dir, 'add', 'big.txt');
    const e = stagedEntries(t.dir);
    const blobs = await all(readBlobs(t.dir, e.map((x) => x.blob), 10));
    const i = e.findIndex((x) => x.path === 'big.txt');
    expect(blobs[i]!.data!.toString()).toBe('xxxxxxxxxx');
    expect(blobs[i]!.size).toBe(big.length);
    expect(blobs[i + 1]!.data!.toString()).toBe('changed\n'.slice(0, 10));
    expect(blobs).toHaveLength(e.length);
  });

  it('yields null data for an object git does not have', async () => {
    const blobs = await all(readBlobs(t.dir, ['0'.repeat(40)], 100));
    expect(blobs).toEqual([{ blob: '0'.repeat(40), data: null, size: 0 }]);
  });

  it('reads nothing for an empty list', async () => {
    expect(await all(readBlobs(t.dir, [], 100))).toEqual([]);
  });

  it('stops git when the reader stops early', async () => {
    const e = stagedEntries(t.dir);
    for await (const b of readBlobs(t.dir, e.map((x) => x.blob), 100)) {
      expect(b.data).not.toBeNull();
      break;
    }
  });

  it('works before the first commit', () => {
    const u = tempDir();
    try {
      git(u.dir, 'init', '-q');
      writeFileSync(join(u.dir, 'a'), 'a');
      git(u.dir, 'add', 'a');
      expect(stagedEntries(u.dir).map((x) => x.path)).toEqual(['a']);
    } finally {
      u.cleanup();
    }
  });
});
