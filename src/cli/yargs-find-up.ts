/**
 * What yargs's `findUp` answers in the CLI bundle: envcrypt's own
 * package.json. At every start yargs guesses the program's version from the
 * nearest package.json above its main file, which inside the bundle is the
 * user's working directory: it listed every directory up to the root and
 * parsed the user's package.json (and, where there was none, loaded
 * `node:assert` to report it), for a version envcrypt then sets itself.
 * yargs reads package.json only for that guess and for `pkgConf`, which
 * envcrypt does not use. The build (scripts/build.mjs) points yargs's
 * `escalade/sync` import here.
 */
import { join } from 'node:path';

/** The package.json next to dist/, where the bundle that holds this runs. */
export default function findUp(): string {
  return join(__dirname, '..', 'package.json');
}
