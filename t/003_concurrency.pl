# Many clients at once: the database decides races (one email, one account)
# and a small pool serves many connections.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db, args => ['--threads', '4', '--pool', '4']);
my $password = strong_password();

# 50 registrations of one email, all sent before any answer is read. A lock
# on the users table holds the first four (one per pooled connection) at
# their insert, past the check that the address is free: the database's
# unique index decides between them, the path under test.
my $holder = hold_table_lock($db, 'authoob.users', 120);
my @answers = $front->parallel_raw([ map {
			$front->raw_request(POST => '/register', content_type => 'application/json',
				json => { email => 'race@example.com', password1 => $password, password2 => $password })
		} 1 .. 50 ], meanwhile => sub {
			ok(wait_until(sub { lock_waiters($db, 'authoob.users') == 4 }, 60),
				'four registrations wait together at their insert');
			release_table_lock($db, 'authoob.users', $holder);
		});
is_deeply(tally(@answers), { 200 => 1, 409 => 49 }, '50 registrations of one email: one 200, 49 409s');
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
unlike($front->log, qr/error: /, 'no error in the front log');
is($front->stop('TERM'), 0, 'front stops cleanly');

done_testing();
