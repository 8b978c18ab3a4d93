import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The sops fixtures: files written by the real sops binary, their throwaway
 * keys and vectors derived from them, inside the repository
 * (test/fixtures/PROVENANCE.md says where each one comes from).
 */
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'sops');

/** Property-test run count: modest in CI, larger with FUZZ_RUNS. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

/** The built CLI. */
export const BIN = join(ROOT, 'bin', 'envcrypt.js');
