import { join } from 'node:path';
import type { SyncHost } from '../api/decrypt.js';
import { EnvcryptError, type ErrorCode } from '../errors.js';
import { builtin } from '../io/builtin.js';
import { otherOpeners } from '../keys/age/openers.js';
import { generalCannotOpen } from '../keys/age/general-filter.js';
import type { GeneralOpened, GeneralUnwrap } from '../keys/age/unwrap.js';
import type { FoundIdentity } from '../keys/discovery.js';
import { dotenvStore } from '../stores/dotenv.js';
import { jsonStore } from '../stores/json.js';
import type { Format, Store } from '../stores/store.js';

/** What the parent sends the helper on its stdin (never on argv or in the environment). */
export interface UnwrapRequest {
  /** For each key group to open, its wrapped data keys in the order to try: the binary age file in base64, and the recipient it names. */
  groups: { file: string; recipient: string }[][];
  /** Post-quantum identity strings, age plugin identities and SSH private keys. */
  identities: FoundIdentity[];
}

/**
 * What the helper prints on its stdout: for each group of the request, which
 * of its stanzas opened and the data key (or Shamir share) it held, in
 * base64, or null when none did; or the error.
 */
export type UnwrapReply = { opened: ({ stanza: number; key: string } | null)[] } | { error: { code: ErrorCode; message: string; hints: string[] } };

/** `spawnSync`, or a stand-in a test passes to {@link preloadHost} to count the helpers started. */
export type SpawnSync = typeof import('node:child_process').spawnSync;

/**
 * The preloads' {@link SyncHost}. It lives in dist/runtime.cjs only, which is
 * CommonJS: `require` there evaluates the YAML store (and the `yaml` parser)
 * when a YAML file is loaded, and not before.
 *
 * Post-quantum identities and SSH keys without a passphrase are opened
 * in-process ({@link otherOpeners}). What is left, a passphrase-protected
 * SSH key or an age plugin identity, needs the general path, whose API is
 * asynchronous, and a preload cannot wait for a promise: it is opened by a
 * short-lived envcrypt process (`__unwrap-general`) that gets the request on
 * a stdin pipe and answers on a stdout pipe. One process per identity source
 * whose keys need it, not one per stanza or file: it gets every stanza of
 * every key group still to open, in every file the preload loads, at once
 * (see `decryptTextsSync`). The identities found here are sent along, so a
 * key command never runs twice.
 */
export function preloadHost(bin: string, spawn?: SpawnSync): SyncHost {
  return {
    otherOpeners,
    storeFor(format: Format): Store {
      switch (format) {
        case 'dotenv':
          return dotenvStore;
        case 'json':
          return jsonStore;
        case 'yaml':
          return (require('../stores/yaml.js') as typeof import('../stores/yaml.js')).yamlStore;
        case 'ini':
          return (require('../stores/ini.js') as typeof import('../stores/ini.js')).iniStore;
        case 'binary':
          return (require('../stores/binary.js') as typeof import('../stores/binary.js')).binaryStore;
      }
    },
    unwrapGeneral(req: GeneralUnwrap): (GeneralOpened | null)[] {
      // Protected SSH keys none of whose stanzas is in the file: no helper to start.
      if (generalCannotOpen(req)) return req.groups.map(() => null);
      const request: UnwrapRequest = {
        groups: req.groups.map((stanzas) => stanzas.map((s) => ({ file: Buffer.from(s.file).toString('base64'), recipient: s.recipient }))),
        identities: req.ids.general,
      };
      const spawnSync = spawn ?? builtin<typeof import('node:child_process')>('node:child_process').spawnSync;
      const r = spawnSync(process.execPath, [bin, '__unwrap-general'], {
        input: JSON.stringify(request),
        stdio: ['pipe', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      let reply: UnwrapReply | undefined;
      try {
        reply = r.status === 0 ? (JSON.parse(r.stdout.toString('utf8')) as UnwrapReply) : undefined;
      } catch {
        reply = undefined;
      }
      if (!reply || !('error' in reply || answersAll(reply.opened, request.groups))) {
        const why = r.error ? (r.error as NodeJS.ErrnoException).code : r.status === 0 ? 'an unreadable answer' : `exit ${r.status ?? r.signal}`;
        throw new EnvcryptError('INTERNAL', `the envcrypt helper for post-quantum and ssh keys failed (${why})`, {
          hints: [`run "envcrypt exec -- true" with the same keys to see the error`],
        });
      }
      if ('error' in reply) throw new EnvcryptError(reply.error.code, reply.error.message, { hints: reply.error.hints });
      return reply.opened.map((o) => (o === null ? null : { stanza: o.stanza, key: new Uint8Array(Buffer.from(o.key, 'base64')) }));
    },
  };
}

/** An answer for each group, naming one of its stanzas. */
function answersAll(opened: unknown, groups: readonly unknown[][]): boolean {
  return (
    Array.isArray(opened) &&
    opened.length === groups.length &&
    opened.every((o: unknown, i) => {
      if (o === null) return true;
      const { stanza, key } = o as { stanza?: unknown; key?: unknown };
      return Number.isInteger(stanza) && (stanza as number) >= 0 && (stanza as number) < groups[i]!.length && typeof key === 'string';
    })
  );
}

/** The default helper: this package's CLI. */
export function helperBin(distDir: string): string {
  return join(distDir, '..', 'bin', 'envcrypt.js');
}
