#!/usr/bin/env bash
# callgrind.sh: instructions per request of the hot paths, counted by valgrind's
# callgrind, which a loaded machine does not disturb (unlike req/s or perf):
#   - one Postgres backend serving, through authoob-http --threads 1
#     --pool 1 (the postmaster runs under callgrind, its forked backends
#     too): GET P/profile with HS256, ES256 and EdDSA tokens, GET G/user
#     (Supabase Auth's dialect) with the HS256 ones, GET P/token,
#     POST P/token with grant_type=refresh_token (each refresh token is
#     single use: every request presents another one, made beforehand),
#     POST P/token with grant_type=password and POST P/login, both at
#     bcrypt cost 4;
#   - one pgbench backend running the floor's prepared point SELECT;
#   - authoob-http itself serving GET P/profile and GET G/user, and
#     bench/floor_http.c.
# Each is counted over a session of 200 requests and one of 200+N; the
# difference divided by N is the cost of one request, per function (self
# and inclusive), printed by bench/callgrind_diff.py.
#
# Usage: bash bench/callgrind.sh [OUTDIR]   (N=2000; AUTHOOB_HTTP=path;
#   PATHS="login refresh ...": only these backend counts, and neither
#   pgbench's nor the HTTP processes'; PATHS=front: only the HTTP
#   processes')
# Needs valgrind, the extension installed, authoob-http. Runs as root (initdb
# as postgres) or as a user that can run initdb. Stops all it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
N=${N:-2000}
PATHS=${PATHS:-}
OUT=${1:-$(mktemp -d /tmp/authoob-callgrind-out.XXXXXX)}
mkdir -p "$OUT"
PG_BIN=$(${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} --bindir)
FRONT=${AUTHOOB_HTTP:-$(command -v authoob-http || true)}
[[ -x "$FRONT" ]] || { echo "callgrind.sh: authoob-http not found" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind.sh: needs valgrind" >&2; exit 1; }
(( N >= 1 && N <= 1000000 )) || { echo "callgrind.sh: N must be 1..1000000" >&2; exit 1; }

WORK=$(mktemp -d /tmp/authoob-callgrind.XXXXXX)
chmod 755 "$WORK"
mkdir "$WORK/pg" "$WORK/cg"
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown postgres: "$WORK/pg" "$WORK/cg"
PM_PID=""
FRONT_PID=""
stop_front() {
	[[ -n "$FRONT_PID" ]] || return 0
	kill -TERM "$FRONT_PID" 2>/dev/null || true
	timeout 120 tail --pid="$FRONT_PID" -f /dev/null || kill -KILL "$FRONT_PID" 2>/dev/null || true
	wait "$FRONT_PID" 2>/dev/null || true
	FRONT_PID=""
}
stop_postgres() {
	if [[ -n "$PM_PID" ]]; then	# the postmaster under valgrind: a fast shutdown
		kill -INT "$PM_PID" 2>/dev/null || true
		timeout 300 tail --pid="$PM_PID" -f /dev/null || kill -KILL "$PM_PID" 2>/dev/null || true
		PM_PID=""
	fi
	as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_front
	stop_postgres
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=""
for try in $(seq 10); do
	port=$((20000 + RANDOM % 12000))
	if [[ ! -d "$WORK/pg/data" ]]; then
		as_postgres "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 >/dev/null
	fi
	if as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $WORK/pg" start >/dev/null 2>&1; then
		PORT=$port
		break
	fi
done
[[ -n "$PORT" ]] || { echo "callgrind.sh: postgres did not start" >&2; exit 1; }
for v in $(compgen -e | grep -E '^PG[A-Z]+$' || true); do unset "$v"; done
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=b
psql() { timeout 600 "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "CREATE DATABASE b"
psql >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION authoob CASCADE;
-- bcrypt at its cheapest, and a budget of hashes that the load, all from
-- 127.0.0.1 and a few accounts, never spends: it is counted, not refused
SELECT authoob_configure('{"bcrypt_cost": 4, "api_url": "http://127.0.0.1",
	"email_sender": "bench@bench.local", "prevent_mail_send": true,
	"client_hashes_per_window": 1000000, "account_sign_ins_per_window": 1000000,
	"client_hashes_at_once": 10000}');
SELECT crypt('Bench-Passw0rd', gen_salt('bf', 4)) AS h \gset
INSERT INTO authoob.users (email, password, username, firstname, lastname, confirmed_at)
SELECT 'c4u' || i || '@bench.local', :'h', 'user' || i, 'First' || i, 'Last' || i, now()
FROM generate_series(1, 1000) AS i;
VACUUM ANALYZE authoob.users;
SQL
# 64 access tokens of each algorithm (the key of each stays valid), then
# HS256 again; and refresh tokens, one per refresh request counted
for alg in ES256 EdDSA HS256; do
	psql -c "SELECT authoob_configure('{\"signing_alg\": \"$alg\"}') IS NOT NULL" >/dev/null
	psql -o "$WORK/tokens.$alg" -c "SELECT authoob_login(json_build_object('email', 'c4u' || i ||
		'@bench.local', 'password', 'Bench-Passw0rd')::text, '127.0.0.1') ->> 'token'
		FROM generate_series(1, 64) AS i"
done
for n in 200 $((200 + N)); do
	psql -o "$WORK/refresh.n$n" -c "SELECT authoob_token_grant(json_build_object(
		'grant_type', 'password', 'email', 'c4u' || (i % 1000 + 1) || '@bench.local',
		'password', 'Bench-Passw0rd')::text, '127.0.0.1') ->> 'refresh_token'
		FROM generate_series(1, $n) AS i"
done
cc -O2 -o "$WORK/floor_http" "$REPO/bench/floor_http.c" -lmicrohttpd -lpthread

# hit MODE PATH COUNT PORT TOKENS: COUNT keep-alive requests. MODE get:
# GET with the tokens of the file TOKENS in turn; refresh: POST with the
# refresh tokens of TOKENS, each once; login and password: POST a user's
# email and password (password: as grant_type=password)
hit() {
	timeout 3600 python3 - "$1" "$2" "$3" "$4" "$5" <<'PY'
import http.client, json, sys
mode, path, n, port, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
toks = [t for t in open(tokens).read().split() if t]
if mode == "refresh" and len(toks) < n:
    sys.exit(f"{tokens}: {len(toks)} refresh tokens for {n} requests")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
bad = 0
for i in range(n):
    if mode in ("login", "password"):
        c.request("POST", path + ("?grant_type=password" if mode == "password" else ""),
                  body=json.dumps({"email": f"c4u{i % 1000 + 1}@bench.local",
                                   "password": "Bench-Passw0rd"}),
                  headers={"Content-Type": "application/json"})
    elif mode == "refresh":
        c.request("POST", path + "?grant_type=refresh_token",
                  body=json.dumps({"refresh_token": toks[i]}),
                  headers={"Content-Type": "application/json"})
    else:
        c.request("GET", path, headers={"Authentication-Token": toks[i % len(toks)]})
    r = c.getresponse()
    r.read()
    bad += r.status != 200
if bad:
    sys.exit(f"{path}: {bad} of {n} answers not 200")
PY
}
# start_front LOGFILE CMD...: runs CMD, sets FRONT_PID and FRONT_PORT (the
# port it logged); not in a subshell, so that stop_front can stop it
start_front() {
	local log=$1 i
	shift
	"$@" >"$log" 2>&1 &
	FRONT_PID=$!
	FRONT_PORT=""
	for i in $(seq 600); do
		FRONT_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		[[ -n "$FRONT_PORT" ]] && return 0
		sleep 0.2
	done
	cat "$log" >&2
	exit 1
}
# of the callgrind files that appeared in $WORK/cg since the listing $1, the
# one that counted the most instructions (the backend that served the
# requests, not an autovacuum worker's), once written (a process under
# valgrind takes its time to exit)
newest() {
	local i f size last=-1
	for i in $(seq 600); do
		f=$(comm -13 <(echo "$1") <(ls "$WORK/cg") | while read -r f; do
			echo "$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$WORK/cg/$f" | head -1) $f"
		done | sort -n | tail -1 | cut -d' ' -f2)
		if [[ -n "$f" ]]; then
			size=$(stat -c %s "$WORK/cg/$f")
			(( size > 0 && size == last )) && { echo "$f"; return 0; }
			last=$size
		fi
		sleep 0.5
	done
	echo "callgrind.sh: no callgrind file appeared" >&2
	return 1
}

# 1. backends: the postmaster under callgrind
as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null
as_postgres valgrind --tool=callgrind --dump-line=no --callgrind-out-file="$WORK/cg/pg.%p" \
	"$PG_BIN/postgres" -D "$WORK/pg/data" -c listen_addresses=127.0.0.1 -p "$PORT" -c autovacuum=off \
	-k "$WORK/pg" >"$WORK/pg/valgrind.log" 2>&1 &
for i in $(seq 600); do "$PG_BIN/pg_isready" -q && break; sleep 0.2; done
PM_PID=$(head -1 "$WORK/pg/data/postmaster.pid")
# what: the name of the counts; how hit() asks; route (a path of its own:
# from its "/"); the tokens (a file, or per run)
for what in profile:get:profile:tokens.HS256 g_user:get:/auth/v1/user:tokens.HS256 \
	profile_es256:get:profile:tokens.ES256 \
	profile_eddsa:get:profile:tokens.EdDSA token:get:token:tokens.HS256 \
	refresh:refresh:token:refresh token_password:password:token:tokens.HS256 \
	login:login:login:tokens.HS256; do
	IFS=: read -r name mode route tokens <<<"$what"
	[[ -z "$PATHS" || " $PATHS " == *" $name "* ]] || continue
	for n in 200 $((200 + N)); do
		file=$WORK/$tokens
		[[ $tokens == refresh ]] && file=$WORK/refresh.n$n
		before=$(ls "$WORK/cg")
		start_front "$WORK/front.log" "$FRONT" --listen 127.0.0.1:0 --threads 1 --pool 1 \
			--db "host=127.0.0.1 port=$PORT user=postgres dbname=b"
		[[ $route == /* ]] || route=/authoob/$route
		hit "$mode" "$route" "$n" "$FRONT_PORT" "$file"
		stop_front
		f=$(newest "$before")	# the backend writes its counts as it exits
		cp "$WORK/cg/$f" "$OUT/backend.$name.n$n.callgrind"
	done
done
echo '\set id random(1, 1000)
SELECT id, email, username, firstname, lastname FROM authoob.users WHERE id = :id;' >"$WORK/point.sql"
[[ -z "$PATHS" ]] && for n in 200 $((200 + N)); do
	before=$(ls "$WORK/cg")
	timeout 3600 "$PG_BIN/pgbench" -n -M prepared -c 1 -t "$n" -f "$WORK/point.sql" >/dev/null 2>&1
	f=$(newest "$before")
	cp "$WORK/cg/$f" "$OUT/pgbench.n$n.callgrind"
done
stop_postgres
as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -t 60 \
	-o "-c listen_addresses=127.0.0.1 -p $PORT -k $WORK/pg" start >/dev/null

# 2. authoob-http and the HTTP floor under callgrind
[[ -z "$PATHS" || " $PATHS " == *" front "* ]] && for who in front front_g_user floor_http; do
	path=/authoob/profile
	[[ $who == front_g_user ]] && path=/auth/v1/user
	for n in 200 $((200 + N)); do
		if [[ $who == front* ]]; then
			cmd=("$FRONT" --listen 127.0.0.1:0 --threads 1 --pool 1
				--db "host=127.0.0.1 port=$PORT user=postgres dbname=b")
		else
			cmd=("$WORK/floor_http" 0 1)
		fi
		start_front "$WORK/$who.log" valgrind --tool=callgrind --dump-line=no \
			--callgrind-out-file="$OUT/$who.n$n.callgrind" "${cmd[@]}"
		hit get "$path" "$n" "$FRONT_PORT" "$WORK/tokens.HS256"
		stop_front
	done
done

# inclusive costs worth knowing by name (a * ending is a prefix)
BACKEND_FUNCS="PostgresMain PortalRun fmgr_security_definer authoob_profile authoob_token
	authoob_gotrue_user authoob_token_profile user_object authoob_user_role_names
	authoob_attempt* authoob_sign_in_request authoob_call_as_caller jsonb_in jsonb_concat
	BeginInternalSubTransaction ReleaseCurrentSubTransaction authoob_token_grant authoob_refresh_session authoob_session_token
	authoob_jwt_read authoob_jwt_sign authoob_key_verify authoob_key_sign authoob_sha256
	authoob_login sign_in authoob_check_password px_crypt* authoob_open_session authoob_check_throttle
	authoob_verify_token* read_token read_own_claims authoob_hmac_sha256 pg_hmac_* authoob_base64url_decode
	uuid_in authoob_session_profile private_json_from_row authoob_issue_token gen_random_uuid
	authoob_base64url_encode SPI_execute_plan standard_ExecutorStart standard_ExecutorRun
	standard_ExecutorEnd GetCachedPlan jsonb_out AtEOXact_GUC set_config_option*
	StartTransactionCommand CommitTransactionCommand XLogInsert XLogFlush exec_bind_message"
FRONT_FUNCS="loop_turn MHD_run request_handle request_begin request_finish request_reply
	request_completed pgasync_submit pgasync_event pgasync_deliver conn_send conn_read
	PQsendQueryPrepared PQpipelineSync PQconsumeInput PQgetResult reply_from_result
	pool_run pool_acquire pool_release conn_ensure PQexecPrepared
	send_reply log_access log_flush routes_match routes_log_path token_of is_valid_utf8
	client_address cors_add_headers MHD_add_response_header MHD_create_response_from_buffer"
D=$((200 + N))
for what in backend.profile backend.g_user backend.profile_es256 backend.profile_eddsa backend.token \
	backend.refresh backend.token_password backend.login pgbench front front_g_user floor_http; do
	[[ -f "$OUT/$what.n200.callgrind" ]] || continue
	echo
	echo "== $what: instructions per request (N=$N)"
	case $what in
		backend.*) funcs=$BACKEND_FUNCS;;
		front*) funcs=$FRONT_FUNCS;;
		*) funcs="";;
	esac
	# shellcheck disable=SC2086
	python3 "$REPO/bench/callgrind_diff.py" "$OUT/$what.n200.callgrind" "$OUT/$what.n$D.callgrind" "$N" $funcs
done
echo
echo "callgrind files: $OUT"
