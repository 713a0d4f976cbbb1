#!/usr/bin/env bash
# bench.sh: `make bench` - measures authoob (the installed extension and
# authoob-http) against the floors of this machine, in one run:
#
#   profile       GET P/profile with valid tokens (rotating over many users)
#   profile_es256 the same with ES256 tokens   profile_eddsa  with EdDSA ones
#   g_user        GET G/user (Supabase Auth's dialect) with the same tokens,
#                 its runs alternating with profile's (run_pair) so that
#                 their ratio holds on a shared machine; g_user_es256 and
#                 g_user_eddsa likewise beside profile_es256, profile_eddsa
#   token         GET P/token (a fresh token: a session row is written)
#   refresh       POST P/token?grant_type=refresh_token, each refresh token
#                 once (bench/wrk/refresh.lua chains each answer's successor)
#   login_bc4     POST P/login, bcrypt cost 4    login_bc12   the same, cost 12
#   register_bc4  POST P/register, bcrypt cost 4, a new address each request
#   floor_pgbench pgbench -M prepared point SELECT of one authoob.users row
#   floor_http    a minimal libmicrohttpd server (bench/floor_http.c)
#   bcrypt4/12    pgcrypto crypt() verifications/s on all cores (pgbench -c NPROC)
#
# It starts a throwaway PostgreSQL cluster (initdb in a temp dir, on
# 127.0.0.1), seeds users by SQL (one precomputed hash per bcrypt cost), runs
# authoob-http and wrk (2 threads, 32 connections), and writes down what each
# run measured (raw/measurements.txt). bench/report.py turns that into one
# table: req/s, p50, p99, errors, and each figure's ratio to its floor
# (profile and token: the combined floor 1/(1/pgbench + 1/http); login and
# register: the bcrypt rate of their cost), with the RSS of authoob-http and
# of its Postgres backends before and after. Everything it starts it stops
# (trap).
#
# Needs: the extension and authoob-http installed (make install), wrk,
# pgbench, cc, libmicrohttpd-dev and python3 (all in scripts/install-deps.sh).
#
# Knobs (environment):
#   BENCH_USERS=10000     seeded users: half with a cost-4 hash (c4u<i>),
#                         half with a cost-12 one (c12u<i>); 1000000 works
#   BENCH_DURATION=10     seconds per figure (wrk -d, pgbench -T), 1..600
#   BENCH_REPEAT=1        runs per figure; the table shows medians
#   BENCH_WARMUP=2        seconds of unrecorded wrk before each HTTP figure
#   BENCH_CONNS=32        wrk connections and pgbench clients
#   BENCH_WRK_THREADS=2   wrk threads
#   BENCH_FRONT_ARGS=     extra authoob-http flags (e.g. --threads=8)
#   BENCH_FLOOR_THREADS=2 libmicrohttpd threads of the HTTP floor
#   BENCH_PG_SOCKET=0     1: authoob-http and pgbench reach Postgres by its Unix
#                         socket instead of TCP on 127.0.0.1
#   BENCH_TOKEN_USERS=64  users whose tokens the profile/token figures rotate
#   BENCH_FIGURES="profile g_user profile_es256 g_user_es256 profile_eddsa token
#                 refresh login_bc4 login_bc12 register_bc4" (g_user_eddsa too)
#   BENCH_SOAK=0          if > 0: then a long profile run of at least this many
#                         requests, in two halves, with the RSS of authoob-http
#                         and its backends before, between and after
#   BENCH_PEER_TSV=       results.tsv file(s) of the peer (bench/run_peer.sh):
#                         adds the authoob/peer ratios for profile and login
#   BENCH_PERF=0          1: after the profile and token figures, one more
#                         (unrecorded) run of each under perf record (cpu-clock,
#                         DWARF call graphs) of the backends and of authoob-http;
#                         bench/perf_summary.py tables go to raw/perf.*.txt and
#                         are printed after the table
#   BENCH_FLOORS=1        0 skips the floors (quick comparisons; no ratios)
#   BENCH_TINY=1          smoke mode: 100 users, 1 s per figure (the pgbench
#                         floors: a fixed number of transactions), no warm-up,
#                         no targets checked (the test suite runs it)
#   BENCH_OUT=            directory to keep results.tsv, table.txt and raw/
#   BENCH_KEEP=0          1 keeps the temp dir (cluster, logs)
# Exit status: 0 when every figure ran without an error response, else 1.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

TINY=${BENCH_TINY:-0}
if [[ "$TINY" == 1 ]]; then
	USERS=${BENCH_USERS:-100}
	DURATION=${BENCH_DURATION:-1}
	WARMUP=${BENCH_WARMUP:-0}
	TOKEN_USERS=${BENCH_TOKEN_USERS:-16}
else
	USERS=${BENCH_USERS:-10000}
	DURATION=${BENCH_DURATION:-10}
	WARMUP=${BENCH_WARMUP:-2}
	TOKEN_USERS=${BENCH_TOKEN_USERS:-64}
fi
REPEAT=${BENCH_REPEAT:-1}
CONNS=${BENCH_CONNS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
FRONT_ARGS=${BENCH_FRONT_ARGS:-}
FLOOR_THREADS=${BENCH_FLOOR_THREADS:-2}
FIGURES=${BENCH_FIGURES:-"profile g_user profile_es256 g_user_es256 profile_eddsa token refresh login_bc4 login_bc12 register_bc4"}
SOAK=${BENCH_SOAK:-0}
PEER_TSV=${BENCH_PEER_TSV:-}
OUT=${BENCH_OUT:-}
PERF=${BENCH_PERF:-0}
PG_SOCKET=${BENCH_PG_SOCKET:-0}
FLOORS=${BENCH_FLOORS:-1}
KEEP=${BENCH_KEEP:-0}
PASSWORD=Bench-Passw0rd
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BIN=$("$PG_CONFIG" --bindir)
NPROC=$(nproc)

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
measured() { echo "$*" >>"$MEASURED"; }	# one record for bench/report.py
is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }

is_int "$USERS" && (( USERS >= 4 && USERS <= 10000000 )) || die "BENCH_USERS must be 4..10000000"
is_int "$DURATION" && (( DURATION >= 1 && DURATION <= 600 )) || die "BENCH_DURATION must be 1..600"
is_int "$REPEAT" && (( REPEAT >= 1 && REPEAT <= 20 )) || die "BENCH_REPEAT must be 1..20"
is_int "$WARMUP" && (( WARMUP <= 60 )) || die "BENCH_WARMUP must be 0..60"
is_int "$CONNS" && (( CONNS >= 1 && CONNS <= 1000 )) || die "BENCH_CONNS must be 1..1000"
is_int "$SOAK" && (( SOAK <= 100000000 )) || die "BENCH_SOAK must be a number of requests"
is_int "$TOKEN_USERS" && (( TOKEN_USERS >= 1 && TOKEN_USERS <= USERS / 2 )) \
	|| die "BENCH_TOKEN_USERS must be 1..BENCH_USERS/2"
for f in $FIGURES; do
	case $f in profile|profile_es256|profile_eddsa|g_user|g_user_es256|g_user_eddsa|token|refresh) ;;
		login_bc4|login_bc12|register_bc4) ;;
		*) die "unknown figure $f in BENCH_FIGURES";; esac
done

FRONT=${AUTHOOB_HTTP:-$(command -v authoob-http || true)}
[[ -x "$FRONT" ]] || die "authoob-http not found: make install first"
# a sanitizer build is slower and keeps freed memory (ASan's quarantine)
SANITIZED=""
if ldd "$FRONT" 2>/dev/null | grep -q -E 'libasan|libubsan'; then
	SANITIZED="WARNING: $FRONT is a sanitizer build (libasan/libubsan): its speed and RSS are not representative"
	echo "bench: $SANITIZED" >&2
fi
[[ -f "$("$PG_CONFIG" --sharedir)/extension/authoob.control" ]] \
	|| die "the authoob extension is not installed: make install first"
for tool in wrk cc setsid timeout awk python3; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
for tool in initdb pg_ctl pgbench psql; do
	[[ -x "$PG_BIN/$tool" ]] || die "missing $PG_BIN/$tool"
done

WORK=$(mktemp -d /tmp/authoob-bench.XXXXXX)
RAW=$WORK/raw
mkdir -p "$RAW"
TSV=$WORK/results.tsv
MEASURED=$RAW/measurements.txt
: >"$MEASURED"
FRONT_PID=""
FLOOR_PID=""
PG_UP=0
START_TIME=$(date +%s)

as_postgres() {		# initdb and pg_ctl refuse root
	if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_pid() {		# stop_pid PID: TERM its process group (setsid), KILL after 10 s
	local pid=$1 i
	[[ -n "$pid" ]] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pid "$FRONT_PID"
	stop_pid "$FLOOR_PID"
	if [[ $PG_UP -eq 1 ]]; then
		as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
			|| kill -QUIT "$(head -1 "$WORK/pg/data/postmaster.pid" 2>/dev/null)" 2>/dev/null || true
		cp "$WORK/pg/postgres.log" "$RAW/" 2>/dev/null || true
	fi
	if [[ -n "$OUT" ]]; then
		mkdir -p "$OUT" && cp -r "$RAW" "$TSV" "$OUT"/ 2>/dev/null || true
		[[ -f "$WORK/table.txt" ]] && cp "$WORK/table.txt" "$OUT"/
	fi
	if [[ "$KEEP" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ PostgreSQL
start_postgres() {
	local port tries
	chmod 755 "$WORK"
	mkdir "$WORK/pg"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$WORK/pg"
	as_postgres "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$RAW/initdb.log" 2>&1 || { cat "$RAW/initdb.log" >&2; die "initdb failed"; }
	# PostgreSQL defaults (fsync, synchronous_commit, shared_buffers 128MB,
	# max_connections 100) as in the peer's run, on a port tried free
	for tries in $(seq 10); do
		port=$((20000 + RANDOM % 12000))
		if as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/postgres.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $WORK/pg" start >/dev/null 2>&1; then
			PG_UP=1
			PGPORT=$port
			return 0
		fi
	done
	cat "$WORK/pg/postgres.log" >&2 || true
	die "postgres did not start"
}

# only our own cluster: forget the PG* of the caller (pg_virtualenv's, say)
for v in $(compgen -e | grep -E '^PG[A-Z]+$' || true); do unset "$v"; done
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=authoob_bench
if [[ "$PG_SOCKET" == 1 ]]; then PGHOST=$WORK/pg; fi
sql() { timeout 600 "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

configure() { sql -c "SELECT authoob_configure('$1') IS NOT NULL" >/dev/null; }

setup_database() {
	export PGPORT
	sql -d postgres -c "CREATE DATABASE authoob_bench"
	sql >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION authoob CASCADE;
-- bcrypt at its cheapest, and a budget of hashes that the load, all from
-- 127.0.0.1 and a few accounts, never spends: it is counted, not refused
SELECT authoob_configure('{"bcrypt_cost": 4, "app_url": "http://127.0.0.1",
	"api_url": "http://127.0.0.1", "email_sender": "bench@bench.local",
	"prevent_mail_send": true, "client_hashes_per_window": 1000000,
	"account_sign_ins_per_window": 1000000, "client_hashes_at_once": 10000}') IS NOT NULL;
SQL
	say "seeding $USERS users by SQL"
	# one hash per cost, made once, as a login would find it
	sql >/dev/null <<SQL
SET client_min_messages = warning;
SELECT crypt('$PASSWORD', gen_salt('bf', 4)) AS h4, crypt('$PASSWORD', gen_salt('bf', 12)) AS h12 \gset
INSERT INTO authoob.users (email, password, username, firstname, lastname, confirmed_at)
SELECT 'c4u' || i || '@bench.local', :'h4', 'user' || i, 'First' || i, 'Last' || i, now()
FROM generate_series(1, $((USERS / 2))) AS i;
INSERT INTO authoob.users (email, password, username, firstname, lastname, confirmed_at)
SELECT 'c12u' || i || '@bench.local', :'h12', 'user' || i, 'First' || i, 'Last' || i, now()
FROM generate_series(1, $((USERS - USERS / 2))) AS i;
VACUUM ANALYZE authoob.users;
SQL
	# tokens by SQL, as the front's login would make them
	sql -o "$WORK/tokens.txt" -c "SELECT authoob_login(json_build_object(
		'email', 'c4u' || i || '@bench.local', 'password', '$PASSWORD')::text,
		'127.0.0.1') ->> 'token' FROM generate_series(1, $TOKEN_USERS) AS i"
	[[ $(grep -c . "$WORK/tokens.txt") -eq $TOKEN_USERS ]] || die "could not make $TOKEN_USERS tokens"
	# the same users' tokens signed with ES256 and EdDSA keys (each key
	# stays valid when signing_alg changes again), then HS256 again
	for alg in ES256 EdDSA HS256; do
		configure "{\"signing_alg\": \"$alg\"}"
		[[ $alg == HS256 ]] && break
		sql -o "$WORK/tokens.$alg.txt" -c "SELECT authoob_login(json_build_object(
			'email', 'c4u' || i || '@bench.local', 'password', '$PASSWORD')::text,
			'127.0.0.1') ->> 'token' FROM generate_series(1, $TOKEN_USERS) AS i"
		[[ $(grep -c . "$WORK/tokens.$alg.txt") -eq $TOKEN_USERS ]] || die "could not make $alg tokens"
	done
}

# Refresh tokens for one wrk run of the refresh figure, fresh (each is
# single use): 4 a connection, over the token users, by the token endpoint's
# password grant
refresh_tokens() {
	sql -o "$WORK/refresh.txt" -c "SELECT authoob_token_grant(json_build_object(
		'grant_type', 'password', 'email', 'c4u' || (i % $TOKEN_USERS + 1) || '@bench.local',
		'password', '$PASSWORD')::text, '127.0.0.1') ->> 'refresh_token'
		FROM generate_series(1, $((4 * CONNS))) AS i"
	[[ $(grep -c . "$WORK/refresh.txt") -eq $((4 * CONNS)) ]] || die "could not make refresh tokens"
}

# ------------------------------------------------- processes and their memory
# "rss_kib anon_kib" of a process (0 0 when it is gone)
mem_of() {
	awk '/^VmRSS:/ {r = $2} /^RssAnon:/ {a = $2} END {print r + 0, a + 0}' "/proc/$1/status" 2>/dev/null || echo "0 0"
}
peak_of() { awk '/^VmHWM:/ {print $2 + 0}' "/proc/$1/status" 2>/dev/null || echo 0; }
backend_pids() {
	sql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'authoob-http'" | tr '\n' ' '
}
backends_mem() {	# summed over the front's backends
	local pid r a tr=0 ta=0
	for pid in $BACKENDS; do
		read -r r a < <(mem_of "$pid")
		tr=$((tr + r)); ta=$((ta + a))
	done
	echo "$tr $ta"
}
# "memory at=WHEN ...": the RSS and anonymous RSS (KiB) of authoob-http and
# of its backends now, and any more fields given
measure_memory() {
	local front_rss front_anon backends_rss backends_anon
	read -r front_rss front_anon < <(mem_of "$FRONT_PID")
	read -r backends_rss backends_anon < <(backends_mem)
	measured memory at="$1" front_rss="$front_rss" front_anon="$front_anon" \
		backends_rss="$backends_rss" backends_anon="$backends_anon" "${@:2}"
}

children_cpu_ms() {	# CPU time of this shell's waited-for children so far (not in a subshell:
	# call it as "children_cpu_ms VAR")
	times >"$WORK/times.txt"
	printf -v "$1" '%s' "$(tail -1 "$WORK/times.txt" | awk '{ t = 0
		for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } printf "%d\n", t * 1000 }')"
}
machine_ticks() {	# "busy total irq+softirq" clock ticks of all cores, from /proc/stat
	awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $7 + $8}' /proc/stat
}
# Context switches, voluntary and not, of all the threads of a pid: a
# thread woken per request shows here, and a loaded machine disturbs this
# count less than req/s
context_switches() {
	[[ -n "${1:-}" ]] || { echo 0; return; }
	cat /proc/"$1"/task/*/status 2>/dev/null \
		| awk '/^(non)?voluntary_ctxt_switches:/ {n += $2} END {print n + 0}'
}

cpu_ticks() {		# utime + stime of the given pids, in clock ticks
	local pid t=0 v
	for pid in "$@"; do
		v=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
		t=$((t + v))
	done
	echo "$t"
}

start_front() {
	local i port
	# shellcheck disable=SC2086
	setsid "$FRONT" --listen 127.0.0.1:0 \
		--db "host=$PGHOST port=$PGPORT user=postgres dbname=authoob_bench" \
		$FRONT_ARGS >"$RAW/authoob-http.log" 2>&1 &
	FRONT_PID=$!
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$RAW/authoob-http.log" | head -1)
		[[ -n "$port" ]] && break
		kill -0 "$FRONT_PID" 2>/dev/null || { cat "$RAW/authoob-http.log" >&2; die "authoob-http exited"; }
		sleep 0.1
	done
	[[ -n "$port" ]] || die "authoob-http did not listen within 10 s"
	BASE="http://127.0.0.1:$port/authoob"
	GBASE="http://127.0.0.1:$port/auth/v1"	# Supabase Auth's dialect (gotrue_prefix)
	BACKENDS=$(backend_pids)
	NBACKENDS=$(wc -w <<<"$BACKENDS")
	(( NBACKENDS > 0 )) || die "no backend of authoob-http found"
	say "authoob-http up on $BASE (pid $FRONT_PID, backends $BACKENDS)"
}

# Requests that wrk left behind (it closes its connections at the end, the
# statements they started still run) must not eat into the next figure.
wait_idle() {
	local i n
	for i in $(seq 600); do
		n=$(sql -c "SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'authoob-http' AND state = 'active'")
		[[ "$n" == 0 ]] && return 0
		sleep 0.1
	done
	say "warning: authoob-http's backends still busy after 60 s"
}

# --------------------------------------------------------------- figures
# run_wrk FIGURE LUA URL [wrk flags]: warm-up, then REPEAT recorded runs;
# before each wrk run, the command $BEFORE_RUN if set
BEFORE_RUN=""
run_wrk() {
	local r
	warm_up "$@"
	for r in $(seq "$REPEAT"); do
		run_once "$r" "$@"
	done
}

# run_pair FIGURE1 FIGURE2 LUA URL1 URL2: two figures measured side by side,
# their runs alternating, so that the machine's other work weighs on both
# alike and their ratio holds even on a shared machine
run_pair() {
	local r
	warm_up "$1" "$3" "$4"
	warm_up "$2" "$3" "$5"
	for r in $(seq "$REPEAT"); do
		run_once "$r" "$1" "$3" "$4"
		run_once "$r" "$2" "$3" "$5"
	done
}

warm_up() {	# warm_up FIGURE LUA URL [wrk flags]
	local fig=$1 lua=$2 url=$3
	shift 3
	if (( WARMUP > 0 )); then
		[[ -z "$BEFORE_RUN" ]] || $BEFORE_RUN
		BENCH_RUN_TAG="${fig}w" timeout $((WARMUP + 60)) wrk -t"$WRK_THREADS" -c"$CONNS" \
			-d"${WARMUP}s" "$@" -s "$lua" "$url" >"$RAW/$fig.warmup.txt" 2>&1 \
			|| { cat "$RAW/$fig.warmup.txt" >&2; die "wrk warm-up of $fig failed"; }
	fi
	[[ -z "$BACKENDS" ]] || wait_idle
}

run_once() {	# run_once RUN FIGURE LUA URL [wrk flags]: one recorded run
	local r=$1 fig=$2 lua=$3 url=$4 raw line t0f t0p t1f t1p c0f c1f load1
	shift 4
	raw="$RAW/$fig.run$r.txt"
	[[ -z "$BEFORE_RUN" ]] || { $BEFORE_RUN; [[ -z "$BACKENDS" ]] || wait_idle; }
	load1=$(cut -d' ' -f1 /proc/loadavg)
	t0f=$(cpu_ticks ${FRONT_PID:-}); t0p=$(cpu_ticks $BACKENDS); children_cpu_ms t0w
	c0f=$(context_switches "${FRONT_PID:-}")
	read -r b0 a0 i0 < <(machine_ticks)
	BENCH_RUN_TAG="${fig}r$r" timeout $((DURATION + 120)) wrk -t"$WRK_THREADS" -c"$CONNS" \
		-d"${DURATION}s" --latency "$@" -s "$lua" "$url" >"$raw" 2>&1 \
		|| { cat "$raw" >&2; die "wrk failed on $fig"; }
	t1f=$(cpu_ticks ${FRONT_PID:-}); t1p=$(cpu_ticks $BACKENDS); children_cpu_ms t1w
	c1f=$(context_switches "${FRONT_PID:-}")
	read -r b1 a1 i1 < <(machine_ticks)
	line=$(sed -n 's/^BENCH //p' "$raw" | tail -1)
	[[ -n "$line" ]] || { cat "$raw" >&2; die "no summary line from wrk on $fig"; }
	measured wrk figure="$fig" run="$r" load1="$load1" hz="$(getconf CLK_TCK)" \
		front_ticks=$((t1f - t0f)) pg_ticks=$((t1p - t0p)) wrk_cpu_ms=$((t1w - t0w)) \
		front_csw=$((c1f - c0f)) \
		busy_ticks=$((b1 - b0)) all_ticks=$((a1 - a0)) irq_ticks=$((i1 - i0)) "$line"
	say "$fig run $r: $line"
	[[ -z "$BACKENDS" ]] || wait_idle
}

# What the perf tables show inclusive shares of (a * ending is a prefix)
PERF_BACKEND_FUNCS="PostgresMain PortalRun fmgr_security_definer authoob_profile authoob_token
	authoob_gotrue_user authoob_token_profile user_object authoob_user_role_names
	authoob_verify_token* read_token hmac_sha256 pg_hmac_init pg_hmac_create pg_hmac_final
	base64url_decode jsonb_in pg_parse_json numeric_in authoob_session_profile
	authoob_private_user_json authoob_issue_token gen_random_uuid SPI_execute_plan
	standard_ExecutorStart standard_ExecutorRun standard_ExecutorEnd ExecInitNode
	jsonb_build_object* AtEOXact_GUC set_config_option CommitTransaction* XLogFlush
	secure_read secure_write epoll_wait finish_task_switch.isra.0"
PERF_FRONT_FUNCS="loop_turn MHD_run request_handle request_begin request_finish
	request_reply pgasync_submit pgasync_event pgasync_deliver conn_read conn_send
	PQsendQueryPrepared PQpipelineSync PQconsumeInput PQgetResult reply_from_result
	send_reply log_access log_flush routes_match routes_log_path MHD_queue_response
	__libc_recv __libc_send epoll_wait finish_task_switch.isra.0"

# run_perf FIGURE LUA URL: one more wrk run with perf on backends and front
run_perf() {
	local fig=$1 lua=$2 url=$3 secs=$((DURATION > 4 ? DURATION - 2 : DURATION)) bp fp
	command -v perf >/dev/null || { say "no perf: BENCH_PERF skipped"; return 0; }
	timeout $((DURATION + 120)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" \
		-s "$lua" "$url" >"$RAW/$fig.perf-wrk.txt" 2>&1 &
	local wrk_pid=$!
	sleep 1
	timeout $((secs + 60)) perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 \
		-o "$WORK/perf.$fig.backends.data" -p "$(tr ' ' '\n' <<<"$BACKENDS" | grep . | paste -sd,)" \
		-- sleep "$secs" >/dev/null 2>&1 &
	bp=$!
	timeout $((secs + 60)) perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 \
		-o "$WORK/perf.$fig.front.data" -p "$FRONT_PID" -- sleep "$secs" >/dev/null 2>&1 &
	fp=$!
	wait "$bp" "$fp" "$wrk_pid" || true
	# shellcheck disable=SC2086
	timeout 600 perf script -i "$WORK/perf.$fig.backends.data" 2>/dev/null \
		| python3 "$REPO/bench/perf_summary.py" --top 40 $PERF_BACKEND_FUNCS >"$RAW/perf.$fig.backends.txt" || true
	# shellcheck disable=SC2086
	timeout 600 perf script -i "$WORK/perf.$fig.front.data" 2>/dev/null \
		| python3 "$REPO/bench/perf_summary.py" --top 40 $PERF_FRONT_FUNCS >"$RAW/perf.$fig.front.txt" || true
	rm -f "$WORK/perf.$fig.backends.data" "$WORK/perf.$fig.front.data"
	say "perf of $fig: raw/perf.$fig.backends.txt, raw/perf.$fig.front.txt"
}

run_pgbench() {	# run_pgbench FIGURE CLIENTS SCRIPT [pgbench flags]
	local fig=$1 clients=$2 script=$3 r raw tps lat done_n fails load1 line length
	shift 3
	# the tiny mode counts transactions, not seconds: on a loaded machine
	# one second of bcrypt at cost 12 may finish none, and a floor of 0
	# would be no floor
	length=(-T "$DURATION")
	[[ "$TINY" == 1 ]] && length=(-t "$TINY_TRANSACTIONS")
	for r in $(seq "$REPEAT"); do
		raw="$RAW/$fig.run$r.txt"
		load1=$(cut -d' ' -f1 /proc/loadavg)
		timeout $((DURATION + 120)) "$PG_BIN/pgbench" -n -M prepared -c "$clients" \
			-j "$(( clients < NPROC ? clients : NPROC ))" "${length[@]}" "$@" -f "$script" \
			>"$raw" 2>&1 || { cat "$raw" >&2; die "pgbench failed on $fig"; }
		tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$raw")
		lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$raw")
		done_n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$raw")
		fails=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$raw")
		[[ -n "$tps" ]] || { cat "$raw" >&2; die "no tps from pgbench on $fig"; }
		line="tps=$tps latency_ms=${lat:--} requests=$done_n failed=${fails:-0}"
		measured pgbench figure="$fig" run="$r" load1="$load1" "$line"
		say "$fig run $r: $line"
	done
}

run_floor_http() {
	local i port
	cc -O2 -Wall -Wextra -o "$WORK/floor_http" "$REPO/bench/floor_http.c" \
		$(pkg-config --cflags --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd) -lpthread \
		|| die "cannot build bench/floor_http.c"
	setsid "$WORK/floor_http" 0 "$FLOOR_THREADS" >"$RAW/floor_http.log" 2>&1 &
	FLOOR_PID=$!
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$RAW/floor_http.log")
		[[ -n "$port" ]] && break
		sleep 0.1
	done
	[[ -n "$port" ]] || die "floor_http did not start"
	local saved_front=$FRONT_PID saved_backends=$BACKENDS
	FRONT_PID=$FLOOR_PID BACKENDS=""
	run_wrk floor_http "$REPO/bench/wrk/floor.lua" "http://127.0.0.1:$port/"
	FRONT_PID=$saved_front BACKENDS=$saved_backends
	stop_pid "$FLOOR_PID"; FLOOR_PID=""
}

# ------------------------------------------------------------------ main
# what the table says of the run
cat >>"$MEASURED" <<FACTS
set cores $NPROC
set load_start $(cut -d' ' -f1-3 /proc/loadavg)
set pg_reached $([[ "$PG_SOCKET" == 1 ]] && echo "its Unix socket" || echo "TCP on 127.0.0.1")
set users $USERS
set wrk_threads $WRK_THREADS
set conns $CONNS
set duration $DURATION
set repeat $REPEAT
set front $FRONT
set front_args $FRONT_ARGS
set sanitized $SANITIZED
set figures $FIGURES
set floors $FLOORS
set tiny $TINY
FACTS
# shellcheck disable=SC2086	# the files, as the shell splits and globs them
measured set peer_tsv $PEER_TSV
say "work dir $WORK; users $USERS, ${DURATION}s per figure, $CONNS connections; load $(cut -d' ' -f1-3 /proc/loadavg)"
start_postgres
setup_database
start_front
measured set backends "$NBACKENDS"
measure_memory before

has() { [[ " $FIGURES " == *" $1 "* ]]; }
export BENCH_TOKENS=$WORK/tokens.txt BENCH_PASSWORD=$PASSWORD
# GET P/profile, and GET G/user beside it with the same tokens (run_pair)
for alg in HS256 ES256 EdDSA; do
	suffix=${alg,,}; suffix=${suffix/hs256/}
	fig=profile${suffix:+_$suffix} gfig=g_user${suffix:+_$suffix}
	tokens=$WORK/tokens.txt
	[[ $alg == HS256 ]] || tokens=$WORK/tokens.$alg.txt
	if has "$fig" && has "$gfig"; then
		BENCH_TOKENS=$tokens run_pair "$fig" "$gfig" "$REPO/bench/wrk/authed_get.lua" "$BASE/profile" "$GBASE/user"
	elif has "$fig"; then
		BENCH_TOKENS=$tokens run_wrk "$fig" "$REPO/bench/wrk/authed_get.lua" "$BASE/profile"
	elif has "$gfig"; then
		BENCH_TOKENS=$tokens run_wrk "$gfig" "$REPO/bench/wrk/authed_get.lua" "$GBASE/user"
	fi
	if [[ "$PERF" == 1 && $alg == HS256 ]]; then
		if has profile; then run_perf profile "$REPO/bench/wrk/authed_get.lua" "$BASE/profile"; fi
		if has g_user; then run_perf g_user "$REPO/bench/wrk/authed_get.lua" "$GBASE/user"; fi
	fi
done
if has token; then
	run_wrk token "$REPO/bench/wrk/authed_get.lua" "$BASE/token"
	if [[ "$PERF" == 1 ]]; then run_perf token "$REPO/bench/wrk/authed_get.lua" "$BASE/token"; fi
fi
if has refresh; then
	BEFORE_RUN=refresh_tokens BENCH_REFRESH_TOKENS=$WORK/refresh.txt BENCH_WRK_THREADS=$WRK_THREADS \
		run_wrk refresh "$REPO/bench/wrk/refresh.lua" "$BASE/token?grant_type=refresh_token"
fi
if has login_bc4; then
	configure '{"bcrypt_cost": 4}'
	BENCH_LOGIN_PREFIX=c4u BENCH_LOGIN_USERS=$((USERS / 2)) \
		run_wrk login_bc4 "$REPO/bench/wrk/login.lua" "$BASE/login" --timeout 10s
fi
if has login_bc12; then
	configure '{"bcrypt_cost": 12}'
	BENCH_LOGIN_PREFIX=c12u BENCH_LOGIN_USERS=$((USERS - USERS / 2)) \
		run_wrk login_bc12 "$REPO/bench/wrk/login.lua" "$BASE/login" --timeout 30s
	configure '{"bcrypt_cost": 4}'
fi
if has register_bc4; then
	run_wrk register_bc4 "$REPO/bench/wrk/register.lua" "$BASE/register" --timeout 10s
fi
measure_memory after front_peak="$(peak_of "$FRONT_PID")"

if (( SOAK > 0 )); then
	# a long profile run of at least SOAK requests, from the measured rate, in
	# two halves: memory that grows in the second half too is a leak, not a
	# first use
	rate=$(python3 "$REPO/bench/report.py" --median-rps profile "$MEASURED")
	[[ "$rate" != - ]] || die "BENCH_SOAK needs the profile figure"
	soak_s=$(awk -v n="$SOAK" -v r="$rate" 'BEGIN {s = int(n / 2 / r * 1.15) + 1; print (s > 1800 ? 1800 : s)}')
	for half in 1 2; do
		say "soak: profile for ${soak_s}s (>= $((SOAK / 2)) requests at ~$rate req/s), half $half"
		timeout $((soak_s + 120)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${soak_s}s" --latency \
			-s "$REPO/bench/wrk/authed_get.lua" "$BASE/profile" >"$RAW/soak$half.txt" 2>&1 \
			|| { cat "$RAW/soak$half.txt" >&2; die "soak run failed"; }
		measured soak half="$half" "$(sed -n 's/^BENCH //p' "$RAW/soak$half.txt" | tail -1)"
		wait_idle
		if (( half == 1 )); then measure_memory soak_mid; fi
	done
	measure_memory soak_end front_peak="$(peak_of "$FRONT_PID")"
fi
stop_pid "$FRONT_PID"; FRONT_PID=""
BACKENDS=""

if [[ "$FLOORS" == 1 ]]; then
	say "floors"
	echo "\\set id random(1, $USERS)
SELECT id, email, username, firstname, lastname FROM authoob.users WHERE id = :id;" >"$WORK/point.sql"
	TINY_TRANSACTIONS=100 run_pgbench floor_pgbench "$CONNS" "$WORK/point.sql"
	run_floor_http
	for cost in 4 12; do
		h=$(sql -c "SELECT crypt('$PASSWORD', gen_salt('bf', $cost))")
		echo "SELECT crypt('$PASSWORD', :h) = :h;" >"$WORK/bcrypt$cost.sql"
		TINY_TRANSACTIONS=$(( cost == 4 ? 100 : 1 )) \
			run_pgbench "bcrypt$cost" "$NPROC" "$WORK/bcrypt$cost.sql" -D h="$h"
	done
fi

# ----------------------------------------------------------------- table
measured set date "$(date -u +%Y-%m-%dT%H:%MZ)"
measured set load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
# report.py exits 1 (and says why) when a run had error responses
REPORT_STATUS=0
python3 "$REPO/bench/report.py" --tsv "$TSV" "$MEASURED" >"$WORK/table.txt" || REPORT_STATUS=$?
cat "$WORK/table.txt"
if [[ "$PERF" == 1 ]]; then
	for f in "$RAW"/perf.*.txt; do
		[[ -f "$f" ]] || continue
		echo; echo "== ${f##*/}"; cat "$f"
	done
fi
cp "$TSV" "$WORK/table.txt" "$WORK/raw/" 2>/dev/null || true
say "done in $(( $(date +%s) - START_TIME ))s"
(( REPORT_STATUS == 0 )) || exit "$REPORT_STATUS"
