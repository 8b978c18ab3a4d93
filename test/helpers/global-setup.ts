// Run once by vitest around the whole suite (vitest.config.ts globalSetup).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One private temp root for every CLI the tests run (ENVCRYPT_TMPDIR, see
 * cleanEnv), removed after the run. Without it, the plaintext that a refused
 * edit keeps for recovery, by design, piled up in the machine's /dev/shm at
 * every run of the suite. The test workers, forked after this, inherit it.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'envcrypt-test-tmproot-'));
  process.env.ENVCRYPT_TEST_TMPROOT = root;
  return () => rmSync(root, { recursive: true, force: true });
}
