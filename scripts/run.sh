#!/usr/bin/env bash
# run.sh: installs everything, builds, starts a throwaway PostgreSQL cluster
# with the extension and authoob-http on 127.0.0.1:8080, prints curl
# examples, and cleans everything up on Ctrl-C (exit status 0).
#
# Knobs (environment):
#   AUTHOOB_LISTEN=127.0.0.1:8080  where authoob-http listens
#   AUTHOOB_SMTP_PORT=2525         where the mail printer listens
#   PGPORT                         the cluster's port (default: the first
#                                  free one from 5432)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh

exec bash scripts/virtualenv.sh bash scripts/serve.sh
