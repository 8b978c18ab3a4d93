import { describe, expect, it } from 'vitest';
import { recipientKey, shortRecipient } from '../../src/keys/short-recipient.js';

describe('shortRecipient', () => {
  it('shortens age and SSH recipients for messages', () => {
    expect(shortRecipient('age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr')).toBe('age1je6k…9dqvr');
    expect(shortRecipient('age1pq1abcdefghijklmnopqrstuvwxyz')).toBe('age1pq1…vwxyz');
    expect(shortRecipient('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQz alice@laptop')).toBe('ssh-ed25519 AAAAC3…Qz alice@laptop');
    expect(shortRecipient('age1short')).toBe('age1short');
  });

  it('keeps what a pusher wrote in a recipient to one inert line', () => {
    // What survives the shortening still shows its escapes as text.
    expect(shortRecipient('\x1b[2J\x1b]8;;x\x07age1aaaaaaaaaaaaaaaaaaaaaaaaaaaa\nfake line')).toBe('\\x1b[2J\\x1b]8;… line');
    expect(shortRecipient('ssh-ed25519 AAAAC3NzaC1 a\x1b[2Jb')).toBe('ssh-ed25519 AAAAC3…C1 a\\x1b[2Jb');
    expect(shortRecipient('age1\x1b[2J\nhi')).toBe('age1\\x1b[2J\\nhi');
  });
});

describe('recipientKey', () => {
  it('drops an SSH key comment and trims; other recipients stay as written', () => {
    expect(recipientKey('  ssh-ed25519 AAAAC3 alice@laptop ')).toBe('ssh-ed25519 AAAAC3');
    expect(recipientKey(' age1abc ')).toBe('age1abc');
  });
});
