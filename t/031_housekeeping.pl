# Housekeeping (docs/operations.md "Housekeeping"): two fronts run
# authoob_housekeeping() every second or so (--housekeeping) while a load
# of sign-ins goes on. The rows no request reads again (expired sessions and
# their refresh tokens, spent or expired mailed tokens, old flows, finished
# mails past mail_retention, stale throttle rows) leave, in batches, and each
# table is back to its live rows; nothing live is touched (a live session
# and its rotated refresh token, pending mails, unspent tokens, a block in
# force); a run while another holds the database is a no-op; the metrics
# show what went.
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
# a rotated refresh token presented again is a reuse at once
psql($db, q{SELECT authoob_configure('{"refresh_reuse_interval": 0}')});

# --- what lives: two users, a refreshable session rotated once, their
# activation mails and tokens (pending: no mailer), a block, a flow
my $setup = AuthoobTest::Front->start(db => $db, args => ['--housekeeping', 0]);
is($setup->register("$_\@example.com")->{status}, 200, "$_ registers") for qw(ada bea);
my $grant = $setup->request(POST => '/token?grant_type=password',
	json => { email => 'ada@example.com', password => AuthoobTest::strong_password() });
is($grant->{status}, 200, 'ada signs in at the token endpoint');
my $rotated = $setup->request(POST => '/token?grant_type=refresh_token',
	json => { refresh_token => $grant->{json}{refresh_token} });
is($rotated->{status}, 200, 'and refreshes once: her first refresh token is rotated');
$setup->stop('TERM');

psql($db, q{INSERT INTO authoob.throttle (scope, key, last_failure_at, blocked_until)
	VALUES ('ip', 'blocked', now() - interval '1 hour', now() + interval '1 hour'),
	       ('ip', 'recent', now(), NULL)});
psql($db, q{INSERT INTO authoob.flow_states (email, kind, code_challenge_method)
	VALUES ('ada@example.com', 'signup', 's256')});

# --- what time has made garbage, in bulk, as weeks of traffic would
psql($db, q{
	INSERT INTO authoob.sessions (jti, user_id, expires_at)
	SELECT gen_random_uuid(), u.id, now() - interval '1 hour'
	FROM authoob.users u, generate_series(1, 1500) WHERE u.email = 'bea@example.com';
	INSERT INTO authoob.refresh_tokens (token_hash, session_id, rotated_at)
	SELECT sha256(convert_to(s.jti::text || n, 'UTF8')), s.jti, CASE WHEN n = 1 THEN now() - interval '2 hours' END
	FROM authoob.sessions s, generate_series(1, 2) n WHERE s.expires_at < now();
	INSERT INTO authoob.mail_tokens (token_hash, kind, user_id, expires_at, used_at)
	SELECT sha256(convert_to('t' || n, 'UTF8')), 'reset', u.id, now() + interval '1 hour' - (n % 2) * interval '2 hours',
	       CASE WHEN n % 2 = 0 THEN now() - interval '1 minute' END
	FROM authoob.users u, generate_series(1, 1200) n WHERE u.email = 'bea@example.com';
	INSERT INTO authoob.flow_states (email, kind, code_challenge_method, created_at)
	SELECT 'old' || n || '@example.com', 'recovery', 's256', now() - interval '30 days'
	FROM generate_series(1, 1100) n;
	INSERT INTO authoob.mail_outbox (kind, sender, recipient, subject, body_text, body_html, message_id, state, created_at)
	SELECT 'activation', 'no-reply@authoob.test', 'old@example.com', 's', 't', 'h', 'old-' || n || '@authoob.test',
	       (ARRAY['sent', 'failed', 'suppressed'])[1 + n % 3], now() - interval '8 days'
	FROM generate_series(1, 1300) n;
	INSERT INTO authoob.mail_outbox (kind, sender, recipient, subject, body_text, body_html, message_id, state, sent_at)
	VALUES ('activation', 'no-reply@authoob.test', 'new@example.com', 's', 't', 'h', 'new@authoob.test', 'sent', now());
	INSERT INTO authoob.throttle (scope, key, last_failure_at)
	SELECT 'ip', 'stale' || n, now() - interval '2 days' FROM generate_series(1, 1400) n;
});

# Counts of what is garbage and of what lives, by kind.
my %garbage_sql = (
	sessions => q{SELECT count(*) FROM authoob.sessions WHERE expires_at < now()},
	refresh_tokens => q{SELECT count(*) FROM authoob.refresh_tokens r JOIN authoob.sessions s ON s.jti = r.session_id WHERE s.expires_at < now()},
	mail_tokens => q{SELECT count(*) FROM authoob.mail_tokens WHERE used_at IS NOT NULL OR expires_at < now()},
	flow_states => q{SELECT count(*) FROM authoob.flow_states WHERE created_at < now() - interval '7 days'},
	mails => q{SELECT count(*) FROM authoob.mail_outbox WHERE created_at < now() - interval '7 days'},
	throttle => q{SELECT count(*) FROM authoob.throttle WHERE key LIKE 'stale%'},
);
my %live_sql = (
	sessions => q{SELECT count(*) FROM authoob.sessions WHERE expires_at > now()},
	rotated_refresh_tokens => q{SELECT count(*) FROM authoob.refresh_tokens WHERE rotated_at IS NOT NULL
		AND session_id IN (SELECT jti FROM authoob.sessions WHERE expires_at > now())},
	mail_tokens => q{SELECT count(*) FROM authoob.mail_tokens WHERE used_at IS NULL AND expires_at > now()},
	pending_mails => q{SELECT count(*) FROM authoob.mail_outbox WHERE state IN ('pending', 'sending')},
	recent_mails => q{SELECT count(*) FROM authoob.mail_outbox WHERE created_at > now() - interval '1 day'},
	flow_states => q{SELECT count(*) FROM authoob.flow_states WHERE created_at > now() - interval '1 day'},
	throttle => q{SELECT count(*) FROM authoob.throttle WHERE key IN ('blocked', 'recent')},
);
sub counts { my ($sql) = @_; return { map { $_ => psql($db, $sql->{$_}) } keys %$sql } }
my $garbage = counts(\%garbage_sql);
my $live = counts(\%live_sql);
cmp_ok($garbage->{$_}, '>', 1000, "garbage to remove: $garbage->{$_} $_") for sort keys %$garbage;
cmp_ok($live->{$_}, '>', 0, "and what lives: $live->{$_} $_") for sort keys %$live;

# --- a run while another holds the database is a no-op
my @databases = AuthoobTest::sharded() ? AuthoobTest::partitions($db) : ($db);
for my $target (@databases)
{
	my $holder = fork // die "fork: $!";
	if ($holder == 0)
	{
		exec('psql', '-X', '-q', '-d', $target, '-c',
			'BEGIN; SELECT authoob_housekeeping(1); SELECT pg_sleep(30); COMMIT') or POSIX::_exit(127);
	}
	ok(wait_until(sub { AuthoobTest::psql_in($target, q{SELECT count(*) FROM pg_stat_activity
		WHERE query LIKE 'BEGIN; SELECT authoob_housekeeping%' AND wait_event = 'PgSleep'}) > 0 }),
		"$target: one run holds the database");
	is(AuthoobTest::psql_in($target, 'SELECT authoob_housekeeping()'), '{"busy": true}',
		"$target: a second run at once does nothing");
	kill 'TERM', $holder;
	waitpid($holder, 0);
	AuthoobTest::psql_in($target, q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'BEGIN; SELECT authoob_housekeeping%'});
}

# --- two fronts run it every second or so, under a load of sign-ins
my @fronts = map { AuthoobTest::Front->start(db => $db,
	args => ['--housekeeping', 1, '--metrics-listen', '127.0.0.1:0']) } 1 .. 2;
my $load = fork // die "fork: $!";
if ($load == 0)
{
	$fronts[0]{http} = HTTP::Tiny->new(timeout => 30);
	my $deadline = time + 120;
	my %status;
	until (-e "/tmp/authoob_housekeeping_stop_$$" || time > $deadline)
	{
		$status{ $fronts[0]->login('ada@example.com')->{status} }++;
	}
	POSIX::_exit(join('', keys %status) eq '200' ? 0 : 1);
}
ok(wait_until(sub { !grep { $_ > 0 } values %{ counts(\%garbage_sql) } }, 90),
	'every kind of garbage leaves, under the load') or diag(explain(counts(\%garbage_sql)));
open(my $stop, '>', "/tmp/authoob_housekeeping_stop_$load") or die;
close $stop;
waitpid($load, 0);
unlink "/tmp/authoob_housekeeping_stop_$load";
is($?, 0, 'every sign-in of the load succeeded meanwhile');

my $after = counts(\%live_sql);
# the load's sign-ins open sessions: more live ones, none fewer
cmp_ok($after->{sessions}, '>=', $live->{sessions}, 'no live session removed');
delete $after->{sessions};
delete $live->{sessions};
is_deeply($after, $live, 'nothing live touched: rotated refresh tokens of a live session, unspent tokens, '
	. 'pending and recent mails, a recent flow, a block in force') or diag(explain($after, $live));
is($fronts[1]->request(GET => '/profile', token => $rotated->{json}{access_token})->{status}, 200,
	"ada's refreshed session still verifies");
my $replay = $fronts[1]->request(POST => '/token?grant_type=refresh_token',
	json => { refresh_token => $grant->{json}{refresh_token} });
isnt($replay->{status}, 200, 'her rotated refresh token, replayed, is refused');
is($fronts[1]->request(GET => '/profile', token => $rotated->{json}{access_token})->{status}, 401,
	'and its reuse ends her session: the rotated row was kept');

# --- the metrics of both fronts add up to what went
my %removed;
for my $front (@fronts)
{
	my ($port) = $front->log =~ m{metrics served at http://127\.0\.0\.1:(\d+)/metrics};
	my $text = HTTP::Tiny->new->get("http://127.0.0.1:$port/metrics")->{content};
	$removed{$1} += $2 while $text =~ /^authoob_housekeeping_removed_total\{kind="(\w+)"\} (\d+)$/mg;
}
is($removed{$_}, $garbage->{$_}, "the metrics show the $garbage->{$_} $_ removed")
  for grep { $_ ne 'throttle' } sort keys %$garbage;
# the stale throttle rows: a sign-in of the load may have counted again
# against one of their keys, which is then live and stays
cmp_ok($removed{throttle}, '>', 0, "the metrics show throttle rows removed: $removed{throttle}");
cmp_ok($removed{throttle}, '<=', $garbage->{throttle}, 'no more than were stale');

is($_->stop('TERM'), 0, 'a front stops cleanly') for @fronts;
# --- what anyone who connects may lock does not stall it (0.3's first
# form of the lock was an advisory lock, whose key is no secret)
{
	my $holder = fork // die "fork: $!";
	if ($holder == 0)
	{
		exec('psql', '-X', '-q', '-d', $db, '-c',
			q{SELECT pg_advisory_lock(hashtext('authoob_housekeeping'), 0), pg_sleep(30)}) or POSIX::_exit(127);
	}
	ok(wait_until(sub { AuthoobTest::psql_in($db, q{SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND granted}) > 0 }), 'a stranger holds an advisory lock of the name');
	isnt(AuthoobTest::psql_in($db, 'SELECT authoob_housekeeping()'), '{"busy": true}',
		'and housekeeping runs all the same');
	kill 'TERM', $holder;
	waitpid($holder, 0);
	AuthoobTest::psql_in($db, q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE '%pg_advisory_lock(hashtext%' AND pid <> pg_backend_pid()});
}

done_testing();
