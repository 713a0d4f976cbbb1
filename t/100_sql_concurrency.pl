# Two or more SQL sessions registering the same email at the same moment:
# exactly one gets a token, every other one PT409 "User already registered",
# never a unique-violation error.  Runs against the PG* server of the
# environment (pg_virtualenv), in a database of its own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
# cost 10 makes the hash long enough that every session is past the early
# "already registered" check before the first one inserts
psql($db, q{SELECT authoob_configure('{"bcrypt_cost": 10}')});

# Registers an email from that many psql sessions started together; returns
# what each printed, its error included. $meanwhile, if given, runs once
# they are all started, before their outputs are read.
sub register_at_once
{
	my ($email, $sessions, $meanwhile) = @_;
	my @children;
	for (1 .. $sessions)
	{
		my $pid = open(my $fh, '-|') // die "fork: $!";
		if ($pid == 0)
		{
			open(STDERR, '>&', \*STDOUT);
			exec('psql', '-X', '-q', '-At', '-d', $db, '-v', 'VERBOSITY=verbose',
				 '-c', qq{SELECT authoob_register('{"email": "$email", "password1": "1Password", "password2": "1Password"}')});
		}
		push @children, $fh;
	}
	$meanwhile->() if $meanwhile;
	return map { local $/; my $o = <$_> // ''; close $_; $o } @children;
}

for my $round (1 .. 3)
{
	my $sessions = 8;
	my $email = "race$round\@example.com";
	my @outputs = register_at_once($email, $sessions);
	# successes print a token; the database then holds exactly one user
	my $tokens = grep { /"token"/ } @outputs;
	is($tokens, 1, "round $round: one of $sessions concurrent registrations succeeds");
	is(psql($db, "SELECT count(*) FROM authoob.users WHERE lower(email) = '$email'"), "1",
	   "round $round: one user exists");
}

# A registration after the races: PT409, never a unique violation.
my $out = `psql -X -q -At -d $db -v VERBOSITY=verbose -c "SELECT authoob_register('{\\"email\\": \\"race1\@example.com\\", \\"password1\\": \\"1Password\\", \\"password2\\": \\"1Password\\"}')" 2>&1`;
like($out, qr/PT409: User already registered/, 'a late registration gets PT409');
unlike($out, qr/23505|duplicate key/, 'never a unique-violation error');

# Same race, every session past the early check for sure: a lock on the
# users table (which the early check reads, and the insert waits for) holds
# all six at their insert, then goes; the insert alone decides.
my $holder = hold_table_lock($db, 'authoob.users', 120);
my @outputs = register_at_once('insert-race@example.com', 6, sub {
	ok(wait_until(sub { lock_waiters($db, 'authoob.users') == 6 }, 60),
		'the six sessions wait together at their insert, past the early check');
	release_table_lock($db, 'authoob.users', $holder);
});
is(scalar(grep { /"token"/ } @outputs), 1, 'one success');
is(scalar(grep { /PT409: User already registered/ } @outputs), 5, 'five PT409');
unlike(join('', @outputs), qr/23505|duplicate key/, 'never a unique-violation error');

done_testing();
