# Supabase Auth's protocol under gotrue_prefix (docs/supabase.md),
# driven by the real @supabase/auth-js as pinned in t/js/package-lock.json
# (t/js/authjs_flow.mjs): sign-up with and without confirmation (the token
# of the mail the real SMTP server received), sign-in, the user, refresh
# and reuse, claims verified through the JWKS, sign-out scopes, recovery,
# and the auth events.  Beside them, what an attacker sends: bad JSON,
# wrong types, huge bodies, foreign redirects, replays.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use MIME::Base64 ();
use POSIX ':sys_wait_h';
use Time::HiRes qw(sleep time);
use Test::More;

my $js = "$FindBin::Bin/js";
my $node = $ENV{NODE} // 'node';
skip_all_missing("no $node (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
skip_all_missing('oathtool is not installed (Debian: apt-get install oathtool)')
  unless system('command -v oathtool >/dev/null 2>&1') == 0;
my $python = '/usr/bin/python3';
skip_all_missing('python3-aiosmtpd is not installed')
  unless system("$python -c 'import aiosmtpd' 2>/dev/null") == 0;
unless (-e "$js/node_modules/\@supabase/auth-js/package.json")
{
	fail('@supabase/auth-js is installed in t/js (npm ci --prefix t/js)');
	done_testing();
	exit;
}

# --- the real SMTP server, its mails in $maildir
my $maildir = File::Temp->newdir;
my $sink_log = File::Temp->new;
my $sink_pid = fork // die "fork: $!";
if ($sink_pid == 0)
{
	open(STDOUT, '>', $sink_log->filename) or POSIX::_exit(127);
	open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
	exec($python, "$FindBin::Bin/../scripts/mail_sink.py", '--port', 0, '--maildir', "$maildir")
	  or POSIX::_exit(127);
}
END { if ($sink_pid) { local $?; kill 'TERM', $sink_pid; waitpid($sink_pid, 0) } }
my $sink_port;
wait_until(sub { (do { local (@ARGV, $/) = ($sink_log->filename); <> } // '') =~ /listening on 127\.0\.0\.1:(\d+)/
	  and $sink_port = $1 }, 10) or die 'mail_sink.py did not start';

sub slurp { my ($file) = @_; open(my $fh, '<:raw', $file) or die "$file: $!"; local $/; <$fh> }

# The tokens of the mails to $to whose link matches $re, in order
sub mailed_tokens
{
	my ($to, $re) = @_;
	my @tokens;
	opendir(my $dir, "$maildir") or return ();
	for my $name (sort grep { /\.json\z/ } readdir $dir)
	{
		my $mail = json_decode(slurp("$maildir/$name"));
		next unless grep { lc $_ eq lc $to } @{ $mail->{rcpt_tos} };
		my ($text) = map { $_->{content} } grep { $_->{content_type} eq 'text/plain' } @{ $mail->{parts} };
		push @tokens, $1 if ($text // '') =~ $re;
	}
	return @tokens;
}

# What a mail of the dialect carries: the link's token (its token_hash) and
# the code
my $signup_link = qr{http://127\.0\.0\.1:\d+/auth/v1/verify\?token=([A-Za-z0-9_-]{43})&type=signup&redirect_to=};
my $recovery_link = qr{http://127\.0\.0\.1:\d+/auth/v1/verify\?token=([A-Za-z0-9_-]{43})&type=recovery&redirect_to=};
my $mailed_code = qr{code: (\d{6})\b};
my $mailed_url = qr{(http://\S+/verify\?\S+)};

# The token of the $count-th such mail (the first by default), waiting for it
sub mailed
{
	my ($to, $re, $count) = @_;
	$count //= 1;
	wait_until(sub { mailed_tokens($to, $re) >= $count }, 30);
	return (mailed_tokens($to, $re))[ $count - 1 ] // die "no mail $count to $to";
}

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"signing_alg": "ES256", "refresh_reuse_interval": 0}')});
my $front = AuthoobTest::Front->start(db => $db,
	args => [ '--smtp-url', "smtp://127.0.0.1:$sink_port", '--mail-sweep', 1 ]);
$front->set_prefix('/auth/v1');
my $base = 'http://127.0.0.1:' . $front->port . '/auth/v1';
# the mailed links lead to this front
psql($db, sprintf(q{SELECT authoob_configure('{"api_url": "http://127.0.0.1:%d"}')}, $front->port));
my $password = strong_password();

# Runs a step of t/js/authjs_flow.mjs; each of its lines is a test.
sub authjs
{
	my ($step, %args) = @_;
	open(my $out, '-|', $node, "$js/authjs_flow.mjs", $step, $base, json_encode(\%args))
	  or die "cannot run $node: $!";
	my $lines = 0;
	while (my $line = <$out>)
	{
		my $check = eval { json_decode($line) };
		unless (ref $check eq 'HASH') { fail("$step: $line"); next }
		$lines++;
		ok($check->{ok}, "auth-js: $check->{name}") or diag(json_encode($check->{got}));
	}
	close $out;
	is($? >> 8, 0, "auth-js step $step ran to its end") && ok($lines, "$step checked something");
}

authjs('confirm_off', email => 'ada@example.com', password => $password);
like(join("\n", $front->access_lines), qr{GET /auth/v1/\.well-known/jwks\.json 200}, 'getClaims fetched the JWKS');

# --- Supabase apps' ids: with jwt_sub 'uuid' (from here on), the user's id
# is their uuid, in the tokens and in every answer; user_metadata is free
psql($db, q{SELECT authoob_configure('{"jwt_sub": "uuid"}')});
authjs('identity', email => 'uuid@example.com', password => $password);
my $uuid_re = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
# row-level security in the app's database, as Supabase's docs write it,
# with the claims of a token the front issued (PostgREST's part played by
# hand): auth.uid() is the user's uuid
sub claims_of { json_decode(MIME::Base64::decode_base64url((split /\./, $_[0])[1])) }
my %rls_token = map {
	my $r = $front->request(POST => '/token?grant_type=password', json => { email => $_, password => $password });
	($_ => $r->{json}{access_token})
} qw(uuid@example.com ada@example.com);
like(claims_of($rls_token{'uuid@example.com'})->{sub}, $uuid_re, 'a token of the front: its sub is a uuid');
# (a database of its own, where authoob is not installed: the helpers do
# not need it)
my $app = "authoob_t019_app_$$";
system('createdb', $app) == 0 or die "createdb $app failed";
END { system('dropdb', '--if-exists', $app) if $app }
psql($app, q{CREATE EXTENSION authoob_supabase});
psql($app, q{CREATE TABLE todos (id serial, user_id uuid NOT NULL DEFAULT auth.uid(), task text);
	ALTER TABLE todos ENABLE ROW LEVEL SECURITY;
	CREATE POLICY "own todos" ON todos USING (auth.uid() = user_id) WITH CHECK (auth.uid() = user_id);
	DROP ROLE IF EXISTS t019_authenticated; CREATE ROLE t019_authenticated;
	GRANT SELECT, INSERT ON todos TO t019_authenticated; GRANT USAGE ON SEQUENCE todos_id_seq TO t019_authenticated});
sub as_user
{
	my ($who, $sql) = @_;
	my $claims = json_encode(claims_of($rls_token{$who}));
	$claims =~ s/'/''/g;
	my $out = psql($app, qq{BEGIN; SET LOCAL ROLE t019_authenticated;
		SELECT set_config('request.jwt.claims', '$claims', true) IS NULL; $sql; COMMIT;});
	# the last line: what $sql answered
	return (split /\n/, $out)[-1];
}
as_user('uuid@example.com', q{INSERT INTO todos (task) VALUES ('mine')});
is(as_user('uuid@example.com', q{SELECT count(*) FROM todos}), 1, 'auth.uid() = user_id: the user sees their row');
is(as_user('ada@example.com', q{SELECT count(*) FROM todos}), 0, 'another user sees nothing');
is(psql($app, q{SELECT user_id FROM todos}), claims_of($rls_token{'uuid@example.com'})->{sub},
	'the row holds the uuid of the token');
is(psql($db, qq{SELECT uuid FROM authoob.users WHERE email = 'uuid\@example.com'}),
	claims_of($rls_token{'uuid@example.com'})->{sub}, 'which is the user\'s in authoob.users');
psql($app, q{DROP TABLE todos; DROP ROLE t019_authenticated});

# --- second factors (docs/security.md): enrol, challenge, verify with
# oathtool's codes, the assurance levels before and after, what an aal1
# session may not do, unenrol; a factor of another user is none of theirs
my $bea = $front->request(POST => '/signup', json => { email => 'bea-mfa@example.com', password => $password });
my $bea_factor = $front->request(POST => '/factors', json => { factor_type => 'totp', friendly_name => 'bea' },
	headers => { Authorization => "Bearer $bea->{json}{access_token}" });
is($bea_factor->{status}, 200, 'another user enrols a factor');
authjs('mfa', email => 'mfa@example.com', password => $password, other_factor => $bea_factor->{json}{id});

# --- with confirmation: the token of the mail the SMTP server received
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
authjs('confirm_on_signup', email => 'grace@example.com', password => $password);
my $activation = mailed('grace@example.com', $signup_link);
authjs('confirm_on_verify', email => 'grace@example.com', password => $password, token => $activation);
# Waits until the mailers have taken every request and sent every mail
sub mails_settled
{
	wait_until(sub { psql($db, q{SELECT (SELECT count(*) FROM authoob.mail_requests)
		+ (SELECT count(*) FROM authoob.mail_outbox WHERE state IN ('pending', 'sending'))}) == 0 }, 30);
}

# resend: another activation mail, at most one per address and interval,
# and the same answer for any address
authjs('confirm_on_signup', email => 'resend@example.com', password => $password);
mailed('resend@example.com', $signup_link);
authjs('resend', email => 'resend@example.com');
my $again = mailed('resend@example.com', $signup_link, 2);
authjs('resend', email => 'resend@example.com');
authjs('resend', email => 'nobody@example.com');
authjs('confirm_on_verify', email => 'resend@example.com', password => $password, token => $again);
authjs('resend', email => 'resend@example.com');
mails_settled();
is(scalar mailed_tokens('resend@example.com', $signup_link), 2,
	'no third mail: one resend per interval, and none once activated');
is(scalar mailed_tokens('nobody@example.com', qr{.}), 0, 'no mail to an unknown address');
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 0}')});
authjs('resend', email => 'resend@example.com');
mails_settled();
is(scalar mailed_tokens('resend@example.com', $signup_link), 2, 'none to an activated account');
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 60}')});
is_gotrue_error($front->request(POST => '/resend', json => { type => 'sms', phone => '+33600000000' }), 400,
	'phone_provider_disabled', 'resend by SMS: as GoTrue with phone off');
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});

# --- recovery by mail
authjs('recover_ask', email => 'ada@example.com');
my $reset = mailed('ada@example.com', $recovery_link);
my $reset_password = strong_password('2');
authjs('recover_verify', email => 'ada@example.com', password => $password, token => $reset,
	new_password => $reset_password);

# --- the mails' 6-digit codes: verifyOtp({email, token, type})
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
authjs('confirm_on_signup', email => 'otp@example.com', password => $password);
my $otp = mailed('otp@example.com', $mailed_code);
authjs('code_wrong', email => 'otp@example.com', type => 'signup', code => sprintf('%06d', ($otp + 1) % 1000000));
authjs('code_verify', email => 'otp@example.com', type => 'signup', code => $otp);
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
psql($db, q{SELECT authoob_clear_throttle()});
authjs('recover_ask', email => 'otp@example.com');
authjs('code_verify', email => 'otp@example.com', type => 'recovery', code => mailed('otp@example.com', $mailed_code, 2));
like(psql($db, q{SELECT string_agg(body_text, ' ') FROM authoob.mail_outbox}), qr/Or enter this code: \d{6}/,
	'the outbox holds the codes in the mails alone') &&
is(psql($db, q{SELECT count(*) FROM authoob.mail_tokens WHERE code_hash IS NOT NULL AND length(code_hash) = 32}),
	psql($db, q{SELECT count(*) FROM authoob.mail_tokens WHERE code_hash IS NOT NULL}), 'the tokens keep HMACs of them');

# a code is guessed as a password is: the address is blocked after a few
# wrong codes (a doubling wait, at most login_failures_per_hour an hour),
# the right code too while it lasts, so its million values cannot be tried
psql($db, q{SELECT authoob_clear_throttle()});
# the hourly cap (100 by default: 10^6 codes would take 10^4 hours, longer
# than any code lives) lowered to 5, so that the block outlasts the test
psql($db, q{SELECT authoob_configure('{"login_failures_per_hour": 5}')});
authjs('recover_ask', email => 'otp@example.com');
my $right = mailed('otp@example.com', $mailed_code, 3);
my @tries = map { $front->request(POST => '/verify', json => { email => 'otp@example.com', type => 'recovery',
	token => sprintf('%06d', ($right + $_) % 1000000) }) } 1 .. 8;
is_deeply([ map { $_->{status} } @tries[0 .. 4] ], [ (403) x 5 ], 'wrong codes: 403 each, until ...');
my ($blocked) = grep { $_->{status} == 429 } @tries;
ok($blocked && $blocked->{headers}{'retry-after'} =~ /^\d+$/, '... the address is blocked: 429 with Retry-After');
is($front->request(POST => '/verify', json => { email => 'otp@example.com', type => 'recovery', token => $right })->{status},
	429, 'the right code too, while the block lasts');
is(psql($db, q{SELECT consecutive >= 5 FROM authoob.throttle WHERE scope = 'login' AND key = 'otp@example.com'}), 't',
	'the wrong codes counted against the address, as wrong passwords');
is($front->request(POST => '/token?grant_type=password', json => { email => 'otp@example.com', password => $password })->{status},
	429, 'and its password sign-ins wait as well: one limit for every guess');
psql($db, q{SELECT authoob_configure('{"login_failures_per_hour": 100}')});
psql($db, q{SELECT authoob_clear_throttle()});
is($front->request(POST => '/verify', json => { email => 'otp@example.com', type => 'recovery', token => $right })->{status},
	200, 'once the block is over, the right code signs in');

# --- following the mailed link itself ({{ .ConfirmationURL }}), implicit flow
authjs('recover_ask', email => 'otp@example.com');
my ($url) = mailed('otp@example.com', $mailed_url, 4);
like($url, qr{/auth/v1/verify\?token=[A-Za-z0-9_-]{43}&type=recovery&redirect_to=http%3A%2F%2Fapp\.test%2Freset$},
	"the recovery mail's link: GoTrue's, to the redirectTo asked for");
my $followed = HTTP::Tiny->new(timeout => 30, max_redirect => 0)->get($url);
like($followed->{headers}{location} // '', qr{^http://app\.test/reset#access_token=[^&]+&.*&type=recovery$},
	'following it: 303 to the app, the session in the fragment');

# --- the dialect's errors, and what an attacker sends
is_gotrue_error($front->request(POST => '/signup', body => '{"email": '), 400, 'bad_json', 'bad JSON: 400 bad_json');
is_gotrue_error($front->request(POST => '/signup', json => [1]), 400, 'bad_json', 'not an object: 400 bad_json');
is_gotrue_error($front->request(POST => '/signup', json => { email => 5, password => [] }), 422, 'weak_password',
	'wrong types: refused by the same rules as P/register');
is_gotrue_error($front->request(POST => '/token?grant_type=password', json => { email => {}, password => 1 }), 400,
	'validation_failed', 'sign-in with wrong types: 400');
is_gotrue_error($front->request(PUT => '/user', json => { data => 'x' }, headers => { Authorization => 'Bearer x' }), 403,
	'bad_jwt', 'a bad token: 403 bad_jwt');
my $users = psql($db, 'SELECT count(*) FROM authoob.users');
is_gotrue_error($front->raw($front->raw_request(POST => '/signup', content_type => 'application/json',
	body => '{"email":"' . ('a' x (2 * 1024 * 1024)) . '"}')), 413, 'request_too_large', 'a huge body: 413');
is(psql($db, 'SELECT count(*) FROM authoob.users'), $users, 'and nothing changed');
is_gotrue_error($front->request(GET => '/nothing'), 404, 'not_found', 'unknown path under /auth/v1: 404 in the dialect');
my $r = $front->request(POST => '/token?grant_type=password', json => { email => 'ada@example.com', password => 'x' },
	headers => { 'X-Supabase-Api-Version' => '2024-01-01' });
is_deeply([ $r->{status}, $r->{json}, $r->{headers}{'x-supabase-api-version'}, $r->{headers}{'x-sb-error-code'} ],
	[ 400, { code => 'invalid_credentials', message => 'Invalid login credentials' }, '2024-01-01', 'invalid_credentials' ],
	'API version 2024-01-01: {"code": <error code>, "message"} alone, the version and the code in headers');
$r = $front->request(POST => '/token?grant_type=password', json => { email => 'ada@example.com', password => 'x' });
is_deeply([ $r->{status}, $r->{json}, $r->{headers}{'x-supabase-api-version'}, $r->{headers}{'x-sb-error-code'} ],
	[ 400, { code => 400, error_code => 'invalid_credentials', msg => 'Invalid login credentials' }, undef,
	  'invalid_credentials' ], 'no API version: {"code": <status>, "error_code", "msg"}, no version echoed');
ok(!exists $front->request(GET => '/settings', headers => { 'X-Supabase-Api-Version' => '2024-01-01' })
	->{headers}{'x-supabase-api-version'}, 'a success echoes no API version, as GoTrue');
for my $version (undef, '2024-01-01')
{
	$r = $front->request(POST => '/signup', json => { email => 'weak@example.com', password => 'Sh0rt' },
		headers => { $version ? ('X-Supabase-Api-Version' => $version) : () });
	is_deeply([ $r->{status}, $r->{json}{weak_password}, $r->{json}{$version ? 'message' : 'msg'} ],
		[ 422, { reasons => ['length'] }, 'Password should be at least 8 characters.' ],
		'a weak password: 422, weak_password.reasons in the body (API version ' . ($version // 'none') . ')');
}
# not built: GoTrue's answer with that feature off; a route GoTrue serves a
# signed-in user checks the token first
for ([ GET => '/authorize?provider=github', 400, 'validation_failed' ], [ POST => '/signup', 422, 'anonymous_provider_disabled' ],
	[ POST => '/token?grant_type=web3', 422, 'web3_provider_disabled' ],
	[ POST => '/token?grant_type=magic', 400, 'invalid_credentials' ], [ POST => '/sso', 404, 'saml_provider_disabled' ],
	[ GET => '/sso/saml/metadata', 404, 'saml_provider_disabled' ],
	map({ [ @$_, 401, 'no_authorization' ] } [ POST => '/factors' ], [ GET => '/reauthenticate' ],
		[ GET => '/user/identities/authorize' ], [ DELETE => '/user/identities/i1' ], [ GET => '/admin/users' ],
		[ POST => '/invite' ], [ POST => '/admin/generate_link' ], [ POST => '/logout' ], [ GET => '/user' ]))
{
	my ($method, $path, $status, $code) = @$_;
	is_gotrue_error($front->request($method, $path, json => {}), $status, $code, "$method G$path: $status $code");
}
# signInWithIdToken is built (t/026): without an ID token, GoTrue's OAuth error
is_deeply($front->request(POST => '/token?grant_type=id_token', json => {})->{json},
	{ error => 'invalid request', error_description => 'id_token required' }, 'POST G/token?grant_type=id_token without one: id_token required');
for ([ POST => '/factors' ], [ GET => '/reauthenticate' ], [ GET => '/user/identities/authorize' ], [ GET => '/admin/users' ],
	[ POST => '/logout' ], [ GET => '/user' ])
{
	is_gotrue_error($front->request(@$_, json => {}, headers => { Authorization => 'Bearer x.y.z' }), 403, 'bad_jwt',
		"$_->[0] G$_->[1] with a malformed token: 403 bad_jwt");
}
my $ada = $front->request(POST => '/token?grant_type=password', json => { email => 'ada@example.com', password => $reset_password });
my $bearer = { Authorization => "Bearer $ada->{json}{access_token}" };
for ([ GET => '/user/identities/authorize', 404, 'manual_linking_disabled' ], [ GET => '/admin/users', 403, 'not_admin' ],
	[ POST => '/invite', 403, 'not_admin' ])
{
	my ($method, $path, $status, $code) = @$_;
	is_gotrue_error($front->request($method, $path, json => {}, headers => $bearer), $status, $code,
		"$method G$path with a user's token: $status $code");
}

# throttling as through P/login: 429 over_request_rate_limit with Retry-After
psql($db, q{SELECT authoob_configure('{"login_free_failures": 2}')});
my @statuses = map { $front->request(POST => '/token?grant_type=password',
	json => { email => 'ada@example.com', password => "wrong$_" }) } 1 .. 4;
my ($limited) = grep { $_->{status} == 429 } @statuses;
ok($limited, 'repeated wrong passwords: 429');
is($limited && $limited->{json}{error_code}, 'over_request_rate_limit', 'error_code over_request_rate_limit');
like($limited && $limited->{headers}{'retry-after'}, qr/^\d+$/, 'with Retry-After');
psql($db, q{SELECT authoob_clear_throttle()});

# the mailed link: redirects only to allowed URLs, tokens in the fragment
psql($db, q{SELECT authoob_configure('{"require_activation": true, "redirect_urls": "http://allowed.test/cb"}')});
authjs('confirm_on_signup', email => 'link1@example.com', password => $password);
my $t1 = mailed('link1@example.com', $signup_link);
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
$r = $front->request(GET => "/verify?type=signup&token=$t1&redirect_to=http://evil.test/steal");
is($r->{status}, 303, 'GET /verify: 303');
like($r->{headers}{location}, qr{^http://app\.test#access_token=[^&]+&expires_at=\d+&expires_in=\d+&refresh_token=[A-Za-z0-9_-]{43}&token_type=bearer&type=signup$},
	'a foreign redirect_to falls back to app_url, the session in the fragment');
$r = $front->request(GET => "/verify?type=signup&token=$t1&redirect_to=http://allowed.test/cb");
is($r->{status}, 303, 'the link again: refused (single use), as GoTrue: back to the app');
is($r->{headers}{location}, 'http://allowed.test/cb#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired&sb=',
	'with the error in the fragment');
authjs('confirm_on_signup', email => 'link2@example.com', password => $password);
my $t2 = mailed('link2@example.com', $signup_link);
$r = $front->request(GET => "/verify?type=signup&token=$t2&redirect_to=http://allowed.test/cb?x=1");
like($r->{headers}{location} // '', qr{^http://allowed\.test/cb\?x=1#access_token=}, 'an allowed redirect_to is followed');
$r = $front->request(GET => "/verify?type=signup&token=$t2&redirect_to=http://allowed.test.evil/cb");
like($r->{headers}{location} // '', qr{^http://app\.test#error=access_denied&error_code=otp_expired&},
	'a spent token, a foreign redirect: the error to app_url');
is(psql($db, q{SELECT authoob_redirect_url('http://allowed.test/cbx')}), 'http://app.test', 'a look-alike URL is not allowed');
is(psql($db, q{SELECT authoob_redirect_url('http://allowed.test/cb@evil.test')}), 'http://app.test', 'nor a user-info trick');

# the PKCE flow: the link leads to the app with a one-time code, which signs
# in once, and only with the verifier of the client that asked for the mail
my $store = File::Temp->new;
authjs('pkce_signup', email => 'pkce@example.com', password => $password, store => $store->filename);
$r = $front->{http}->get(mailed('pkce@example.com', $mailed_url));
is($r->{status}, 303, 'PKCE: following the mailed link, 303');
my ($code) = ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$};
ok($code, 'PKCE link: a code in the query string, no token') or diag($r->{headers}{location});
my %kept = %{ json_decode(slurp($store->filename)) };
my ($verifier) = map { json_decode($kept{$_}) } grep { /-code-verifier$/ } keys %kept;
ok($verifier, 'auth-js kept its code verifier');
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => 'x' x 43 }),
	400, 'bad_code_verifier', 'the code with another verifier: refused');
authjs('pkce_exchange', email => 'pkce@example.com', store => $store->filename, code => $code);
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $verifier }),
	404, 'flow_state_not_found', 'the code again, with its verifier: refused (single use), 404 as GoTrue');
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => 'f' x 64, code_verifier => $verifier }),
	404, 'flow_state_not_found', 'a made-up code: refused');
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => '', code_verifier => $verifier }),
	400, 'validation_failed', 'no code: 400');
my $rstore = File::Temp->new;
authjs('pkce_recover_ask', email => 'pkce@example.com', store => $rstore->filename);
$r = $front->{http}->get(mailed('pkce@example.com', $mailed_url, 2));
($code) = ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$};
ok($code, 'PKCE recovery link: a code') or diag($r->{headers}{location});
authjs('pkce_recover_exchange', email => 'pkce@example.com', store => $rstore->filename, code => $code,
	new_password => strong_password('3'));

# each difference from GoTrue's answers, as auth-js surfaces it
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
authjs('errors', email => 'errors@example.com', password => $password);
# disable_signup: no sign-up in either dialect, and G/settings says so
psql($db, q{SELECT authoob_configure('{"disable_signup": true}')});
authjs('signup_disabled', email => 'late@example.com', password => $password);
is($front->request(GET => '/settings')->{json}{disable_signup}, JSON::PP::true, 'GET /settings: disable_signup true');
$front->set_prefix('/authoob');
is_error($front->request(POST => '/register', json => { email => 'late@example.com', password1 => $password,
	password2 => $password }), 403, 'Registration disabled', 'P/register with disable_signup: 403');
$front->set_prefix('/auth/v1');
psql($db, q{SELECT authoob_configure('{"disable_signup": false}')});
is(psql($db, q{SELECT count(*) FROM authoob.users WHERE email = 'late@example.com'}), 0, 'nobody registered');

# with confirmation, a known address is not told apart: a made-up user
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
$r = $front->request(POST => '/signup', json => { email => 'ada@example.com', password => $password });
is_deeply([ $r->{status}, $r->{json}{email}, exists $r->{json}{access_token}, $r->{json}{identities} ],
	[ 200, 'ada@example.com', '', [] ], 'sign-up of a known address with confirmation: 200, a user, no session');
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});

# --- anonymous sign-in (docs/supabase.md): off by default, then a user
# without an address whose tokens say is_anonymous
authjs('anonymous_off');
psql($db, q{SELECT authoob_configure('{"anonymous_signin": true}')});
is($front->request(GET => '/settings')->{json}{external}{anonymous_users}, JSON::PP::true,
	'GET /settings: anonymous_users true');
authjs('anonymous', password => $password);
is(psql($db, q{SELECT count(*) FROM authoob.users WHERE email IS NULL AND user_metadata ->> 'theme' = 'light'}), 1,
	'one anonymous user, its data kept');
# made permanent: updateUser({email}), the mailed code, then a password.
# Not when sharded: an anonymous user lives where its sign-up was routed,
# and an address change must stay on its user's partition (422 else,
# docs/scale-out.md), which an address chosen here need not.
unless (sharded())
{
	my $upgrade_store = File::Temp->new;
	authjs('anonymous_upgrade_ask', new_email => 'upgraded@example.com', store => $upgrade_store->filename);
	authjs('anonymous_upgrade_finish', new_email => 'upgraded@example.com', password => $password,
		store => $upgrade_store->filename,
		code => mailed('upgraded@example.com', qr{type=email_change.*?code: (\d{6})\b}s));
	is(psql($db, q{SELECT count(*) FROM authoob.mail_outbox WHERE kind = 'email_change_notice'
		AND user_id = (SELECT id FROM authoob.users WHERE email = 'upgraded@example.com')}), 0,
		'no notice to the missing old address');
}
psql($db, q{SELECT authoob_configure('{"anonymous_signin": false}')});

# --- reauthentication: the nonce of the real mail, which a session older
# than a day needs to change its password (secure_password_change)
my $reauth_store = File::Temp->new;
$r = $front->request(POST => '/signup', json => { email => 'reauth@example.com', password => $password });
is($r->{status}, 200, 'reauth@example.com signed up');
authjs('reauth_ask', email => 'reauth@example.com', password => $password, store => $reauth_store->filename);
my $nonce = mailed('reauth@example.com', $mailed_code);
psql($db, q{SELECT authoob_configure('{"secure_password_change": true}')});
psql($db, q{UPDATE authoob.sessions SET created_at = now() - interval '25 hours'});
# (the nonce passed as the string it is: JSON::PP writes a scalar used as a
# number as one)
authjs('reauth_change', email => 'reauth@example.com', store => $reauth_store->filename, nonce => "$nonce",
	wrong_nonce => sprintf('%06d', ($nonce + 1) % 1000000), new_password => strong_password('5'));
psql($db, q{SELECT authoob_configure('{"secure_password_change": false}')});

# --- the admin API (auth.admin.*) with the service_role token the owner signs
# (sharded, every partition verifies it only with the secret they share:
# under ES256 each partition signs with a key of its own, docs/supabase.md)
if (partitions($db))
{
	# leaving ES256 left each partition a secret of its own: one for all again
	psql($db, q{SELECT authoob_configure(jsonb_build_object('signing_alg', 'HS256',
		'secret_key', encode(sha256('t/019 admin'::bytea) || substr(sha256('again'::bytea), 1, 16), 'base64')))});
}
my $service = psql((partitions($db))[0] // $db, q{SELECT authoob_service_token()});
authjs('admin', service => $service, email => 'admin-made@example.com', password => $password,
	new_password => strong_password('4'));
is(psql($db, q{SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM authoob.audit_log WHERE actor = 'service_role'}),
	'user_deleted,user_modified,user_signedup', 'every admin action is in the audit log, by service_role');
is(psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE actor = 'service_role' AND ip_address = '127.0.0.1'}),
	psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE actor = 'service_role'}), 'with the client\'s address');
authjs('admin_mfa', service => $service, email => 'admin-mfa@example.com', password => $password,
	other_factor => $bea_factor->{json}{id});
is(psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE actor = 'service_role' AND action = 'factor_deleted'
	AND ip_address = '127.0.0.1' AND target = (SELECT uuid FROM authoob.users WHERE email = 'admin-mfa@example.com')}),
	1, 'admin.mfa.deleteFactor is in the audit log, by service_role');
is(psql($db, q{SELECT string_agg(a.action || ':' || a.outcome, ',' ORDER BY a.id) FROM authoob.audit_log a
	JOIN authoob.users u ON u.uuid = a.target AND a.actor = u.uuid::text
	WHERE u.email = 'mfa@example.com' AND a.action IN ('factor_in_progress', 'challenge_created', 'verification_attempted',
		'factor_unenrolled')}),
	join(',', qw(factor_in_progress:success challenge_created:success verification_attempted:failure
		challenge_created:success verification_attempted:success challenge_created:success
		verification_attempted:failure challenge_created:success verification_attempted:failure
		factor_unenrolled:success)),
	'the user\'s acts on their factor are in the audit log, refused codes too');

# magic links and email codes (docs/supabase.md): signInWithOtp, then
# verifyOtp by code (type email) or by the link's token_hash (type
# magiclink), or the PKCE link and exchangeCodeForSession
my $otp_link = qr{/verify\?token=([A-Za-z0-9_-]{43})&type=magiclink&redirect_to=http%3A%2F%2Fallowed\.test%2Fcb\b};
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 0}')});
authjs('otp_ask', email => 'ada@example.com');
authjs('otp_ask', email => 'stranger@example.com', create => JSON::PP::false);
authjs('otp_verify', email => 'ada@example.com', type => 'email', code => mailed('ada@example.com', qr{magiclink.*?code: (\d{6})\b}s));
authjs('otp_ask', email => 'ada@example.com');
authjs('otp_verify', email => 'ada@example.com', type => 'magiclink', token_hash => mailed('ada@example.com', $otp_link, 2));
my $ostore = File::Temp->new;
authjs('otp_ask', email => 'ada@example.com', store => $ostore->filename);
my $pkce_link = mailed('ada@example.com', qr{(http://\S+/verify\?token=[A-Za-z0-9_-]{43}&type=magiclink&\S+)}, 3);
$front->{http}->get($pkce_link);	# a mail scanner, first
$r = $front->{http}->get($pkce_link);
($code) = ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$};
ok($code, 'PKCE magic link followed after a scanner: still a code') or diag($r->{headers}{location});
authjs('otp_exchange', email => 'ada@example.com', store => $ostore->filename, code => $code);
is(scalar mailed_tokens('stranger@example.com', qr{.}), 0, 'no mail to an unknown address');
# sign-up by code (otp_signup): shouldCreateUser (auth-js's default) for a
# new address, then verifyOtp with the mailed code
psql($db, q{SELECT authoob_configure('{"otp_signup": true}')});
authjs('otp_ask', email => 'newcomer@example.com');
authjs('otp_verify', email => 'newcomer@example.com', type => 'email',
	code => mailed('newcomer@example.com', qr{magiclink.*?code: (\d{6})\b}s));
psql($db, q{SELECT authoob_configure('{"otp_signup": false}')});

# email change: updateUser({email}), a resend, verifyOtp type email_change
# with the code of the newest mail to the new address
my $mover = same_partition($db, 'email', 'otp@example.com', 1, sub { "moved$_[0]\@example.com" });
authjs('email_change_ask', email => 'otp@example.com', password => $password, new_email => $mover);
authjs('email_change_verify', email => 'otp@example.com', password => $password, new_email => $mover,
	code => mailed($mover, qr{type=email_change.*?code: (\d{6})\b}s, 2));
# --- invitations (auth.admin.inviteUserByEmail): the mail's link, followed
psql($db, q{SELECT authoob_clear_throttle()});
my $user_token = $front->request(POST => '/token?grant_type=password',
	json => { email => 'ada@example.com', password => $reset_password })->{json}{access_token};
authjs('invite', service => $service, email => 'invited@example.com', redirect => 'http://allowed.test/cb',
	confirmed => 'ada@example.com', user_token => $user_token);
my $invite_url = mailed('invited@example.com', qr{(http://\S+/verify\?token=[A-Za-z0-9_-]{43}&type=invite&\S+)}, 2);
like($invite_url, qr{&redirect_to=http%3A%2F%2Fallowed\.test%2Fcb$}, "the invitation's link: type invite, to the redirectTo asked for");
like(mailed('invited@example.com', $mailed_code, 2), qr/^\d{6}$/, 'and a code');
authjs('invite_accept', url => $invite_url, email => 'invited@example.com', password => $password,
	redirect => 'http://allowed.test/cb');
# --- the admin's links (auth.admin.generateLink): nothing mailed
authjs('generate_link', service => $service, email => 'linked@example.com', password => $password,
	redirect => 'http://allowed.test/cb');
is(scalar(mailed_tokens('linked@example.com', qr/(.)/)), 0, 'generateLink mails nothing');
is(psql($db, q{SELECT string_agg(action, ',' ORDER BY id) FROM authoob.audit_log WHERE actor = 'service_role'
	AND payload ->> 'user_email' IN ('invited@example.com', 'linked@example.com')}),
	'user_signedup,user_invited,user_invited,user_signedup,user_recovery_requested', 'invitations and links are audited');

# CORS: what auth-js sends is allowed
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
$r = $front->request(OPTIONS => '/token', headers => { Origin => 'http://app.test',
	'Access-Control-Request-Method' => 'POST',
	'Access-Control-Request-Headers' => 'apikey, x-client-info, x-supabase-api-version, authorization, content-type' });
like($r->{headers}{'access-control-allow-headers'} // '', qr/apikey.*X-Client-Info.*X-Supabase-Api-Version/i,
	'preflight: apikey, x-client-info, x-supabase-api-version allowed');
$r = $front->request(GET => '/settings', headers => { Origin => 'http://app.test' });
like($r->{headers}{'access-control-expose-headers'} // '', qr/X-Supabase-Api-Version/,
	'the API version header is exposed to the app');
is_deeply([ @{ $r->{json} }{qw(mailer_autoconfirm disable_signup)}, $r->{json}{external}{email} ],
	[ JSON::PP::true, JSON::PP::false, JSON::PP::true ], 'GET /settings: email sign-up, no confirmation required');

# the seed's routes answer as before, and null turns the dialect off
$front->set_prefix('/authoob');
is($front->request(POST => '/login', json => { email => 'ada@example.com', password => 'x' })->{json}{message},
	'Authentication failed', "authoob's own routes keep their error shape");
psql($db, q{SELECT authoob_configure('{"gotrue_prefix": null}')});
kill 'HUP', $front->pid;
$front->set_prefix('/auth/v1');
ok(wait_until(sub { $front->request(GET => '/health')->{status} == 404 }, 10), 'gotrue_prefix null: the routes are gone');

done_testing();
