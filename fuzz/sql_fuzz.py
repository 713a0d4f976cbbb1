#!/usr/bin/env python3
# sql_fuzz.py: the SQL-level fuzzer of authoob (docs/security.md's bad-input rule from the SQL
# side).  It calls every request function, and authoob_configure, in the
# text and the jsonb form where both exist, with valid bodies mutated,
# random JSON, JSON that is not, escapes PostgreSQL refuses, huge numbers
# and strings, injection strings, and tokens live, damaged, random or
# signed around odd claims.  A run fails when any call
#   - raises an error whose SQLSTATE is not PT4xx,
#   - loses its connection, or its backend leaves pg_stat_activity,
#   - hangs past the statement timeout,
#   - is refused but wrote a row (or left a user or mail for its email),
#   - succeeds with an answer that breaks the function's contract.
# The saved corpus (fuzz/corpus/sql/*.json) is replayed first, every run.
#
#   bash scripts/virtualenv.sh /usr/bin/python3 fuzz/sql_fuzz.py --seconds 60
#
# prints the seed it drew; --seed N --max-execs M replays the same M cases
# (what t/200 does with its committed seed).
#
# Without --dsn it makes a database of its own on the PG* server and drops
# it at the end; with --dsn it uses (and changes: users, settings, columns)
# the database given, which must be a throwaway one.
import argparse
import collections
import glob
import multiprocessing
import os
import random
import re
import sys
import time

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlfuzz import cases  # noqa: E402
from sqlfuzz.gen import Gen  # noqa: E402
from sqlfuzz.target import Failure, Target, setup_database  # noqa: E402

SHOWN_FAILURES = 40
DEFAULT_CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "sql")


def parse_args():
    parser = argparse.ArgumentParser(description="SQL-level fuzzer of authoob's request functions")
    parser.add_argument("--seconds", type=float, default=60, help="time for random cases (default 60)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--dsn", default=None,
                        help="a throwaway database to use (default: a fresh one on the PG* server)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel sessions (default 1)")
    parser.add_argument("--max-execs", type=int, default=10**9, help="stop after this many calls")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="directory of saved cases to replay")
    parser.add_argument("--save-failures", metavar="DIR", help="write each distinct failure's case there")
    parser.add_argument("--statement-timeout", type=int, default=10,
                        help="seconds after which a call counts as a hang (default 10)")
    return parser.parse_args()


class Results:
    """Counts per target and outcome, and distinct failures with their
    first case; made in workers, merged by the parent."""

    MAX_DISTINCT = 1000

    def __init__(self):
        self.counts = collections.Counter()
        self.seconds = collections.Counter()     # per target
        self.failures = {}
        self.execs = 0
        self.replayed = 0   # of the executions, the corpus's

    def add(self, case, outcome, seconds, failure=None):
        self.execs += 1
        self.counts[(case.label, outcome)] += 1
        self.seconds[case.label] += seconds
        if failure is None:
            return
        # the same bug with other values is the same finding
        signature = (case.label, failure.reason.split(" (")[0], failure.sqlstate,
                     re.sub(r'"[^"]*"|[0-9]+', "_", failure.message)[:80])
        entry = self.failures.get(signature)
        if entry is None and len(self.failures) < self.MAX_DISTINCT:
            self.failures[signature] = entry = {
                "count": 0, "case": case.to_json(), "short": case.short(300), "reason": failure.reason,
                "sqlstate": failure.sqlstate, "message": failure.message, "detail": failure.detail}
        if entry is not None:
            entry["count"] += 1

    def merge(self, other):
        self.execs += other.execs
        self.replayed += other.replayed
        self.counts.update(other.counts)
        self.seconds.update(other.seconds)
        for signature, entry in other.failures.items():
            if signature in self.failures:
                self.failures[signature]["count"] += entry["count"]
            elif len(self.failures) < self.MAX_DISTINCT:
                self.failures[signature] = entry


def execute(target, case, rng, results):
    """One case through the target, its outcome and time recorded."""
    started = time.monotonic()
    try:
        outcome, failure = target.run(case, rng), None
    except Failure as found:
        outcome, failure = "FAIL", found
    except psycopg2.Error as error:     # a check's own query failed
        if target.conn.closed:
            target.reconnect()
        outcome, failure = "FAIL", Failure("a check failed: " + str(error).strip()[:200],
                                           error.pgcode, str(error).strip())
    results.add(case, outcome, time.monotonic() - started, failure)


def load_corpus(directory):
    loaded = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path, encoding="utf-8") as f:
            try:
                loaded.append(cases.Case.from_json(f.read()))
            except (ValueError, KeyError) as e:
                print("sql_fuzz: skipping %s: %s" % (path, e), file=sys.stderr)
    return loaded


def worker(dsn, seed, index, seconds, max_execs, statement_timeout, corpus, setting_keys, available):
    """One session: the corpus (worker 0 only), then random cases until
    the time or the count runs out."""
    rng = random.Random("%d:%d" % (seed, index))
    gen = Gen(rng, setting_keys, available)
    results = Results()
    target = Target(dsn, index, statement_timeout, throttle="authoob_clear_throttle" in available)
    try:
        for case in corpus if index == 0 else ():
            execute(target, case, rng, results)
        results.replayed = replayed = results.execs
        deadline = time.monotonic() + seconds
        while results.execs - replayed < max_execs and time.monotonic() < deadline:
            execute(target, gen.case(), rng, results)
    finally:
        target.close()
    return results


def run_workers(args, dsn, seed, corpus, setup):
    setting_keys, available = setup
    corpus = [case for case in corpus if case.fn in available]
    jobs = [(dsn, seed, i, args.seconds, args.max_execs // args.jobs, args.statement_timeout,
             corpus, setting_keys, available) for i in range(args.jobs)]
    if args.jobs == 1:
        return [worker(*jobs[0])]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        return pool.starmap(worker, jobs)


def fresh_database():
    """A new database on the PG* server; returns its name."""
    name = "authoob_sqlfuzz_%d_%d" % (os.getpid(), int(time.time()))
    admin = psycopg2.connect("", connect_timeout=10)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("CREATE DATABASE %s" % name)
    admin.close()
    return name


def drop_database(name):
    admin = psycopg2.connect("", connect_timeout=10)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    admin.close()


def report(results, seconds, corpus_size, seed, jobs):
    print("sql_fuzz: seed %d, %d job(s), %d corpus case(s) replayed" % (seed, jobs, corpus_size))
    print("executions: %d in %.1f s (%.0f/s)" % (results.execs, seconds, results.execs / max(seconds, 1e-9)))
    print("random cases: %d" % (results.execs - results.replayed))
    print("%-36s %8s %7s %7s %7s %5s  %s" % ("function", "calls", "ms/call", "ok", "cast", "FAIL", "refusals"))
    for label in sorted({label for label, _ in results.counts}):
        outcomes = {o: n for (l, o), n in results.counts.items() if l == label}
        calls = sum(outcomes.values())
        refusals = " ".join("%s:%d" % (o, n) for o, n in sorted(outcomes.items()) if o.startswith("PT"))
        print("%-36s %8d %7.2f %7d %7d %5d  %s" % (
            label, calls, 1000 * results.seconds[label] / calls, outcomes.get("ok", 0),
            outcomes.get("cast", 0), outcomes.get("FAIL", 0), refusals))
    print("failures: %d distinct, %d in all" % (len(results.failures),
                                                 sum(e["count"] for e in results.failures.values())))
    for entry in list(results.failures.values())[:SHOWN_FAILURES]:
        print("- %s [%s] %s%s (x%d)" % (entry["reason"], entry["sqlstate"] or "-", entry["message"],
                                       (" / " + entry["detail"]) if entry["detail"] else "", entry["count"]))
        print("    case: %s" % entry["short"])


def save_failures(results, directory):
    os.makedirs(directory, exist_ok=True)
    for n, entry in enumerate(results.failures.values()):
        path = os.path.join(directory, "failure-%02d.json" % n)
        with open(path, "w", encoding="utf-8") as f:
            f.write(entry["case"] + "\n")


def main():
    args = parse_args()
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 10**9
    corpus = load_corpus(args.corpus) if os.path.isdir(args.corpus) else []
    database = None if args.dsn else fresh_database()
    dsn = args.dsn or "dbname=%s" % database
    started = time.monotonic()
    try:
        setup = setup_database(dsn)
        results = Results()
        for part in run_workers(args, dsn, seed, corpus, setup):
            results.merge(part)
    finally:
        if database:
            drop_database(database)
    report(results, time.monotonic() - started, len(corpus), seed, args.jobs)
    if args.save_failures and results.failures:
        save_failures(results, args.save_failures)
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
