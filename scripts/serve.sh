#!/usr/bin/env bash
# serve.sh: inside a pg_virtualenv cluster (PG* set), creates the authoob
# database and serves it with authoob-http until interrupted. Mails go to a
# local SMTP server (scripts/mail_sink.py) that prints them here, so that
# activation and password reset work without a real mail server.
#
# Its knobs, AUTHOOB_LISTEN and AUTHOOB_SMTP_PORT, are described in run.sh.
# SIGINT (Ctrl-C) or SIGTERM stops both servers and exits 0: a stop asked
# for, after which scripts/virtualenv.sh drops the cluster.
set -euo pipefail

listen=${AUTHOOB_LISTEN:-127.0.0.1:8080}
smtp_port=${AUTHOOB_SMTP_PORT:-2525}
url="http://$listen/authoob"

createdb authoob
psql -X -q -d authoob -v ON_ERROR_STOP=1 -o /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION authoob CASCADE;
SELECT authoob_configure('{"app_url": "http://localhost:3000",
                           "api_url": "http://$listen",
                           "email_sender": "no-reply@authoob.localhost"}');
SQL

sink=""
front=""
stop() {
	kill -TERM $front $sink 2>/dev/null || true
	wait $front $sink 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT TERM

/usr/bin/python3 "$(dirname "$0")/mail_sink.py" --port "$smtp_port" &
sink=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
	sleep 0.1
done
kill -0 $sink 2>/dev/null || { echo "serve.sh: the mail sink did not start (is port $smtp_port free? AUTHOOB_SMTP_PORT sets another)" >&2; exit 1; }

authoob-http --listen "$listen" --db dbname=authoob --smtp-url "smtp://127.0.0.1:$smtp_port" &
front=$!

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

Mails are not sent out: they are printed here, in this console, links and all.
  curl -si <the link of the activation mail>     # 302 to the app: the account is activated
  curl -s -X POST $url/password/ask -H 'Content-Type: application/json' -d '{"email": "me@example.com"}'
  curl -s -X PUT $url/password/reset/token -H 'Content-Type: application/json' \\
       -d '{"token": "<the token of the reset mail>", "password1": "2Password", "password2": "2Password"}'

Ctrl-C stops authoob-http and the mail printer, and removes the cluster.
EOF2
wait $front
