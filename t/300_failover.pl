# High availability (docs/scale-out.md): a pg_auto_failover formation
# on loopback (scripts/ha-formation.sh: a monitor, a primary, a synchronous
# standby), one authoob-http given its multi-host URI and a real SMTP
# server, and a steady load of registrations and logins over HTTP through
# three events: a planned switchover, a crash of the primary's postmaster
# (kill -9), and a crash of the whole primary node (its pg_autoctl and
# Postgres killed, so that the monitor fails over to the standby).
#
# For each event it prints the seconds without service (the longest time
# no request succeeded), and checks that nothing acknowledged is lost: every
# registration answered 200 exists afterwards, every token issued still
# verifies, every queued mail is delivered, and no request got any answer
# but 200 or 503 (a 503 while no primary answers, never a wrong answer).
#
# AUTHOOB_HA_PORT: the monitor's port (default 6000); the nodes take the
# next two. AUTHOOB_HA_KEEP=DIR: the clients' answers and the front's log
# (debug: which node answered each statement) are copied there.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use HTTP::Tiny;
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

my $python = '/usr/bin/python3';
skip_all_missing('pg_autoctl is not installed (postgresql-15-auto-failover)')
  unless system('which pg_autoctl >/dev/null 2>&1') == 0;
skip_all_missing('python3-aiosmtpd is not installed')
  unless system("$python -c 'import aiosmtpd' 2>/dev/null") == 0;

my $port = $ENV{AUTHOOB_HA_PORT} // 6000;
my $script = "$FindBin::Bin/../scripts/ha-formation.sh";
my $dir = File::Temp->newdir('authoob_ha_XXXX', TMPDIR => 1);
my $started = time;

# ha-formation.sh ACTION DIR PORT [NAME]: true if it succeeds; its output
sub formation { my ($action, @rest) = @_; system('bash', $script, $action, "$dir", $port, @rest) == 0 }
sub formation_out { my $out = `bash $script $_[0] $dir $port`; chomp $out; $out }

# interrupted, the formation is stopped all the same
$SIG{$_} = sub { exit 1 } for qw(INT TERM);
END { local $?; formation('stop') if $dir && -d "$dir/monitor" }

formation('start') or BAIL_OUT('the formation does not start');
my $db = "postgresql://127.0.0.1:@{[$port + 1]},127.0.0.1:@{[$port + 2]}/authoob"
  . '?target_session_attrs=read-write&user=postgres';
diag(sprintf 'formation built in %.0f s', time - $started);

# Whether a primary answers within 120 s (psql's refusals meanwhile unshown).
sub primary_answers
{
	open(my $stderr, '>&', \*STDERR) or die;
	open(STDERR, '>', '/dev/null') or die;
	my $ok = wait_until(sub { eval { psql($db, 'SELECT 1') } }, 120);
	open(STDERR, '>&', $stderr) or die;
	return $ok;
}

# --- the formation is synchronous: a commit waits for the standby
sub check_synchronous
{
	my ($when) = @_;
	ok(primary_answers(), "$when: the primary answers");
	# the nodes report their states before the primary applies the setting
	my $names = '';
	wait_until(sub { ($names = psql($db, 'SHOW synchronous_standby_names'))
		=~ /^ANY 1 \(pgautofailover_standby_\d+\)$/ }, 30);
	like($names, qr/^ANY 1 \(pgautofailover_standby_\d+\)$/,
		"$when: the primary names its standby in synchronous_standby_names");
	ok(wait_until(sub { psql($db, q{SELECT string_agg(sync_state, ',')
		FROM pg_stat_replication}) =~ /^(quorum|sync)$/ }, 30),
		"$when: the standby is a synchronous one (pg_stat_replication)");
}
check_synchronous('at start');
is(psql("postgresql://127.0.0.1:$port/pg_auto_failover?user=autoctl_node",
	q{SELECT number_sync_standbys FROM pgautofailover.formation WHERE formationid = 'default'}),
	0, 'number_sync_standbys 0: one synchronous standby, and writes go on while it is away');

# as new_database: the load, all from 127.0.0.1, never spends its budget of hashes
psql($db, q{SELECT authoob_configure('{"bcrypt_cost": 4,
	"client_hashes_per_window": 1000000, "account_sign_ins_per_window": 1000000,
	"client_hashes_at_once": 10000,
	"app_url": "http://app.test", "api_url": "http://127.0.0.1",
	"email_sender": "no-reply@authoob.test", "mail_retry_delay": 1}')});

# --- the SMTP server, mails kept in $maildir
my $maildir = File::Temp->newdir;
my $sink_log = File::Temp->new;
my $sink = fork // die "fork: $!";
if ($sink == 0)
{
	open(STDOUT, '>', $sink_log->filename) or POSIX::_exit(127);
	open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
	exec($python, "$FindBin::Bin/../scripts/mail_sink.py", '--port', 0,
		'--maildir', "$maildir") or POSIX::_exit(127);
}
END { local $?; if ($sink) { kill 'TERM', $sink; waitpid($sink, 0) } }
my $smtp_port;
wait_until(sub { (do { local (@ARGV, $/) = ($sink_log->filename); <> } // '')
	=~ /listening on 127\.0\.0\.1:(\d+)/ and $smtp_port = $1 }, 10)
  or BAIL_OUT('mail_sink.py does not start');

my $front = AuthoobTest::Front->start(conninfo => $db,
	args => ['--log-level', 'debug', '--smtp-url', "smtp://127.0.0.1:$smtp_port", '--mail-sweep', 1]);

# --- the load: workers that register new users and log earlier ones in,
# each answer a line "time kind status email token" in its file
my $workers = 2;
my $stop_file = "$dir/stop-load";
my @loads;
for my $w (1 .. $workers)
{
	my $file = "$dir/load-$w";
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		$front->{http} = HTTP::Tiny->new(timeout => 60);
		open(my $out, '>', $file) or POSIX::_exit(1);
		$out->autoflush(1);
		my (@registered, $n);
		until (-e $stop_file)
		{
			my $email = sprintf 'w%d-%d@ha.test', $w, ++$n;
			my $r = $front->register($email);
			printf $out "%.3f register %d %s %s\n", time, $r->{status}, $email,
			  $r->{json} && $r->{json}{token} // '-';
			push @registered, $email if $r->{status} == 200;
			if (@registered)
			{
				my $who = $registered[ int rand @registered ];
				$r = $front->login($who);
				printf $out "%.3f login %d %s %s\n", time, $r->{status}, $who,
				  $r->{json} && $r->{json}{token} // '-';
			}
			sleep 0.1;
		}
		close $out;
		POSIX::_exit(0);
	}
	push @loads, { pid => $pid, file => $file };
}
END { local $?; kill 'KILL', map { $_->{pid} } @loads if @loads }

sub answers
{
	map {
		open(my $fh, '<', $_->{file}) or die;
		map { chomp; my @f = split / /; { time => $f[0], kind => $f[1], status => $f[2],
			email => $f[3], token => $f[4] } } grep { /\n\z/ } <$fh>;
	} @loads;
}

# The longest time within [from, to] in which no request succeeded.
sub outage
{
	my ($from, $to) = @_;
	my @ok = sort { $a <=> $b } map { $_->{time} } grep { $_->{status} == 200 &&
		$_->{time} >= $from && $_->{time} <= $to } answers();
	my ($longest, $last) = (0, $from);
	for my $t (@ok, $to)
	{
		$longest = $t - $last if $t - $last > $longest;
		$last = $t;
	}
	return $longest;
}

# Waits until requests succeed again; then a few seconds of service.
sub service_back
{
	my ($since) = @_;
	wait_until(sub { grep { $_->{status} == 200 && $_->{time} > $since } answers() }, 120)
	  or BAIL_OUT('the service does not come back');
	sleep 3;
}

my %figures;

sub event
{
	my ($name, $action) = @_;
	my $t0 = time;
	$action->();
	ok(formation('wait'), "$name: the formation is back to a primary and its standby");
	ok(primary_answers(), "$name: the primary answers");
	service_back(time);
	my $t1 = time;
	$figures{$name} = outage($t0 - 1, $t1);
	diag(sprintf '%s: %.1f s without service (primary now %s)', $name, $figures{$name},
		formation_out('primary'));
	check_synchronous("after $name");
}

sleep 5;	# the load runs

# 1. planned: the standby becomes primary, the primary its standby
event('switchover', sub { ok(formation('switchover'), 'switchover: pg_autoctl performs it') });

# 2. the primary's postmaster is killed: its pg_autoctl sees Postgres gone
# and restarts it (crash recovery), or the monitor fails over
my $primary;
event('postmaster kill -9', sub {
	$primary = formation_out('primary');
	my ($pid) = split /\n/, do { local (@ARGV, $/) = ("$dir/$primary/postmaster.pid"); <> };
	ok(kill('KILL', $pid), "postmaster kill -9: $primary\'s postmaster ($pid) killed");
});

# 3. the primary node dies whole (pg_autoctl and Postgres): the monitor
# finds it unhealthy and promotes the standby; the node, run again, comes
# back as the new primary's standby
event('node crash', sub {
	$primary = formation_out('primary');
	my ($pid) = split /\n/, do { local (@ARGV, $/) = ("$dir/$primary/postmaster.pid"); <> };
	# pg_autoctl runs in a session of its own (setsid): kill it all
	my ($keeper) = `pgrep -x -f 'pg_autoctl run --pgdata $dir/$primary'` =~ /(\d+)/;
	ok($keeper && kill('KILL', -$keeper) && kill('KILL', $pid),
		"node crash: $primary\'s pg_autoctl and postmaster killed");
	ok(wait_until(sub { my $now = formation_out('primary'); $now && $now ne $primary }, 120),
		'node crash: the monitor promotes the standby');
	ok(formation('run', $primary), "node crash: $primary runs again, to rejoin");
});

open(my $touch, '>', $stop_file) or die;
close $touch;
waitpid($_->{pid}, 0) for @loads;
my @answers = answers();
if (my $keep = $ENV{AUTHOOB_HA_KEEP})
{
	system('mkdir', '-p', $keep) == 0 or die;
	system('cp', $_->{file}, $keep) == 0 or die for @loads;
	open(my $log, '>', "$keep/front.log") or die;
	print $log $front->log;
	close $log;
}
@loads = ();

# --- nothing acknowledged is lost
my %count;
$count{"$_->{kind} $_->{status}"}++ for @answers;
diag(join ', ', map { "$_: $count{$_}" } sort keys %count);
diag('commits whose wait for the standby was cancelled (answered 503): '
	. (() = $front->log =~ /not replicated to the synchronous standby/g));
is_deeply([ grep { !/ (200|503)$/ } sort keys %count ], [],
	'every answer under load was 200 or 503: never a wrong one');

my @acked = grep { $_->{kind} eq 'register' && $_->{status} == 200 } @answers;
cmp_ok(scalar(@acked), '>', 100, 'registrations went through under the load');
my %exists = map { $_ => 1 } split /\n/, psql($db, 'SELECT email FROM authoob.users');
is_deeply([ grep { !$exists{ $_->{email} } } @acked ], [],
	scalar(@acked) . ' registrations acknowledged with 200: every one exists afterwards');

my @tokens = grep { $_->{status} == 200 } @answers;
my @refused = grep { $front->request(GET => '/profile', token => $_->{token})->{status} != 200 } @tokens;
is_deeply([ map { "$_->{kind} $_->{email}" } @refused ], [],
	scalar(@tokens) . ' tokens issued under the load: every one still verifies');

# each acknowledged registration queued an activation mail
my %mailed;
sub read_mails
{
	opendir(my $d, "$maildir") or die;
	%mailed = ();
	for my $name (grep { /\.json\z/ } readdir $d)
	{
		my $mail = json_decode(do { local (@ARGV, $/) = ("$maildir/$name"); <> });
		$mailed{ lc $_ }++ for @{ $mail->{rcpt_tos} };
	}
}
wait_until(sub { read_mails(); !grep { !$mailed{ $_->{email} } } @acked }, 90);
read_mails();
is_deeply([ map { $_->{email} } grep { !$mailed{ $_->{email} } } @acked ], [],
	'every activation mail queued by an acknowledged registration is delivered');
my $twice = grep { $mailed{ $_->{email} } > 1 } @acked;
diag("mails delivered twice (at least once, not exactly once): $twice");
# and so did any registration whose 200 was lost with its primary: every
# mail of the outbox reached the server
my @outbox = map { [ split /\|/ ] } split /\n/,
  psql($db, 'SELECT lower(recipient), state FROM authoob.mail_outbox');
is_deeply([ map { $_->[0] } grep { !$mailed{ $_->[0] } } @outbox ], [],
	scalar(@outbox) . ' mails in the outbox: every one was delivered');
# a mail sent just before its primary died may not be marked sent: its
# lease ends and it goes again (at least once), never left pending
my @unmarked = grep { $_->[1] ne 'sent' } @outbox;
is_deeply([ grep { $_->[1] ne 'sending' } @unmarked ], [],
	'no mail is left pending or failed');
diag(scalar(@unmarked) . ' mails delivered but not yet marked sent (leased; sent again at lease end)');

diag(sprintf 'seconds without service: %s; whole test %.0f s',
	join(', ', map { sprintf '%s %.1f', $_, $figures{$_} } sort keys %figures), time - $started);
is($front->stop('TERM'), 0, 'the front stops cleanly');
done_testing();
