#!/usr/bin/env bash
# failover-test.sh: the high-availability test alone (t/300_failover.pl, also
# part of scripts/test.sh): builds and installs, then runs a pg_auto_failover
# formation on loopback through a switchover, a kill -9 of the primary's
# postmaster and the crash of the primary node under a load of
# registrations and sign-ins, and prints the seconds without service of
# each. About three minutes, most of it pg_auto_failover's own timeouts.
#
#   bash scripts/failover-test.sh          (as root, like test.sh)
#
# AUTHOOB_HA_PORT: the monitor's port (default 6000); the nodes take the
# next two.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
prove -v t/300_failover.pl
