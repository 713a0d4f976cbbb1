# Brute-force limits over HTTP: failed guesses of passwords and mailed
# tokens are counted in the database (committed by authoob_attempt before the
# error), and past a limit the answer is 429 with Retry-After; successes
# never count. Sharded, limits count per partition: the accounts and
# guesses here share alice's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"login_free_failures": 3, "ip_failures_per_window": 10,
	"token_failures_per_window": 3}')});
my $front = AuthoobTest::Front->start(db => $db);
my $password = strong_password();

# A 429 as the contract wants it: the JSON error and a Retry-After of plain digits.
sub is_throttled
{
	my ($r, $name) = @_;
	subtest $name => sub {
		is_error($r, 429, 'Too many attempts', 'status 429, the JSON error, its Content-Type');
		like($r->{headers}{'retry-after'} // '', qr/^[0-9]+\z/, 'Retry-After in seconds');
		cmp_ok($r->{headers}{'retry-after'} // 0, '>=', 1, 'at least one second');
	};
}

sub failures { psql($db, "SELECT coalesce(sum(window_failures), 0) FROM authoob.throttle WHERE scope = '$_[0]'") }

register_user($front, 'alice@example.com');
my $bob = same_partition($db, email => 'alice@example.com', 1, sub { $_[0] == 1 ? 'bob@example.com' : "bob$_[0]\@example.com" });
register_user($front, $bob);

# --- one account: a few free failures, then a doubling wait
my @statuses;
for (1 .. 10)		# the wait is 1 s after the third failure: a slow run may see it end
{
	my $r = $front->login('alice@example.com', "Wr0ng$_");
	push @statuses, $r->{status};
	if ($r->{status} == 429)
	{
		is_throttled($r, 'wrong passwords in a row end in 429');
		last;
	}
}
is($statuses[-1], 429, 'a 429 came within ten tries');
is_deeply([ @statuses[0 .. 2] ], [ 401, 401, 401 ], 'the first three failures are plain 401s');
is(psql($db, q{SELECT consecutive >= 3 FROM authoob.throttle WHERE scope = 'login' AND key = 'alice@example.com'}),
	't', 'the failures were committed although each request failed');

# A long block (as after many failures), so that timing cannot end it.
psql($db, q{UPDATE authoob.throttle SET blocked_until = now() + interval '1 hour' WHERE scope = 'login'});
my $r = $front->login('alice@example.com', $password);
is_throttled($r, 'while blocked, even the right password gets 429');
cmp_ok($r->{headers}{'retry-after'}, '>', 3500, 'and Retry-After says how long');
$r = $front->login('ALICE@example.com', $password);
is($r->{status}, 429, 'the account is blocked whatever the case of its address');
is($front->login($bob, $password)->{status}, 200, 'another account logs in from the same IP');
is(failures('ip'), scalar(grep { $_ == 401 } @statuses), 'the IP counted each failed guess, nothing else');

# --- one IP failing on many accounts: its budget runs out
my $budget_left = 10 - failures('ip');
my @ghosts = same_partition($db, email => 'alice@example.com', $budget_left + 1, sub { "ghost$_[0]\@example.com" });
is($front->login($ghosts[$_], 'Wr0ngpassword')->{status}, 401, "failure on unknown account $_")
	for 1 .. $budget_left;
is_throttled($front->login($bob, $password), 'with the IP budget spent, the right password of another account gets 429');
is_throttled($front->login($ghosts[0], 'Wr0ngpassword'), 'and so does an unknown account');
is(psql($db, 'SELECT authoob_clear_throttle() > 0'), 't', 'authoob_clear_throttle() lifts the blocks');
is($front->login($bob, $password)->{status}, 200, 'bob logs in again');
is($front->login('alice@example.com', $password)->{status}, 200, 'so does alice');

# --- successes never count
is_deeply(tally(map { $front->login($bob, $password) } 1 .. 300), { 200 => 300 }, '300 successful logins in a row from one IP: all 200');
is(failures('ip') + failures('login'), 0, 'and none of them was recorded');

# A success ends the account's run: failures spread between successes never block.
my @answers = map { (map { $front->login('alice@example.com', 'Wr0ngpassword') } 1 .. 2),
	$front->login('alice@example.com', $password) } 1 .. 4;
is_deeply(tally(@answers), { 401 => 8, 200 => 4 }, 'two failures then a success, four times: never a 429');
psql($db, 'SELECT authoob_clear_throttle()');

# --- mailed tokens: guessing is counted per IP, whichever route guesses
my $activation = mailed_token($db, 'alice@example.com', 'activation');
my @guess = (undef, same_partition($db, token => $activation, 6, sub { "guess$_[0]" }));
is_error($front->request(POST => "/activate/$guess[1]"), 404, 'No token match', 'a guessed activation token: 404');
is($front->raw($front->raw_request(GET => "/activate/$guess[2]"))->{status}, 404, 'a guessed link: 404');
is_error($front->request(PUT => '/password/reset/token',
		json => { token => $guess[3], password1 => $password, password2 => $password }),
	404, 'No token match', 'a guessed reset token: 404');
is_throttled($front->request(POST => "/activate/$guess[4]"), 'the fourth guess: 429');
is_throttled($front->raw($front->raw_request(GET => "/activate/$guess[5]")), 'on the mailed link too');
is_throttled($front->request(PUT => '/password/reset/token',
		json => { token => $guess[6], password1 => $password, password2 => $password }),
	'and on the reset route');
is_throttled($front->request(POST => "/activate/$activation"), 'while blocked, even the real token gets 429');
is($front->login('alice@example.com', $password)->{status}, 200, 'token guessing does not block logins');
psql($db, q{SELECT authoob_clear_throttle('token')});
is($front->request(POST => "/activate/$activation")->{status}, 201, 'once cleared, the real token activates');
is_error($front->request(POST => "/activate/$activation"), 404, 'No token match',
	'a used token is unknown like any other: 404');
is(failures('token'), 1, 'and it counts as a guess');

# The token of a guessed link never reaches the access log.
unlike($front->log, qr/guess[0-9]/, 'guessed tokens are not logged');

# Bad input is never a 500. An address too long to be one (and
# random, so that Postgres cannot compress it) is still a failed login,
# counted although it could not be a key of authoob.throttle as it is.
srand(8);
my $long = join '', map { ('a' .. 'z')[rand 26] } 1 .. 4000;
is($front->login("$long\@example.com", 'Wr0ngpassword')->{status}, 401, 'a 4 kB address: 401, not 500');
is(psql($db, q{SELECT count(*) FROM authoob.throttle WHERE scope = 'login'}), 1, 'and its failure counted');

is($front->stop('TERM'), 0, 'front stops cleanly');
done_testing();
