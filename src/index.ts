/**
 * envcrypt's library API. The CLI is a thin layer over these functions.
 * @packageDocumentation
 */
export { decryptFile, decryptText, type DecryptOptions, type DecryptedFile } from './api/decrypt.js';
export { encryptBranches, encryptText, type EncryptOptions, type EncryptTextOptions, type EncryptedTree } from './api/encrypt.js';
export { encryptFile, type EncryptFileOptions, type EncryptFileResult } from './api/encrypt-file.js';
export { config, load, loadDetailed, populate, type ConfigOptions, type LoadOptions, type Loaded, type PopulateOptions } from './api/load.js';
export { parse, type ParseOptions } from './api/parse.js';
export { EnvcryptError, ExitCode, type ErrorCode, type Position } from './errors.js';
export type { KeyOptions } from './keys/discovery.js';
export type { Format } from './stores/store.js';
export type { FlattenOptions } from './tree/env.js';
export type * from './tree/types.js';
