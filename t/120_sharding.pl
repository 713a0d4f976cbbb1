# Sharding (docs/scale-out.md, "Sharding"): a PL/Proxy database in
# front of two partitions, built by scripts/shard-setup.sh, the front
# talking to the proxy alone. Users spread over both partitions with ids
# unique across them; each token (access, mailed, refresh) leads back to
# its user's partition; the mailer delivers every partition's mails once;
# configuration reaches every partition; failed attempts stay recorded; a
# forged token is refused wherever it routes; Supabase Auth's protocol
# works through the proxy, its PKCE codes leading to their partition; and
# the proxy lets nobody
# reach the partitions with more than the rights it was given.
use strict;
use warnings;
BEGIN { $ENV{AUTHOOB_SHARDS} = 2 }
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use Digest::SHA qw(sha256);
use HTTP::Tiny;
use MIME::Base64 qw(decode_base64url encode_base64url);
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

my $python = '/usr/bin/python3';
skip_all_missing('python3-aiosmtpd is not installed')
  unless system("$python -c 'import aiosmtpd' 2>/dev/null") == 0;

my $db = new_database();
my @partitions = partitions($db);
is(scalar @partitions, 2, 'a proxy over two partitions');
my $password = strong_password();

# --- configuration, once through the proxy, reaches every partition
psql_in_proxy(q{SELECT authoob_configure('{"token_ttl": 1234, "reset_mail_interval": 0}')});
is_deeply([ map { psql_in($_, q{SELECT authoob_settings() ->> 'token_ttl'}) } @partitions ], [ 1234, 1234 ],
	'authoob_configure through the proxy: every partition has the setting');
is(scalar(uniq(map { psql_in($_, 'SELECT secret_key FROM authoob.settings') } @partitions)), 1,
	'one signing secret for all the partitions');
like(psql_in_proxy(q{SELECT count(*) FROM authoob_configure('{"bcrypt_cost": 77}')}), qr/^ERROR/,
	'a bad setting is refused, on every partition');
is_deeply([ map { psql_in($_, q{SELECT authoob_settings() ->> 'bcrypt_cost'}) } @partitions ], [ 4, 4 ],
	'and changes nothing anywhere');
# leaving HS256 retires the shared secret on each partition, for a new one
# of its own; a return to HS256 with a secret shares one again
my $secret_query = 'SELECT md5(secret_key) FROM authoob.settings';
my ($shared) = map { psql_in($_, $secret_query) } @partitions;
psql_in_proxy(q{SELECT authoob_configure('{"signing_alg": "ES256"}')});
my @drawn = uniq(map { psql_in($_, $secret_query) } @partitions);
ok(@drawn == 2 && !grep({ $_ eq $shared } @drawn), 'ES256 through the proxy: each partition draws a secret of its own');
is(psql_in_proxy(q{SELECT authoob_configure('{"signing_alg": "HS256", "secret_key": "one secret for all the partitions, again"}') ->> 'signing_alg'}),
	'HS256', 'HS256 again, with a secret_key');
is(scalar(uniq(map { psql_in($_, $secret_query) } @partitions)), 1, 'one signing secret for all the partitions again');

# --- a mail sink and a front with its mailer, both on loopback
my $maildir = File::Temp->newdir;
my $sink_log = File::Temp->new;
my $sink = fork // die;
if ($sink == 0)
{
	open(STDOUT, '>', $sink_log->filename) or POSIX::_exit(127);
	open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
	exec($python, "$FindBin::Bin/../scripts/mail_sink.py", '--port', 0, '--maildir', "$maildir")
	  or POSIX::_exit(127);
}
END { kill 'TERM', $sink if $sink }
my ($sink_port) = wait_until(sub { (slurp($sink_log->filename) =~ /listening on 127\.0\.0\.1:(\d+)/)[0] }, 10)
  or BAIL_OUT('mail_sink.py did not start');
my $front = AuthoobTest::Front->start(db => $db,
	args => ['--smtp-url', "smtp://127.0.0.1:$sink_port", '--mail-sweep', 1]);
psql_in_proxy(sprintf q{SELECT authoob_configure('{"api_url": "http://127.0.0.1:%d"}')}, $front->port);

sub slurp { my ($file) = @_; open(my $fh, '<:raw', $file) or return ''; local $/; <$fh> // '' }

sub uniq { my %seen; grep { !$seen{$_}++ } @_ }

sub psql_in_proxy
{
	my ($sql) = @_;
	my $out = eval { AuthoobTest::psql_in($db, $sql) };
	return defined $out ? $out : "ERROR: $@";
}

sub psql_in { AuthoobTest::psql_in(@_) }

# The partition where an email's user lives, from the partitions themselves.
sub home_of
{
	my ($email) = @_;
	my @home = grep { psql_in($partitions[$_], "SELECT count(*) FROM authoob.users WHERE email = '$email'") }
	  0 .. $#partitions;
	return @home == 1 ? $home[0] : "in @home";
}

# --- users spread over both partitions, with ids unique across them
my @emails = map { "user$_\@shard.test" } 1 .. 16;
my %token = map { $_ => register_user($front, $_, $password) } @emails;
my %home = map { $_ => home_of($_) } @emails;
is_deeply([ sort { $a <=> $b } uniq(values %home) ], [ 0, 1 ], 'sixteen users live on both partitions');
is(scalar(grep { $home{$_} eq partition_of($db, email => $_) } @emails), 16,
	'each where the proxy routes its lower-cased email');
my @ids = map { psql_in($_, 'SELECT id FROM authoob.users') } @partitions;
@ids = map { split /\n/ } @ids;
is(scalar(uniq(@ids)), 16, 'their ids are unique across the partitions');
is(scalar(grep { user_id($db, $_) % 2 == $home{$_} } @emails), 16, 'an id is its partition modulo 2');
is($front->register(uc $emails[0], password1 => $password, password2 => $password)->{status}, 409,
	'the same address in capitals is the same account: 409');

# --- an access token leads to its user's partition
my ($one) = grep { $home{$_} == 1 } @emails;
my ($zero) = grep { $home{$_} == 0 } @emails;
my $r = $front->request(GET => '/profile', token => $token{$one});
is_deeply([ $r->{status}, $r->{json}{email} ], [ 200, $one ], 'a user of partition 1: its token works through the proxy');
$r = $front->request(GET => '/profile', token => $token{$zero});
is_deeply([ $r->{status}, $r->{json}{email} ], [ 200, $zero ], 'and one of partition 0');
is($front->request(GET => '/verify', token => $token{$one})->{status}, 200, 'verify');
is($front->request(GET => '/profile/' . user_id($db, $one))->{status}, 200, 'a public profile by id, from its partition');
is($front->request(GET => '/profile/' . (user_id($db, $one) + 2 * 1000))->{status}, 404, 'an unknown id: 404');
is($front->request(GET => '/sessions', token => $token{$one})->{status}, 200, 'the sessions of a user of partition 1');

# --- a forged token naming another user's id is refused where it leads
my ($header, $payload, $signature) = split /\./, $token{$zero};
my $claims = json_decode(decode_base64url($payload));
$claims->{sub} = user_id($db, $one);
my $forged = join '.', $header, encode_base64url(json_encode($claims)), $signature;
is_error($front->request(GET => '/profile', token => $forged), 401, 'Authentication failed',
	'a token of partition 0 with the sub of a partition 1 user: 401');
$claims->{sub} = '999999999';
$forged = join '.', $header, encode_base64url(json_encode($claims)), $signature;
is_error($front->request(GET => '/profile', token => $forged), 401, 'Authentication failed', 'with an unknown sub: 401');
is_error($front->request(GET => '/profile', token => 'not.a.token'), 401, 'Authentication failed', 'garbage: 401');

# --- the mailer delivers each partition's mails, once
sub mails_to
{
	my ($to) = @_;
	opendir(my $dir, "$maildir") or die;
	return grep { lc(json_decode(slurp("$maildir/$_"))->{rcpt_tos}[0]) eq lc $to } grep { /\.json\z/ } readdir $dir;
}
# a row marked sent is never delivered again: once all are, count
ok(wait_until(sub { !grep { psql_in($_, q{SELECT count(*) FROM authoob.mail_outbox WHERE state <> 'sent'}) } @partitions }, 30),
	'on both partitions, every activation mail is marked sent');
is(scalar(grep { mails_to($_) == 1 } @emails), 16, 'each arrived, once');
is_deeply([ map { psql_in($_, q{SELECT count(*) FROM authoob.mail_outbox WHERE attempts <> 1}) } @partitions ],
	[ 0, 0 ], 'every mail sent at the first attempt');
my @mail_ids = map { split /\n/, psql_in($_, 'SELECT id FROM authoob.mail_outbox') } @partitions;
is(scalar(uniq(@mail_ids)), scalar(@mail_ids), 'mail ids are unique across the partitions');

# --- mailed tokens lead to their partition
for my $email ($one, $zero)
{
	my $activation = mailed_token($db, $email, 'activation');
	is(partition_of($db, token => $activation), $home{$email}, "the activation token of $email hashes to its partition");
	is($front->request(POST => "/activate/$activation")->{status}, 201, "and activates it through the proxy");
	is(psql_in($partitions[ $home{$email} ], "SELECT confirmed_at IS NOT NULL FROM authoob.users WHERE email = '$email'"),
		't', 'on its partition');
	is($front->request(POST => '/password/ask', json => { email => $email })->{status}, 204, "password/ask for $email");
	ok(wait_until(sub { psql_in($partitions[ $home{$email} ],
		"SELECT count(*) FROM authoob.mail_outbox WHERE recipient = '$email' AND kind = 'reset'") == 1 }, 10),
		'the reset mail is made on its partition');
	my $reset = mailed_token($db, $email, 'reset');
	is(partition_of($db, token => $reset), $home{$email}, 'its token hashes there too');
	is($front->request(PUT => '/password/reset/token',
		json => { token => $reset, password1 => "${password}x", password2 => "${password}x" })->{status}, 204,
		'and resets the password through the proxy');
	is($front->login($email, "${password}x")->{status}, 200, 'the new password signs in');
}

# --- refresh tokens lead to their partition, rotation after rotation; the
# grant_type of the body or, when it has none, of the query string decides
$r = $front->request(POST => '/token?grant_type=password', json => { email => $one, password => "${password}x" });
is($r->{status}, 200, 'the token endpoint signs in a user of partition 1 (?grant_type=password)');
my $refresh = $r->{json}{refresh_token};
for my $turn (1 .. 4)
{
	is(partition_of($db, token => $refresh), 1, "refresh token $turn hashes to partition 1");
	my ($query, %grant) = $turn % 2 ? ('', grant_type => 'refresh_token') : ('?grant_type=refresh_token');
	$r = $front->request(POST => "/token$query", json => { %grant, refresh_token => $refresh });
	is($r->{status}, 200, "refresh $turn: 200" . ($query ? " ($query)" : ''));
	$refresh = $r->{json}{refresh_token};
}

# --- Supabase Auth's protocol: a recovery in the PKCE flow, its mailed
# token and then its one-time code each leading to the user's partition
$front->set_prefix('/auth/v1');
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
my $verifier = encode_base64url(sha256('a verifier only this client knows'));
my $challenge = encode_base64url(sha256($verifier));
for my $email ($one, $zero)
{
	my $home = $partitions[ $home{$email} ];
	for my $turn (1 .. 3)
	{
		my $before = psql_in($home, "SELECT count(*) FROM authoob.mail_outbox WHERE recipient = '$email' AND kind = 'recovery'");
		$r = $front->request(POST => '/recover',
			json => { email => $email, code_challenge => $challenge, code_challenge_method => 's256' });
		is($r->{status}, 200, "POST /auth/v1/recover for $email ($turn)");
		ok(wait_until(sub { psql_in($home, "SELECT count(*) FROM authoob.mail_outbox
			WHERE recipient = '$email' AND kind = 'recovery'") > $before }, 10), 'its mail is made on its partition');
		my $reset = mailed_token($db, $email, 'recovery');
		$r = $front->request(GET => "/verify?type=recovery&token=$reset");
		my ($code) = ($r->{headers}{location} // '') =~ m{^http://app\.test\?code=([A-Za-z0-9_-]{43})$};
		ok($code, 'GET /auth/v1/verify: 303 to the app with a one-time code') or diag("$r->{status} $r->{content}");
		is(partition_of($db, token => $code // ''), $home{$email}, 'the code hashes to the user\'s partition');
		$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $verifier });
		is_deeply([ $r->{status}, $r->{json}{user}{email} ], [ 200, $email ], 'and signs the user in through the proxy');
		is($front->request(GET => '/user', token => $r->{json}{access_token})->{json}{email}, $email,
			'GET /auth/v1/user with its session');
	}
}
$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => 'A' x 43, code_verifier => $verifier });
is_deeply([ $r->{status}, $r->{json}{error_code} ], [ 404, 'flow_state_not_found' ],
	'a made-up code is refused where it leads');
$front->set_prefix('/authoob');
$front->{http} = HTTP::Tiny->new(timeout => 30);

# --- a failed sign-in stays recorded on the account's partition
is($front->login($one, 'Wr0ngpassword')->{status}, 401, 'a wrong password: 401');
is(psql_in($partitions[1], "SELECT consecutive FROM authoob.throttle WHERE scope = 'login' AND key = '$one'"), 1,
	'the failure is committed on the account\'s partition although the request failed');
is(psql_in($partitions[0], "SELECT count(*) FROM authoob.throttle WHERE scope = 'login'"), 0, 'and only there');

# --- rights: the proxy's other roles reach the partitions as authoob_api
psql_in($db, q{DROP ROLE IF EXISTS shard_front_test;
	CREATE ROLE shard_front_test LOGIN PASSWORD 'shard_front_test' IN ROLE authoob_api});
like(psql_as($db, 'shard_front_test', q{SELECT authoob_configure('{"token_ttl": 1}')}), qr/permission denied/,
	'the front\'s role may not configure through the proxy');
like(psql_as($db, 'shard_front_test', q{SELECT * FROM authoob_shard.authoob_configure('{"token_ttl": 1}')}),
	qr/permission denied/, 'nor call the PL/Proxy function itself');
like(psql_as($db, 'shard_front_test', q{CREATE FUNCTION steer(t text) RETURNS SETOF jsonb LANGUAGE plproxy
	AS $$ CLUSTER 'authoob'; RUN ON ALL; SELECT authoob_configure('{"token_ttl": 1}'); $$}),
	qr/permission denied/, 'nor write a PL/Proxy function of its own');
like(psql_as($db, 'shard_front_test', q{SELECT authoob_verify_role('x', 'customer')}), qr/^ERROR: .*Authentication failed/,
	'the functions it may call run on the partitions, which answer');
like(psql_as($db, 'shard_front_test', qq{CALL authoob_attempt('gotrue_token',
	'{"grant_type": "password", "email": "$one", "password": "${password}x"}', NULL, NULL)}), qr/"access_token"/,
	'authoob_attempt routes its actions for it too (a Supabase Auth password grant)');
like(psql_as($db, 'shard_front_test', q{INSERT INTO authoob_shard.attempts VALUES ('login', 'x', 'hash')}),
	qr/permission denied/, 'but it may not change where they run');
my $api_user = psql_in($db, q{SELECT option_value FROM pg_user_mappings um,
	pg_options_to_table(um.umoptions) WHERE um.usename = 'public' AND option_name = 'user'});
like(psql_as($partitions[0], $api_user, q{SELECT authoob_configure('{"token_ttl": 1}')}), qr/permission denied/,
	"there, as $api_user, it could not configure either");
# what it calls runs there as that user, not as the administrator whose
# conninfos made the cluster: a right taken from authoob_api on the
# partition is gone for it through the proxy too
psql_in($partitions[0], 'REVOKE EXECUTE ON FUNCTION authoob_settings() FROM authoob_api');
like(psql_as($db, 'shard_front_test', q{SELECT authoob_settings() ->> 'token_ttl'}), qr/permission denied/,
	"a call through the proxy runs on the partition as $api_user, with authoob_api's rights alone");
psql_in($partitions[0], 'GRANT EXECUTE ON FUNCTION authoob_settings() TO authoob_api');
is(psql_as($db, 'shard_front_test', q{SELECT authoob_settings() ->> 'token_ttl'}), 1234, '(the right given back, it answers)');
# and the administrator's credentials are not in the server's options,
# which every role of the proxy reads
is(psql_as($db, 'shard_front_test', q{SELECT count(*) FROM pg_foreign_server s, pg_options_to_table(s.srvoptions)
	WHERE s.srvname = 'authoob' AND option_value ~ '(^|\s)(user|password)\s*='}), 0,
	'no partition conninfo in the server\'s options names a user or password, for every role to read');
is_deeply([ map { psql_in($_, q{SELECT authoob_settings() ->> 'token_ttl'}) } @partitions ], [ 1234, 1234 ],
	'nothing changed');

# --- a partition the proxy cannot reach: its users get 503, the others are served
my $p1 = psql_in($db, q{SELECT option_value FROM pg_foreign_server s, pg_options_to_table(s.srvoptions)
	WHERE s.srvname = 'authoob' AND option_name = 'p1'});
(my $gone = $p1) =~ s/dbname=\S+/dbname=${db}_gone/;
# (the password resets above ended their sessions: sign in again)
$token{$_} = $front->login($_, "${password}x")->{json}{token} for $one, $zero;
psql_in($db, "ALTER SERVER authoob OPTIONS (SET p1 '$gone')");
is_error($front->request(GET => '/profile', token => $token{$one}), 503, 'Service unavailable',
	'partition 1 unreachable: its user gets 503, not a wrong answer');
is($front->request(GET => '/profile', token => $token{$zero})->{status}, 200, 'a user of partition 0 is served');
psql_in($db, "ALTER SERVER authoob OPTIONS (SET p1 '$p1')");
is($front->request(GET => '/profile', token => $token{$one})->{status}, 200, 'partition 1 back: served again');

# --- the proxy is made of one table of routes
is(psql_in($db, q{SELECT count(*) FROM authoob_shard.routes r WHERE NOT EXISTS (SELECT 1 FROM pg_proc p
	WHERE p.pronamespace = 'public'::regnamespace AND p.proname = split_part(r.signature, '(', 1))}), 0,
	'each route is a function of the proxy');
# and every function the front calls, every action of authoob_attempt, is routed
my $front_source = join '', map { slurp($_) } glob "$FindBin::Bin/../frontend/*.c";
my @called = uniq($front_source =~ /\b(authoob_\w+)\(/g);
my @actions = uniq($front_source =~ /\bauthoob_attempt\('(\w+)'/g);
ok(@called > 20 && @actions >= 7, scalar(@called) . ' functions the front calls, ' . scalar(@actions) . ' attempt actions');
is_deeply([ grep { psql_in($db, "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname = '$_'") == 0 } @called ],
	[], 'the proxy has each function the front calls');
# ... and takes as many arguments as the front passes it (of a function
# with two forms, such as authoob_attempt, the one the front calls)
my %arities;
while ($front_source =~ /\b(authoob_\w+)(\((?:[^()']++|'[^']*'|(?2))*\))/g)
{
	my ($name, $args) = ($1, substr($2, 1, -1));
	1 while $args =~ s/\([^()]*\)|'[^']*'/x/g;	# what nests, and quoted commas
	$arities{"$name/" . ($args =~ /\S/ ? 1 + ($args =~ tr/,//) : 0)} = 1;
}
is_deeply([ grep { my ($name, $n) = split m{/}; psql_in($db, "SELECT count(*) FROM pg_proc
		WHERE pronamespace = 'public'::regnamespace AND proname = '$name'
		  AND $n BETWEEN pronargs - pronargdefaults AND pronargs") == 0 } sort keys %arities ],
	[], 'with as many arguments as the front passes (' . join(', ', grep { m{^authoob_attempt/} } sort keys %arities) . ')');
is_deeply([ grep { psql_in($db, "SELECT count(*) FROM authoob_shard.attempts WHERE action = '$_'") == 0 } @actions ],
	[], 'and routes each action of authoob_attempt');

# --- a partition number must make sense
like(qx{psql -X -d $partitions[0] -c 'SELECT authoob_set_partition(0, 3)' 2>&1}, qr/invalid partition 0 of 3/,
	'authoob_set_partition refuses a count that is not a power of two');
like(qx{psql -X -d $partitions[0] -c 'SELECT authoob_set_partition(2, 2)' 2>&1}, qr/invalid partition 2 of 2/,
	'and a number past the count');
is(psql_in($partitions[0], 'SELECT partition || \' of \' || partitions FROM authoob.partition'), '0 of 2',
	'which changes nothing');

is($front->stop('TERM'), 0, 'front stops cleanly');
done_testing();
