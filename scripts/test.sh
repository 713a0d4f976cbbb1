#!/usr/bin/env bash
# test.sh: installs everything, builds, then runs every test against a
# throwaway PostgreSQL cluster (scripts/virtualenv.sh, which works as root):
# the pg_regress tour of the SQL API, then the TAP tests of t/ (HTTP front,
# concurrency, JWT interoperability, short fuzz and benchmark passes, the
# demo of run.sh, read replicas, a failover under load on a pg_auto_failover
# formation), then the HTTP tests again against a sharded database (a
# PL/Proxy proxy over two partitions), and against a front built with ASan
# and UBSan (with t/120, sharding), both times in the hostile mode (docs/security.md).
# PGPORT, when set, is the cluster's port; AUTHOOB_HA_PORT the formation
# monitor's (default 6000, its nodes the next two).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh

# Everything is installed now: a test that cannot run for want of a tool
# fails rather than passing as a skip (t/lib/AuthoobTest.pm, skip_all_missing).
export AUTHOOB_NO_SKIP=1

bash scripts/virtualenv.sh bash -c '
	set -e
	if ! make -s installcheck; then
		cat regression.diffs
		exit 1
	fi
	prove t/*.pl
	# the HTTP tests again against a PL/Proxy proxy over two partitions
	# (docs/scale-out.md, "Sharding"), the front and the partitions called
	# by an attacker with traps first on its search_path (the hostile mode,
	# docs/security.md)
	AUTHOOB_SHARDS=2 AUTHOOB_HOSTILE=1 prove t/0*.pl
	# the HTTP tests again in the hostile mode, with the front built with
	# AddressSanitizer and UBSan (any error or leak fails them: every front
	# is stopped with SIGTERM and must exit 0), and t/120 through a proxy
	# with that front; then the ordinary build back
	make -s -C frontend SANITIZE=1
	AUTHOOB_HOSTILE=1 prove t/0*.pl t/120_sharding.pl
	make -s -C frontend
'
