#!/usr/bin/python3
"""report.py - the table of `make bench`, from what scripts/bench.sh measured.

bench.sh starts the processes and writes down raw measurements, one record a
line, in raw/measurements.txt; this turns them into one row a run
(results.tsv, with --tsv) and the table: each figure's medians over its runs,
its floor and the ratio to it, the peer's figure when given, the memory of
authoob-http and its backends, and, unless tiny, the performance targets.
It exits 1 when a run had error responses (non-2xx answers, socket errors,
failed pgbench transactions).

Records: a kind, then NAME=VALUE fields in any order.
  set NAME VALUE        a fact of the run; VALUE is the rest of the line
  wrk figure= run= load1= hz= front_ticks= pg_ticks= wrk_cpu_ms= busy_ticks=
      all_ticks= irq_ticks= front_csw= + the fields of wrk's summary
      (bench/wrk/common.lua)
                        one wrk run: CPU clock ticks of authoob-http and of its
                        backends, wrk's CPU ms, the machine's busy, total and
                        interrupt ticks (/proc/stat), the context switches of
                        authoob-http's threads over the run
  pgbench figure= run= load1= tps= latency_ms= requests= failed=
  memory at=before|after|soak_mid|soak_end front_rss= front_anon= backends_rss=
      backends_anon= [front_peak=]           KiB
  soak half= + the fields of wrk's summary

Usage: report.py [--tsv FILE] MEASUREMENTS      the table on stdout
       report.py --median-rps FIGURE MEASUREMENTS   that figure's median req/s
"""

import sys

FIGURES = ["profile", "g_user", "profile_es256", "g_user_es256", "profile_eddsa", "g_user_eddsa",
           "token", "refresh", "login_bc4", "login_bc12", "register_bc4"]
FLOORS = ["floor_pgbench", "floor_http", "bcrypt4", "bcrypt12"]
COLUMNS = ["figure", "run", "rps", "p50_ms", "p99_ms", "requests", "errors", "front_cpu_us",
           "pg_cpu_us", "load1", "wrk_cpu_us", "busy_pct", "others_pct", "irq_pct"]
# which floor each figure is held against
# (profile with ES256 and EdDSA tokens: against the HS256 profile of the same run;
# GET G/user: against GET P/profile with the same tokens)
FLOOR_OF = {"profile": "combined", "profile_es256": "profile", "profile_eddsa": "profile",
            "g_user": "profile", "g_user_es256": "profile_es256", "g_user_eddsa": "profile_eddsa",
            "token": "combined", "refresh": "combined", "login_bc4": "bcrypt4",
            "register_bc4": "bcrypt4", "login_bc12": "bcrypt12"}
FLOOR_NAME = {"combined": "pgbench+http combined", "profile": "profile (HS256)",
              "profile_es256": "profile (ES256)", "profile_eddsa": "profile (EdDSA)",
              "bcrypt4": "bcrypt-4 rate", "bcrypt12": "bcrypt-12 rate"}
# the figures the peer (Flask-Security-Too) measured too
PEER_FIGURES = {"profile", "login_bc4", "login_bc12"}


def read_measurements(lines):
    """The facts (set NAME VALUE) and the records, as (kind, {field: value})."""
    facts, records = {}, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        kind, _, rest = line.partition(" ")
        if kind == "set":
            name, _, value = rest.partition(" ")
            facts[name] = value
        else:
            records.append((kind, dict(f.split("=", 1) for f in rest.split())))
    return facts, records


def run_row(kind, m):
    """One row of results.tsv: what a run measured, per request where it can be."""
    if kind == "pgbench":
        return [m["figure"], m["run"], m["tps"], m["latency_ms"], "-", m["requests"],
                m["failed"], "-", "-", m["load1"], "-", "-", "-", "-"]
    hz = float(m["hz"])
    front, pg, wrk_ms = (float(m[k]) for k in ("front_ticks", "pg_ticks", "wrk_cpu_ms"))
    busy, all_ticks, irq = (float(m[k]) for k in ("busy_ticks", "all_ticks", "irq_ticks"))
    errors = sum(int(m[k]) for k in ("non2xx", "connect", "read", "write", "timeout"))
    n = int(m["requests"]) if int(m["requests"]) > 0 else 1
    # what this run's processes used; the rest of the busy time is the machine's other work
    others = busy - (front + pg + wrk_ms * hz / 1000) - irq
    return [m["figure"], m["run"], m["rps"], m["p50_ms"], m["p99_ms"], m["requests"], str(errors),
            "%.0f" % (front * 1e6 / hz / n), "%.0f" % (pg * 1e6 / hz / n), m["load1"],
            "%.0f" % (wrk_ms * 1000 / n),
            "%.0f" % (100 * busy / all_ticks if all_ticks > 0 else 0),
            "%.0f" % (100 * others / all_ticks if all_ticks > 0 and others > 0 else 0),
            "%.0f" % (100 * irq / all_ticks if all_ticks > 0 else 0)]


def median(values):
    """The median of the numbers, or None when there are none."""
    v = sorted(values)
    if not v:
        return None
    half = len(v) // 2
    return v[half] if len(v) % 2 else (v[half - 1] + v[half]) / 2


def number(text):
    try:
        return float(text)
    except ValueError:
        return 0.0


class Runs:
    """The rows of results.tsv, asked for medians by figure and column."""

    def __init__(self, rows):
        self.rows = rows

    def median(self, figure, column):
        i = COLUMNS.index(column)
        return median([float(r[i]) for r in self.rows if r[0] == figure and r[i] != "-"])

    def errors(self, figure=None):
        return sum(int(r[6]) for r in self.rows if figure is None or r[0] == figure)


def peer_median(files, figure):
    """The median req/s of a figure over the peer's results.tsv files (figure in
    the second column, req/s in the fourth, a header line first)."""
    values = []
    for path in files:
        with open(path) as f:
            for line in list(f)[1:]:
                cols = line.rstrip("\n").split("\t")
                if len(cols) > 3 and cols[1] == figure and cols[3] != "":
                    values.append(number(cols[3]))
    return median(values)


def shown(x):
    """A median as a word of the table: '-' when missing, whole when whole."""
    if x is None:
        return "-"
    return "%d" % x if x == int(x) else "%.6g" % x


def table(facts, records, runs):
    has = facts.get("figures", "").split()
    measured_floors = facts.get("floors") == "1"
    peer_files = facts.get("peer_tsv", "").split()
    memory = {m["at"]: m for kind, m in records if kind == "memory"}
    peak = [m["front_peak"] for kind, m in records if kind == "memory" and "front_peak" in m][-1]
    soak = [m for kind, m in records if kind == "soak"]

    pgbench, http = runs.median("floor_pgbench", "rps"), runs.median("floor_http", "rps")
    floor = {"combined": 1 / (1 / pgbench + 1 / http) if pgbench and http else None,
             "bcrypt4": runs.median("bcrypt4", "rps"), "bcrypt12": runs.median("bcrypt12", "rps"),
             "profile": runs.median("profile", "rps"),
             "profile_es256": runs.median("profile_es256", "rps"),
             "profile_eddsa": runs.median("profile_eddsa", "rps")}

    out = [f"authoob benchmark, {facts['date']}, {facts['cores']} cores, load average at start: "
           f"{facts['load_start']}, at end: {facts['load_end']}",
           f"Postgres reached by {facts['pg_reached']}",
           f"users {facts['users']}; wrk -t{facts['wrk_threads']} -c{facts['conns']} "
           f"-d{facts['duration']}s x{facts['repeat']} (medians); {facts['front']} {facts['front_args']}"]
    if facts.get("sanitized"):
        out.append(facts["sanitized"])
    out.append("")
    out.append("%-14s %10s %9s %9s %6s %8s %8s %7s %5s %4s %7s  %-22s %10s %6s %8s" % (
        "figure", "req/s", "p50 ms", "p99 ms", "errors", "front us", "pg us", "wrk us", "busy%",
        "irq%", "others%", "floor", "floor/s", "ratio", "vs peer"))
    for fig in FIGURES:
        if fig not in has:
            continue
        rps = runs.median(fig, "rps") or 0
        f = floor[FLOOR_OF[fig]] or 0
        peer = peer_median(peer_files, fig) if fig in PEER_FIGURES else None
        out.append("%-14s %10.1f %9.2f %9.2f %6d %8s %8s %7s %5s %4s %7s  %-22s %10.1f %6.3f %8s" % (
            fig, rps, runs.median(fig, "p50_ms") or 0, runs.median(fig, "p99_ms") or 0,
            runs.errors(fig), *(shown(runs.median(fig, c)) for c in (
                "front_cpu_us", "pg_cpu_us", "wrk_cpu_us", "busy_pct", "irq_pct", "others_pct")),
            FLOOR_NAME[FLOOR_OF[fig]], f, rps / f if f > 0 else 0,
            "-" if not peer else "%.1fx" % (rps / peer)))
    for fig in FLOORS if measured_floors else []:
        # only the HTTP floor has a server process whose CPU was counted
        h = fig == "floor_http"
        p99 = runs.median(fig, "p99_ms")
        cpu = [shown(runs.median(fig, c)) if h else "-" for c in (
            "front_cpu_us", "wrk_cpu_us", "busy_pct", "irq_pct", "others_pct")]
        out.append("%-14s %10.1f %9s %9s %6d %8s %8s %7s %5s %4s %7s" % (
            fig, runs.median(fig, "rps") or 0, shown(runs.median(fig, "p50_ms")),
            "-" if p99 is None else "%.2f" % p99, runs.errors(fig), cpu[0], "-", *cpu[1:]))
    out += ["(floor_pgbench and bcrypt: tps, p50 column = pgbench's average latency; front/pg/wrk us: CPU",
            " microseconds per request of authoob-http (floor_http: of the floor server) / of its Postgres",
            " backends / of wrk; busy%: how busy all cores were during the run; irq%: the share of all",
            " cores spent in interrupts (mostly the loopback network of these very requests); others%: the",
            " share used by other processes than these (other work on the machine);",
            " combined floor = 1/(1/pgbench + 1/http))",
            "",
            "memory (KiB)           RSS before   RSS after   anon before  anon after"]
    before, after = memory["before"], memory["after"]
    out.append("authoob-http           %10s  %10s   %10s  %10s   (peak RSS %s)" % (
        before["front_rss"], after["front_rss"], before["front_anon"], after["front_anon"], peak))
    out.append("its %d backends         %10s  %10s   %10s  %10s" % (
        int(facts["backends"]), before["backends_rss"], after["backends_rss"],
        before["backends_anon"], after["backends_anon"]))
    if soak:
        mid, end = memory["soak_mid"], memory["soak_end"]
        out += ["", "soak (GET P/profile):"]
        out += ["  half %s: %s" % (m["half"], " ".join(f"{k}={v}" for k, v in m.items() if k != "half"))
                for m in soak]
        out.append("memory (KiB)           RSS start     RSS mid     RSS end   anon start    anon mid    anon end")
        for name, who in (("soak authoob-http", "front"), ("soak backends", "backends")):
            out.append("%-22s %10s  %10s  %10s   %10s  %10s  %10s" % (
                name, after[f"{who}_rss"], mid[f"{who}_rss"], end[f"{who}_rss"],
                after[f"{who}_anon"], mid[f"{who}_anon"], end[f"{who}_anon"]))
    if facts.get("tiny") != "1":
        out += ["", "targets (issue: benchmarks and the performance budget)"]
        out += targets(has, runs, floor, peer_files, facts, memory, peak, soak)
    return "\n".join(out) + "\n"


def targets(has, runs, floor, peer_files, facts, memory, peak, soak):
    """The performance budget: one line a target, met or NOT MET."""
    def ratio(a, b):
        return a / b if a is not None and b else None

    def target(text, value, op, limit):
        if value is None:
            return "  %-50s %12s  not measured" % (text, "-")
        ok = value >= limit if op == ">=" else value <= limit
        return "  %-50s %12.3f %s %-10.3f %s" % (text, value, op, limit, "met" if ok else "NOT MET")

    lines = []
    if "profile" in has:
        rps = runs.median("profile", "rps")
        lines.append(target("profile req/s / combined floor", ratio(rps, floor["combined"]), ">=", 0.6))
        lines.append(target("profile req/s / peer profile req/s",
                            ratio(rps, peer_median(peer_files, "profile")), ">=", 15))
        lines.append(target(f"profile p99 ms at {facts['conns']} connections",
                            runs.median("profile", "p99_ms"), "<=", 5))
    for fig, alg in (("profile_es256", "ES256"), ("profile_eddsa", "EdDSA")):
        if fig in has and "profile" in has:
            lines.append(target(f"profile {alg} req/s / profile HS256 req/s",
                                ratio(runs.median(fig, "rps"), floor["profile"]), ">=", 0.8))
    for fig, alg in (("g_user", "HS256"), ("g_user_es256", "ES256"), ("g_user_eddsa", "EdDSA")):
        if fig in has and FLOOR_OF[fig] in has:
            lines.append(target(f"G/user {alg} req/s / P/profile {alg} req/s",
                                ratio(runs.median(fig, "rps"), floor[FLOOR_OF[fig]]), ">=", 0.9))
    if "login_bc4" in has:
        lines.append(target("login_bc4 req/s / bcrypt-4 rate",
                            ratio(runs.median("login_bc4", "rps"), floor["bcrypt4"]), ">=", 0.7))
    if "login_bc12" in has:
        lines.append(target("login_bc12 req/s / bcrypt-12 rate",
                            ratio(runs.median("login_bc12", "rps"), floor["bcrypt12"]), ">=", 0.95))
    lines.append(target("authoob-http peak RSS MiB", int(peak) / 1024, "<=", 32))
    if soak:
        mid, end = memory["soak_mid"], memory["soak_end"]
        lines.append(target("soak: authoob-http RSS growth, 2nd half, KiB",
                            int(end["front_rss"]) - int(mid["front_rss"]), "<=", 64))
        lines.append(target("soak: backends' anon RSS growth, 2nd half, KiB",
                            int(end["backends_anon"]) - int(mid["backends_anon"]), "<=", 64))
    return lines


def main(argv):
    args = argv[1:]
    tsv = figure = None
    while len(args) > 1 and args[0] in ("--tsv", "--median-rps"):
        if args[0] == "--tsv":
            tsv = args[1]
        else:
            figure = args[1]
        args = args[2:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0]) as f:
        facts, records = read_measurements(f)
    runs = Runs([run_row(kind, m) for kind, m in records if kind in ("wrk", "pgbench")])
    if figure:
        print(shown(runs.median(figure, "rps")))
        return 0
    if tsv:
        with open(tsv, "w") as f:
            f.write("\t".join(COLUMNS) + "\n")
            f.writelines("\t".join(r) + "\n" for r in runs.rows)
    sys.stdout.write(table(facts, records, runs))
    errors = runs.errors()
    if errors:
        print(f"bench: {errors} requests failed (non-2xx answers or socket errors): see raw/*.txt",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
