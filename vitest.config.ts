import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One private temp root for the CLIs the tests run (see the file).
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // One test file per core. Vitest's default leaves a core free, which on a
    // 2-core machine runs the files one at a time, while most of them wait on
    // the CLI processes they spawn.
    maxWorkers: '100%',
    // Test files share their worker process (module cache included): on 2 cores
    // the per-file import cost was ~15% of the suite. Tests restore any global
    // they change (process.env, the cwd).
    isolate: false,
  },
});
