# The budget of password hashes (docs/security.md), over HTTP at bcrypt's
# default cost 12, where a hash is real work: one client hammering
# registrations and sign-ins, several at a time and in both dialects, gets
# 429 with Retry-After once it has spent its budget, while another client
# still signs in; a client with client_hashes_at_once hashes running gets
# 429 for one more; one account signed into from many addresses, rightly
# or not, gets 429 once the account has spent its own.  Sharded, budgets
# count per partition: the addresses here share one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $budget = 10;
my $db = new_database();
psql($db, qq{SELECT authoob_configure('{"bcrypt_cost": 12, "client_hashes_per_window": $budget,
	"account_sign_ins_per_window": 1000, "client_hashes_at_once": 2}')});
my $front = AuthoobTest::Front->start(db => $db);
my $password = strong_password();

# The accounts signed into, registered without a client address (not
# counted against any client), on one partition with the registrations.
my ($hammered, $other, $popular, @new) = same_partition($db, email => 'hammered@example.com', 3 + 4 * $budget,
	sub { $_[0] == 1 ? 'hammered@example.com' : "budget$_[0]\@example.com" });
psql($db, qq{SELECT authoob_register('{"email": "$_", "password1": "$password", "password2": "$password"}')})
  for $hammered, $other, $popular;

# A raw JSON request under a prefix: P/ (/authoob) or G/ (/auth/v1)
sub request_at
{
	my ($prefix, $method, $path, $json) = @_;
	local $front->{prefix} = $prefix;
	return $front->raw_request($method, $path, json => $json, content_type => 'application/json');
}

# One wave of the hammering: a registration and a sign-in in each dialect
sub wave
{
	my $p = '/authoob';
	my $g = '/auth/v1';
	return (
		request_at($p, POST => '/register', { email => shift(@new), password1 => $password, password2 => $password }),
		request_at($p, POST => '/login', { email => $hammered, password => $password }),
		request_at($g, POST => '/signup', { email => shift(@new), password => $password }),
		request_at($g, POST => '/token?grant_type=password', { email => $hammered, password => $password }));
}

# --- 127.0.0.1 hammers, four requests at a time, in a process of its own,
# until a whole wave is refused for its budget (or a limit of waves): the
# answers go to a file.
my $answers_file = File::Temp->new;
my $hammer = fork // die "fork: $!";
if ($hammer == 0)
{
	my @waves;
	for (1 .. 2 * $budget)
	{
		my @answers = $front->parallel_raw([ wave() ]);
		push @waves, [ map { { status => $_->{status}, retry_after => $_->{headers}{'retry-after'},
			json => $_->{json} } } @answers ];
		last unless grep { $_->{status} != 429 || ($_->{headers}{'retry-after'} // 0) <= 1 } @answers;
	}
	open(my $fh, '>', $answers_file->filename) or POSIX::_exit(1);
	print $fh json_encode(\@waves);
	close $fh;
	POSIX::_exit(0);	# not the front's end: the parent's copy of it stops it
}

# Meanwhile 127.0.0.2 signs in, once the hammering has registered someone.
ok(wait_until(sub { psql($db, q{SELECT count(*) FROM authoob.users}) > 3 }, 60), 'the hammering registers');
my (@meanwhile, $hammer_status);
while (@meanwhile < 5)
{
	if (waitpid($hammer, POSIX::WNOHANG()) == $hammer)
	{
		$hammer_status = $?;
		last;
	}
	my $start = time;
	my $r = $front->request(POST => '/login', from => '127.0.0.2', json => { email => $other, password => $password });
	push @meanwhile, { status => $r->{status}, seconds => time - $start };
	sleep 0.2;
}
$hammer_status //= waitpid($hammer, 0) == $hammer ? $? : -1;
is($hammer_status, 0, 'the hammering ended');
my $waves = json_decode(do { local $/; open(my $fh, '<', $answers_file->filename) or die; <$fh> }) // [];
my @answers = map { @$_ } @$waves;

cmp_ok(scalar @meanwhile, '>=', 1, 'another client signed in while the hammering went on');
is_deeply([ map { $_->{status} } @meanwhile ], [ (200) x @meanwhile ], 'each time: 200');
cmp_ok($_->{seconds}, '<', 10, sprintf 'within seconds (%.1f s)', $_->{seconds}) for @meanwhile;

is_deeply([ grep { $_ != 200 && $_ != 429 } map { $_->{status} } @answers ], [], 'the hammering got 200s and 429s, nothing else');
my $served = grep { $_->{status} == 200 } @answers;
cmp_ok($served, '>=', $budget, "its budget of $budget hashes was served");
cmp_ok($served, '<=', $budget + 1, 'and at most one more: two hashes at a time, each checked before it');
is(psql($db, q{SELECT coalesce(sum(window_failures), 0) FROM authoob.throttle
	WHERE scope = 'hash_ip' AND key = '127.0.0.1'}), $served, 'every hash served was counted, no 429');
my @refused = grep { $_->{status} == 429 } @answers;
is_deeply([ grep { ($_->{retry_after} // '') !~ /^[0-9]+\z/ } @refused ], [], 'every 429 with a Retry-After in seconds');
my $last = $waves->[-1] // [];
is_deeply([ map { $_->{status} } @$last ], [ 429, 429, 429, 429 ], 'then a whole wave refused');
cmp_ok($_->{retry_after} // 0, '>', 60, 'until the window ends') for @$last;
is_deeply([ map { $last->[$_]{json}{message} // '' } 0, 1 ], [ ('Too many attempts') x 2 ], 'P/: Too many attempts');
is_deeply([ map { $last->[$_]{json}{error_code} // '' } 2, 3 ], [ ('over_request_rate_limit') x 2 ],
	'G/: over_request_rate_limit');

my $r = $front->login($hammered, $password);
is($r->{status}, 429, 'the hammering client is refused still, the right password too');
$r = $front->request(POST => '/login', from => '127.0.0.2', json => { email => $hammered, password => $password });
is($r->{status}, 200, 'another client signs into the same account');

# --- two hashes at a time: two sessions sign in as 127.0.0.3 and keep their
# transactions (and so their slots) open; its next request is refused at
# once, another client's is not.  Sharded: in the partition of $other,
# where its requests go.
my $where = sharded() ? (partitions($db))[ partition_of($db, email => $other) ] : $db;
my @holders = map {
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open(STDERR, '>', '/dev/null');	# the end of its session, below
		{ exec('psql', '-X', '-q', '-o', '/dev/null', '-d', $where, '-c', qq{BEGIN;
			SELECT authoob_login('{"email": "$_", "password": "$password"}', '127.0.0.3');
			SELECT pg_sleep(60); COMMIT}) };
		POSIX::_exit(127);
	}
	$pid;
} $other, $hammered;
my $slots = q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted};
ok(wait_until(sub { AuthoobTest::psql_in($where, $slots) == 2 }, 30), 'two sessions hold the two slots of 127.0.0.3');
$r = $front->request(POST => '/login', from => '127.0.0.3', json => { email => $other, password => $password });
is($r->{status}, 429, 'its third sign-in at once: 429');
is($r->{headers}{'retry-after'}, 1, 'to come back in a second');
{
	local $front->{prefix} = '/auth/v1';
	$r = $front->request(POST => '/token?grant_type=password', from => '127.0.0.3',
		json => { email => $other, password => $password });
}
is($r->{json}{error_code}, 'over_request_rate_limit', 'G/token: over_request_rate_limit');
# (into another account: two sign-ins of one account write its rows in turn)
is($front->request(POST => '/login', from => '127.0.0.4', json => { email => $popular, password => $password })->{status},
	200, 'another client signs in meanwhile');
AuthoobTest::psql_in($where, q{SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted});
waitpid($_, 0) for @holders;
is($front->request(POST => '/login', from => '127.0.0.3', json => { email => $other, password => $password })->{status},
	200, 'once they end, 127.0.0.3 signs in');

# --- one account, many addresses: the account's budget
psql($db, q{SELECT authoob_clear_throttle()});
psql($db, q{SELECT authoob_configure('{"client_hashes_per_window": 1000, "account_sign_ins_per_window": 6}')});
my @tries = map {
	$front->request(POST => '/login', from => "127.0.0.1$_",
		json => { email => $popular, password => $_ % 2 ? 'Wr0ngpassword' : $password })
} 0 .. 5;
is_deeply([ map { $_->{status} } @tries ], [ 200, 401, 200, 401, 200, 401 ],
	'six sign-ins of one account from six addresses, wrong and right');
$r = $front->request(POST => '/login', from => '127.0.0.16', json => { email => $popular, password => $password });
is($r->{status}, 429, 'the seventh, from a seventh address, with the right password: 429');
cmp_ok($r->{headers}{'retry-after'} // 0, '>', 60, 'until the window ends');
{
	local $front->{prefix} = '/auth/v1';
	$r = $front->request(POST => '/token?grant_type=password', from => '127.0.0.17',
		json => { email => uc $popular, password => $password });
}
is($r->{status}, 429, 'G/token too, whatever the case of the address');
is($r->{json}{error_code}, 'over_request_rate_limit', 'over_request_rate_limit');
is($front->request(POST => '/login', from => '127.0.0.16', json => { email => $other, password => $password })->{status},
	200, 'that address signs into another account');

is($front->stop('TERM'), 0, 'front stops cleanly');
done_testing();
