#!/usr/bin/env bash
# run.sh: installs everything, builds, starts a throwaway PostgreSQL cluster
# with the extension and authoob-http on 127.0.0.1:8080, prints curl
# examples, and cleans everything up on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh

exec bash scripts/virtualenv.sh bash scripts/serve.sh
