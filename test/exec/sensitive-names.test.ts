import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDENTITY_VARIABLES, isLoaderSensitive, removeIdentity } from '../../src/exec/sensitive-names.js';
import { ROOT } from '../helpers/paths.js';
import { withoutIntegrity, withPlainValue, withSelector } from '../helpers/sops-like.js';

describe('isLoaderSensitive', () => {
  it.each([
    'PATH', 'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT',
    'DYLD_INSERT_LIBRARIES', 'BASH_ENV', 'ENV', 'BASH_FUNC_ls%%', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PERL5OPT', 'PERL5LIB',
    'RUBYOPT', 'RUBYLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'GIT_SSH_COMMAND', 'GIT_CONFIG_PARAMETERS', 'GIT_DIR',
    'SHELLOPTS', 'PS4', 'IFS', 'GCONV_PATH', 'GLIBC_TUNABLES', 'npm_config_script_shell', 'ENVCRYPT_AGE_KEY_CMD', 'SOPS_AGE_KEY_CMD',
    'HOME', 'OPENSSL_CONF', 'DOTNET_STARTUP_HOOKS', 'CORECLR_PROFILER_PATH', 'LUA_INIT_5_4', 'PATHEXT', 'COMSPEC',
  ])('%s is sensitive', (name) => {
    expect(isLoaderSensitive(name)).toBe(true);
  });

  it('matches in any case (environments are case-insensitive on Windows)', () => {
    for (const name of ['path', 'Path', 'node_options', 'Ld_Preload', 'dyld_library_path', 'git_ssh_command']) expect(isLoaderSensitive(name)).toBe(true);
  });

  it.each(['NODE_ENV', 'DATABASE_URL', 'PORT', 'API_TOKEN', 'LOG_LEVEL', 'PATH_PREFIX', 'MY_PATH', 'LDAP_URL', 'PUBLIC_URL_unencrypted', 'GITHUB_TOKEN', '__proto__', ''])(
    '%s is an ordinary variable',
    (name) => {
      expect(isLoaderSensitive(name)).toBe(false);
    },
  );
});

describe('IDENTITY_VARIABLES', () => {
  it('holds every variable key discovery reads an identity from, and sops\'s SSH key command', () => {
    const source = readFileSync(join(ROOT, 'src/keys/discovery.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\.((?:ENVCRYPT|SOPS)_AGE_[A-Z_]+)/g)].map((m) => m[1]!));
    expect(read.size).toBeGreaterThanOrEqual(7);
    for (const name of read) expect(IDENTITY_VARIABLES).toContain(name);
    expect(IDENTITY_VARIABLES).toContain('SOPS_AGE_SSH_PRIVATE_KEY_CMD');
    // Public values are not identities: a nested encrypt still needs them.
    expect(IDENTITY_VARIABLES).not.toContain('ENVCRYPT_AGE_RECIPIENTS');
    expect(IDENTITY_VARIABLES).not.toContain('SOPS_AGE_RECIPIENTS');
  });

  it('removeIdentity deletes only own identity variables and names them', () => {
    const env: Record<string, string | undefined> = { ENVCRYPT_AGE_KEY: 'AGE-SECRET-KEY-1X', SOPS_AGE_KEY_FILE: '/k', KEEP: 'k', ENVCRYPT_AGE_RECIPIENTS: 'age1x', envcrypt_age_key: 'lower' };
    expect(removeIdentity(env, false)).toEqual(['ENVCRYPT_AGE_KEY', 'SOPS_AGE_KEY_FILE']);
    expect(env).toEqual({ KEEP: 'k', ENVCRYPT_AGE_RECIPIENTS: 'age1x', envcrypt_age_key: 'lower' });
  });

  it('removeIdentity removes any spelling where the environment is case-insensitive', () => {
    const env: Record<string, string | undefined> = { Envcrypt_Age_Key: 'x', sops_age_key_cmd: 'y', KEEP: 'k' };
    expect(removeIdentity(env, true)).toEqual(['Envcrypt_Age_Key', 'sops_age_key_cmd']);
    expect(env).toEqual({ KEEP: 'k' });
  });
});

// The test helper that makes sops-like files must work before and after
// envcrypt writes an integrity record.
describe('test helper: withoutIntegrity', () => {
  it('deletes the record in each format when present, and changes nothing otherwise', () => {
    const dotenv = 'A=ENC[x]\nsops_lastmodified=t\nsops_envcrypt_integrity=v1:abc\nsops_version=3.13.2\n';
    expect(withoutIntegrity(dotenv, 'dotenv')).toBe('A=ENC[x]\nsops_lastmodified=t\nsops_version=3.13.2\n');
    expect(withoutIntegrity('A=ENC[x]\nsops_version=3.13.2\n', 'dotenv')).toBe('A=ENC[x]\nsops_version=3.13.2\n');
    const yaml = 'A: ENC[x]\nsops:\n    envcrypt_integrity: v1:abc\n    lastmodified: "t"\n    version: 3.13.2\n';
    expect(withoutIntegrity(yaml, 'yaml')).toBe('A: ENC[x]\nsops:\n    lastmodified: "t"\n    version: 3.13.2\n');
    const block = 'A: ENC[x]\nsops:\n    envcrypt_integrity: |\n        v1:abc\n        def\n    version: 3.13.2\n';
    expect(withoutIntegrity(block, 'yaml')).toBe('A: ENC[x]\nsops:\n    version: 3.13.2\n');
    const json = '{\n\t"A": "ENC[x]",\n\t"sops": {\n\t\t"envcrypt_integrity": "v1:abc",\n\t\t"version": "3.13.2"\n\t}\n}\n';
    expect(JSON.parse(withoutIntegrity(json, 'json'))).toEqual({ A: 'ENC[x]', sops: { version: '3.13.2' } });
    const last = '{\n\t"sops": {\n\t\t"version": "3.13.2",\n\t\t"envcrypt_integrity": "v1:abc"\n\t}\n}\n';
    expect(JSON.parse(withoutIntegrity(last, 'json'))).toEqual({ sops: { version: '3.13.2' } });
  });

  it('withSelector and withPlainValue edit each format', () => {
    expect(withSelector('sops_unencrypted_suffix=_unencrypted\n', 'dotenv', 'unencrypted_regex', '^X$')).toBe('sops_unencrypted_regex=^X$\n');
    expect(withSelector('sops:\n    unencrypted_suffix: _unencrypted\n', 'yaml', 'unencrypted_regex', '^X$')).toBe('sops:\n    unencrypted_regex: "^X$"\n');
    expect(JSON.parse(withSelector('{"sops": {"unencrypted_suffix": "_unencrypted"}}', 'json', 'unencrypted_regex', '^X$'))).toEqual({ sops: { unencrypted_regex: '^X$' } });
    expect(withPlainValue('A=1\n', 'dotenv', 'B', '2')).toBe('B=2\nA=1\n');
    expect(withPlainValue('A: 1\n', 'yaml', 'B', '--x')).toBe('"B": "--x"\nA: 1\n');
    expect(JSON.parse(withPlainValue('{\n\t"A": 1\n}\n', 'json', 'B', '2'))).toEqual({ B: '2', A: 1 });
  });
});
