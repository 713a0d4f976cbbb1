#!/usr/bin/python3
"""callgrind_diff.py A B N [--top K] [FUNCTION...]: the cost of one request from two callgrind
files of the same kind of process, one that served M requests (A) and one
that served M+N (B): (B - A) / N instructions, in all and per function, self
and inclusive, with the share of the whole; the FUNCTIONs named (a * ending
is a prefix) are listed inclusive, by name.  Used by bench/callgrind.sh.

Note: valgrind counts each iteration of a `rep stos` (glibc's memset of large
blocks) as one instruction, so memset weighs far more here than in CPU time.
"""

import re
import subprocess
import sys


def load(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100",
         "--inclusive=" + ("yes" if inclusive else "no"), path],
        capture_output=True, text=True, check=True).stdout
    total, per_function = 0, {}
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([^)]*\)\s+(\S.*?)\s*$", line)
        if not m:
            continue
        count, name = int(m.group(1).replace(",", "")), m.group(2)
        if name == "PROGRAM TOTALS":
            total = count
            continue
        if not name.endswith("]"):
            continue  # the same function listed again without its object
        function, obj = name[:-1].rsplit(" [", 1)
        function = function.split(":", 1)[1] if ":" in function else function
        key = f"{function} [{obj.rsplit('/', 1)[-1]}]"
        per_function[key] = per_function.get(key, 0) + count
    return total, per_function


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    a, b, n = argv[1], argv[2], int(argv[3])
    rest = argv[4:]
    top = 25
    if len(rest) >= 2 and rest[0] == "--top":
        top, rest = int(rest[1]), rest[2:]
    named = rest
    for inclusive in (False, True):
        total_a, fa = load(a, inclusive)
        total_b, fb = load(b, inclusive)
        per = (total_b - total_a) / n
        if not inclusive:
            print(f"{per:,.0f} instructions per request")
        print("  inclusive (with what it calls; recursion may count twice):" if inclusive
              else "  self:")
        diff = {k: (fb.get(k, 0) - fa.get(k, 0)) / n for k in set(fa) | set(fb)}
        rows = sorted(diff.items(), key=lambda kv: -kv[1])
        if inclusive and named:
            def wanted(k):
                fn = k.rsplit(" [", 1)[0]
                return any(fn == w or (w.endswith("*") and fn.startswith(w[:-1])) for w in named)
            rows = [kv for kv in rows if wanted(kv[0])]
        else:
            rows = rows[:top]
        for k, v in rows:
            print(f"  {v:10,.0f} {100 * v / per:6.1f}%  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
