/**
 * Environment variables that decide what code a program loads or runs, or
 * whom it trusts over TLS, rather than being data for the app. envcrypt
 * sets one of these only from an authenticated value (see `Loaded` in
 * src/api/load.ts): someone who can push to the repository but holds no key
 * could otherwise add `NODE_OPTIONS=--require ./evil.js` as an unencrypted
 * value of a sops-written file, or `PATH=` as an empty one, and run code in
 * every app launched with the file.
 *
 * Only node built-ins (none, in fact): this is on exec's start-up path.
 */

// Names compared upper-cased: environments are case-insensitive on Windows,
// and a uniform rule means a file is accepted or refused the same everywhere.
const NAMES: ReadonlySet<string> = new Set([
  // Which program runs, and what a shell runs before it.
  'PATH', 'PATHEXT', 'COMSPEC', 'BASH_ENV', 'ENV', 'ZDOTDIR', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'IFS', 'PROMPT_COMMAND',
  'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE', 'SSH_ASKPASS', 'SUDO_ASKPASS',
  'MAKEFILES', 'MAKEFLAGS',
  // Where programs read their configuration, which can name commands to run
  // (git's core.fsmonitor, a kubeconfig exec plugin, AWS credential_process, ~/.npmrc).
  'HOME', 'XDG_CONFIG_HOME', 'KUBECONFIG', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
  // The dynamic loader and the C library (glibc's list of variables unsafe for setuid programs, in part).
  'LIBPATH', 'SHLIB_PATH', 'GCONV_PATH', 'GLIBC_TUNABLES', 'LOCPATH', 'NLSPATH',
  // Node.js and Electron.
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_ICU_DATA',
  'ELECTRON_RUN_AS_NODE',
  // Python.
  'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'PYTHONEXECUTABLE', 'PYTHONWARNINGS', 'PYTHONBREAKPOINT',
  'PYTHONPYCACHEPREFIX', 'PYTHONPLATLIBDIR',
  // Perl and Ruby.
  'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH', 'BUNDLE_GEMFILE',
  // The JVM.
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH', 'JAVA_HOME',
  // PHP, Go, .NET.
  'PHPRC', 'PHP_INI_SCAN_DIR', 'GOFLAGS', 'GOENV', 'DOTNET_STARTUP_HOOKS', 'DOTNET_ADDITIONAL_DEPS',
  // TLS trust and OpenSSL (whose config file can load an engine).
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE',
]);

const PREFIXES: readonly string[] = [
  // glibc, musl and macOS loaders: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, DYLD_INSERT_LIBRARIES, …
  'LD_',
  'DYLD_',
  // bash imports BASH_FUNC_name%% as a function, which can shadow any command.
  'BASH_FUNC_',
  // GIT_SSH_COMMAND, GIT_EXEC_PATH, GIT_DIR, GIT_CONFIG_* (any config, hooks and fsmonitor included), …
  'GIT_',
  // npm reads its whole configuration from npm_config_* (script-shell, node-options, userconfig, …).
  'NPM_CONFIG_',
  // envcrypt's and sops's own: key commands, key files, config paths.
  'ENVCRYPT_',
  'SOPS_',
  // .NET profilers load a library: COR_PROFILER_PATH, CORECLR_PROFILER_PATH_64, …
  'COR_',
  'CORECLR_',
  // Lua runs LUA_INIT (and LUA_INIT_5_4) as code, and searches LUA_PATH / LUA_CPATH.
  'LUA_INIT',
  'LUA_PATH',
  'LUA_CPATH',
];

/**
 * True when `name` (any case) decides what code a program loads or runs, or
 * whom it trusts: such a variable is set only from an authenticated value.
 */
export function isLoaderSensitive(name: string): boolean {
  const upper = name.toUpperCase();
  if (NAMES.has(upper)) return true;
  for (const p of PREFIXES) if (upper.startsWith(p)) return true;
  return false;
}

/**
 * The variables that hold or lead to an age or SSH identity (see
 * `identitySources` in src/keys/discovery.ts), plus sops's
 * `SOPS_AGE_SSH_PRIVATE_KEY_CMD`. `exec` removes them from the command's
 * environment and the preload from `process.env`, so an app and its
 * children never see the key that opened their secrets.
 */
export const IDENTITY_VARIABLES: readonly string[] = [
  'ENVCRYPT_AGE_KEY',
  'ENVCRYPT_AGE_KEY_FILE',
  'ENVCRYPT_AGE_KEY_CMD',
  'SOPS_AGE_KEY',
  'SOPS_AGE_KEY_FILE',
  'SOPS_AGE_KEY_CMD',
  'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
  'SOPS_AGE_SSH_PRIVATE_KEY_CMD',
];

/**
 * Delete the {@link IDENTITY_VARIABLES} that `env` holds as its own
 * properties; returns their names as `env` spelled them (never their
 * values). On Windows, where node reads the environment regardless of case,
 * any spelling is removed (`caseInsensitive`).
 */
export function removeIdentity(env: Record<string, string | undefined>, caseInsensitive: boolean = process.platform === 'win32'): string[] {
  const removed: string[] = [];
  if (caseInsensitive) {
    for (const name of Object.keys(env)) {
      if (!IDENTITY_VARIABLES.includes(name.toUpperCase())) continue;
      delete env[name];
      removed.push(name);
    }
    return removed;
  }
  for (const name of IDENTITY_VARIABLES) {
    if (!Object.prototype.hasOwnProperty.call(env, name)) continue;
    delete env[name];
    removed.push(name);
  }
  return removed;
}
