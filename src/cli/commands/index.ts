import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { completionCommand } from './completion.js';
import { decryptCommand } from './decrypt.js';
import { editCommand } from './edit.js';
import { encryptCommand } from './encrypt.js';
import { exportCommand } from './export.js';
import { gitCommand } from './git.js';
import { initCommand } from './init.js';
import { keygenCommand } from './keygen.js';
import { recipientsCommand } from './recipients.js';
import { rotateCommand } from './rotate.js';
import { statusCommand } from './status.js';
import { getCommand, setCommand, unsetCommand } from './set.js';

/** Every yargs command, registered explicitly (commandDir misses ESM modules). */
export const commands: Command[] = [
  initCommand,
  encryptCommand,
  decryptCommand,
  editCommand,
  setCommand,
  unsetCommand,
  getCommand,
  recipientsCommand,
  rotateCommand,
  keygenCommand,
  exportCommand,
  gitCommand,
  checkCommand,
  statusCommand,
  completionCommand,
];
