import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { explicitConfig, findConfig } from '../../../src/repo/sops-config/find.js';
import { tempTrees } from '../../helpers/tree.js';

/** A temp tree: keys are relative paths, values file contents. */
const tree = tempTrees('envcrypt-find-');

describe('findConfig search', () => {
  it('finds the parent directory config from a nested target', () => {
    const root = tree({ '.sops.yaml': 'creation_rules: []\n', 'a/b/c/.env': 'X=1\n' });
    expect(findConfig(join(root, 'a/b/c/.env'), { env: {} })).toBe(join(root, '.sops.yaml'));
  });

  it('starts from the target directory, not the working directory', () => {
    const root = tree({ 'proj/.sops.yaml': '', 'proj/sub/.env': '' });
    // The working directory (the repo) has no .sops.yaml between it and the temp dir.
    expect(findConfig(join(root, 'proj/sub/.env'), { env: {} })).toBe(join(root, 'proj/.sops.yaml'));
  });

  it('prefers the nearest config', () => {
    const root = tree({ '.sops.yaml': '', 'a/.sops.yaml': '', 'a/b/x.yaml': '' });
    expect(findConfig(join(root, 'a/b/x.yaml'), { env: {} })).toBe(join(root, 'a/.sops.yaml'));
  });

  it('works for a target that does not exist yet', () => {
    const root = tree({ '.sops.yaml': '' });
    expect(findConfig(join(root, 'new/dir/secret.env'), { env: {} })).toBe(join(root, '.sops.yaml'));
  });

  it('returns null when no config exists up to the root', () => {
    const root = tree({ 'x/.env': '' });
    expect(findConfig(join(root, 'x/.env'), { env: {} })).toBeNull();
  });

  it('ignores a directory named .sops.yaml', () => {
    const root = tree({ '.sops.yaml/keep': '', 'x/.env': '' });
    expect(findConfig(join(root, 'x/.env'), { env: {} })).toBeNull();
  });

  it('does not use .sops.yml but warns about it, and keeps searching upward', () => {
    const root = tree({ '.sops.yaml': '', 'a/.sops.yml': '', 'a/.env': '' });
    const warnings: string[] = [];
    const found = findConfig(join(root, 'a/.env'), { env: {}, onWarning: (m) => warnings.push(m) });
    expect(found).toBe(join(root, '.sops.yaml'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(root, 'a/.sops.yml'));
    expect(warnings[0]).toContain('.sops.yaml');
  });

  it('does not warn about .sops.yml next to a .sops.yaml', () => {
    const root = tree({ '.sops.yaml': '', '.sops.yml': '', '.env': '' });
    const warnings: string[] = [];
    expect(findConfig(join(root, '.env'), { env: {}, onWarning: (m) => warnings.push(m) })).toBe(join(root, '.sops.yaml'));
    expect(warnings).toEqual([]);
  });

  it('returns null with a warning when only .sops.yml exists', () => {
    const root = tree({ '.sops.yml': '', '.env': '' });
    const warnings: string[] = [];
    expect(findConfig(join(root, '.env'), { env: {}, onWarning: (m) => warnings.push(m) })).toBeNull();
    expect(warnings).toHaveLength(1);
  });
});

describe('findConfig explicit paths', () => {
  it('uses --config without searching or checking existence', () => {
    const root = tree({ '.sops.yaml': '', '.env': '' });
    expect(findConfig(join(root, '.env'), { configPath: '/nowhere/cfg.yaml', env: { ENVCRYPT_CONFIG: '/env/cfg.yaml' } })).toBe('/nowhere/cfg.yaml');
  });

  it('prefers ENVCRYPT_CONFIG to SOPS_CONFIG, and SOPS_CONFIG to the search', () => {
    const root = tree({ '.sops.yaml': '', '.env': '' });
    const target = join(root, '.env');
    expect(findConfig(target, { env: { ENVCRYPT_CONFIG: '/a.yaml', SOPS_CONFIG: '/b.yaml' } })).toBe('/a.yaml');
    expect(findConfig(target, { env: { SOPS_CONFIG: '/b.yaml' } })).toBe('/b.yaml');
  });

  it('treats empty variables and an empty --config as unset', () => {
    const root = tree({ '.sops.yaml': '', '.env': '' });
    expect(findConfig(join(root, '.env'), { configPath: '', env: { ENVCRYPT_CONFIG: '', SOPS_CONFIG: '' } })).toBe(join(root, '.sops.yaml'));
  });

  it('explicitConfig names the source', () => {
    expect(explicitConfig({ configPath: 'c.yaml', env: {} })).toEqual({ path: 'c.yaml', from: '--config' });
    expect(explicitConfig({ env: { SOPS_CONFIG: 's.yaml' } })).toEqual({ path: 's.yaml', from: 'SOPS_CONFIG' });
    expect(explicitConfig({ env: {} })).toBeNull();
  });
});
