import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBuildContext, checkDockerfile, compileDockerIgnore, instructions, isDockerfileName, isSecretLikeName } from '../../src/check/docker.js';
import { runCheck } from '../../src/check/scan.js';
import { git } from '../helpers/git.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/run-cli.js';
import { writeTree } from '../helpers/tree.js';

const CANARY = 'CANARY-docker-5e1f0a';

describe('Dockerfile names and secret-like names', () => {
  it.each(['Dockerfile', 'a/Dockerfile', 'Dockerfile.prod', 'web.Dockerfile', 'Containerfile'])('%s is a Dockerfile', (n) => expect(isDockerfileName(n)).toBe(true));
  it.each(['Dockerfile-notes.md', 'dockerfile.txt', 'README.md', 'compose.yaml'])('%s is not', (n) => expect(isDockerfileName(n)).toBe(false));
  it.each(['NPM_TOKEN', 'GITHUB_TOKEN', 'DB_PASSWORD', 'APP_SECRET', 'STRIPE_API_KEY', 'SSH_PRIVATE_KEY', 'PASSWORD', 'aws_secret'])('%s looks like a secret', (n) =>
    expect(isSecretLikeName(n)).toBe(true),
  );
  it.each(['ENVCRYPT_AGE_KEY_FILE', 'AWS_ACCESS_KEY_ID', 'NODE_ENV', 'KEYBOARD', 'TOKENIZER_PATH', 'PASSWORD_POLICY_URL'])('%s does not', (n) =>
    expect(isSecretLikeName(n)).toBe(false),
  );
});

describe('checkDockerfile', () => {
  it('finds ARG and ENV with secret-like names (every form), by line, never the value', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM node:20',
      `ARG NPM_TOKEN=${CANARY}`,
      'ARG VERSION \\',
      '  DB_PASSWORD',
      `ENV API_KEY=${CANARY} NODE_ENV=production`,
      `ENV LEGACY_SECRET ${CANARY} with spaces`,
      'ENV ENVCRYPT_AGE_KEY_FILE=/run/secrets/age_key',
      'RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci',
    ].join('\n');
    const found = checkDockerfile('Dockerfile', text);
    expect(found.map((f) => `${f.line} ${f.rule} ${f.message.split(' ')[0]}`)).toEqual([
      '3 docker-secret-arg NPM_TOKEN',
      '4 docker-secret-arg DB_PASSWORD',
      '6 docker-secret-arg API_KEY',
      '7 docker-secret-arg LEGACY_SECRET',
    ]);
    expect(found.every((f) => f.severity === 'error' && /RUN --mount=type=secret/.test(f.hint!) && /envcrypt exec/.test(f.hint!))).toBe(true);
    expect(JSON.stringify(found)).not.toContain(CANARY);
  });

  it('finds COPY/ADD of a plaintext .env (shell and JSON forms), not of .env.enc, templates or other stages', () => {
    const text = [
      'FROM node:20 AS build',
      'COPY .env ./',
      'COPY --chown=node:node config/.env.production /app/',
      'ADD [".env.local", "/app/"]',
      'COPY .env.enc .env.example ./',
      'COPY --from=build /app/.env /app/.env',
      'COPY <<EOF /app/.env',
    ].join('\n');
    expect(checkDockerfile('Dockerfile', text).map((f) => `${f.line} ${f.rule}`)).toEqual(['2 docker-copy-env', '3 docker-copy-env', '4 docker-copy-env']);
  });

  it('honours the escape directive for continuation lines', () => {
    const ins = instructions('# escape=`\nFROM x\nARG A `\n  B_TOKEN\nRUN echo \\\n');
    expect(ins.map((i) => `${i.line} ${i.keyword} ${i.args.replace(/\s+/g, ' ')}`)).toEqual(['2 FROM x', '3 ARG A B_TOKEN', '5 RUN echo \\']);
  });
});

describe('.dockerignore and the build context', () => {
  it('compiles patterns as Docker does: root-relative, **, !, last match wins, parents count', () => {
    const ig = compileDockerIgnore('# comment\n.env\n**/.env.*\n!**/*.enc\nsecrets/\n');
    expect(['.env', 'a/.env.local', '.env.production', 'secrets/x', 'secrets'].filter(ig)).toEqual(['.env', 'a/.env.local', '.env.production', 'secrets/x', 'secrets']);
    expect(['a/.env', '.env.prod.enc', 'a/.env.x.enc', 'app.js'].filter(ig)).toEqual([]);
  });

  it('an error when a plaintext .env would go in, a warning for one that would, nothing when excluded', () => {
    expect(checkBuildContext('Dockerfile', null, ['.env']).map((f) => [f.severity, f.message])).toEqual([['error', 'the build context has no .dockerignore, so it takes plaintext .env']]);
    expect(checkBuildContext('Dockerfile', 'node_modules\n', []).map((f) => f.severity)).toEqual(['warning']);
    expect(checkBuildContext('Dockerfile', '.env\n.env.*\n', ['.env', '.env.local'])).toEqual([]);
  });

  describe('in runCheck', () => {
    let t: ReturnType<typeof tempDir>;
    beforeAll(() => {
      t = tempDir();
    });
    afterAll(() => t.cleanup());

    it('reports a git-ignored .env in a context without .dockerignore, and the ARG, with hints', async () => {
      const dir = realpathSync(t.dir);
      git(dir, 'init', '-q');
      writeTree(dir, { '.gitignore': '.env\n', '.env': `A=${CANARY}\n`, 'Dockerfile': 'FROM x\nARG NPM_TOKEN\nCOPY . .\n' });
      const r = await runCheck({ cwd: dir, env: { HOME: '/nonexistent' } });
      expect(r.findings.map((f) => `${f.file}${f.line ? `:${f.line}` : ''} ${f.severity} ${f.rule}`)).toEqual(['Dockerfile error docker-context-env', 'Dockerfile:2 error docker-secret-arg']);
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r)).not.toContain(CANARY);
    });

    it('examples/docker follows its own advice', async () => {
      const r = await runCheck({ cwd: ROOT, paths: [join(ROOT, 'examples/docker')], env: { HOME: '/nonexistent' } });
      expect(r.findings.filter((f) => f.rule.startsWith('docker-'))).toEqual([]);
      expect(readFileSync(join(ROOT, 'examples/docker/.dockerignore'), 'utf8')).toMatch(/age-key\.txt/);
    });
  });
});
