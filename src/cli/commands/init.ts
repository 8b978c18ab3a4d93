import { init } from '../../api/init.js';
import { type Command } from '../command.js';
import { note, warning } from '../output.js';

/** `envcrypt init [--pq]`: key, `.sops.yaml` and `.gitignore` for a repository. */
export const initCommand: Command = {
  command: 'init',
  describe: 'set up this repository: your key (if missing), .sops.yaml, and .gitignore for plaintext .env files',
  builder: (y) =>
    y
      .option('pq', { type: 'boolean', default: false, describe: 'make a post-quantum hybrid key (age1pq1…) if a new key is needed' })
      .epilogue('Safe to run again: an existing key is never replaced, and files already set up are left alone.'),
  async handler(args, io) {
    const r = await init({ env: io.env, pq: !!args.pq, onWarning: (m) => warning(io, m) });
    if (r.key.created) note(io, `created your key ${r.key.source} (mode 0600); back it up, and never commit or share it`);
    else note(io, `using your key from ${r.key.source}`);
    const sops = {
      created: `created ${r.sopsYaml.path} with a rule for .env files and *.enc.yaml|json files, encrypted to you`,
      unchanged: `${r.sopsYaml.path} already lists your key; unchanged`,
      'not-a-recipient': `${r.sopsYaml.path} exists and does not list your key, so it was left unchanged`,
      'no-rule': `${r.sopsYaml.path} exists but no creation rule matches .env.enc; it was left unchanged`,
    }[r.sopsYaml.status];
    if (r.sopsYaml.status === 'no-rule') warning(io, sops);
    else note(io, sops);
    if (r.gitignore.status === 'unchanged') note(io, `${r.gitignore.path} already ignores plaintext .env files`);
    else note(io, `${r.gitignore.status} ${r.gitignore.path}: added ${r.gitignore.added.join(' ')}`);
    for (const w of r.warnings) warning(io, w);
    note(io, `your public key (safe to share): ${r.key.recipient}`);
    if (r.sopsYaml.status === 'not-a-recipient') {
      note(io, 'next: send your public key to a teammate who can decrypt, and ask them to run');
      note(io, `  envcrypt recipients add ${r.key.recipient}`);
      note(io, 'then pull their commit; "envcrypt decrypt .env.enc" will work for you');
    } else {
      note(io, 'next steps:');
      note(io, '  encrypt:    envcrypt encrypt .env -o .env.enc   (then commit .env.enc, .sops.yaml and .gitignore)');
      note(io, '  teammates:  each runs "envcrypt init" in their clone (it makes their key) and sends you the public key it prints');
      note(io, '  add them:   envcrypt recipients add <their key>   (re-wraps every encrypted file; commit the result)');
      note(io, '  offboard:   envcrypt recipients remove <their key>   (new data key; then rotate the secrets themselves)');
    }
    io.stdout(`${r.key.recipient}\n`);
    return 0;
  },
};
