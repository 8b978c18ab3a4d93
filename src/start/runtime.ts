/**
 * The start-up-critical entry points, bundled into one CommonJS file
 * (dist/runtime.cjs) with no yargs, no YAML parser and no age-encryption
 * loaded unless a file needs them: `envcrypt exec`, the preload
 * (`node --import envcrypt/config` and `node -r envcrypt/config`) and the
 * preload's helper for post-quantum and SSH keys.
 */
import { readFileSync } from 'node:fs';
import { applyConfig, loadDetailedSync } from '../api/load.js';
import { processIo } from '../cli/output.js';
import { EnvcryptError } from '../errors.js';
import { unwrapGeneral } from '../keys/age/unwrap.js';
import { failPreload } from './preload-fail.js';
import { preloadOptions } from './preload-options.js';
import { helperBin, preloadHost, type UnwrapReply, type UnwrapRequest } from './sync-host.js';

/** `envcrypt exec …` (argv without the word `exec`). */
export async function execMain(argv: readonly string[]): Promise<number> {
  // Loaded on demand: the preloads never spawn, so they skip child_process.
  const { runExec } = await import('../cli/exec/run.js');
  return runExec(argv, processIo());
}

/**
 * The preload: fill `process.env` before the app's first line, or stop the
 * process with envcrypt's error. The identity variables are then deleted
 * from `process.env` (unless `ENVCRYPT_CONFIG_KEEP_IDENTITY`). Synchronous on purpose: a CommonJS `-r`
 * module cannot wait for a promise, and as a module loaded by `--import` (or
 * an `import 'envcrypt/config'` in the app) it is done before anything after
 * it is evaluated.
 */
export function preloadSync(): void {
  try {
    const opts = preloadOptions(process.env);
    applyConfig(loadDetailedSync(opts, preloadHost(helperBin(__dirname))), opts);
  } catch (e) {
    failPreload(e);
  }
}

/**
 * Internal `envcrypt __unwrap-general`: open, for the preload (see
 * `preloadHost`), every wrapped data key one identity source left to the
 * post-quantum, plugin and SSH path, group by group. Reads an
 * {@link UnwrapRequest} on stdin, prints an {@link UnwrapReply}.
 */
export async function unwrapGeneralMain(): Promise<number> {
  let reply: UnwrapReply;
  try {
    const req = JSON.parse(readFileSync(0, 'utf8')) as UnwrapRequest;
    const groups = req.groups.map((stanzas) => stanzas.map((s) => ({ file: new Uint8Array(Buffer.from(s.file, 'base64')), recipient: s.recipient })));
    const opened = await unwrapGeneral({ ids: { native: [], general: req.identities }, groups });
    reply = { opened: opened.map((o) => (o === null ? null : { stanza: o.stanza, key: Buffer.from(o.key).toString('base64') })) };
  } catch (e) {
    // Only envcrypt's own messages cross over: they never hold key material.
    reply = { error: e instanceof EnvcryptError ? { code: e.code, message: e.message, hints: e.hints } : { code: 'INTERNAL', message: 'internal error in the key helper', hints: [] } };
  }
  process.stdout.write(JSON.stringify(reply));
  return 0;
}
