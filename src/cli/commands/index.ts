import type { Command } from '../command.js';
import { decryptCommand } from './decrypt.js';
import { encryptCommand } from './encrypt.js';
import { exportCommand } from './export.js';
import { keygenCommand } from './keygen.js';

/** Every yargs command, registered explicitly (commandDir misses ESM modules). */
export const commands: Command[] = [encryptCommand, decryptCommand, keygenCommand, exportCommand];
