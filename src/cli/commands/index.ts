import type { Command } from '../command.js';

/** A command's name and how to load its module. */
interface Entry {
  name: string;
  load: () => Promise<Command>;
}

// Modules are imported on demand: a run loads only the command it runs (and
// its dependencies), not the YAML parser, git or export code of the others.
// The order is the order of `envcrypt --help`.
const table: Entry[] = [
  { name: 'init', load: async () => (await import('./init.js')).initCommand },
  { name: 'encrypt', load: async () => (await import('./encrypt.js')).encryptCommand },
  { name: 'decrypt', load: async () => (await import('./decrypt.js')).decryptCommand },
  { name: 'edit', load: async () => (await import('./edit.js')).editCommand },
  { name: 'set', load: async () => (await import('./set.js')).setCommand },
  { name: 'unset', load: async () => (await import('./set.js')).unsetCommand },
  { name: 'get', load: async () => (await import('./set.js')).getCommand },
  { name: 'exec-file', load: async () => (await import('./exec-file.js')).execFileCommand },
  { name: 'keys', load: async () => (await import('./keys.js')).keysCommand },
  { name: 'recipients', load: async () => (await import('./recipients.js')).recipientsCommand },
  { name: 'rotate', load: async () => (await import('./rotate.js')).rotateCommand },
  { name: 'keygen', load: async () => (await import('./keygen.js')).keygenCommand },
  { name: 'export', load: async () => (await import('./export.js')).exportCommand },
  { name: 'git', load: async () => (await import('./git.js')).gitCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'audit', load: async () => (await import('./audit.js')).auditCommand },
  { name: 'completion', load: async () => (await import('./completion.js')).completionCommand },
];

/**
 * The commands to register with yargs for `argv`: only the one named by the
 * first argument when it is a known command, else all of them (top-level
 * help, suggestions for a typo).
 */
export async function commandsFor(argv: readonly string[]): Promise<Command[]> {
  const hit = table.find((e) => e.name === argv[0]);
  return hit ? [await hit.load()] : Promise.all(table.map((e) => e.load()));
}
