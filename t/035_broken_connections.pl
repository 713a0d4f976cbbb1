# Statements of many requests share one Postgres connection (pipelined, up
# to eight in flight). When that connection breaks, or its node cancels a
# statement or turns read-only, each request in flight gets its own answer
# or 503, never another's, and nothing answered 200 is missing afterwards.
#
# Workers register new users and log them in over keep-alive connections
# while the connection under them is broken again and again: its backend
# terminated, the database made read-only (the node no longer takes
# writes: 25006) and writable again. (A statement cancelled by hand is a
# 500, the statement's fault: response.c.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use HTTP::Tiny;
use IO::Socket::INET;
use MIME::Base64 qw(decode_base64url);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $db = new_database();
# one loop, one connection: every statement in flight shares it
my $front = AuthoobTest::Front->start(db => $db, args => ['--threads', '1', '--pool', '1']);
my $dir = File::Temp->newdir;
my $stop = "$dir/stop";
my $workers = 8;

my @pids;
for my $w (1 .. $workers)
{
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		$front->{http} = HTTP::Tiny->new(timeout => 60);
		open(my $out, '>', "$dir/load-$w") or POSIX::_exit(1);
		$out->autoflush(1);
		my $n = 0;
		until (-e $stop)
		{
			my $email = sprintf 'w%d-%d@breaks.test', $w, ++$n;
			my $r = $front->register($email);
			printf $out "register %d %s %s\n", $r->{status}, $email, $r->{json} && $r->{json}{token} // '-';
			next unless $r->{status} == 200;
			$r = $front->login($email);
			printf $out "login %d %s %s\n", $r->{status}, $email, $r->{json} && $r->{json}{token} // '-';
		}
		close $out;
		POSIX::_exit(0);
	}
	push @pids, $pid;
}
END { local $?; kill 'KILL', @pids if @pids }

# The connection under the load breaks, in turn, one way or another: a
# script for one psql session, so that the breaks come quickly.
my $backends = q{FROM pg_stat_activity WHERE application_name = 'authoob-http'};
my $terminate = "SELECT count(pg_terminate_backend(pid)) $backends;\n";
my (%broken, $script);
for (1 .. 40)
{
	$script .= sprintf "SELECT pg_sleep(%.2f);\n", 0.05 + rand 0.15;
	my $way = (qw(terminate read-only))[ int rand 2 ];
	$broken{$way}++;
	# read-only: new sessions are, the front's next statement finds out
	$script .= $way eq 'terminate' ? $terminate
	  : qq{ALTER DATABASE "$db" SET default_transaction_read_only = on;\n$terminate}
	  . sprintf(qq{SELECT pg_sleep(%.2f);\nALTER DATABASE "$db" RESET default_transaction_read_only;\n},
		0.1 + rand 0.2);
}
my $breaks = File::Temp->new;
print $breaks $script;
close $breaks;
system('psql', '-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', $breaks->filename) == 0
  or die 'the breaks did not run';
sleep 1;	# and a moment without any
open(my $touch, '>', $stop) or die;
close $touch;
waitpid($_, 0) for @pids;
@pids = ();
diag(join ', ', map { "$_: $broken{$_}" } sort keys %broken);

my @answers = map {
	open(my $fh, '<', "$dir/load-$_") or die;
	map { chomp; my @f = split / /; { kind => $f[0], status => $f[1], email => $f[2], token => $f[3] } } <$fh>;
} 1 .. $workers;
my %count;
$count{"$_->{kind} $_->{status}"}++ for @answers;
diag(join ', ', map { "$_: $count{$_}" } sort keys %count);
cmp_ok(scalar(grep { $_->{status} == 200 } @answers), '>', 50, 'requests went through between the breaks');
cmp_ok(scalar(grep { $_->{status} == 503 } @answers), '>', 0, 'and some met a break (503)');
is_deeply([ grep { !/ (200|503)$/ } sort keys %count ], [],
	'every answer was 200 or 503: never a wrong one');

# a token names whom it was issued to
sub token_email
{
	my ($token) = @_;
	my (undef, $payload) = split /\./, $token // '';
	my $claims = eval { json_decode(decode_base64url($payload // '')) };
	return ref $claims eq 'HASH' ? $claims->{email} // '' : '';
}
my @crossed = grep { $_->{status} == 200 && token_email($_->{token}) ne $_->{email} } @answers;
is_deeply([ map { "$_->{kind} $_->{email}: " . token_email($_->{token}) } @crossed ], [],
	'every 200 carries a token of the user who asked, none of another request');

my %exists = map { $_ => 1 } split /\n/, psql($db, 'SELECT email FROM authoob.users');
my @acked = grep { $_->{kind} eq 'register' && $_->{status} == 200 } @answers;
is_deeply([ map { $_->{email} } grep { !$exists{ $_->{email} } } @acked ], [],
	scalar(@acked) . ' registrations answered 200: every one exists');
my @refused = grep { $front->request(GET => '/profile', token => $_->{token})->{status} != 200 }
  grep { $_->{status} == 200 } @answers;
is_deeply([ map { "$_->{kind} $_->{email}" } @refused ], [], 'every token issued still verifies');

like($front->request(GET => '/profile', token => $acked[0]{token})->{content}, qr/\Q$acked[0]{email}\E/,
	'the front serves on once the breaks end');
# A statement that writes holds its connection alone: quick reads are not
# queued behind one that waits (a failed sign-in, its count waiting for a
# lock), they take the loop's other connection.
my $two = AuthoobTest::Front->start(db => $db, args => ['--threads', '1', '--pool', '2']);
my $reader = $two->register('reader@breaks.test')->{json}{token};
my $holder = hold_table_lock($db, 'authoob.throttle', 60);
my $login = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $two->port, Proto => 'tcp')
  or die "connect: $!";
print $login $two->raw_request(POST => '/login', content_type => 'application/json',
	json => { email => 'reader@breaks.test', password => 'not the password' });
ok(wait_until(sub { lock_waiters($db, 'authoob.throttle') == 1 }, 30),
	'a failed sign-in waits for a lock to count its failure');
my @reads = $two->parallel_raw([ ($two->raw_request(GET => '/profile',
	headers => { 'Authentication-Token' => $reader })) x 8 ]);
is_deeply(tally(@reads), { 200 => 8 }, 'eight profile reads meanwhile, all answered');
is(lock_waiters($db, 'authoob.throttle'), 1, 'while the sign-in still waits: none queued behind it');
release_table_lock($db, 'authoob.throttle', $holder);
is(AuthoobTest::Front::parse_response(do { local $/; <$login> } // '')->{status}, 401,
	'the sign-in answers once the lock goes');

# A commit that waited for its synchronous standby until the wait was
# cancelled, as a failover manager does when it turns synchronous
# replication off (pg_auto_failover, for a standby it finds unhealthy), is
# on this node alone: a failover may lose it. It is not acknowledged.
SKIP:
{
	skip 'through the proxy the commit that waits is a partition\'s, and the proxy\'s answer does not say its wait was cancelled (docs/scale-out.md)', 4
	  if $ENV{AUTHOOB_SHARDS};
	my $sync_wait = q{FROM pg_stat_activity WHERE wait_event = 'SyncRep'};
	psql('postgres', "ALTER SYSTEM SET synchronous_standby_names = 'authoob_absent_standby'");
	psql('postgres', 'SELECT pg_reload_conf()');
	my $synchronous = 1;
	# the checkpointer, which tells the backends, has it a moment later
	wait_until(sub { psql('postgres', 'SHOW synchronous_standby_names') eq 'authoob_absent_standby' }, 10);
	sleep 1;
	END { local $?; if ($synchronous) { psql('postgres', 'ALTER SYSTEM RESET synchronous_standby_names');
		psql('postgres', 'SELECT pg_reload_conf()') } }
	my $password = strong_password();
	my ($answer) = $front->parallel_raw([ $front->raw_request(POST => '/register',
		content_type => 'application/json',
		json => { email => 'unreplicated@breaks.test', password1 => $password, password2 => $password }) ],
		meanwhile => sub {
			ok(wait_until(sub { psql($db, "SELECT count(*) $sync_wait") > 0 }, 30),
				'a registration waits for a synchronous standby that is not there');
			psql($db, "SELECT pg_cancel_backend(pid) $sync_wait");
		});
	psql('postgres', 'ALTER SYSTEM RESET synchronous_standby_names');
	psql('postgres', 'SELECT pg_reload_conf()');
	$synchronous = 0;
	is($answer->{status}, 503, 'its wait cancelled, the registration is answered 503, not 200')
	  or diag(explain($answer));
	like($front->log, qr/not replicated to the synchronous standby/, 'and the front says why in its log');
	is($front->register('replicated@breaks.test')->{status}, 200, 'with the standby requirement gone, 200 again');
}

diag(join "\n", grep { /error|warning/i } split /\n/, $front->log)
  unless Test::More->builder->is_passing;
done_testing();
