#!/usr/bin/env bash
# npm run demo: encrypt the example .env with the throwaway demo key, then run
# the example app through `envcrypt exec` and show that it sees the secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
envcrypt() { node bin/envcrypt.js "$@"; }
out=examples/.out
mkdir -p "$out"
# git does not keep file modes; a key file must not be readable by others.
chmod 600 examples/keys/demo-key.txt
recipient=$(envcrypt keygen -y examples/keys/demo-key.txt)
# The app side finds its key here; a real deployment injects it as a secret.
export ENVCRYPT_AGE_KEY_FILE=examples/keys/demo-key.txt

echo "== 1. encrypt examples/demo.env to the demo key ($recipient)"
envcrypt encrypt examples/demo.env -r "$recipient" -o "$out/demo.env.enc"
echo "-- $out/demo.env.enc (keys stay readable, values are encrypted):"
cut -c1-100 "$out/demo.env.enc"

echo
echo "== 2. envcrypt exec -f $out/demo.env.enc -- node examples/app.js"
envcrypt exec -f "$out/demo.env.enc" -- node examples/app.js

echo
echo "== 3. re-encrypting unchanged input rewrites nothing (diff-stable)"
before=$(sha256sum "$out/demo.env.enc")
envcrypt encrypt examples/demo.env -r "$recipient" -o "$out/demo.env.enc"
[ "$before" = "$(sha256sum "$out/demo.env.enc")" ] && echo "demo: byte-identical"; true
