import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { damagedError, isSopsConfig, NO_METADATA_REASON, parseSops, sopsFormatOf } from '../../src/stores/sniff.js';
import { FIXTURES } from '../helpers/paths.js';

describe('parseSops', () => {
  it.each([
    ['humphd-sops-age/secret.enc.env', 'dotenv'],
    ['humphd-sops-age/secret.enc.yaml', 'yaml'],
    ['humphd-sops-age/secret.enc.json', 'json'],
  ])('reads %s (written by sops) as encrypted %s', async (rel, format) => {
    const p = await parseSops(rel, readFileSync(join(FIXTURES, rel), 'utf8'));
    expect(p.kind).toBe('encrypted');
    expect(p.format).toBe(format);
  });

  it('calls plaintext plain, including text the sops dialect would refuse', async () => {
    expect((await parseSops('.env', 'export A="quoted value"\n')).kind).toBe('plain');
    expect((await parseSops('c.yaml', 'a: 1\n')).kind).toBe('plain');
    expect((await parseSops('c.json', '{"sops_like": tru')).kind).toBe('plain');
  });

  it('calls text with ENC values that does not parse broken, with a position', async () => {
    const text = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.yaml'), 'utf8');
    const p = await parseSops('s.yaml', `<<<<<<< HEAD\n${text}`);
    expect(p.kind).toBe('broken');
    if (p.kind === 'broken') expect(p.position?.line).toBeGreaterThan(0);
  });

  it('calls ENC values without metadata (a truncated file) broken, not plain, even without the word "sops"', async () => {
    const text = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.env'), 'utf8');
    const cut = text.slice(0, text.indexOf('sops_'));
    expect(cut).toContain('ENC[AES256_GCM,');
    expect(cut).not.toContain('sops');
    expect(await parseSops('t.env', cut)).toEqual({ kind: 'broken', format: 'dotenv', reason: NO_METADATA_REASON });
    const e = damagedError('t.env');
    expect(e.message).toBe(`t.env is damaged: ${NO_METADATA_REASON}`);
    expect(e.exitCode).toBe(5);
  });

  it('tries sops\'s JSON layout for names that say nothing', async () => {
    const text = readFileSync(join(FIXTURES, 'humphd-sops-age/secret.enc.json'), 'utf8');
    expect(sopsFormatOf('cert.pem', text)).toBe('json');
    expect(sopsFormatOf('notes.txt', 'hello')).toBeNull();
    expect((await parseSops('cert.pem', text)).kind).toBe('encrypted');
    expect(await parseSops('notes.txt', 'sops')).toEqual({ kind: 'plain', format: null });
  });
});

describe('isSopsConfig', () => {
  it('knows both spellings of the config name', () => {
    expect(isSopsConfig('a/.sops.yaml')).toBe(true);
    expect(isSopsConfig('.sops.yml')).toBe(true);
    expect(isSopsConfig('sops.yaml')).toBe(false);
  });
});
