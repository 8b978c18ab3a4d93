import { describe, expect, it } from 'vitest';
import { envFlag } from '../../src/io/env-flag.js';

describe('envFlag', () => {
  it.each(['1', 'true', 'TRUE', 'True', 'yes', 'YES'])('%s is on', (v) => expect(envFlag(v)).toBe(true));
  it.each([undefined, '', '0', 'false', 'no', ' 1', 'true ', 'yess', 'on', 'ı', 'TRUE\n'])('%s is off', (v) => expect(envFlag(v)).toBe(false));
});
