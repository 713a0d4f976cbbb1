#!/usr/bin/env bash
# capacity.sh: what one core of Postgres spends on each kind of request, and
# how many bytes a user and a session take; the figures of docs/scale-out.md ("Capacity").
#
#   bash scripts/virtualenv.sh bash scripts/capacity.sh
#
# Each figure is a loop in one backend (one core) calling the function the
# front's route calls, each call its own transaction (COMMIT: the WAL flush
# counts), timed by clock_timestamp(). What the HTTP front adds per request
# is measured apart, by make bench (docs/benchmarks.md). Needs the PG* environment
# of a cluster with the extension installed; the database is dropped at the
# end. CAPACITY_USERS: users seeded for the storage figures (default 100000).
set -euo pipefail

users=${CAPACITY_USERS:-100000}
db=authoob_capacity_$$
password='Passw0rd!'
createdb "$db"
trap 'dropdb --if-exists "$db"' EXIT
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "postgres: $(sql -c 'SHOW server_version'), fsync $(sql -c 'SHOW fsync'),"\
	"synchronous_commit $(sql -c 'SHOW synchronous_commit')"

sql <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION authoob CASCADE;
SELECT authoob_configure('{"app_url": "http://app.test", "api_url": "http://127.0.0.1",
	"email_sender": "no-reply@authoob.test", "throttle": false}') IS NOT NULL;
CREATE TABLE capacity (figure text, calls int, seconds float8, cpu_seconds float8,
	wal_bytes numeric);
-- CPU seconds this backend has used (user + system, /proc/<pid>/stat): its
-- cost whatever else runs on the machine, which wall time is not
CREATE FUNCTION backend_cpu() RETURNS float8 LANGUAGE sql AS $$
	SELECT (split_part(stat, ' ', 14)::float8 + split_part(stat, ' ', 15)::float8) / 100
	FROM pg_read_file(format('/proc/%s/stat', pg_backend_pid())) AS stat
$$;
-- Times n calls of the statement (with $1 the call's number), each in its
-- own transaction: the backend's CPU per call (what one core does in a
-- second is 1 / that), the wall time per call, and the WAL written (what
-- the standbys receive) per call.
CREATE PROCEDURE measure(figure text, n int, stmt text)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	wal0 pg_lsn := pg_current_wal_insert_lsn();
	cpu0 float8 := backend_cpu();
BEGIN
	FOR i IN 1 .. n LOOP
		EXECUTE stmt USING i;
		COMMIT;
	END LOOP;
	INSERT INTO capacity
	VALUES (figure, n, extract(epoch FROM clock_timestamp() - t0), backend_cpu() - cpu0,
		pg_wal_lsn_diff(pg_current_wal_insert_lsn(), wal0));
	COMMIT;
END $$;
SQL

login() { echo "SELECT authoob_login('{\"email\": \"$1\", \"password\": \"$password\"}', '127.0.0.1')"; }
register_sql="SELECT authoob_register(json_build_object('email', 'r' || \$1 || '@cap.test',
	'password1', '$password', 'password2', '$password')::text, '127.0.0.1')"

# sign-in at each bcrypt cost: a user whose hash has that cost, as many
# sign-ins as take about a second at cost 4
for cost in 4 5 6 7 8 9 10 11 12; do
	n=$(( 1000 >> (cost - 4) )); [ "$n" -lt 10 ] && n=10
	sql -c "SELECT authoob_configure('{\"bcrypt_cost\": $cost}') IS NOT NULL" >/dev/null
	sql -c "SELECT authoob_register('{\"email\": \"bc$cost@cap.test\",
		\"password1\": \"$password\", \"password2\": \"$password\"}')" >/dev/null
	sql -c "CALL measure('sign-in, bcrypt cost $cost', $n, \$s\$$(login "bc$cost@cap.test")\$s\$)"
done
# argon2id with its default parameters
sql -c "SELECT authoob_configure('{\"password_hash\": \"argon2id\"}') IS NOT NULL" >/dev/null
sql -c "SELECT authoob_register('{\"email\": \"argon@cap.test\",
	\"password1\": \"$password\", \"password2\": \"$password\"}')" >/dev/null
argon=$(sql -c "SELECT format('m=%s KiB, t=%s, p=%s', authoob_settings() ->> 'argon2_memory',
	authoob_settings() ->> 'argon2_time', authoob_settings() ->> 'argon2_parallelism')")
sql -c "CALL measure('sign-in, argon2id ($argon)', 20, \$s\$$(login argon@cap.test)\$s\$)"
sql -c "SELECT authoob_configure('{\"password_hash\": \"bcrypt\", \"bcrypt_cost\": 4}') IS NOT NULL" >/dev/null

# a token: verified (GET P/verify, and what authoob_authenticate does for
# row-level security), the profile read with it, renewed (GET P/token)
token=$(sql -c "$(login bc4@cap.test) ->> 'token'")
sql -c "CALL measure('token verification (authoob_verify)', 20000, \$s\$SELECT authoob_verify('$token')\$s\$)"
sql -c "CALL measure('GET P/profile (authoob_profile)', 20000, \$s\$SELECT authoob_profile('$token')\$s\$)"
sql -c "CALL measure('GET P/token, renewal (authoob_token)', 5000, \$s\$SELECT authoob_token('$token')\$s\$)"

# refresh: each refresh token used once, as a client does (rotation)
sql <<SQL
CREATE TABLE refresh (token text);
INSERT INTO refresh SELECT authoob_token_grant('{"grant_type": "password",
	"email": "bc4@cap.test", "password": "$password"}', '127.0.0.1') ->> 'refresh_token';
CREATE FUNCTION refresh_once() RETURNS void LANGUAGE sql AS \$\$
	UPDATE refresh SET token = authoob_token_grant(json_build_object('grant_type',
		'refresh_token', 'refresh_token', token)::text, '127.0.0.1') ->> 'refresh_token'
\$\$;
SQL
sql -c "CALL measure('POST P/token, refresh (rotation)', 2000, 'SELECT refresh_once()')"

# registration at cost 4 (add the cost's hashing, the sign-in figures'
# difference, for another cost), then the mailers' work on its mail
sql -c "CALL measure('registration, bcrypt cost 4, mail queued', 1000, \$s\$$register_sql\$s\$)"
sql <<'SQL'
CREATE FUNCTION deliver_ten() RETURNS void LANGUAGE sql AS $$
	SELECT authoob_mail_done(id) FROM authoob_mail_claim(10, 120)
$$;
SQL
sql -c "CALL measure('mail claimed and marked sent, per 10', 100, 'SELECT deliver_ten()')"
sql -c "SELECT count(*) || ' mails still queued' FROM authoob.mail_outbox WHERE state = 'pending'"

echo
echo "per call, in one backend (one core), each call its own transaction:"
sql -F $'\t' -c "SELECT figure, calls, round((cpu_seconds * 1e6 / calls)::numeric),
	round((calls / nullif(cpu_seconds, 0))::numeric, 1), round((seconds * 1e6 / calls)::numeric),
	round(wal_bytes / calls) FROM capacity ORDER BY ctid" |
	awk -F'\t' 'BEGIN { printf "%-46s %6s %9s %10s %9s %8s\n", "figure", "calls",
		"CPU us", "per core/s", "wall us", "WAL B" }
		{ printf "%-46s %6s %9s %10s %9s %8s\n", $1, $2, $3, $4, $5, $6 }'

# --- storage: users as the seed of make bench has them (a cost-12 hash,
# names), sessions and refresh tokens as sign-ins make them
sql >/dev/null <<SQL
SET client_min_messages = warning;
TRUNCATE authoob.mail_outbox, authoob.mail_tokens;
SELECT crypt('$password', gen_salt('bf', 12)) AS h \gset
INSERT INTO authoob.users (email, password, username, firstname, lastname, confirmed_at)
SELECT 'user' || i || '@example.com', :'h', 'user' || i, 'First' || i, 'Last' || i, now()
FROM generate_series(1, $users) AS i;
SELECT authoob_configure('{"bcrypt_cost": 4}');
UPDATE authoob.users SET password = crypt('$password', gen_salt('bf', 4))
WHERE id IN (SELECT id FROM authoob.users WHERE email LIKE 'user%' ORDER BY id LIMIT 5000);
SELECT authoob_token_grant(json_build_object('grant_type', 'password', 'email', email,
	'password', '$password')::text, '127.0.0.1') IS NOT NULL
FROM authoob.users WHERE email LIKE 'user%' ORDER BY id LIMIT 5000;
VACUUM ANALYZE;
SQL
echo
echo "storage (heap + indexes + TOAST, after VACUUM):"
sql -F $'\t' <<'SQL' | awk -F'\t' '{ printf "%-24s %10s rows %8s bytes/row\n", $1, $2, $3 }'
SELECT c.relname, s.n, round(pg_total_relation_size(c.oid)::numeric / s.n)
FROM (VALUES ('users', (SELECT count(*) FROM authoob.users)),
	('sessions', (SELECT count(*) FROM authoob.sessions)),
	('refresh_tokens', (SELECT count(*) FROM authoob.refresh_tokens))) AS s (rel, n)
JOIN pg_class c ON c.relname = s.rel
	AND c.relnamespace = 'authoob'::regnamespace;
SQL
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
