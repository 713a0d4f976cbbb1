# The SQL-level fuzzer (fuzz/sql_fuzz.py) for 20 seconds with a fixed seed,
# after it has replayed its saved corpus: passes when it found nothing (no
# error but PT4xx, no crash, no hang, no half-done write, no success that
# breaks the contract).  Runs against the PG* server of the environment
# (pg_virtualenv), in a database the fuzzer makes and drops.
use strict;
use warnings;
use Test::More;

# Debian's python3 with Debian's psycopg2: a pyenv python3 first in PATH
# would not have it
my $python = '/usr/bin/python3';
my $seed = 200;

my $missing = `$python -c 'import psycopg2' 2>&1`;
is($?, 0, 'python3-psycopg2 is installed (scripts/install-deps.sh)')
  or diag($missing);

my $started = time;
my $out = `$python fuzz/sql_fuzz.py --seconds 20 --seed $seed 2>&1`;
my $status = $? >> 8;
note($out);
is($status, 0, "sql_fuzz.py --seed $seed found nothing")
  or diag($out =~ /(failures:.*)/s ? $1 : $out);
like($out, qr/^executions: [1-9]\d* /m, 'it ran cases');
cmp_ok(time - $started, '<', 50, 'within 50 seconds');

done_testing();
