import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { EnvcryptError } from '../../src/errors.js';
import { checkNamespace, checkSecretKey, checkSecretName, MAX_SECRET_BYTES, secretNameFromPath, toK8sSecret } from '../../src/export/k8s.js';
import { MULTILINE, SAMPLE } from './samples.js';
import { caught } from '../helpers/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

interface Secret {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  type: string;
  data: Record<string, string>;
}

const decode = (s: Secret): Record<string, string> =>
  Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof EnvcryptError) return e.code;
    throw e;
  }
  return undefined;
};

describe('toK8sSecret', () => {
  it('writes a v1 Opaque Secret whose base64 data decodes to the values, in order', () => {
    const values = { ...SAMPLE, ...MULTILINE };
    const s = parse(toK8sSecret(values, { name: 'app', namespace: 'prod' })) as Secret;
    expect(s.apiVersion).toBe('v1');
    expect(s.kind).toBe('Secret');
    expect(s.type).toBe('Opaque');
    expect(s.metadata).toEqual({ name: 'app', namespace: 'prod' });
    expect(Object.keys(s.data)).toEqual(Object.keys(values));
    expect(decode(s)).toEqual(values);
  });

  it('has the documented layout', () => {
    expect(toK8sSecret({ DB_PASSWORD: 'hunter2' }, { name: 'app' })).toBe(
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: "app"\ntype: Opaque\ndata:\n  "DB_PASSWORD": "aHVudGVyMg=="\n',
    );
  });

  it('leaves the namespace out when none is given, and writes empty data as {}', () => {
    const s = parse(toK8sSecret({}, { name: 'empty' })) as Secret;
    expect(s.metadata).toEqual({ name: 'empty' });
    expect(s.data).toEqual({});
  });

  it('keeps names, keys and values that look like other YAML types as strings', () => {
    const text = toK8sSecret({ '123': 'x', null: '', yes: 'on' }, { name: 'true', namespace: '0' });
    const s = parse(text) as Secret;
    expect(s.metadata).toEqual({ name: 'true', namespace: '0' });
    expect(s.data).toEqual({ '123': 'eA==', null: '', yes: 'b24=' });
    // YAML 1.1 readers (kubectl's) would take bare yes/on as booleans: everything is quoted.
    expect(text).toContain('"yes": "b24="');
  });

  it('round-trips any values (property)', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,12}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ unit: 'binary' })), (values) => {
        const s = parse(toK8sSecret(values, { name: 'x' })) as Secret;
        expect(decode(s)).toEqual(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('utf8')])));
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses values over 1 MiB in total, without showing them', () => {
    const big = 'CANARY'.padEnd(MAX_SECRET_BYTES / 2 + 1, 'x');
    expect(() => toK8sSecret({ A: big, B: big }, { name: 'x' })).toThrow(/over the 1 MiB limit/);
    expect(() => toK8sSecret({ A: big, B: big }, { name: 'x' })).not.toThrow(/CANARY/);
    expect(() => toK8sSecret({ A: 'x'.repeat(MAX_SECRET_BYTES) }, { name: 'x' })).not.toThrow();
  });
});

describe('validation', () => {
  it.each(['a', 'app', 'my-app.prod', '0', 'a'.repeat(253), 'a1.b2.c3'])('accepts the secret name %s', (n) => {
    expect(() => checkSecretName(n)).not.toThrow();
  });

  it.each(['', 'App', 'my_app', '-a', 'a-', 'a..b', '.a', 'a.', 'a/b', 'a b', 'a'.repeat(254), 'é'])('refuses the secret name %j', (n) => {
    expect(code(() => checkSecretName(n))).toBe('USAGE');
    expect(code(() => toK8sSecret({}, { name: n }))).toBe('USAGE');
  });

  it.each(['a', 'prod', 'kube-system', '0', 'a'.repeat(63)])('accepts the namespace %s', (n) => {
    expect(() => checkNamespace(n)).not.toThrow();
  });

  it.each(['', 'Prod', 'a.b', '-a', 'a-', 'a_b', 'a'.repeat(64)])('refuses the namespace %j', (n) => {
    expect(code(() => checkNamespace(n))).toBe('USAGE');
    expect(code(() => toK8sSecret({}, { name: 'x', namespace: n }))).toBe('USAGE');
  });

  it.each(['A', 'a.b', '.env', 'with-dash_and.dot', '.a', 'a..b', 'x'.repeat(253)])('accepts the key %j', (k) => {
    expect(() => checkSecretKey(k)).not.toThrow();
  });

  it.each(['', 'a b', 'a/b', 'é', '.', '..', '..x', 'a:b', 'x'.repeat(254)])('refuses the key %j, naming it', (k) => {
    const err = caught(() => toK8sSecret({ OK: 'CANARY-VALUE', [k]: 'CANARY-VALUE' }, { name: 'x' }));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain(JSON.stringify(k));
    expect(err.message).not.toContain('CANARY');
  });
});

describe('secretNameFromPath', () => {
  it.each([
    ['.env.enc', 'env'],
    ['.env', 'env'],
    ['config/.env.production.enc', 'env-production'],
    ['secrets.yaml.enc', 'secrets'],
    ['secrets.enc.yaml', 'secrets'],
    ['secret.enc.env', 'secret'],
    ['.env.json', 'env'],
    ['secrets.yml', 'secrets'],
    ['app.json.enc', 'app'],
    ['My_App.env', 'my-app'],
    ['..env', ''],
    ['__.enc', ''],
    [`${'a'.repeat(252)}_b.env`, 'a'.repeat(252)],
  ])('%s → %j', (path, name) => {
    expect(secretNameFromPath(path)).toBe(name);
    if (name !== '') expect(() => checkSecretName(name)).not.toThrow();
  });
});
