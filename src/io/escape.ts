/**
 * Making attacker-controlled text safe to show on a terminal. Keys, values
 * and comments of an encrypted file are written by whoever can push to the
 * repository; printed raw, an ESC sequence (`\x1b[2J`, an OSC 8 link), a
 * carriage return or a backspace can clear the screen or draw lines that
 * are not in the file, and a bidi override can reorder what is shown.
 *
 * Escaped, each such character becomes visible text: `\x1b` for C0 controls
 * and DEL, `\u009b` for C1 controls, `\u202e` for bidi overrides and
 * isolates. Line feed and tab are kept (they only move the cursor forward or
 * down, and the output is line-based). A backslash is not doubled, so the
 * escaped view is for reading, not for copying exact bytes: a value that
 * already holds the text `\x1b` looks the same as one holding an ESC. Where
 * exact bytes matter (a pipe, `-o FILE`), nothing is escaped.
 */

/**
 * The characters escaped: C0 controls except tab (U+0009) and line feed
 * (U+000A); DEL (U+007F); C1 controls (U+0080–U+009F); the bidi embeddings
 * and overrides U+202A–U+202E and isolates U+2066–U+2069 (the "Trojan Source"
 * set, as rustc's lint).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** `\x1b` for a code below U+0080, else `\u009b` / `\u202e` (lower-case hex). */
function escapeOne(ch: string): string {
  const c = ch.charCodeAt(0);
  return c < 0x80 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/**
 * True if `text` holds a character {@link escapeControls} would change.
 *
 * @param text - any text
 */
export function hasUnsafeControls(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

/**
 * `text` with every terminal control character other than tab and line
 * feed, and every bidi override or isolate, written as a visible escape
 * (`\x1b`, `\r` as `\x0d`, `\u0085`, `\u202e`). Text without any is returned
 * as it is (the same string).
 *
 * @param text - text read from a file, about to be shown on a terminal
 */
export function escapeControls(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE, escapeOne) : text;
}

/**
 * {@link escapeControls} for text that must stay on one line (a table cell, a
 * report line): line feed and tab as `\n` and `\t` too, so a key or file name
 * read from a repository cannot add lines of its own.
 *
 * @param text - text read from a file or from git, about to be shown
 */
export function escapeLine(text: string): string {
  return escapeControls(/[\n\t]/.test(text) ? text.replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t')) : text);
}

/** The longest key text an error message shows before cutting it with "…". */
const MAX_SHOWN = 80;

/**
 * A key (or other name read from a file) for an error message: in double
 * quotes, with `"` and `\` backslash-escaped, line feed and tab as `\n` and
 * `\t` (an error message is one line), other controls and bidi characters
 * escaped as by {@link escapeControls}, and cut after {@link MAX_SHOWN}
 * characters so that a huge key cannot flood the terminal.
 *
 * @param name - the key as read; never a value
 */
export function quoteName(name: string): string {
  let cut = name;
  if (name.length > MAX_SHOWN) {
    // Never cut a surrogate pair in half.
    const end = isHighSurrogate(name.charCodeAt(MAX_SHOWN - 1)) ? MAX_SHOWN - 1 : MAX_SHOWN;
    cut = `${name.slice(0, end)}…`;
  }
  const inner = cut.replace(/["\\\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\${c}`));
  return `"${escapeControls(inner)}"`;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
