import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared` beside the checkout (CI lays a copy there too). */
export const SHARED = [join(ROOT, '..', 'shared'), '/work/shared'].find((p) => existsSync(p))!;

/** The sops fixtures directory. */
export const FIXTURES = join(SHARED, 'fixtures', 'sops');

/** Property-test run count: modest in CI, larger with FUZZ_RUNS. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

/** The built CLI. */
export const BIN = join(ROOT, 'bin', 'envcrypt.js');
