import { describe, expect, it } from 'vitest';
import { isPlainEnvName } from '../../src/check/env-names.js';

describe('isPlainEnvName', () => {
  it.each(['.env', '.env.local', '.env.production', 'apps/web/.env', 'a/.env.dev.local'])('%s is a plaintext env name', (n) => {
    expect(isPlainEnvName(n)).toBe(true);
  });

  it.each(['.env.enc', '.env.prod.enc', '.env.example', '.env.sample', '.env.template', 'app.env', 'env', '.envrc', 'x.env.local', 'dir/.env.example'])(
    '%s is not',
    (n) => {
      expect(isPlainEnvName(n)).toBe(false);
    },
  );
});
