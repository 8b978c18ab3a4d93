/**
 * The preload, for both `node --import envcrypt/config app.js` and
 * `node -r envcrypt/config app.js`: CommonJS and synchronous, so the values
 * are in `process.env` before the app's first line. The small fast bundle
 * handles dotenv files and X25519 or post-quantum keys; anything else (or any error) goes to
 * the full runtime, which also reports errors. Both are loaded from their code
 * caches (see bin/envcrypt.js, which the build inlines here).
 */
interface Loader {
  loadBundle(name: 'fast-preload'): { exports: typeof import('./fast-preload.js') };
  loadBundle(name: 'runtime'): { exports: typeof import('./runtime.js') };
}
const loader = require('../../bin/envcrypt.js') as Loader;
if (!loader.loadBundle('fast-preload').exports.preloadFast()) loader.loadBundle('runtime').exports.preloadSync();
