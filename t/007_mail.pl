# Mail delivery (docs/mail.md) against a real SMTP server on loopback
# (scripts/mail_sink.py, Debian's aiosmtpd): the mailed links work over
# HTTP, nothing is sent for what rolled back or was suppressed, a mail waits
# while the server is down and then arrives once, several fronts deliver
# each mail once, and a header value is never a way to smuggle another.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Encode qw(encode_utf8);
use File::Temp ();
use HTTP::Tiny;
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

binmode(Test::More->builder->$_, ':encoding(UTF-8)') for qw(output failure_output todo_output);
my $python = '/usr/bin/python3';	# Debian's, where python3-aiosmtpd lives
skip_all_missing('python3-aiosmtpd is not installed')
  unless system("$python -c 'import aiosmtpd' 2>/dev/null") == 0;

my $db = new_database();
# Quick retries; many bad tokens from one address; a reset mail whenever asked.
psql($db, q{SELECT authoob_configure('{"mail_retry_delay": 1,
	"token_failures_per_window": 100000, "reset_mail_interval": 0}')});
my $maildir = File::Temp->newdir;

# --- the SMTP server: started and stopped at will, mails kept in $maildir

my %sinks;	# pid => sink, to stop those still running however the test ends
END { local $?; stop_sink($_) for values %sinks }

sub start_sink
{
	my (%opt) = @_;
	my $log = File::Temp->new;
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open(STDOUT, '>', $log->filename) or POSIX::_exit(127);
		open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
		exec($python, "$FindBin::Bin/../scripts/mail_sink.py", '--port', $opt{port} // 0,
			'--maildir', "$maildir", @{ $opt{args} // [] }) or POSIX::_exit(127);
	}
	my $deadline = time + 10;
	while (time < $deadline)
	{
		my $out = do { local (@ARGV, $/) = ($log->filename); <> } // '';
		return $sinks{$pid} = { pid => $pid, port => $1, log => $log }
		  if $out =~ /listening on 127\.0\.0\.1:(\d+)/;
		die "mail_sink.py exited:\n$out" if waitpid($pid, WNOHANG) == $pid;
		sleep 0.05;
	}
	kill 'KILL', $pid;
	die 'mail_sink.py did not start';
}

sub stop_sink
{
	my ($sink) = @_;
	delete $sinks{ $sink->{pid} };
	kill 'TERM', $sink->{pid};
	return if wait_until(sub { waitpid($sink->{pid}, WNOHANG) == $sink->{pid} }, 10);
	kill 'KILL', $sink->{pid};
	waitpid($sink->{pid}, 0);
}

sub slurp { my ($file) = @_; open(my $fh, '<:raw', $file) or die "$file: $!"; local $/; <$fh> }

# Every mail received so far: the sink's JSON, with the raw message and the
# headers by lower-case name.
sub mails
{
	opendir(my $dir, "$maildir") or die;
	my @names = sort grep { /\.json\z/ } readdir $dir;
	return map {
		my $mail = json_decode(slurp("$maildir/$_"));
		(my $eml = $_) =~ s/\.json\z/.eml/;
		$mail->{raw} = slurp("$maildir/$eml");
		$mail->{header} = { map { lc($_->[0]) => $_->[1] } @{ $mail->{headers} } };
		$mail->{text} = (map { $_->{content} } grep { $_->{content_type} eq 'text/plain' } @{ $mail->{parts} })[0];
		$mail->{html} = (map { $_->{content} } grep { $_->{content_type} eq 'text/html' } @{ $mail->{parts} })[0];
		$mail;
	} @names;
}

sub mails_to { my ($to) = @_; grep { grep { lc $_ eq lc $to } @{ $_->{rcpt_tos} } } mails() }

# Waits (at most $seconds) until $count mails went to $to; returns them.
sub wait_mails
{
	my ($to, $count, $seconds) = @_;
	wait_until(sub { mails_to($to) >= $count }, $seconds);
	return mails_to($to);
}

# The outbox rows of a recipient, as hashes.
sub outbox
{
	my ($recipient) = @_;
	return map { json_decode($_) } split /\n/, psql($db, qq{SELECT row_to_json(m)
		FROM authoob.mail_outbox m WHERE recipient = '$recipient' ORDER BY id});
}

my $activation_link = qr{(http://127\.0\.0\.1:\d+/authoob/activate/([A-Za-z0-9_-]+))};
my $reset_link = qr{(http://app\.test\?reset_password_token=([A-Za-z0-9_-]+))};

# --- flags
refuses_flags(@$_) for ['--mailer-only'], ['--smtp-user', 'u'], ['--smtp-url', 'http://127.0.0.1:25'],
  ['--smtp-url', 'smtp://'], ['--smtp-url', 'smtp://127.0.0.1:25', '--mail-sweep', '0'],
  ['--smtp-url', 'smtp://127.0.0.1:25', '--smtp-password-file', '/dev/null'];
my ($status, $out) = run_front('--smtp-url', 'smtp://mailer:TopSecret@127.0.0.1:25');
is($status, 2, 'credentials in --smtp-url: exit 2');
like($out, qr/must not hold credentials/, 'and says why');
unlike($out, qr/TopSecret/, 'without repeating the password');
like((run_front('--help'))[1], qr/--smtp-url=URL.*--smtp-password-file=FILE.*--mailer-only/s,
	'--help lists the mail flags');
{
	local $ENV{AUTHOOB_SMTP_PASSWORD};
	($status, $out) = run_front('--db', "dbname=$db", '--listen', '127.0.0.1:0',
		'--smtp-url', 'smtp://127.0.0.1:25', '--smtp-user', 'u');
	is($status, 1, '--smtp-user without a password: exit 1');
	like($out, qr/needs a password/, 'and says why');
}

# --- without --smtp-url mails stay queued, and one line says so
my $front = AuthoobTest::Front->start(db => $db);
like($front->log, qr/mail delivery is off \(no --smtp-url\): mails stay queued/,
	'without --smtp-url: one clear line');
register_user($front, 'queued@example.com');
is($front->stop('TERM'), 0, 'stops');
is_deeply([ map { [ $_->{state}, $_->{attempts} ] } outbox('queued@example.com') ], [ [ 'pending', 0 ] ],
	'the mail waited in the outbox, untouched, all the while that front ran');

# --- activation: the mail arrives on NOTIFY (the next sweep is 300 s
# after the one at start), with a link that activates the account over HTTP
my $sink = start_sink();
my @smtp = ('--smtp-url', "smtp://127.0.0.1:$sink->{port}");
my $swept = time;
$front = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--mail-sweep', 300 ]);
like($front->log, qr/mailer: delivering mail to smtp:\/\/127\.0\.0\.1:\d+, sweeping every 300 s/,
	'the mailer says where it delivers');
psql($db, sprintf q{SELECT authoob_configure('{"api_url": "http://127.0.0.1:%d"}')}, $front->port);
is(scalar(wait_mails('queued@example.com', 1)), 1, 'the mail queued without a mailer goes out at start');

register_user($front, 'ada@example.com');
my ($mail) = wait_mails('ada@example.com', 1, 60);
ok($mail, 'register: the activation mail arrives');
cmp_ok(time - $swept, '<', 300, 'on NOTIFY, before the next sweep');
my ($row) = outbox('ada@example.com');
is_deeply([ $mail->{mail_from}, $mail->{rcpt_tos} ], [ 'no-reply@authoob.test', ['ada@example.com'] ],
	'envelope: from the sender setting to the user');
is($mail->{header}{from}, 'no-reply@authoob.test', 'From');
is($mail->{header}{to}, 'ada@example.com', 'To');
is($mail->{header}{subject}, 'Activate your account', 'Subject');
is($mail->{header}{'message-id'}, $row->{message_id}, "Message-ID is the row's");
is($mail->{header}{'mime-version'}, '1.0', 'MIME-Version');
ok($mail->{date}, 'a Date a mail client can read');
is($mail->{content_type}, 'multipart/alternative', 'multipart/alternative');
is_deeply([ map { "$_->{content_type}; $_->{charset}" } @{ $mail->{parts} } ],
	[ 'text/plain; utf-8', 'text/html; utf-8' ], 'text then HTML, UTF-8');
is_deeply($mail->{defects}, [], 'Python\'s mail parser finds no defect');
ok(!grep({ !/\r\z/ } split /\n/, $mail->{raw}), 'every line ends in CRLF');
ok(!grep({ length > 78 } split /\r\n/, $mail->{raw}), 'no line longer than 78 characters');
my ($link, $token) = ($mail->{text} // '') =~ $activation_link;
ok($link, 'the text carries api_url + prefix + /activate/<token>');
like($mail->{html}, qr/href="\Q$link\E"/, 'and the HTML the same link');
is_deeply([ $row->{state}, $row->{attempts}, defined $row->{sent_at} ], [ 'sent', 1, 1 ], 'the row: sent, once');

my $id = user_id($db, 'ada@example.com');
my $r = HTTP::Tiny->new(max_redirect => 0, timeout => 10)->get($link);
is($r->{status}, 302, 'following the mailed link: 302');
is($r->{headers}{location}, "http://app.test?validated_user=$id", 'to app_url?validated_user=<id>');
is(psql($db, "SELECT confirmed_at IS NOT NULL FROM authoob.users WHERE id = $id"), "t", "the account is activated (confirmed_at)");
$r = $front->request(POST => "/activate/$token");
is_error($r, 404, 'No token match', 'POST again: the spent token is unknown, 404');
is($front->register('ada@example.com')->{status}, 409, 'registering again: 409');

# --- password recovery by mail
my $old = strong_password();
my $new = 'N3wPassword!';
$r = $front->request(POST => '/password/ask', json => { email => 'ada@example.com' });
is($r->{status}, 204, 'password/ask: 204');
my @ada = wait_mails('ada@example.com', 2);
is(scalar(@ada), 2, 'the reset mail arrives');
is($ada[1]{header}{subject}, 'Reset your password', 'Subject');
($link, $token) = ($ada[1]{text} // '') =~ $reset_link;
ok($token, 'the text carries app_url?reset_password_token=<token>');
like($ada[1]{html}, qr/href="\Q$link\E"/, 'and the HTML the same link');
$r = $front->request(PUT => '/password/reset/token', json => { token => $token, password1 => $new, password2 => $new });
is($r->{status}, 204, 'PUT P/password/reset/token with the mailed token: 204');
is($front->login('ada@example.com', $new)->{status}, 200, 'the new password logs in');
is($front->login('ada@example.com', $old)->{status}, 401, 'the old one does not');
$r = $front->request(PUT => '/password/reset/token', json => { token => $token, password1 => $old, password2 => $old });
is_error($r, 404, 'No token match', 'the reset token works once');

# --- no enumeration: an unknown address gets the same answer and no mail
register_user($front, 'grace@example.com');
wait_mails('grace@example.com', 1);
my $unknown = $front->request(POST => '/password/ask', json => { email => 'nobody@example.com' });
my $garbled = $front->request(POST => '/password/ask', json => { email => 'not an address' });
my $known = $front->request(POST => '/password/ask', json => { email => 'grace@example.com' });
is_deeply([ $unknown->{status}, $unknown->{content} ], [ $known->{status}, $known->{content} ],
	'password/ask: an unknown address, the same status and body as a known one');
is_deeply([ $garbled->{status}, $garbled->{content} ], [ $known->{status}, $known->{content} ],
	'and so does something that is not an address');
is(scalar(wait_mails('grace@example.com', 2)), 2, 'the known address gets its mail');
is(scalar(mails_to('nobody@example.com')), 0, 'the unknown one none');
is(scalar(outbox('nobody@example.com')), 0, 'and nothing was queued for it');

# --- an action that rolls back leaves no mail
psql($db, q{CREATE FUNCTION refuse_rollback(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF context -> 'user' ->> 'email' LIKE 'rollback%' THEN
		RAISE EXCEPTION 'refused by a hook';
	END IF;
	RETURN NULL;
END
$$});
psql($db, q{SELECT authoob_add_hook('post_register', 'refuse_rollback(jsonb)')});
is_error($front->register('rollback@example.com'), 400, 'refused by a hook', 'a post_register hook raises: 400');
$r = $front->register('rollback-check@example.com', password2 => 'other');
is($r->{status}, 400, 'a register refused by a check: 400');
register_user($front, 'after-rollback@example.com');
wait_mails('after-rollback@example.com', 1);
is(scalar(mails_to('rollback@example.com')) + scalar(mails_to('rollback-check@example.com')), 0,
	'no mail for the actions rolled back (a later one arrived)');
is(psql($db, q{SELECT count(*) FROM authoob.mail_outbox WHERE recipient LIKE 'rollback%'}), 0,
	'and nothing in the outbox');
is(scalar(mails_to('ada@example.com')), 2, 'registering ada again mailed nothing');
psql($db, q{SELECT authoob_remove_hook('post_register', 'refuse_rollback(jsonb)')});

# --- bad tokens: 404, never 500
for my $bad ('garbage', 'x' x 200, '%00', 'abc%00def', '%2500', '%ff%fe', '%0d%0aSet-Cookie:%20x=1', '..')
{
	for my $method ('GET', 'POST')
	{
		$r = $front->raw($front->raw_request($method => "/activate/$bad"));
		is($r->{status}, 404, "$method /activate/" . substr($bad, 0, 20) . ': 404');
	}
}
for my $bad ('garbage', 'x' x 200, '%00', "\x{fffd}")
{
	$r = $front->request(PUT => '/password/reset/token', json => { token => $bad, password1 => $new, password2 => $new });
	is($r->{status}, 404, 'reset/token with token "' . substr($bad, 0, 20) . '": 404');
}
$r = $front->request(PUT => '/password/reset/token', body => qq({"token": "a\\u0000b", "password1": "$new", "password2": "$new"}));
is_error($r, 400, 'Missing data',
	'reset/token with a NUL in the token: 400 Missing data (bodies with \u0000 are refused whole)');
unlike($front->log, qr/ 500 /, 'no 500 at all');

# --- prevent_mail_send: kept, marked suppressed, never sent
psql($db, q{SELECT authoob_configure('{"prevent_mail_send": true}')});
register_user($front, 'quiet@example.com');
psql($db, q{SELECT authoob_configure('{"prevent_mail_send": false}')});
register_user($front, 'loud@example.com');
wait_mails('loud@example.com', 1);
is(scalar(mails_to('quiet@example.com')), 0, 'prevent_mail_send: nothing sent (a later mail arrived)');
is_deeply([ map { [ $_->{state}, $_->{attempts} ] } outbox('quiet@example.com') ], [ [ 'suppressed', 0 ] ],
	'the row is suppressed, never claimed');

# --- header injection: a CR or LF in a header value is refused, not sent
psql($db, q{SELECT authoob_configure('{"prevent_mail_send": true}')});
register_user($front, "inject$_\@example.com") for 1 .. 3;
psql($db, q{SELECT authoob_configure('{"prevent_mail_send": false}')});
psql($db, q{UPDATE authoob.mail_outbox SET state = 'pending', next_attempt_at = now(),
	subject = CASE recipient WHEN 'inject1@example.com' THEN E'Hello\r\nBcc: evil@example.com' ELSE subject END,
	recipient = CASE recipient WHEN 'inject2@example.com' THEN E'inject2@example.com>\r\nRCPT TO:<evil@example.com'
		WHEN 'inject3@example.com' THEN 'inject3@example.com> NOTIFY=NEVER' ELSE recipient END
	WHERE recipient LIKE 'inject_@example.com'});
psql($db, q{NOTIFY authoob_mail});
my $refused = wait_until(sub {
	psql($db, q{SELECT count(*) FROM authoob.mail_outbox WHERE user_id IN
		(SELECT id FROM authoob.users WHERE email LIKE 'inject_@example.com') AND last_error IS NOT NULL}) == 3 });
ok($refused, 'the three mails were looked at');
is(psql($db, q{SELECT string_agg(m.last_error, ' / ' ORDER BY u.email) FROM authoob.mail_outbox m
	JOIN authoob.users u ON u.id = m.user_id WHERE u.email LIKE 'inject_@example.com'}),
	'refused: CR or LF in a header value / refused: CR or LF in a header value / '
	. 'refused: the recipient is not a plain address', 'each refused, saying why');
is(psql($db, q{SELECT string_agg(state, ' ' ORDER BY id) FROM authoob.mail_outbox
	WHERE user_id IN (SELECT id FROM authoob.users WHERE email LIKE 'inject_@example.com')}),
	'failed failed failed', 'and failed for good at once: no retry could send them');
register_user($front, 'after-inject@example.com');
wait_mails('after-inject@example.com', 1);
is(scalar(grep { grep({ /evil/ } @{ $_->{rcpt_tos} }) || $_->{raw} =~ /^Bcc:/mi || $_->{raw} =~ /inject\d/ } mails()), 0,
	'nothing went to evil@example.com, no Bcc header, no injected mail at all');

# --- a non-ASCII subject is RFC 2047-encoded, and folded
my $subject = 'Réinitialisez votre mot de passe — ünïcødé ✓, ' . 'très long ' x 12;
psql($db, encode_utf8(qq{UPDATE authoob.mail_templates SET subject = '$subject' WHERE kind = 'reset'}));
$front->request(POST => '/password/ask', json => { email => 'grace@example.com' });
my @grace = wait_mails('grace@example.com', 3);
is($grace[2]{header}{subject}, $subject, 'a non-ASCII subject reads back whole');
my ($raw_subject) = $grace[2]{raw} =~ /^(Subject:.*?\r\n)(?!\s)/ms;
like($raw_subject, qr/\ASubject: =\?UTF-8\?B\?[A-Za-z0-9+\/=]+\?=\r\n( =\?UTF-8\?B\?[A-Za-z0-9+\/=]+\?=\r\n)+\z/,
	'as UTF-8 encoded words on folded lines');
ok($grace[2]{raw} !~ /[^\x00-\x7f]/, 'the whole message is 7-bit');
is_deeply($grace[2]{defects}, [], 'no defect');
psql($db, q{UPDATE authoob.mail_templates SET subject = 'Reset your password' WHERE kind = 'reset'});

# --- Supabase Auth's template variables, in authoob's own mails too: a
# template pasted from a Supabase project renders (its {{ .Token }}, the
# code, is empty: only the dialect's mails carry one, t/019)
psql($db, q{CREATE TABLE public.saved_template AS SELECT * FROM authoob.mail_templates WHERE kind = 'activation'});
psql($db, q{UPDATE authoob.mail_templates SET subject = '{{ .Email }}: welcome, {{ .Data.firstname }}',
	body_text = E'{{ .ConfirmationURL }}\n{{ .SiteURL }}\n{{ .TokenHash }}\n[{{ .Token }}]\n{{ .Data }}\n{{ .Data.missing }}.',
	body_html = '<a href="{{ .ConfirmationURL }}">{{ .Data }}</a>' WHERE kind = 'activation'});
$r = $front->register('zoe@example.com', firstname => 'Zoe', password1 => 'Strong1password', password2 => 'Strong1password');
is($r->{status}, 200, 'registered, to a template of Supabase variables');
my ($zoe) = wait_mails('zoe@example.com', 1);
is($zoe->{header}{subject}, 'zoe@example.com: welcome, Zoe', '{{ .Email }} and {{ .Data.<key> }} in the subject');
my @lines = split /\r?\n/, $zoe->{text} // '';
my ($zoe_link, $zoe_token) = ($lines[0] // '') =~ $activation_link;
ok($zoe_link, '{{ .ConfirmationURL }}: the mail\'s own link') or diag($zoe->{text});
is_deeply([ @lines[1 .. 5] ], [ 'http://app.test', $zoe_token // 'no token', '[]', '{"firstname": "Zoe"}', '.' ],
	'{{ .SiteURL }}, {{ .TokenHash }} (the link\'s token), {{ .Token }} empty, {{ .Data }} as JSON, an absent key empty');
like($zoe->{html}, qr{>\{&quot;firstname&quot;: &quot;Zoe&quot;\}</a>}, 'HTML-escaped in the HTML body');
psql($db, q{UPDATE authoob.mail_templates t SET subject = s.subject, body_text = s.body_text, body_html = s.body_html
	FROM public.saved_template s WHERE t.kind = 'activation'; DROP TABLE public.saved_template});
is($front->stop('TERM'), 0, 'stops');
unlike($front->log, qr/example\.com/, 'the log never names a recipient');

# --- the SMTP server is down: mails wait, then arrive once
$front = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--mail-sweep', 1 ]);
stop_sink($sink);
register_user($front, 'patient@example.com');
ok(wait_until(sub { my ($m) = outbox('patient@example.com'); $m->{attempts} >= 3 }, 30),
	'server down: delivery is tried again and again');
($row) = outbox('patient@example.com');
is($row->{state}, 'pending', 'the mail stays pending');
like($row->{last_error}, qr/connect/i, "with curl's error");
$sink = start_sink(port => $sink->{port});
# once marked sent the row is never delivered again: then count
ok(wait_until(sub { (outbox('patient@example.com'))[0]{state} eq 'sent' }, 30), 'once the server is back, the mail is marked sent');
my @patient = mails_to('patient@example.com');
is(scalar(@patient), 1, 'it arrived, exactly once');
is($patient[0]{header}{'message-id'}, $row->{message_id}, "the retried mail carries the row's Message-ID");
like($front->log, qr/mailer: mail \d+ not sent \(attempt 1\), retried later: /, 'the failures are logged');

# --- Postgres ends the mailer's connection: it connects again
is(psql($db, qq{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	WHERE datname = '$db' AND application_name = 'authoob-http mailer'}), 1, 'the mailer connection is killed');
ok(wait_until(sub { $front->log =~ /mailer: connected to Postgres again/ }), 'the mailer reconnects');
register_user($front, 'reconnected@example.com');
is(scalar(wait_mails('reconnected@example.com', 1)), 1, 'and delivers again');

# --- two fronts deliver side by side: each mail exactly once
stop_sink($sink);
$sink = start_sink(port => $sink->{port}, args => [ '--delay', '0.05' ]);
my $mailer = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--mailer-only', '--mail-sweep', 1 ],
	ready => qr/mailer: delivering mail/);
unlike($mailer->log, qr/listening on/, '--mailer-only serves no HTTP');
my @crowd = map { "crowd$_\@example.com" } 1 .. 30;
my @answers = $front->parallel_raw([ map { $front->raw_request(POST => '/register', content_type => 'application/json',
	json => { email => $_, password1 => strong_password(), password2 => strong_password() }) } @crowd ]);
is(scalar(grep { $_->{status} == 200 } @answers), 30, '30 registrations at once');
ok(wait_until(sub { psql($db, q{SELECT count(*) FROM authoob.mail_outbox
	WHERE recipient LIKE 'crowd%' AND state = 'sent'}) == 30 }, 60), 'all 30 mails are sent');
# a mail sent twice would be two deliveries at once: one of them by the
# mailer, which finishes its mail in flight before it stops
is($mailer->stop('TERM'), 0, '--mailer-only stops on SIGTERM');
is_deeply([ grep { scalar(mails_to($_)) != 1 } @crowd ], [], 'each recipient got exactly one mail');
my @ids = split /\n/, psql($db, q{SELECT id FROM authoob.mail_outbox WHERE recipient LIKE 'crowd%' ORDER BY id});
my %crowd_id = map { $_ => 1 } @ids;
my @by_front = grep { $crowd_id{$_} } $front->log =~ /mailer: mail (\d+) sent/g;
my @by_mailer = grep { $crowd_id{$_} } $mailer->log =~ /mailer: mail (\d+) sent/g;
my %seen;
$seen{$_}++ for @by_front, @by_mailer;
is_deeply([ sort { $a <=> $b } keys %seen ], \@ids, 'every mail was sent by one of them');
is_deeply([ grep { $seen{$_} > 1 } keys %seen ], [], 'none by both');
ok(@by_front && @by_mailer, sprintf('both took part (%d and %d)', scalar(@by_front), scalar(@by_mailer)));

# --- SIGTERM finishes the mail in flight, and gives back the rest of its
# batch: three mails made due at once are claimed together
stop_sink($sink);
$sink = start_sink(port => $sink->{port}, args => [ '--delay', '2' ]);
psql($db, q{SELECT authoob_configure('{"prevent_mail_send": true}')});
register_user($front, "inflight$_\@example.com") for 1 .. 3;
psql($db, q{SELECT authoob_configure('{"prevent_mail_send": false}')});
# due at one instant, on every partition when sharded (an UPDATE of each
# in turn would let a sweep between them claim one partition's alone)
my $due = psql($db, q{SELECT now() + interval '1 second'});
psql($db, qq{UPDATE authoob.mail_outbox SET state = 'pending', next_attempt_at = '$due'
	WHERE recipient LIKE 'inflight_\@example.com'});
ok(wait_until(sub { psql($db, q{SELECT count(*) FROM authoob.mail_outbox
	WHERE recipient LIKE 'inflight_@example.com' AND state = 'sending'}) == 3 }), 'three mails claimed');
ok(wait_until(sub { slurp($sink->{log}->filename) =~ /receiving a mail for inflight/ }), 'one in flight');
is($front->stop('TERM', 30), 0, 'SIGTERM: the front stops cleanly');
is(scalar(mails_to('inflight1@example.com')), 1, 'after the mail in flight arrived');
is_deeply([ map { [ $_->{recipient}, $_->{state}, $_->{attempts} ] } map { outbox("inflight$_\@example.com") } 1 .. 3 ],
	[ [ 'inflight1@example.com', 'sent', 1 ],
	  [ 'inflight2@example.com', 'pending', 0 ],
	  [ 'inflight3@example.com', 'pending', 0 ] ],
	'it was marked sent; the two not started are given back untried, no attempt counted');
is(scalar(mails_to('inflight2@example.com')) + scalar(mails_to('inflight3@example.com')), 0, 'and were not sent');
like($front->log, qr/mailer: mail \d+ sent.*mailer: stopped.*info: stopped/s, 'then the mailer stopped');

# --- SMTP AUTH: the password from the environment or a file, never logged
stop_sink($sink);
my $secret = 'S3cret pass';
$sink = start_sink(port => $sink->{port}, args => [ '--auth', "mailer:$secret" ]);
{
	local $ENV{AUTHOOB_SMTP_PASSWORD} = $secret;
	$front = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--smtp-user', 'mailer' ]);
}
register_user($front, 'auth-env@example.com');
($mail) = wait_mails('auth-env@example.com', 1);
is($mail && $mail->{authenticated_as}, 'mailer', 'AUTH with AUTHOOB_SMTP_PASSWORD');
is($front->stop('TERM'), 0, 'stops');
unlike($front->log, qr/S3cret/, 'the password is not in the log');

my $password_file = File::Temp->new;
print $password_file "$secret\n";
close $password_file;
$front = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--smtp-user', 'mailer',
	'--smtp-password-file', $password_file->filename ]);
register_user($front, 'auth-file@example.com');
($mail) = wait_mails('auth-file@example.com', 1);
is($mail && $mail->{authenticated_as}, 'mailer', 'AUTH with --smtp-password-file');
is($front->stop('TERM'), 0, 'stops');

{
	local $ENV{AUTHOOB_SMTP_PASSWORD} = 'wrong';
	$front = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--smtp-user', 'mailer' ]);
}
register_user($front, 'auth-wrong@example.com');
ok(wait_until(sub { my ($m) = outbox('auth-wrong@example.com'); $m->{last_error} }), 'a wrong password:');
like((outbox('auth-wrong@example.com'))[0]{last_error}, qr/login|auth|535/i, 'the mail waits, with the login error');
is($front->stop('TERM'), 0, 'stops');
is(scalar(mails_to('auth-wrong@example.com')), 0, 'and nothing was sent');

# --- --smtp-tls: never in clear, even if that means not at all
$front = AuthoobTest::Front->start(db => $db, args => [ @smtp, '--smtp-tls', '--smtp-user', 'mailer',
	'--smtp-password-file', $password_file->filename ]);
register_user($front, 'tls@example.com');
ok(wait_until(sub { my ($m) = outbox('tls@example.com'); $m->{last_error} }), 'with --smtp-tls and a server without STARTTLS:');
like((outbox('tls@example.com'))[0]{last_error}, qr/STARTTLS|TLS|SSL/i, 'the mail waits, with the TLS error');
is($front->stop('TERM'), 0, 'stops');
is(scalar(mails_to('tls@example.com')), 0, 'and nothing was sent');
stop_sink($sink);

done_testing();
