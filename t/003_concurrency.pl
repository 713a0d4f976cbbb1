# Many clients at once: the database decides races (one email, one account)
# and a small pool serves many connections.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Socket::INET;
use Test::More;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db, args => ['--threads', '1', '--pool', '4']);
my $password = strong_password();

# 50 registrations of one email. A lock on the users table holds the
# first four at their insert, past the check that the address is free, one
# per pooled connection (one event loop holds the four, so that wherever
# they land each finds one; each is sent once the one before it waits; each
# from a client address of its
# own, since one client's hashes are counted in one row, which its first
# registration holds until it ends); the other 46 queue meanwhile. Then the
# lock goes: the database's unique index decides between the four, the
# path under test, and the 46 meet the early check.
my $register = $front->raw_request(POST => '/register', content_type => 'application/json',
	json => { email => 'race@example.com', password1 => $password, password2 => $password });
my $holder = hold_table_lock($db, 'authoob.users', 120);
my @racers;
for my $n (1 .. 4)
{
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.' . (1 + $n), PeerAddr => '127.0.0.1', PeerPort => $front->port,
		Proto => 'tcp') or die "connect: $!";
	syswrite($s, $register);
	push @racers, $s;
	wait_until(sub { lock_waiters($db, 'authoob.users') == $n }, 30) or last;
}
is(lock_waiters($db, 'authoob.users'), 4, 'four registrations of one email wait together at their insert');
my @answers = $front->parallel_raw([ ($register) x 46 ],
	meanwhile => sub { release_table_lock($db, 'authoob.users', $holder) });
push @answers, map { local $/; AuthoobTest::Front::parse_response(scalar(<$_>) // '') } @racers;
is_deeply(tally(@answers), { 200 => 1, 409 => 49 }, '50 registrations of one email: one 200, 49 409s')
  or diag(explain(tally(@answers)));
is_deeply(tally(@answers[46 .. 49]), { 200 => 1, 409 => 3 }, 'of the four that raced at the insert, one 200');
is(scalar(grep { ($_->{json}{message} // '') eq 'User already registered' } @answers), 49,
	'the 409s say why');
is(psql($db, q{SELECT count(*) FROM authoob.users WHERE lower(email) = 'race@example.com'}), 1,
	'one account');

# 200 different users register, then log in, at once.
my @emails = map { "user$_\@example.com" } 1 .. 200;
@answers = $front->parallel_raw([ map {
			$front->raw_request(POST => '/register', content_type => 'application/json',
				json => { email => $_, password1 => $password, password2 => $password })
		} @emails ]);
is_deeply(tally(@answers), { 200 => 200 }, '200 concurrent registrations of different users: all 200');
@answers = $front->parallel_raw([ map {
			$front->raw_request(POST => '/login', content_type => 'application/json',
				json => { email => $_, password => $password })
		} @emails ]);
is_deeply(tally(@answers), { 200 => 200 }, '200 concurrent logins of different users: all 200');

# Each token is its user's: ask for the 200 profiles at once.
my @tokens = map { $_->{json}{token} } @answers;
@answers = $front->parallel_raw([ map {
			$front->raw_request(GET => '/profile', headers => { 'Authentication-Token' => $_ })
		} @tokens ]);
is_deeply([ map { $_->{json}{email} } @answers ], \@emails, 'each token gets its own profile');

is($front->request(GET => '/health')->{status}, 200, 'still healthy');
unlike($front->log, qr/error: /, 'no error in the front log') or diag($front->log);
is($front->stop('TERM'), 0, 'front stops cleanly');

done_testing();
