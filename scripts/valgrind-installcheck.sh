#!/usr/bin/env bash
# valgrind-installcheck.sh: runs the regression suite against a throwaway
# cluster whose every process runs under valgrind (memcheck), then reports
# the errors whose stack passes through authoob, pgcrypto or libargon2.
# Errors entirely inside the server (padding bytes written to WAL and to
# the relcache init file, which PostgreSQL's own suppression file hides by
# function names that Debian's binary does not carry) are counted apart.
# As root; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

bindir=$(pg_config --bindir)
work=$(mktemp -d /tmp/authoob-valgrind.XXXXXX)
chown postgres "$work"
port=$((20000 + RANDOM % 10000))
mkdir "$work/logs" && chmod 777 "$work/logs"

stop() { runuser -u postgres -- "$bindir/pg_ctl" -D "$work/data" stop -m fast >/dev/null 2>&1 || true; }
trap stop EXIT

# UTF-8 whatever the caller's locale: scripts/virtualenv.sh says why
runuser -u postgres -- "$bindir/initdb" -D "$work/data" -A trust -U postgres \
	-E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- bash -c "cd '$work' && nohup valgrind --quiet --trace-children=yes \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END --log-file='$work/logs/pg.%p.log' \
	'$bindir/postgres' -D '$work/data' -p $port -k '$work' -c listen_addresses='' \
	>'$work/postmaster.log' 2>&1 &"
for _ in $(seq 120); do
	pg_isready -q -h "$work" -p "$port" && break
	sleep 1
done

status=0
PGHOST="$work" PGPORT=$port PGUSER=postgres make -s installcheck || status=$?

all=$(cat "$work"/logs/*.log | grep -c VALGRINDERROR-BEGIN || true)
ours=$(for f in "$work"/logs/*.log; do
	awk '/VALGRINDERROR-BEGIN/{b="";i=1} i{b=b"\n"$0} /VALGRINDERROR-END/{i=0; if (b ~ /authoob|pgcrypto|argon2/) print b}' "$f"
done)
echo "valgrind: $all reports in all; reports through authoob, pgcrypto or libargon2:"
echo "${ours:-none}"
[ -z "$ours" ] && exit $status
exit 1
