# `make bench` in its tiny mode (BENCH_TINY=1: 100 users, 1 s per figure),
# so that the benchmark cannot rot: it passes iff scripts/bench.sh exits 0
# (every figure ran, no error response) and printed its table, whose ratios
# agree with its own rows. No figure is checked: this machine's speed is not
# a test result. First, bench/report.py (which makes the table from what
# bench.sh measured) on measurements written here, whose table is known.
use strict;
use warnings;
use FindBin;
use File::Temp ();
use Test::More;

my $repo = "$FindBin::Bin/..";
my $front = "$repo/frontend/authoob-http";

# --- the report: medians over runs, floors, ratios, the peer, targets
my $dir = File::Temp->newdir;
open(my $peer, '>', "$dir/peer.tsv") or die;
print $peer "framework\tfigure\trun\trps\nflask\tprofile\t1\t500\nflask\tlogin_bc4\t1\t300\n";
close $peer;
# three profile runs, two login runs (one with 3 non-2xx answers); the CPU
# ticks make 10 us of authoob-http and 20 us of its backends a profile request
my $wrk_profile = 'hz=100 front_ticks=100 pg_ticks=200 wrk_cpu_ms=1000 busy_ticks=1800 all_ticks=2000 '
  . 'irq_ticks=100 requests=100000 seconds=10.000';
my $wrk_login = 'hz=100 front_ticks=10 pg_ticks=500 wrk_cpu_ms=100 busy_ticks=1900 all_ticks=2000 irq_ticks=20';
my $no_error = 'non2xx=0 connect=0 read=0 write=0 timeout=0';
open(my $measured, '>', "$dir/measurements.txt") or die;
print $measured <<"END";
set cores 2
set load_start 0.10 0.20 0.30
set pg_reached TCP on 127.0.0.1
set users 100
set wrk_threads 2
set conns 32
set duration 10
set repeat 3
set front /usr/local/bin/authoob-http
set front_args --threads=8
set sanitized
set figures profile login_bc4
set floors 1
set tiny 0
set peer_tsv $dir/peer.tsv
set backends 4
memory at=before front_rss=9000 front_anon=1500 backends_rss=60000 backends_anon=12000
wrk figure=profile run=1 load1=1.00 $wrk_profile rps=10000.0 p50_ms=3.000 p90_ms=4.000 p99_ms=4.000 max_ms=9.000 $no_error
wrk figure=profile run=2 load1=1.00 $wrk_profile rps=12000.0 p50_ms=2.000 p90_ms=4.000 p99_ms=6.000 max_ms=9.000 $no_error
wrk figure=profile run=3 load1=1.00 $wrk_profile rps=11000.0 p50_ms=2.500 p90_ms=4.000 p99_ms=5.000 max_ms=9.000 $no_error
wrk figure=login_bc4 run=1 load1=1.00 $wrk_login requests=5000 seconds=10.000 rps=500.0 p50_ms=50.000 p90_ms=55.000 p99_ms=60.000 max_ms=90.000 $no_error
wrk figure=login_bc4 run=2 load1=1.00 $wrk_login requests=7000 seconds=10.000 rps=700.0 p50_ms=70.000 p90_ms=75.000 p99_ms=80.000 max_ms=90.000 non2xx=3 connect=0 read=0 write=0 timeout=0
memory at=after front_rss=10000 front_anon=2500 backends_rss=120000 backends_anon=18000 front_peak=10240
pgbench figure=floor_pgbench run=1 load1=1.00 tps=30000.000000 latency_ms=1.066 requests=300000 failed=0
wrk figure=floor_http run=1 load1=1.00 hz=100 front_ticks=60 pg_ticks=0 wrk_cpu_ms=600 busy_ticks=2000 all_ticks=2000 irq_ticks=300 requests=600000 seconds=10.000 rps=60000.0 p50_ms=0.500 p90_ms=1.000 p99_ms=3.000 max_ms=9.000 $no_error
pgbench figure=bcrypt4 run=1 load1=1.00 tps=1000.000000 latency_ms=2.000 requests=10000 failed=0
pgbench figure=bcrypt12 run=1 load1=1.00 tps=10.000000 latency_ms=200.000 requests=100 failed=0
set date 2026-12-01T12:00Z
set load_end 0.40 0.50 0.60
END
close $measured;

my $report = `python3 $repo/bench/report.py --tsv $dir/results.tsv $dir/measurements.txt 2>$dir/stderr`;
is($? >> 8, 1, 'report.py exits 1: a run had error responses');
like(do { local (@ARGV, $/) = ("$dir/stderr"); <> }, qr/^bench: 3 requests failed/, 'and says how many');
my %row = map { /^(\S+)/ ? ($1 => [ split ' ' ]) : () } split /\n/, $report;
like($report, qr{^authoob benchmark, 2026-12-01T12:00Z, 2 cores, load average at start: 0.10 0.20 0.30, at end: 0.40 0.50 0.60$}m,
	'the run: when, on what, how loaded');
like($report, qr{^users 100; wrk -t2 -c32 -d10s x3 \(medians\); /usr/local/bin/authoob-http --threads=8$}m,
	'the settings');
is_deeply($row{profile},
	[qw(profile 11000.0 2.50 5.00 0 10 20 10 90 5 65 pgbench+http combined 20000.0 0.550 22.0x)],
	'profile: medians of three runs, CPU per request, the combined floor 1/(1/30000 + 1/60000), 11000/500 the peer');
is_deeply($row{login_bc4},
	[qw(login_bc4 600.0 60.00 70.00 3 17 857 17 95 1 68 bcrypt-4 rate 1000.0 0.600 2.0x)],
	'login_bc4: medians of two runs are means, errors are added up, the bcrypt-4 rate is its floor');
is_deeply([ map { $row{$_} } qw(floor_pgbench floor_http bcrypt4 bcrypt12) ],
	[ [qw(floor_pgbench 30000.0 1.066 - 0 - - - - - -)], [qw(floor_http 60000.0 0.5 3.00 0 1 - 1 100 15 79)],
	  [qw(bcrypt4 1000.0 2 - 0 - - - - - -)], [qw(bcrypt12 10.0 200 - 0 - - - - - -)] ],
	'the floors: pgbench tps and average latency, the HTTP floor as a figure');
like($report, qr/^authoob-http +9000 +10000 +1500 +2500 +\(peak RSS 10240\)$/m, 'the memory of authoob-http');
like($report, qr/^its 4 backends +60000 +120000 +12000 +18000$/m, 'and of its backends');
like($report, qr/^  profile req\/s \/ combined floor +0\.550 >= 0\.600 +NOT MET$/m, 'a target not met');
like($report, qr/^  profile req\/s \/ peer profile req\/s +22\.000 >= 15\.000 +met$/m, 'a target met');
like($report, qr/^  authoob-http peak RSS MiB +10\.000 <= 32\.000 +met$/m, 'the peak RSS in MiB');
open(my $tsv, '<', "$dir/results.tsv") or die;
my @rows = <$tsv>;
is(scalar(@rows), 1 + 9, 'results.tsv: a header and one row a run');
is($rows[5], "login_bc4\t2\t700.0\t70.000\t80.000\t7000\t3\t14\t714\t1.00\t14\t95\t68\t1\n",
	'a run: what wrk said, CPU microseconds per request and the machine\'s shares');

# --- the real thing, tiny
local $ENV{BENCH_TINY} = 1;
local $ENV{AUTHOOB_HTTP} = $front if -x $front;	# the front of this tree
local $ENV{BENCH_OUT} = "$dir/out";

my $output = `timeout 300 bash $repo/scripts/bench.sh 2>&1`;
my $status = $? >> 8;
is($status, 0, 'scripts/bench.sh BENCH_TINY=1 exits 0') or diag($output);
like($output, qr/^figure\s+req\/s\s+p50 ms\s+p99 ms/m, 'it printed the table header');
%row = map { /^(\w+)\s+\d/ ? ($1 => [ split ' ' ]) : () } split /\n/, $output;
for my $figure (qw(profile g_user profile_es256 g_user_es256 profile_eddsa token refresh login_bc4 login_bc12
	register_bc4 floor_pgbench floor_http bcrypt4 bcrypt12))
{
	like($output, qr/^\Q$figure\E\s+\d+\.\d/m, "the table has a $figure row");
}
like($output, qr/^authoob-http\s+\d+\s+\d+/m, 'and the RSS of authoob-http');
unlike($output, qr/^targets/m, 'no targets in the tiny mode');
# the ratio of each figure is its req/s over the floor it names (the last
# columns: floor/s, ratio, vs peer), the combined floor that of the floors' rows
my $combined = 1 / (1 / $row{floor_pgbench}[1] + 1 / $row{floor_http}[1]);
cmp_ok(abs($row{profile}[-3] - $combined), '<=', 0.1 + $combined * 1e-5, 'the combined floor comes from the floor rows');
is($row{login_bc12}[-3], $row{bcrypt12}[1], 'login_bc12 is held against the bcrypt-12 rate');
is($row{$_}[-3], $row{profile}[1], "$_ is held against the HS256 profile") for qw(profile_es256 profile_eddsa g_user);
is($row{g_user_es256}[-3], $row{profile_es256}[1], 'g_user_es256 is held against the ES256 profile');
for my $figure (qw(profile g_user profile_es256 g_user_es256 profile_eddsa token refresh login_bc4 login_bc12
	register_bc4))
{
	my ($rps, $errors, $floor, $ratio) = @{ $row{$figure} }[ 1, 4, -3, -2 ];
	is($errors, 0, "$figure: no error response");
	# as far as the rounding of the three columns allows
	my ($low, $high) = (($rps - 0.05) / ($floor + 0.05) - 0.0005, ($rps + 0.05) / ($floor - 0.05) + 0.0005);
	ok($ratio >= $low && $ratio <= $high, "$figure: ratio $ratio = $rps / $floor");
}
my $kept = do { local (@ARGV, $/) = ("$dir/out/table.txt"); <> };
is(`python3 $repo/bench/report.py $dir/out/raw/measurements.txt`, $kept,
	'BENCH_OUT keeps the measurements, from which report.py makes the same table again');
done_testing();
