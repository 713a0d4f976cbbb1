#!/usr/bin/env bash
# build.sh: builds the extension and the HTTP front, and installs both
# (extension into PostgreSQL 15, authoob-http into /usr/local/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
make -s
make -s install
