import { describe, it, expect } from 'vitest';
import { EnvcryptError } from '../../src/errors.js';
import { EXPORT_FORMATS, exportEnv, k8sName, parseExportFormat } from '../../src/export/index.js';

const values = { A: 'x y', B: 'two\nlines' };

describe('exportEnv', () => {
  it('dispatches each format', () => {
    expect(exportEnv({ A: 'x y' }, 'docker')).toEqual({ text: 'A=x y\n' });
    expect(exportEnv({ A: 'x y' }, 'shell')).toEqual({ text: "export A='x y'\n" });
    expect(exportEnv(values, 'json')).toEqual({ text: '{\n  "A": "x y",\n  "B": "two\\nlines"\n}\n' });
    expect(exportEnv({ A: 'x' }, 'k8s', { name: 'n', namespace: 'ns' }).text).toContain('  name: "n"\n  namespace: "ns"\n');
  });

  it('returns the github masks apart from the GITHUB_ENV lines', () => {
    const r = exportEnv(values, 'github', { delimiter: () => 'D' });
    expect(r).toEqual({ text: 'A=x y\nB<<D\ntwo\nlines\nD\n', masks: '::add-mask::x y\n::add-mask::two\n::add-mask::lines\n' });
  });

  it('names a k8s secret after its source file, or asks for --name', () => {
    expect(k8sName({ source: 'dir/.env.staging.enc' })).toBe('env-staging');
    expect(k8sName({ source: 'x.env', name: 'given' })).toBe('given');
    expect(() => k8sName({})).toThrow(EnvcryptError);
    expect(() => exportEnv({}, 'k8s', { source: '__.enc' })).toThrow('no kubernetes secret name');
  });

  it('parses --format values', () => {
    for (const f of EXPORT_FORMATS) expect(parseExportFormat(f)).toBe(f);
    expect(() => parseExportFormat('yaml')).toThrow('unknown export format "yaml"');
  });
});
