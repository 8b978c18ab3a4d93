// Files written by the real sops binary, decrypted end to end through the
// library, checked against independently derived plaintexts (SOPS-FORMAT §16).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptText } from '../src/api/decrypt.js';
import { EnvcryptError } from '../src/errors.js';
import { canonicalText } from '../src/crypto/values.js';
import { aadFor, forEachLeaf } from '../src/tree/walk.js';
import { FIXTURES } from './helpers/paths.js';

interface Vector {
  dataKeyHex: string;
  lastmodified: string;
  leavesInOrder: { aad?: string; type?: string; plaintext?: string; macBytes?: string; encrypted?: boolean; comment?: boolean }[];
}

const cases: { name: string; file: string; key?: string; vectors: string }[] = [
  { name: 'flux dotenv (sops 3.9.0)', file: 'fluxcd-kustomize-controller/envs/env.env', key: 'fluxcd-kustomize-controller/keys/age.txt', vectors: 'flux-envs-env.env' },
  { name: 'flux YAML encrypted_regex', file: 'fluxcd-kustomize-controller/algorithms/age.yaml', key: 'fluxcd-kustomize-controller/keys/age.txt', vectors: 'flux-algorithms-age.yaml' },
  { name: 'flux YAML post-quantum', file: 'fluxcd-kustomize-controller/algorithms/age-pq.yaml', key: 'fluxcd-kustomize-controller/keys/age-pq.txt', vectors: 'flux-algorithms-age-pq.yaml' },
  { name: 'flux YAML 3.10 layout', file: 'fluxcd-kustomize-controller/global/secret.yaml', key: 'fluxcd-kustomize-controller/keys/age-global.txt', vectors: 'flux-global-secret.yaml' },
  { name: 'humphd dotenv', file: 'humphd-sops-age/secret.enc.env', key: 'humphd-sops-age/key.txt', vectors: 'humphd-secret.enc.env' },
  { name: 'humphd JSON', file: 'humphd-sops-age/secret.enc.json', key: 'humphd-sops-age/key.txt', vectors: 'humphd-secret.enc.json' },
  { name: 'humphd YAML', file: 'humphd-sops-age/secret.enc.yaml', key: 'humphd-sops-age/key.txt', vectors: 'humphd-secret.enc.yaml' },
  { name: 'sops-nix YAML (3.7 layout, age + pgp)', file: 'sops-nix/secrets.yaml', key: 'sops-nix/age-keys.txt', vectors: 'sops-nix-secrets.yaml' },
  { name: 'sops-nix dotenv (PGP, data key from vectors)', file: 'sops-nix/secrets.env', vectors: 'sops-nix-secrets.env' },
  { name: 'sops comments YAML (PGP)', file: 'getsops-sops/functional-tests/res/comments.enc.yaml', vectors: 'sops-comments.enc.yaml' },
  { name: 'sops 3.13 dotenv (PGP)', file: 'getsops-sops/functional-tests/res/format.enc.env', vectors: 'sops-format.enc.env' },
  { name: 'sops 3.13 JSON (PGP)', file: 'getsops-sops/functional-tests/res/format.enc.json', vectors: 'sops-format.enc.json' },
  { name: 'sops 3.13 YAML (PGP)', file: 'getsops-sops/functional-tests/res/format.enc.yaml', vectors: 'sops-format.enc.yaml' },  { name: 'sops 3.13.2 INI (PGP)', file: 'getsops-sops/functional-tests/res/format.enc.ini', vectors: 'sops-format.enc.ini' },
  { name: 'sops 3.13.1 INI, multi-line quoted metadata (PGP)', file: 'getsops-sops/functional-tests/res/format-2.enc.ini', vectors: 'sops-format-2.enc.ini' },
];

const isolated = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };

describe('sops-written fixtures', () => {
  for (const c of cases) {
    const vec = JSON.parse(readFileSync(join(FIXTURES, 'derived', `${c.vectors}.vectors.json`), 'utf8')) as Vector;
    const text = readFileSync(join(FIXTURES, c.file), 'utf8');
    it(`${c.name}: decrypts with MAC verified to the derived plaintexts`, async () => {
      const dec = await decryptText(text, c.file, c.key
        ? { env: { ...isolated, ENVCRYPT_AGE_KEY_FILE: join(FIXTURES, c.key) } }
        : { env: isolated, dataKey: Buffer.from(vec.dataKeyHex, 'hex') });
      expect(Buffer.from(dec.dataKey).toString('hex')).toBe(vec.dataKeyHex);
      const got: { aad: string; text: string; comment: boolean }[] = [];
      forEachLeaf(dec.branches, (n, ctx) => {
        if (n.kind === 'null') return;
        if (n.kind === 'comment' && !vec.leavesInOrder.some((l) => l.comment)) return;
        got.push({ aad: aadFor(ctx.path), text: canonicalText(n), comment: n.kind === 'comment' });
      });
      const want = vec.leavesInOrder.map((l) => ({ text: l.plaintext ?? l.macBytes, comment: !!l.comment }));
      expect(got.map((g) => ({ text: g.text, comment: g.comment }))).toEqual(want);
      for (const [i, l] of vec.leavesInOrder.entries()) if (l.aad && !l.comment) expect(got[i]!.aad).toBe(l.aad);
    });
  }

  it('a wrong key gives NO_IDENTITY listing the recipients and every place searched', async () => {
    const text = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.env'), 'utf8');
    const err = await decryptText(text, 'secret.enc.env', { env: { ...isolated, ENVCRYPT_AGE_KEY_FILE: join(FIXTURES, 'fluxcd-kustomize-controller/keys/age.txt') } }).catch((e) => e);
    expect(err).toBeInstanceOf(EnvcryptError);
    expect(err.code).toBe('NO_IDENTITY');
    expect(err.exitCode).toBe(4);
    const hints = err.hints.join('\n');
    expect(hints).toContain('age1je6k');
    expect(hints).toContain('ENVCRYPT_AGE_KEY_FILE=');
    expect(hints).toContain('none matched');
    expect(hints).toContain('SOPS_AGE_KEY (unset)');
  });
});
