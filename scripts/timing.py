#!/usr/bin/env python3
# timing.py: measures whether authoob's answers tell, by their time, who is
# registered.  A login with an unknown email should cost what a wrong
# password costs (the dummy hash check), and password/ask for an unknown
# address what it costs for a known one, and so for P/otp (a magic link
# ask).  It prints the medians of many
# tries and the gaps as a share of a login (or of a password/ask).  A
# measurement, not a test: nothing is asserted.
#
#   bash scripts/virtualenv.sh /usr/bin/python3 scripts/timing.py [--cost 12] [--hash argon2id]
#       [--tries 200] [--url http://127.0.0.1:8080/authoob [--dsn 'dbname=authoob']]
#
# Over SQL it makes a database of its own on the PG* server (dropped at the
# end).  With --url it also measures over HTTP against a running
# authoob-http on this machine; its database keeps its own settings unless
# --dsn names it, in which case the hash settings are applied there and the
# brute-force throttle is turned off (it would answer 429 after a few tries).
import argparse
import http.client
import json
import os
import random
import statistics
import sys
import time
import urllib.parse

import psycopg2

PASSWORD = "Timing1Password"
WRONG = "Wrong1Password"
KNOWN = "known@timing.test"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# what each kind of try must answer; others are counted apart, not timed
LOGIN_KINDS = {"unknown email": "401", "wrong password": "401", "success": "200"}
ASK_KINDS = {"known address": "204", "unknown address": "204"}
# the magic link's ask (POST P/otp): the same answer and work for both
OTP_KINDS = {"known (otp)": "204", "unknown (otp)": "204"}


def parse_args():
    parser = argparse.ArgumentParser(description="timing of login and password/ask")
    parser.add_argument("--cost", type=int, default=12, help="bcrypt cost (default 12)")
    parser.add_argument("--hash", choices=["bcrypt", "argon2id"], default="bcrypt")
    parser.add_argument("--tries", type=int, default=200, help="tries of each kind (default 200)")
    parser.add_argument("--url", help="also over HTTP: authoob-http's base URL, prefix included")
    parser.add_argument("--dsn", help="with --url: the front's database, to configure it")
    parser.add_argument("--seed", type=int, default=1, help="order of the tries")
    parser.add_argument("--version", help="the extension version to measure (default: the latest)")
    return parser.parse_args()


def settings(args):
    """The configuration of a measured database."""
    conf = {"bcrypt_cost": args.cost, "password_hash": args.hash, "app_url": "http://app.test",
            "api_url": "http://127.0.0.1", "email_sender": "no-reply@timing.test",
            "prevent_mail_send": True, "reset_mail_interval": 0}
    return conf


def configure(conn, conf):
    """Apply conf, and turn the throttle off where the extension has one."""
    with conn.cursor() as cur:
        cur.execute("SELECT authoob_settings() ? 'throttle'")
        if cur.fetchone()[0]:
            conf = dict(conf, throttle=False)
        cur.execute("SELECT authoob_configure(%s)", (json.dumps(conf),))


class SqlClient:
    """Calls the request functions, as the HTTP front would, on one session."""

    name = "SQL"

    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def call(self, function, body):
        """The outcome as an HTTP status would say it."""
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT %s(%%s::text, '192.0.2.1')" % function, (json.dumps(body),))
                return "204" if cur.fetchone()[0] is None else "200"
        except psycopg2.Error as e:
            if e.pgcode and e.pgcode.startswith("PT"):
                return e.pgcode[2:]
            raise

    def login(self, body):
        return self.call("authoob_login", body)

    def ask(self, body):
        return self.call("authoob_password_ask", body)

    def otp(self, body):
        return self.call("authoob_otp_ask", body)

    def register(self, body):
        return self.call("authoob_register", body)

    def close(self):
        self.conn.close()


class HttpClient:
    """The same over HTTP, one kept-alive connection to a loopback front."""

    name = "HTTP"

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            sys.exit("timing.py: --url must be http:// on this machine (127.0.0.1, localhost, ::1)")
        self.prefix = parts.path.rstrip("/")
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)

    def post(self, route, body):
        self.conn.request("POST", self.prefix + route, json.dumps(body),
                          {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        response.read()
        return str(response.status)

    def login(self, body):
        return self.post("/login", body)

    def ask(self, body):
        return self.post("/password/ask", body)

    def otp(self, body):
        return self.post("/otp", body)

    def register(self, body):
        return self.post("/register", body)

    def close(self):
        self.conn.close()


def tries(client, known, count, seed):
    """Every kind count times, in a shuffled order so that drift (caches,
    other load) spreads over all kinds; returns kind -> [(seconds, status)]."""
    bodies = {
        "unknown email": lambda i: (client.login, {"email": "nobody%d@timing.test" % i, "password": WRONG}),
        "wrong password": lambda i: (client.login, {"email": known, "password": WRONG}),
        "success": lambda i: (client.login, {"email": known, "password": PASSWORD}),
        # one address of each kind, asked about again and again: the first
        # ask about any address inserts its row in authoob.throttle and the
        # next ones update it, whoever the address belongs to, so a fresh
        # unknown address against a repeated known one would time that
        "known address": lambda i: (client.ask, {"email": known}),
        "unknown address": lambda i: (client.ask, {"email": "nobody@timing.test"}),
        "known (otp)": lambda i: (client.otp, {"email": known}),
        "unknown (otp)": lambda i: (client.otp, {"email": "nobody@timing.test"}),
    }
    order = [(kind, i) for kind in bodies for i in range(count)]
    random.Random(seed).shuffle(order)
    for kind in bodies:             # warm up: plans, the dummy hash, caches
        call, body = bodies[kind](-1)
        call(body)
    samples = {kind: [] for kind in bodies}
    for kind, i in order:
        call, body = bodies[kind](i)
        started = time.perf_counter()
        status = call(body)
        samples[kind].append((time.perf_counter() - started, status))
    return samples


def medians(samples, expected):
    """kind -> median seconds over the tries that answered as expected;
    prints each kind's line."""
    result = {}
    for kind, want in expected.items():
        timed = [s for s, status in samples[kind] if status == want]
        others = len(samples[kind]) - len(timed)
        result[kind] = statistics.median(timed) if timed else float("nan")
        spread = statistics.quantiles(timed, n=10) if len(timed) >= 10 else [float("nan")] * 9
        print("  %-16s median %8.2f ms  (p10 %8.2f, p90 %8.2f; %d timed%s)"
              % (kind, 1000 * result[kind], 1000 * spread[0], 1000 * spread[-1], len(timed),
                 ", %d answered otherwise" % others if others else ""))
    return result


def gap_line(what, a, b, base, base_name):
    gap = abs(a - b)
    print("  gap %-34s %8.3f ms = %5.1f%% of the median %s" % (what, 1000 * gap, 100 * gap / base, base_name))


def report(client, samples, label):
    print("%s, %s:" % (client.name, label))
    login = medians(samples, LOGIN_KINDS)
    ask = medians(samples, ASK_KINDS)
    otp = medians(samples, OTP_KINDS)
    gap_line("unknown email vs wrong password", login["unknown email"], login["wrong password"],
             login["success"], "successful login")
    gap_line("known vs unknown address (ask)", ask["known address"], ask["unknown address"],
             ask["known address"], "password/ask of a known address")
    gap_line("known vs unknown address (otp)", otp["known (otp)"], otp["unknown (otp)"],
             otp["known (otp)"], "P/otp of a known address")


def measure(client, args, label):
    status = client.register({"email": KNOWN, "password1": PASSWORD, "password2": PASSWORD})
    if status not in ("200", "409"):
        sys.exit("timing.py: registering %s answered %s" % (KNOWN, status))
    try:
        report(client, tries(client, KNOWN, args.tries, args.seed), label)
    finally:
        client.close()


def admin_connection():
    conn = psycopg2.connect("", connect_timeout=10)
    conn.autocommit = True
    return conn


def measure_sql(args, label):
    name = "authoob_timing_%d" % os.getpid()
    admin = admin_connection()
    admin.cursor().execute("CREATE DATABASE %s" % name)
    try:
        conn = psycopg2.connect("dbname=%s" % name)
        conn.autocommit = True
        conn.cursor().execute("SET client_min_messages = warning")
        if args.version:    # psycopg2 quotes it as the string literal VERSION takes
            conn.cursor().execute("CREATE EXTENSION authoob VERSION %s CASCADE", (args.version,))
        else:
            conn.cursor().execute("CREATE EXTENSION authoob CASCADE")
        configure(conn, settings(args))
        conn.close()
        measure(SqlClient("dbname=%s" % name), args, label)
    finally:
        admin.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
        admin.close()


def measure_http(args, label):
    if args.dsn:
        conn = psycopg2.connect(args.dsn)
        conn.autocommit = True
        configure(conn, settings(args))
        conn.close()
    else:
        label = "the front database's own settings"
    measure(HttpClient(args.url), args, label)


def main():
    args = parse_args()
    label = ("bcrypt cost %d" % args.cost if args.hash == "bcrypt"
             else "argon2id (the extension's argon2 settings)")
    print("timing.py: %d tries of each kind, %s, reset_mail_interval 0 (every ask is"
          " recorded; a mailer would make the mails of known addresses)" % (args.tries, label))
    # other processes move the medians more than anything measured here
    print("load average at start: %.2f" % os.getloadavg()[0])
    measure_sql(args, label)
    if args.url:
        measure_http(args, label)
    print("load average at end: %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
