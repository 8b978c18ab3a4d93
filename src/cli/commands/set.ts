import { generateSecret, getValue, setValue, splitAssignment, typedValue, unsetValue, valueText, type ChangeOptions, type Format, type ValueKind } from '../../api/set.js';
import { EnvcryptError } from '../../errors.js';
import { optString, strings, type Args, type Command } from '../command.js';
import { readHidden } from '../editor.js';
import { encryptedInputFormat, withIdentity, withInputType } from '../shared-options.js';
import { note, warning, type Io } from '../output.js';

const TYPES: readonly ValueKind[] = ['str', 'int', 'float', 'bool', 'json'];

/** The options every one of these commands shares. */
function common(args: Args, io: Io, format: Format): ChangeOptions {
  const configPath = optString(args.config);
  return {
    format,
    identityFiles: strings(args.identity),
    env: io.env,
    onWarning: (m) => warning(io, m),
    ...(configPath !== undefined ? { configPath } : {}),
    ...(args['allow-selector-change'] ? { allowSelectorChange: true } : {}),
  };
}


/** `--generate` / `--generate=N`: '' means the default length. */
function generateLength(raw: unknown): number | undefined {
  const s = String(raw);
  if (s === '' || raw === true) return undefined;
  if (!/^\d+$/.test(s)) {
    throw new EnvcryptError('USAGE', '--generate takes a length, as in --generate=32', {
      hints: ['put --generate after FILE and KEY, or write the length with "=": --generate=N'],
    });
  }
  return Number(s);
}

/** All of stdin, minus one trailing newline (what `echo` or a heredoc adds). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Where the value comes from, in order: KEY=VALUE, --generate, stdin, a hidden prompt. */
async function valueFor(args: Args, io: Io, key: string, inline: string | undefined): Promise<string> {
  const generate = args.generate !== undefined;
  if (inline !== undefined && generate) throw new EnvcryptError('USAGE', 'give either KEY=VALUE or --generate, not both');
  if (args.charset !== undefined && !generate) throw new EnvcryptError('USAGE', '--charset only applies with --generate');
  if (inline !== undefined) {
    if (io.stdinIsTTY) warning(io, 'a value given as KEY=VALUE stays in your shell history; omit "=VALUE" to be prompted, or pipe it on stdin');
    return inline;
  }
  if (generate) {
    const length = generateLength(args.generate);
    const charset = optString(args.charset);
    const value = generateSecret({ ...(length !== undefined ? { length } : {}), ...(charset !== undefined ? { charset } : {}) });
    note(io, `generated a random ${[...value].length}-character value for ${key}`);
    return value;
  }
  if (!io.stdinIsTTY) return readStdin();
  return readHidden(io, `envcrypt: value for ${key} (input hidden): `);
}

/** `envcrypt set FILE KEY` (value from stdin or a prompt), `set FILE KEY=VALUE`, `set FILE KEY --generate`. */
export const setCommand: Command = {
  command: 'set <file> <key> [value..]',
  describe: 'set one value (KEY may be a path like db.password); the value comes from stdin, a hidden prompt, KEY=VALUE or --generate',
  builder: (y) =>
    withInputType(withIdentity(y))
      .positional('file', { type: 'string', describe: 'encrypted file' })
      .positional('key', { type: 'string', describe: `KEY, a path (db.password or '["db"]["password"]'), or KEY=VALUE` })
      .option('generate', { type: 'string', describe: 'store a random secret: --generate[=N], N bytes as base64url (default 32), or N characters with --charset' })
      .option('charset', { type: 'string', requiresArg: true, describe: 'with --generate: alnum, hex, base64url, or the characters to use (default length: 256 bits)' })
      .option('type', { type: 'string', choices: TYPES as string[], default: 'str', describe: 'YAML/JSON value type; json reads a JSON value as sops set does ({"a": 1}, "text", [1, 2])' })
      .option('force', { type: 'boolean', default: false, describe: 'replace a value in the way, as sops does: a scalar the path goes through (a: 1, then set a.b) or a whole mapping or list at KEY' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (for its stores indent setting)' })
      .option('allow-selector-change', { type: 'boolean', default: false, describe: 'store the value as the file\'s selector says even when it differs from its .sops.yaml rule (or the default) and leaves it in plaintext' })
      .epilogue(
        'Without =VALUE, the value is read from stdin when it is not a terminal (all of it, minus one trailing newline), ' +
          'else asked for without echo. KEY=VALUE leaves the value in your shell history. Concurrent set/unset/edit runs wait for each other.',
      ),
  async handler(args, io) {
    const file = String(args.file);
    if (strings(args.value).length > 0) {
      // Never echo it: it is a secret, and it is already in the shell history.
      throw new EnvcryptError('USAGE', 'set takes no value argument: a value on the command line lands in your shell history and in "ps" output', {
        hints: [`pipe it on stdin ("envcrypt set ${file} ${splitAssignment(String(args.key))?.key ?? String(args.key)} < value.txt") or run without it to be asked without echo; --generate makes a random one`],
      });
    }
    const format = encryptedInputFormat(args, file);
    const arg = String(args.key);
    const split = splitAssignment(arg);
    const key = split?.key ?? arg;
    const text = await valueFor(args, io, key, split?.value);
    const value = typedValue(text, String(args.type) as ValueKind);
    const result = await setValue(file, key, value, { ...common(args, io, format), force: !!args.force });
    if (!result.changed) note(io, `${key} already has this value; ${file} was not written`);
    return 0;
  },
};

/** `envcrypt unset FILE KEY`. */
export const unsetCommand: Command = {
  command: 'unset <file> <key>',
  describe: 'remove one value (KEY may be a path like db.password)',
  builder: (y) =>
    withInputType(withIdentity(y))
      .positional('file', { type: 'string', describe: 'encrypted file' })
      .positional('key', { type: 'string', describe: `KEY or a path (db.password or '["db"]["password"]')` })
      .option('ignore-missing', { type: 'boolean', alias: 'idempotent', default: false, describe: 'succeed when the key does not exist (sops: --idempotent)' })
      .option('config', { type: 'string', requiresArg: true, describe: 'path to .sops.yaml (for its stores indent setting)' }),
  async handler(args, io) {
    const file = String(args.file);
    const format = encryptedInputFormat(args, file);
    const result = await unsetValue(file, String(args.key), { ...common(args, io, format), ignoreMissing: !!args['ignore-missing'] });
    if (!result.changed) note(io, `${file} has no value at ${String(args.key)}; nothing to remove`);
    return 0;
  },
};

/** `envcrypt get FILE KEY`. */
export const getCommand: Command = {
  command: 'get <file> <key>',
  describe: 'print one decrypted value, raw (a subtree in the file\'s format)',
  builder: (y) =>
    withInputType(withIdentity(y))
      .positional('file', { type: 'string', describe: 'encrypted file' })
      .positional('key', { type: 'string', describe: `KEY or a path (db.password or '["db"]["password"]')` })
      .option('newline', { type: 'boolean', default: false, describe: 'end the output with a newline (by default a string is printed as is)' }),
  async handler(args, io) {
    const file = String(args.file);
    const format = encryptedInputFormat(args, file);
    const node = await getValue(file, String(args.key), common(args, io, format));
    const text = await valueText(node, format);
    io.stdout(args.newline && !text.endsWith('\n') ? `${text}\n` : text);
    return 0;
  },
};
