# `make bench` in its tiny mode (BENCH_TINY=1: 100 users, 1 s per figure),
# so that the benchmark cannot rot: it passes iff scripts/bench.sh exits 0
# (every figure ran, no error response) and printed its table. No figure is
# checked: this machine's speed is not a test result.
use strict;
use warnings;
use FindBin;
use Test::More;

my $repo = "$FindBin::Bin/..";
my $front = "$repo/frontend/authoob-http";
local $ENV{BENCH_TINY} = 1;
local $ENV{AUTHOOB_HTTP} = $front if -x $front;	# the front of this tree

my $output = `timeout 300 bash $repo/scripts/bench.sh 2>&1`;
my $status = $? >> 8;
is($status, 0, 'scripts/bench.sh BENCH_TINY=1 exits 0') or diag($output);
like($output, qr/^figure\s+req\/s\s+p50 ms\s+p99 ms/m, 'it printed the table header');
for my $figure (qw(profile token login_bc4 login_bc12 register_bc4 floor_pgbench floor_http bcrypt4 bcrypt12))
{
	like($output, qr/^\Q$figure\E\s+\d+\.\d/m, "the table has a $figure row");
}
like($output, qr/^authoob-http\s+\d+\s+\d+/m, 'and the RSS of authoob-http');
done_testing();
