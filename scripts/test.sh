#!/usr/bin/env bash
# test.sh: installs everything, builds, then runs every test against a
# throwaway PostgreSQL cluster made by pg_virtualenv (which works as root):
# the pg_regress tour of the SQL API, then the TAP tests of t/ (HTTP front,
# concurrency, JWT interoperability, short fuzz and benchmark passes), then
# the HTTP tests again against a front built with ASan and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh
# the JavaScript clients of t/111, exactly as t/js/package-lock.json pins them
npm ci --prefix t/js --no-audit --no-fund

# -t: the cluster lives in a temporary directory, so a leftover or a
# parallel run elsewhere cannot collide with it
pg_virtualenv -t -v 15 bash -c '
	set -e
	if ! make -s installcheck; then
		cat regression.diffs
		exit 1
	fi
	prove t/*.pl
	# the HTTP tests again, with the front built with AddressSanitizer and
	# UBSan (any error or leak fails them), then the ordinary build back
	make -s -C frontend SANITIZE=1
	prove t/0*.pl
	make -s -C frontend
'
