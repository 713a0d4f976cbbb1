# Faults: authoob-http killed (-9) in the middle of a register load, and
# Postgres restarted under load.  What must hold: every user either fully
# exists (with its activation token and mail queued) or does not exist at
# all; every 200 was kept; service comes back by itself once Postgres is
# back (how soon is printed, a figure).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use HTTP::Tiny;
use Test::More;
use Time::HiRes qw(sleep time);

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db, args => ['--threads', 4, '--pool', 4]);

# Four clients register users as fast as they can (bounded: 400 each, 30 s)
# and write down every email that got a 200.
my @children;
my $dir = File::Temp->newdir;
for my $client (1 .. 4)
{
	my $pid = fork // die;
	if ($pid == 0)
	{
		my $http = HTTP::Tiny->new(timeout => 5);
		my $deadline = time + 30;
		open(my $ok, '>', "$dir/ok.$client") or die;
		$ok->autoflush(1);
		for my $i (1 .. 400)
		{
			last if time > $deadline;
			my $email = "fault$client.$i\@example.com";
			my $r = $http->post($front->url('/register'), {
					headers => { 'Content-Type' => 'application/json' },
					content => json_encode({ email => $email, password1 => strong_password(),
											 password2 => strong_password() }) });
			print $ok "$email\n" if $r->{status} == 200;
			last if $r->{status} == 599;	# the front is gone
		}
		POSIX::_exit(0);
	}
	push @children, $pid;
}

# Let the load run, then kill the front without warning.
wait_until(sub { psql($db, "SELECT count(*) FROM authoob.users WHERE email LIKE 'fault%'") >= 20 }, 20);
kill 'KILL', $front->pid;
waitpid($_, 0) for @children;
$front->stop('KILL');

my @acknowledged = map { open(my $f, '<', $_) or die; chomp(my @l = <$f>); @l } glob("$dir/ok.*");
cmp_ok(scalar(@acknowledged), '>', 0, scalar(@acknowledged) . ' registrations answered 200 before the kill');

# Every acknowledged registration is there...
my %exists = map { $_ => 1 } split /\n/, psql($db, "SELECT email FROM authoob.users WHERE email LIKE 'fault%'");
is(scalar(grep { !$exists{$_} } @acknowledged), 0, 'every 200 was kept');
# ...and every user is whole: one activation token, one activation mail.
is(psql($db, q{SELECT count(*) FROM authoob.users u
	WHERE u.email LIKE 'fault%' AND (
		(SELECT count(*) FROM authoob.mail_tokens t WHERE t.user_id = u.id AND t.kind = 'activation') <> 1
		OR (SELECT count(*) FROM authoob.mail_outbox m WHERE m.user_id = u.id AND m.kind = 'activation') <> 1)}),
	0, 'no user without its token and its mail');
is(psql($db, q{SELECT count(*) FROM authoob.mail_outbox m
	WHERE m.recipient LIKE 'fault%' AND NOT EXISTS (SELECT 1 FROM authoob.users u WHERE u.email = m.recipient)}),
	0, 'no mail without its user');
note(scalar(keys %exists) . ' users exist, ' . scalar(@acknowledged) . ' were acknowledged');

# A new front serves at once.
$front = AuthoobTest::Front->start(db => $db);
is($front->register('after@example.com')->{status}, 200, 'a restarted front registers again');

# Postgres restarted: service again, without restarting the front.
my $cluster = postgres_cluster($db);
SKIP:
{
	skip_missing('not a postgresql-common cluster', 2) unless $cluster;
	my $token = register_user($front, 'survivor@example.com');
	pg_ctlcluster($cluster, 'stop', '-m', 'fast');
	is($front->request(GET => '/profile', token => $token)->{status}, 503, '503 while Postgres is down');
	pg_ctlcluster($cluster, 'start');
	my $back = time;
	ok(wait_until(sub { $front->request(GET => '/profile', token => $token)->{status} == 200 }, 30),
		'the profile is served again once Postgres is back');
	diag(sprintf('served again %.2f s after Postgres was back', time - $back));
}

is($front->stop('TERM'), 0, 'front stops cleanly');
done_testing();
