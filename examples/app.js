// The demo app: it only reads process.env, like any app run by `envcrypt exec`.
const names = ['DATABASE_URL', 'API_TOKEN', 'GREETING', 'LOG_LEVEL', 'PUBLIC_URL_unencrypted'];
for (const name of names) {
  const v = process.env[name];
  // Show enough to prove the app got the value, without printing whole secrets.
  const shown = v === undefined ? '(missing)' : name.endsWith('_unencrypted') || name === 'LOG_LEVEL' ? v : `${v.slice(0, 6)}… (${v.length} chars)`;
  console.log(`app: ${name} = ${shown}`);
}
process.exitCode = names.every((n) => process.env[n] !== undefined) ? 0 : 1;
