/**
 * An independent test encoder for sops key groups, to make files "as sops
 * 3.13.2 writes them" without a sops binary, and to check envcrypt's own
 * Shamir (src/crypto/shamir.ts) against a second implementation.
 *
 * It follows the reference algorithm (getsops/sops `shamir/shamir.go`,
 * HashiCorp Vault's scheme) in a different shape on purpose: field
 * arithmetic through log/exp tables of the generator 0x03 instead of
 * bitwise double-and-add, polynomials evaluated as a sum of powers instead
 * of Horner's rule, and the metadata rendered as literal text from the Go
 * structs (`stores/stores.go` `metadata`/`keygroup`, sorted as
 * `stores/metadata.go` `goToSops` sorts them). Shares are wrapped with the
 * real `age` CLI. Nothing here imports src/.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  // 0x03 generates the multiplicative group of GF(2^8) mod x^8+x^4+x^3+x+1.
  let v = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = v;
    LOG[v] = i;
    const times2 = (v << 1) ^ (v & 0x80 ? 0x11b : 0);
    v = times2 ^ v;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

/** a·b in GF(2^8), by tables. */
export function tableMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

/** a/b in GF(2^8), by tables (b ≠ 0). */
export function tableDiv(a: number, b: number): number {
  if (b === 0) throw new Error('divide by zero');
  return a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!;
}

function power(x: number, k: number): number {
  let out = 1;
  for (let i = 0; i < k; i++) out = tableMul(out, x);
  return out;
}

/**
 * Split as sops's `shamir.Split` does: one random polynomial of degree
 * threshold-1 per secret byte with that byte as constant term; share i is
 * `{p_1(x_i), …, p_N(x_i), x_i}`. `xs` defaults to 1…parts (sops 3.10+);
 * sops before 3.10 used `mathrand.Perm(255)[i] + 1`.
 */
export function referenceSplit(secret: Uint8Array, parts: number, threshold: number, xs: number[] = Array.from({ length: parts }, (_, i) => i + 1)): Uint8Array[] {
  const shares = xs.map((x) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = x;
    return s;
  });
  secret.forEach((byte, idx) => {
    const coeffs = [byte, ...randomBytes(threshold - 1)];
    xs.forEach((x, i) => {
      let y = 0;
      coeffs.forEach((c, k) => {
        y ^= tableMul(c, power(x, k));
      });
      shares[i]![idx] = y;
    });
  });
  return shares;
}

/** Rebuild a secret as sops's `shamir.Combine` does (Lagrange at x = 0). */
export function referenceCombine(shares: Uint8Array[]): Uint8Array {
  const n = shares[0]!.length - 1;
  const xs = shares.map((s) => s[n]!);
  const out = new Uint8Array(n);
  for (let idx = 0; idx < n; idx++) {
    let acc = 0;
    xs.forEach((xi, i) => {
      let basis = 1;
      xs.forEach((xj, j) => {
        if (i !== j) basis = tableMul(basis, tableDiv(xj, xi ^ xj));
      });
      acc ^= tableMul(shares[i]![idx]!, basis);
    });
    out[idx] = acc;
  }
  return out;
}

/** Distinct random x-coordinates as sops before 3.10 chose them (a permutation of 1…255). */
export function randomXs(parts: number): number[] {
  const all = Array.from({ length: 255 }, (_, i) => i + 1);
  for (let i = all.length - 1; i > 0; i--) {
    const j = randomBytes(1)[0]! % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, parts);
}

/** Wrap bytes to one recipient with the real age CLI, armored, as sops stores `enc`. */
export function ageWrap(payload: Uint8Array, recipient: string): string {
  const r = spawnSync('age', ['-r', recipient, '-a'], { input: Buffer.from(payload) });
  if (r.status !== 0) throw new Error(`age -r failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Open an armored `enc` with the real age CLI and an identity file. */
export function ageUnwrap(enc: string, identityFile: string): Uint8Array {
  const r = spawnSync('age', ['-d', '-i', identityFile], { input: enc });
  if (r.status !== 0) throw new Error(`age -d failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

/** One group's stanzas. */
export type Group = { recipient: string; enc: string }[];

/** The non-key metadata a file keeps. */
export interface RestOfMetadata {
  lastmodified: string;
  mac: string;
  unencrypted_suffix: string;
}

/**
 * The `sops:` block as sops 3.13.2's YAML store writes it (indent 4): every
 * key of the metadata sorted, `key_groups` holding `age` and `hc_vault`
 * (both without omitempty in the Go struct, so an empty `hc_vault: []`).
 */
export function yamlSopsBlock(groups: Group[], threshold: number, rest: RestOfMetadata): string {
  const lines = ['sops:', '    key_groups:'];
  for (const g of groups) {
    lines.push('        - age:');
    for (const e of g) {
      lines.push('            - enc: |');
      for (const l of e.enc.replace(/\n$/, '').split('\n')) lines.push(`                ${l}`);
      lines.push(`              recipient: ${e.recipient}`);
    }
    lines.push('          hc_vault: []');
  }
  lines.push(`    lastmodified: "${rest.lastmodified}"`);
  lines.push(`    mac: ${rest.mac}`);
  lines.push(`    shamir_threshold: ${threshold}`);
  lines.push(`    unencrypted_suffix: ${rest.unencrypted_suffix}`);
  lines.push('    version: 3.13.2');
  return lines.join('\n') + '\n';
}

/**
 * The metadata lines of a dotenv file as sops 3.13.2 writes them
 * (`stores/flatten.go`: `__list_N` / `__map_K`; an empty list flattens to
 * nothing; newlines escaped as `\n`).
 */
export function dotenvSopsLines(groups: Group[], threshold: number, rest: RestOfMetadata): string {
  const lines: string[] = [];
  groups.forEach((g, i) => {
    g.forEach((e, j) => {
      lines.push(`sops_key_groups__list_${i}__map_age__list_${j}__map_enc=${e.enc.replaceAll('\n', '\\n')}`);
      lines.push(`sops_key_groups__list_${i}__map_age__list_${j}__map_recipient=${e.recipient}`);
    });
  });
  lines.push(`sops_lastmodified=${rest.lastmodified}`, `sops_mac=${rest.mac}`, `sops_shamir_threshold=${threshold}`, `sops_unencrypted_suffix=${rest.unencrypted_suffix}`, 'sops_version=3.13.2');
  return lines.join('\n') + '\n';
}
