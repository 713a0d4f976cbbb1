# The SQL-level fuzzer (fuzz/sql_fuzz.py): its saved corpus, then the same
# 15000 random cases every run, those of a committed seed: passes when it
# found nothing (no error but PT4xx, no crash, no hang, no half-done write,
# no success that breaks the contract).  A fresh seed is a run by hand (the
# diag says how).  Runs against the PG* server of the environment
# (pg_virtualenv), in a database the fuzzer makes and drops.
use strict;
use warnings;
use Test::More;

# Debian's python3 with Debian's psycopg2: a pyenv python3 first in PATH
# would not have it
my $python = '/usr/bin/python3';
my $seed = 200;
my $cases = 15000;

my $missing = `$python -c 'import psycopg2' 2>&1`;
is($?, 0, 'python3-psycopg2 is installed (scripts/install-deps.sh)')
  or diag($missing);

# --seconds only bounds a run that hangs: the count decides
my $out = `$python fuzz/sql_fuzz.py --seed $seed --max-execs $cases --seconds 900 2>&1`;
my $status = $? >> 8;
note($out);
is($status, 0, "sql_fuzz.py --seed $seed found nothing")
  or diag($out =~ /(failures:.*)/s ? $1 : $out);
like($out, qr/^random cases: $cases$/m, "the $cases cases of seed $seed ran, all of them");
diag($out =~ /^(executions: .*)$/m ? "sql_fuzz.py: $1" : 'sql_fuzz.py printed no count');
diag('a fresh seed, by hand: bash scripts/virtualenv.sh /usr/bin/python3 fuzz/sql_fuzz.py --seconds 60'
	. ' (it prints its seed; --seed N --max-execs M replays it)');

done_testing();
