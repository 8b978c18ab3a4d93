/**
 * Remembers the IV of every (plaintext, AAD) pair seen on decrypt, so that
 * re-encrypting an unchanged value gives byte-identical ciphertext and git
 * diffs stay small. Reusing an IV is safe only for the *same* plaintext and
 * AAD (the output is then identical) or under a new key (rotation).
 */
export class IvStash {
  private readonly ivs = new Map<string, Uint8Array>();
  private readonly enabled: boolean;

  /** @param enabled - false for read-only callers: nothing is remembered, saving memory on big files. */
  constructor(enabled = true) {
    this.enabled = enabled;
  }

  private static id(text: string, aad: string): string {
    return `${aad.length}:${aad}${text}`;
  }

  /** Record the IV a value was found encrypted with. */
  remember(text: string, aad: string, iv: Uint8Array): void {
    if (this.enabled) this.ivs.set(IvStash.id(text, aad), iv);
  }

  /** The IV to reuse for this pair, if it was seen. */
  lookup(text: string, aad: string): Uint8Array | undefined {
    return this.ivs.get(IvStash.id(text, aad));
  }

  /** Number of remembered pairs. */
  get size(): number {
    return this.ivs.size;
  }
}
