# A Postgres restart under load: 503s while it is down, full service after,
# without restarting the front.
#
# The cluster is restarted with pg_ctlcluster (postgresql-common). This
# stops the whole cluster: run the test files one at a time.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use HTTP::Tiny;
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

my $db = new_database();
my $cluster = postgres_cluster($db);
skip_all_missing('not a postgresql-common cluster (cluster_name is not VERSION/NAME)')
  unless $cluster;

my $pool = 4;
my $front = AuthoobTest::Front->start(db => $db, args => ['--threads', $pool, '--pool', $pool]);
my $token = register_user($front, 'survivor@example.com');

sub health { $front->request(GET => '/health')->{status} }

# The load: a child asks for the profile in a loop (at most 60 s or 20000
# requests) and writes each status to a file, until told to stop.
my $statuses = File::Temp->new;
my $stop_file = "$statuses.stop";
my $child = fork // die;
if ($child == 0)
{
	my $http = HTTP::Tiny->new(timeout => 10);
	my $deadline = time + 60;
	open(my $out, '>', $statuses->filename) or die;
	$out->autoflush(1);
	for (1 .. 20000)
	{
		last if -e $stop_file || time > $deadline;
		my $r = $http->get($front->url('/profile'), { headers => { 'Authentication-Token' => $token } });
		print $out "$r->{status}\n";
		sleep 0.005;
	}
	POSIX::_exit(0);
}

# The statuses the load has seen so far
sub seen { open(my $in, '<', $statuses->filename) or return (); chomp(my @seen = <$in>); @seen }

# the load is served, then Postgres stops under it
wait_until(sub { grep { $_ == 200 } seen() }) or BAIL_OUT('the load is not served');
pg_ctlcluster($cluster, 'stop', '-m', 'fast');
ok(wait_until(sub { health() == 503 }, 10), 'health says 503 while Postgres is down');
my $r = $front->request(GET => '/profile', token => $token);
is($r->{status}, 503, 'a route answers 503 while Postgres is down');
is_deeply($r->{json}, { code => 503, message => 'Service unavailable' }, 'as a JSON error');
is($front->login('x@example.com', 'x')->{status}, 503, 'so does login');
wait_until(sub { grep { $_ == 503 } seen() });
pg_ctlcluster($cluster, 'start');
ok(wait_until(sub { health() == 200 }, 30), 'health says 200 once Postgres is back');
# the load is served again
my $seen_before = seen();
wait_until(sub { my @now = seen(); @now > $seen_before && $now[-1] == 200 });
open(my $touch, '>', $stop_file) or die;
close $touch;
waitpid($child, 0);
unlink $stop_file;

my @seen = seen();
my %count;
$count{$_}++ for @seen;
note('statuses under load: ' . join(', ', map { "$_ x $count{$_}" } sort keys %count));
ok($count{200} && $count{503}, 'the load saw 200s and 503s');
is_deeply([ sort grep { $_ != 200 && $_ != 503 } keys %count ], [], 'and nothing else');
is($seen[-1], 200, 'the last request of the load succeeded');

# Every pooled connection works again: more parallel requests than connections.
my @answers = $front->parallel_raw([ map {
			$front->raw_request(GET => '/profile', headers => { 'Authentication-Token' => $token })
		} 1 .. $pool * 4 ]);
is_deeply([ map { $_->{status} } @answers ], [ (200) x ($pool * 4) ], 'full service after the restart');
is($front->login('survivor@example.com')->{status}, 200, 'statements prepared again: login works');
diag($front->log) if $ENV{AUTHOOB_TEST_SHOW_LOG};
is($front->stop('TERM'), 0, 'front stops cleanly');

done_testing();
