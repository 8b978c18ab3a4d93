/**
 * `envcrypt decrypt`: a file's plaintext, whole or one value, in the format
 * asked for, to a terminal (escaped), a pipe (exact bytes) or a private file.
 */
import { EnvcryptError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { escapeControls } from '../io/escape.js';
import { formatFromName, parseFormat, storeFor } from '../stores/index.js';
import type { Format } from '../stores/store.js';
import { formatPath, getPath, parsePath } from '../tree/path.js';
import { decryptFile, type DecryptOptions } from './decrypt.js';
import { indentFor } from './write-back.js';

export { assertInputFile } from './decrypt.js';

/** Options for {@link revealFile}. */
export interface RevealOptions extends DecryptOptions {
  /** `--output-type`: dotenv, yaml, json, ini or binary; by default from `output`'s name, else the input format. */
  outputType?: string;
  /** `--extract`: one value, by sops path (`["db"]["password"]`) or dotted path. */
  extract?: string;
  /** Write the plaintext here, atomically with mode 0600, instead of returning it. */
  output?: string;
  /** The text goes to a terminal: control characters and bidi overrides are shown escaped. */
  terminal?: boolean;
  /** YAML/JSON indentation; by default `stores.<format>.indent` of the `.sops.yaml` governing `file`, as sops does. */
  indent?: number;
  /** `--config PATH` for finding that `.sops.yaml`. */
  configPath?: string;
}

/**
 * Decrypt `file` (MAC and integrity record verified unless `ignoreMac`) and
 * return its plaintext, or write it to `output`. A string value extracted is
 * returned raw with no newline added, as sops prints it, so it can be piped.
 * On a terminal, keys, values and comments could hold escape sequences that
 * draw what is not in the file, so they are escaped; a pipe or a file gets
 * the exact bytes.
 *
 * @returns the text to print, or null when it was written to `output`
 * @throws EnvcryptError `USAGE` for an unknown output type, `NOT_FOUND` for a missing `extract` path; decrypt errors
 */
export async function revealFile(file: string, opts: RevealOptions): Promise<string | null> {
  const inFormat: Format | undefined = opts.format;
  const outFormat = opts.outputType ? parseFormat(opts.outputType, '--output-type') : (opts.output && formatFromName(opts.output)) || inFormat;
  const dec = await decryptFile(file, { ...opts, readOnly: true });
  const format = outFormat ?? dec.format;
  const store = await storeFor(format);
  // sops's output store carries the `stores` indent of its config (cmd/sops/main.go outputStore): it
  // applies to the whole file and to an extracted mapping (EmitPlainFile), and to another extracted
  // value in JSON only (the YAML store's EmitValue is a bare yaml.Marshal, always 4 spaces).
  const indent = indentFor(file, format, {
    ...(opts.indent !== undefined ? { indent: opts.indent } : {}),
    ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
  });
  const emit = indent !== undefined ? { indent } : {};
  let text: string;
  if (opts.extract !== undefined) {
    const steps = parsePath(opts.extract);
    const node = dec.branches[0] ? getPath(dec.branches[0], steps) : undefined;
    // Exit 6, as "envcrypt get" of a missing key.
    if (!node) throw new EnvcryptError('NOT_FOUND', `${file} has no value at ${formatPath(steps)}`, { hints: [`"envcrypt keys ${file}" lists its keys (names only, no values)`] });
    // A mapping is a document of its own, except in INI, where a document is made of sections: there it is a section's lines.
    text = node.kind === 'str' ? node.value : node.kind === 'map' && store.format !== 'ini' ? store.emitPlain([node], emit) : store.emitValue(node, format === 'json' ? emit : {});
  } else {
    text = store.emitPlain(dec.branches, emit);
  }
  if (opts.output === undefined) return opts.terminal ? escapeControls(text) : text;
  writeFileAtomic(opts.output, text, { forceMode: 0o600 });
  return null;
}
