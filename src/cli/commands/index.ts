import type { Command } from '../command.js';
import { decryptCommand } from './decrypt.js';
import { editCommand } from './edit.js';
import { encryptCommand } from './encrypt.js';
import { exportCommand } from './export.js';
import { keygenCommand } from './keygen.js';
import { getCommand, setCommand, unsetCommand } from './set.js';

/** Every yargs command, registered explicitly (commandDir misses ESM modules). */
export const commands: Command[] = [encryptCommand, decryptCommand, editCommand, setCommand, unsetCommand, getCommand, keygenCommand, exportCommand];
