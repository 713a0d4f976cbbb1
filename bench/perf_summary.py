#!/usr/bin/python3
"""perf_summary.py - the profile of `make bench` (BENCH_PERF=1) in two tables.

Reads `perf script` output (samples with call stacks, from perf record -g or
--call-graph dwarf) on stdin and prints:
  - self: the functions the samples were in, with their share of all samples;
  - inclusive: for each function named on the command line, the share of
    samples that have it anywhere on their stack (what it costs with all it
    calls).  A name ending in * matches as a prefix.

Usage: perf script -i perf.data | perf_summary.py [--top N] [FUNCTION...]
"""

import re
import sys
from collections import Counter

FRAME = re.compile(r"^\s+[0-9a-f]+\s+(\S+?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)\s*$")


def samples(lines):
    """Yields each sample's stack, innermost first, as (symbol, dso) pairs."""
    stack = []
    for line in lines:
        if not line.strip():
            if stack:
                yield stack
            stack = []
            continue
        m = FRAME.match(line)
        if m:
            sym, dso = m.group(1), m.group(2).rsplit("/", 1)[-1]
            if sym == "[unknown]":
                sym = "?"
            stack.append((sym, dso))
    if stack:
        yield stack


def main(argv):
    top = 30
    names = []
    args = iter(argv[1:])
    for a in args:
        if a == "--top":
            top = int(next(args))
        else:
            names.append(a)
    total = 0
    self_count = Counter()
    incl = Counter()
    for stack in samples(sys.stdin):
        total += 1
        sym, dso = stack[0]
        self_count[f"{sym} [{dso}]"] += 1
        on_stack = {s for s, _ in stack}
        for n in names:
            if n.endswith("*"):
                if any(s.startswith(n[:-1]) for s in on_stack):
                    incl[n] += 1
            elif n in on_stack:
                incl[n] += 1
    if total == 0:
        print("no samples")
        return 1
    print(f"{total} samples")
    print(f"\nself (top {top})")
    for name, c in self_count.most_common(top):
        print(f"  {100.0 * c / total:6.2f}%  {name}")
    if names:
        print("\ninclusive (sample has the function on its stack)")
        for n in names:
            print(f"  {100.0 * incl[n] / total:6.2f}%  {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
