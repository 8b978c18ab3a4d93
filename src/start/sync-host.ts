import { join } from 'node:path';
import type { SyncHost } from '../api/decrypt.js';
import { EnvcryptError, type ErrorCode } from '../errors.js';
import { builtin } from '../io/builtin.js';
import { otherOpeners } from '../keys/age/openers.js';
import type { GeneralUnwrap } from '../keys/age/unwrap.js';
import type { FoundIdentity } from '../keys/discovery.js';
import { dotenvStore } from '../stores/dotenv.js';
import { jsonStore } from '../stores/json.js';
import type { Format, Store } from '../stores/store.js';

/** What the parent sends the helper on its stdin (never on argv or in the environment). */
export interface UnwrapRequest {
  /** The binary age file holding the data key, in base64. */
  file: string;
  recipient: string;
  /** Post-quantum identity strings and SSH private keys. */
  identities: FoundIdentity[];
}

/** What the helper prints on its stdout: the data key in base64, null when nothing matched, or the error. */
export type UnwrapReply = { key: string | null } | { error: { code: ErrorCode; message: string; hints: string[] } };

/**
 * The preloads' {@link SyncHost}. It lives in dist/runtime.cjs only, which is
 * CommonJS: `require` there evaluates the YAML store (and the `yaml` parser)
 * when a YAML file is loaded, and not before.
 *
 * Post-quantum identities and SSH keys without a passphrase are opened
 * in-process ({@link otherOpeners}). What is left, a passphrase-protected
 * SSH key, needs the general path, whose API is asynchronous, and a preload
 * cannot wait for a promise: such a stanza is opened by a short-lived
 * envcrypt process (`__unwrap-general`) that gets the request on a stdin
 * pipe and answers on a stdout pipe. The identities found here are sent
 * along, so a key command never runs twice.
 */
export function preloadHost(bin: string): SyncHost {
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
    unwrapGeneral(req: GeneralUnwrap): Uint8Array | null {
      const request: UnwrapRequest = { file: Buffer.from(req.file).toString('base64'), recipient: req.recipient, identities: req.ids.general };
      const { spawnSync } = builtin<typeof import('node:child_process')>('node:child_process');
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
      if (!reply) {
        const why = r.error ? (r.error as NodeJS.ErrnoException).code : r.status === 0 ? 'an unreadable answer' : `exit ${r.status ?? r.signal}`;
        throw new EnvcryptError('INTERNAL', `the envcrypt helper for post-quantum and ssh keys failed (${why})`, {
          hints: [`run "envcrypt exec -- true" with the same keys to see the error`],
        });
      }
      if ('error' in reply) throw new EnvcryptError(reply.error.code, reply.error.message, { hints: reply.error.hints });
      return reply.key === null ? null : new Uint8Array(Buffer.from(reply.key, 'base64'));
    },
  };
}

/** The default helper: this package's CLI. */
export function helperBin(distDir: string): string {
  return join(distDir, '..', 'bin', 'envcrypt.js');
}
