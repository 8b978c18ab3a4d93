// Values shared by the export tests: each one a way for quoting to go wrong.
export const SAMPLE: Record<string, string> = {
  PLAIN: 'hunter2',
  EMPTY: '',
  SPACES: '  padded value  ',
  EQUALS: 'a=b==c',
  SINGLE_QUOTES: "it's 'quoted'",
  DOUBLE_QUOTES: 'say "hi"',
  DOLLAR: '$HOME ${PATH} $(id) `id`',
  BACKSLASH: 'C:\\path\\n\\t\\\\',
  UNICODE: 'pässwörd ✓ 密码 😀',
  HASH: '#not a comment',
  PERCENT: '100%0A%25',
  ANGLES: 'a<<EOF>b',
};

/** Multi-line values, for the formats that can hold them. */
export const MULTILINE: Record<string, string> = {
  PEM: '-----BEGIN KEY-----\nMIIB\nabc+/=\n-----END KEY-----\n',
  CRLF: 'line1\r\nline2',
  BLANK_LINES: '\n\nmiddle\n\n',
  LONE_CR: 'a\rb',
};
