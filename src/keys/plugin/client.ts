/**
 * The client side of the age plugin protocol (C2SP age-plugin): start
 * `age-plugin-NAME --age-plugin=STATE_MACHINE`, send phase 1, then answer the
 * plugin's phase-2 commands until it says `done`. The two state machines
 * (`recipient.ts`, `identity.ts`) supply phase 1 and the commands of their
 * own; the commands both share (`msg`, `confirm`, `request-public`,
 * `request-secret`, `error`) are answered here, through the registered
 * {@link PluginUi}.
 *
 * Safety: the binary is looked up by its validated name in the absolute
 * entries of `PATH` only (never the current directory), runs with an empty
 * argv apart from the state machine, in the temporary directory (as age
 * runs it), and secrets (a file key, a PIN) only ever travel on its stdin.
 * What the plugin says is escaped before it reaches the terminal.
 */
import { tmpdir } from 'node:os';
import { EnvcryptError, type ErrorCode } from '../../errors.js';
import { escapeControls } from '../../io/escape.js';
import { childProcess } from '../../io/builtin.js';
import { searchPath } from '../../io/path-search.js';
import { decodeBase64NoPad } from '../../io/base64.js';
import { pluginBinary, validPluginName } from './name.js';
import { encodeStanza, greaseStanza, ProtocolError, StanzaReader, type WireStanza } from './protocol.js';
import { pluginUi } from './ui.js';

/** One run of a plugin's state machine. */
export interface Conversation {
  /** The plugin name (validated again here). */
  name: string;
  machine: 'recipient-v1' | 'identity-v1';
  /** Phase 1, encoded, without the closing `done`. */
  phase1: string;
  /**
   * A phase-2 command of this state machine: returns the reply (encoded), or
   * undefined for a command it does not know (answered `unsupported`).
   * Throws {@link ProtocolError} for a malformed one.
   */
  onCommand(s: WireStanza): string | undefined;
  /** The error code of every failure: NO_IDENTITY when decrypting, PLUGIN when encrypting. */
  code: ErrorCode;
}

/** What the plugin asked for and could not get. */
export interface ConversationResult {
  /** A `request-secret` was answered `fail` (no terminal to ask on). */
  secretRefused: boolean;
}

/** The hint for a `request-secret` that could not be asked. */
export const NO_TERMINAL =
  'the plugin asked for a PIN or passphrase and there is no terminal to ask on: run envcrypt from a terminal (envcrypt exec asks before the command starts); the library and the preload never ask';

/** The most of the plugin's stderr kept for an error message. */
const STDERR_TAIL = 2048;

/** Text from the plugin, made safe for a one-line message on a terminal. */
export function pluginText(bytes: Uint8Array, max = 400): string {
  const t = Buffer.from(bytes).toString('utf8').trim().replace(/\r?\n/g, ' ');
  return escapeControls(t.length > max ? `${t.slice(0, max)}…` : t);
}

function lookUp(c: Conversation): string {
  if (!validPluginName(c.name)) throw new EnvcryptError('BAD_KEY', 'refusing an age plugin name that is not letters, digits, "-", "_", "." and "+"');
  const bin = pluginBinary(c.name);
  const r = searchPath(bin, process.env.PATH);
  if (r.found !== undefined) return r.found;
  const skipped = r.skipped > 0 ? [`${r.skipped} empty or relative PATH ${r.skipped === 1 ? 'entry was' : 'entries were'} not searched: a plugin is never run from the current directory`] : [];
  if (r.unusable !== undefined) {
    throw new EnvcryptError(c.code, `age plugin ${bin} is not executable: ${r.unusable}`, { hints: [`chmod +x ${r.unusable}`, ...skipped] });
  }
  throw new EnvcryptError(c.code, `age plugin ${bin} not found on PATH`, {
    hints: [
      `install ${bin} and put it in a directory on PATH (age plugins are listed at https://github.com/FiloSottile/awesome-age#plugins)`,
      ...skipped,
    ],
  });
}

/**
 * Run one conversation to its end.
 *
 * @throws {@link EnvcryptError} with `c.code` when the plugin is missing,
 *   cannot start, exits early, sends malformed output, or sends `error`
 *   (whose message is shown, escaped)
 */
export async function converse(c: Conversation): Promise<ConversationResult> {
  const file = lookUp(c);
  const bin = pluginBinary(c.name);
  const child = childProcess().spawn(file, [`--age-plugin=${c.machine}`], { cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
  const reader = new StanzaReader();
  let stderr = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  child.on('error', (e: NodeJS.ErrnoException) => {
    spawnError = e;
    reader.end();
  });
  child.stdout.on('data', (d: Buffer) => reader.push(d));
  child.stdout.on('end', () => reader.end());
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
  });
  // A plugin that exits early closes its stdin: the exit, not EPIPE, is the news.
  child.stdin.on('error', () => {});
  const send = (text: string): void => {
    if (text !== '') child.stdin.write(text);
  };

  const result: ConversationResult = { secretRefused: false };
  // The plugin's own error (`error` command) stands alone; a broken run is explained by its stderr and exit.
  const fail = async (fact: string, broken = true): Promise<never> => {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const end = await closed;
    const hints: string[] = [];
    if (result.secretRefused) hints.push(NO_TERMINAL);
    if (broken) {
      const said = pluginText(Buffer.from(stderr));
      if (said !== '') hints.push(`${bin} said: ${said}`);
      hints.push(spawnError ? `it could not be started (${spawnError.code ?? 'error'})` : end.code !== null ? `it exited with status ${end.code}` : `it was ended by ${end.signal}`);
    }
    throw new EnvcryptError(c.code, `age plugin ${bin} failed: ${fact}`, { hints });
  };

  send(c.phase1 + greaseStanza() + encodeStanza('done'));
  const ui = pluginUi();
  for (;;) {
    let s: WireStanza;
    try {
      s = await reader.next();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return fail(e.message === 'the output ended in the middle of the conversation' ? 'it stopped before finishing the conversation' : `malformed output: ${e.message}`);
    }
    try {
      switch (s.type) {
        case 'done':
          child.stdin.end();
          // As age does: the conversation is over; ask the plugin to clean up and go.
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
          await closed;
          return result;
        case 'error':
          send(encodeStanza('ok'));
          // Which identity or stanza it blames ("identity 0") means nothing to the user: the message is what counts.
          return await fail(pluginText(s.body), false);
        case 'msg':
          send(encodeStanza((await ui?.message(c.name, pluginText(s.body, 2000))) ? 'ok' : 'fail'));
          break;
        case 'request-secret':
        case 'request-public': {
          const v = (await ui?.requestValue(c.name, pluginText(s.body), s.type === 'request-secret')) ?? null;
          if (v === null && s.type === 'request-secret') result.secretRefused = true;
          send(v === null ? encodeStanza('fail') : encodeStanza('ok', [], new Uint8Array(Buffer.from(v, 'utf8'))));
          break;
        }
        case 'confirm': {
          const [yes, no] = s.args.map((a) => decodeBase64NoPad(a));
          if (s.args.length < 1 || s.args.length > 2 || yes == null || (s.args.length === 2 && no == null)) throw new ProtocolError('a malformed confirm command');
          const choice = (await ui?.confirm(c.name, pluginText(s.body), pluginText(yes), no ? pluginText(no) : undefined)) ?? null;
          send(choice === null ? encodeStanza('fail') : encodeStanza('ok', [choice ? 'yes' : 'no']));
          break;
        }
        default:
          send(c.onCommand(s) ?? encodeStanza('unsupported'));
      }
    } catch (e) {
      if (e instanceof ProtocolError) return fail(`malformed output: ${e.message}`);
      // A prompt cancelled (Ctrl-C) or failing: end the plugin before giving up.
      child.stdin.end();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await closed;
      throw e;
    }
  }
}
