// A tiny app that needs its secrets in process.env. Run it either way:
//   envcrypt exec -f ../app.env.enc -- node server.js
//   ENVCRYPT_CONFIG_PATH=../app.env.enc node --import envcrypt/config server.js
const missing = ['DATABASE_URL', 'API_TOKEN'].filter((k) => !process.env[k]);
if (missing.length) {
  console.error(`server: missing ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`server: configured (database host ${new URL(process.env.DATABASE_URL).host})`);
