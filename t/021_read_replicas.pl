# Read replicas (docs/scale-out.md): a primary and a streaming standby
# of its own (pg_basebackup), authoob-http with --db on the primary and
# --db-read on the standby. The read-only routes (profile, public profile,
# verify, jwks, Supabase Auth's GET G/user) are served by the standby,
# shown by its pg_stat_activity and by their still answering with the
# primary stopped, while writes answer 503; they fall back to the primary
# when the standby is down. The replay lag a revocation meets is measured
# and printed; --db-read-max-lag skips a standby that lags. A front whose
# --db is a standby answers 503 to writes, never 500, and recovers once
# that standby is promoted.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

# A sharded deployment's read replicas are its partitions' standbys, behind
# a proxy of their own (docs/scale-out.md, "Sharding": what differs), which this file's
# one primary and its standby do not make: skipped by design when sharded,
# even under AUTHOOB_NO_SKIP=1 (a plain skip_all, not skip_all_missing).
plan skip_all => 'read replicas of a sharded deployment: not built (docs/scale-out.md, Sharding)' if sharded();

# --- the flags: a bad one is one line and exit 2
refuses_flags(@$_) for ['--db-read-max-lag', 'x'], ['--db-read-max-lag', '-1'],
  ['--db-read-max-lag', '3601'], ['--db-read'], [map { ('--db-read', 'dbname=x') } 1 .. 17];
like((run_front('--help'))[1], qr/--db-read=CONNINFO.*--db-read-max-lag=SECS/s,
	'--help lists the read replica flags');

my $bin = '/usr/lib/postgresql/15/bin';
# initdb refuses root: the clusters belong to postgres when root runs this
my @as_owner = $> == 0 ? ('runuser', '-u', 'postgres', '--') : ();
my $dir = File::Temp->newdir('authoob_replica_XXXX', TMPDIR => 1);
chmod 0755, "$dir";
system('chown', 'postgres', "$dir") == 0 or die if @as_owner;

# The first ports from PGPORT + 1 that nothing listens on.
my $next_port = ($ENV{PGPORT} // 5432) + 1;
sub free_port
{
	while ($next_port < 65535)
	{
		my $port = $next_port++;
		my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
			Proto => 'tcp', ReuseAddr => 0);
		next unless $probe;
		close $probe;
		return $port;
	}
	die 'no free port';
}

sub owner { system(@as_owner, @_) == 0 }
my %clusters;	# name => port
sub pg_ctl
{
	my ($name, $action, @opt) = @_;
	return owner("$bin/pg_ctl", '-D', "$dir/$name", '-l', "$dir/$name.log", '-w',
		'-m', 'fast', $action, @opt);
}
END { local $?; pg_ctl($_, 'stop') for grep { -f "$dir/$_/postmaster.pid" } keys %clusters }

sub start_cluster
{
	my ($name) = @_;
	return pg_ctl($name, 'start', '-o', "-p $clusters{$name} -k $dir -c listen_addresses=127.0.0.1");
}
sub conninfo { "host=127.0.0.1 port=$clusters{$_[0]} dbname=authoob user=postgres" }

# --- a primary with the extension, and a streaming standby of it
$clusters{primary} = free_port();
owner("$bin/initdb", '-D', "$dir/primary", '-U', 'postgres', '--auth=trust', '-E', 'UTF8',
	'--locale=C.UTF-8', '-N') and open(my $conf, '>>', "$dir/primary/postgresql.conf")
  or BAIL_OUT('initdb failed');
print $conf "fsync = off\nhot_standby_feedback = on\n";
close $conf;
start_cluster('primary') or BAIL_OUT('the primary does not start');
my $primary = conninfo('primary');
psql("host=127.0.0.1 port=$clusters{primary} dbname=postgres user=postgres", 'CREATE DATABASE authoob');
psql($primary, 'CREATE EXTENSION authoob CASCADE');
# the hostile mode's attacker, and its traps, on the primary and so on the standby
make_hostile($primary) if hostile();
psql($primary, q{SELECT authoob_configure('{"bcrypt_cost": 4,
	"app_url": "http://app.test", "api_url": "http://127.0.0.1",
	"email_sender": "no-reply@authoob.test"}')});

$clusters{standby} = free_port();
owner("$bin/pg_basebackup", '-h', '127.0.0.1', '-p', $clusters{primary}, '-U', 'postgres',
	'-D', "$dir/standby", '-R', '-X', 'stream', '-c', 'fast') or BAIL_OUT('pg_basebackup failed');
start_cluster('standby') or BAIL_OUT('the standby does not start');
my $standby = conninfo('standby');
is(psql($standby, 'SELECT pg_is_in_recovery()'), 't', 'the standby replays the primary');

my $front = AuthoobTest::Front->start(conninfo => $primary, args => ['--db-read', hostile_conninfo($standby)]);
like($front->log, qr/read-only routes go to 1 standbys first/, 'the front says where reads go');

my $token = register_user($front, 'reader@example.com');
my $id = psql($primary, q{SELECT id FROM authoob.users WHERE email = 'reader@example.com'});
ok(wait_until(sub { psql($standby, "SELECT count(*) FROM authoob.users WHERE id = $id") == 1 }),
	'the registration reaches the standby');

my %read = (
	'GET P/profile' => sub { $front->request(GET => '/profile', token => $token) },
	'GET P/profile/<id>' => sub { $front->request(GET => "/profile/$id") },
	'GET P/verify' => sub { $front->request(GET => '/verify', token => $token) },
	'HEAD P/verify' => sub { $front->request(HEAD => '/verify', token => $token) },
	'GET P/.well-known/jwks.json' => sub { $front->request(GET => '/.well-known/jwks.json') },
	'GET G/user' => sub { gotrue_request($front, GET => '/user', token => $token) },
);
# a request of Supabase Auth's dialect, under its prefix
sub gotrue_request
{
	my ($to, @request) = @_;
	my $prefix = $to->{prefix};
	$to->set_prefix('/auth/v1');
	my $r = $to->request(@request);
	$to->set_prefix($prefix);
	return $r;
}
sub reads_answer
{
	my ($when) = @_;
	for my $route (sort keys %read)
	{
		is($read{$route}->()->{status}, 200, "$when: $route answers 200");
	}
	is($read{'GET P/profile'}->()->{json}{email}, 'reader@example.com', "$when: the right profile");
	is($read{'GET G/user'}->()->{json}{email}, 'reader@example.com', "$when: the right user");
}
reads_answer('both up');
cmp_ok(psql($standby, q{SELECT count(*) FROM pg_stat_activity
	WHERE application_name = 'authoob-http read'}), '>', 0,
	'the standby holds the front\'s read connections (pg_stat_activity)');

# --- the primary stopped: the standby still serves the reads; writes 503
ok(pg_ctl('primary', 'stop'), 'the primary stops');
reads_answer('primary down');
is_error($front->register('writer@example.com'), 503, 'Service unavailable',
	'primary down: a registration is 503, not 500');
is_error($front->login('reader@example.com'), 503, 'Service unavailable',
	'primary down: a login is 503');
ok(start_cluster('primary'), 'the primary starts again');
ok(wait_until(sub { $front->login('reader@example.com')->{status} == 200 }),
	'writes work again once the primary is back');
ok(wait_until(sub { psql($standby, q{SELECT count(*) FROM pg_stat_wal_receiver
	WHERE status = 'streaming'}) == 1 }, 30), 'the standby streams again');

# --- the standby stopped: the reads fall back to the primary
ok(pg_ctl('standby', 'stop'), 'the standby stops');
reads_answer('standby down');
ok(start_cluster('standby'), 'the standby starts again');
ok(wait_until(sub { psql($standby, q{SELECT count(*) FROM pg_stat_wal_receiver
	WHERE status = 'streaming'}) == 1 }, 30), 'and streams again');

# --- replay lag: how long a token logged out on the primary still passes
# verification on the standby, measured over several logouts
my @lags;
for my $n (1 .. 20)
{
	my $t = $front->login('reader@example.com')->{json}{token};
	wait_until(sub { $front->request(GET => '/verify', token => $t)->{status} == 200 }) or next;
	my $out = $front->request(POST => '/logout', token => $t);
	my $t0 = time;
	next unless $out->{status} == 204;
	my $refused = wait_until(sub { $front->request(GET => '/verify', token => $t)->{status} == 401 }, 10);
	push @lags, (time - $t0) * 1000 if $refused;
}
is(scalar(@lags), 20, 'every token logged out on the primary is refused by the standby soon after');
@lags = sort { $a <=> $b } @lags;
diag(sprintf 'replay lag seen for a revocation (logout answered -> standby refuses), %d runs: '
	. 'min %.1f ms, median %.1f ms, max %.1f ms', scalar(@lags), $lags[0], $lags[ @lags / 2 ], $lags[-1]);

# --- a standby that lags: without a limit it still accepts a revoked
# token (what replay lag means); with --db-read-max-lag it is skipped
my $bounded = AuthoobTest::Front->start(conninfo => $primary,
	args => ['--db-read', hostile_conninfo($standby), '--db-read-max-lag', '0.5']);
my $revoked = $front->login('reader@example.com')->{json}{token};
ok(wait_until(sub { $front->request(GET => '/verify', token => $revoked)->{status} == 200 }),
	'a fresh token verifies on the standby');
psql($standby, 'SELECT pg_wal_replay_pause()');
is($front->request(POST => '/logout', token => $revoked)->{status}, 204, 'logged out on the primary');
ok(wait_until(sub { $bounded->request(GET => '/verify', token => $revoked)->{status} == 401 }, 10),
	'--db-read-max-lag 0.5: once the standby lags more, it is skipped, the primary refuses the token');
is($front->request(GET => '/verify', token => $revoked)->{status}, 200,
	'replay paused: then still, the standby accepts the revoked token, for as long as it lags');
is($bounded->request(GET => '/profile', token => $token)->{status}, 200,
	'--db-read-max-lag: the reads still answer, from the primary');
psql($standby, 'SELECT pg_wal_replay_resume()');
ok(wait_until(sub { $front->request(GET => '/verify', token => $revoked)->{status} == 401 }),
	'replay resumed: the standby refuses it too');
is($bounded->stop('TERM'), 0, 'the bounded front stops cleanly');

# --- a front whose --db is a standby: 503 for writes, never 500; reads
# answer; once the standby is promoted, writes work
# its mailer too: the SMTP server of the tests (scripts/mail_sink.py)
my $python = '/usr/bin/python3';
my $maildir = File::Temp->newdir;
my ($sink, $smtp_port);
if (system("$python -c 'import aiosmtpd' 2>/dev/null") == 0)
{
	my $sink_log = File::Temp->new;
	$sink = fork // die "fork: $!";
	if ($sink == 0)
	{
		open(STDOUT, '>', $sink_log->filename) or POSIX::_exit(127);
		open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
		exec($python, "$FindBin::Bin/../scripts/mail_sink.py", '--port', 0,
			'--maildir', "$maildir") or POSIX::_exit(127);
	}
	wait_until(sub { (do { local (@ARGV, $/) = ($sink_log->filename); <> } // '')
		=~ /listening on 127\.0\.0\.1:(\d+)/ and $smtp_port = $1 }, 10)
	  or BAIL_OUT('mail_sink.py does not start');
}
END { local $?; if ($sink) { kill 'TERM', $sink; waitpid($sink, 0) } }
sub mails_to
{
	my ($to) = @_;
	opendir(my $d, "$maildir") or die;
	return grep { do { local (@ARGV, $/) = ("$maildir/$_"); <> } =~ /\Q$to\E/ }
	  grep { /\.json\z/ } readdir $d;
}

my $on_standby = AuthoobTest::Front->start(conninfo => $standby,
	args => [ $smtp_port ? ('--smtp-url', "smtp://127.0.0.1:$smtp_port", '--mail-sweep', 1) : () ]);
is_error($on_standby->register('early@example.com'), 503, 'Service unavailable',
	'on a standby: a registration is 503');
is_error($on_standby->login('reader@example.com'), 503, 'Service unavailable',
	'on a standby: a login is 503');
is_error($on_standby->request(PUT => '/profile', token => $token, json => { first_name => 'R' }),
	503, 'Service unavailable', 'on a standby: a profile change is 503');
is_error($on_standby->request(POST => '/logout', token => $token), 503, 'Service unavailable',
	'on a standby: a logout is 503');
is($on_standby->request(GET => '/profile', token => $token)->{status}, 200,
	'on a standby: the profile answers');
is($on_standby->request(GET => '/health')->{status}, 200, 'on a standby: health answers');
like($on_standby->log, qr/read-only \(no longer the primary\?\), reconnecting/,
	'the front says why it reconnects');
SKIP:
{
	skip_missing('python3-aiosmtpd is not installed', 2) unless $smtp_port;
	ok(wait_until(sub { $on_standby->log =~ /mailer: the database takes no writes \(a standby\)/ }),
		'on a standby: the mailer starts all the same, and says mails wait');
	sleep 3;
	my $reconnects = () = $on_standby->log =~ /mailer: Postgres node is read-only/g;
	cmp_ok($reconnects, '<=', 8, "and waits between its attempts ($reconnects in ~4 s)");
}
hostile_checks() if hostile();
ok(pg_ctl('primary', 'stop'), 'the old primary stops for good');
psql($standby, 'SELECT pg_promote()');
ok(wait_until(sub { $on_standby->register('late@example.com')->{status} == 200 }),
	'the standby promoted: a registration works, without restarting the front');
is($on_standby->login('late@example.com')->{status}, 200, 'and a login');
SKIP:
{
	skip_missing('python3-aiosmtpd is not installed', 1) unless $smtp_port;
	ok(wait_until(sub { mails_to('late@example.com') }, 20),
		'the mailer follows the promotion: the new account\'s mail is delivered');
}
is($on_standby->stop('TERM'), 0, 'the front on the promoted standby stops cleanly');
unlike($front->log . $on_standby->log, qr/ 500 /, 'no 500 in the access logs');
is($front->stop('TERM'), 0, 'the front stops cleanly');
# before END stops the clusters
hostile_checks($standby) if hostile();

done_testing();
