#!/usr/bin/env bash
# serve.sh: inside a pg_virtualenv cluster (PG* set), creates the authoob
# database and serves it with authoob-http until interrupted.
set -euo pipefail

listen=${AUTHOOB_LISTEN:-127.0.0.1:8080}
url="http://$listen/authoob"

createdb authoob
psql -X -q -d authoob -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION authoob CASCADE;
SELECT authoob_configure('{"app_url": "http://localhost:3000",
                           "api_url": "http://$listen",
                           "email_sender": "no-reply@localhost"}');
SQL

authoob-http --listen "$listen" --db dbname=authoob &
front=$!
trap 'kill -TERM $front 2>/dev/null; wait $front 2>/dev/null' EXIT INT TERM

for _ in $(seq 50); do
	curl -fs "$url/health" >/dev/null && break
	sleep 0.1
done

cat <<EOF2

authoob is running: $url   (database: psql "dbname=authoob host=$PGHOST port=$PGPORT user=$PGUSER password=$PGPASSWORD")

  curl -s -X POST $url/register -H 'Content-Type: application/json' \\
       -d '{"email": "me@example.com", "password1": "1Password", "password2": "1Password"}'
  TOKEN=\$(curl -s -X POST $url/login -H 'Content-Type: application/json' \\
       -d '{"email": "me@example.com", "password": "1Password"}' | sed 's/.*"token": *"\\([^"]*\\)".*/\\1/')
  curl -s $url/profile -H "Authentication-Token: \$TOKEN"

Ctrl-C stops authoob-http and removes the cluster.
EOF2
wait $front
