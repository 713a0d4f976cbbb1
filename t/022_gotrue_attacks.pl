# What an attacker tries on the routes of Supabase Auth's protocol
# (docs/supabase.md), over HTTP against the real front and database:
# redirects to look-alike or foreign places, a PKCE flow planted on someone
# else's address, codes and mailed tokens replayed or guessed or used as the
# other kind, fields a user may not set, odd scopes and headers, and the
# owner's internals called by the API role.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(decode_base64url encode_base64url);
use Test::More;

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"redirect_urls": "http://allowed.test/cb, https://dir.test/",
	"reset_mail_interval": 60}')});
psql($db, q{DROP ROLE IF EXISTS api_login; CREATE ROLE api_login LOGIN PASSWORD 'api_login' IN ROLE authoob_api});
my $front = AuthoobTest::Front->start(db => $db);
$front->set_prefix('/auth/v1');
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
my $password = strong_password();

sub challenge_of { encode_base64url(sha256($_[0])) }

# The mailed tokens of $email's mails whose link matches $re, oldest first
# (the front runs no mailer here: the mails wait in the outbox).
sub mailed
{
	my ($email, $re) = @_;
	psql($db, 'SELECT authoob_mail_prepare(100)');
	return map { $_ =~ $re ? $1 : () }
	  split /\n/, psql($db, qq{SELECT body_text FROM authoob.mail_outbox
		WHERE recipient = '$email' ORDER BY id});
}
my $reset_re = qr{/verify\?token=([A-Za-z0-9_-]{43})&type=recovery&};
my $activation_re = qr{/verify\?token=([A-Za-z0-9_-]{43})&type=signup&};

sub signup
{
	my ($email, %more) = @_;
	my $r = $front->request(POST => '/signup', json => { email => $email, password => $password, %more });
	is($r->{status}, 200, "sign-up of $email") or diag($r->{content});
	return $r;
}

# --- redirects: only app_url and the entries of redirect_urls
my @refused = (
	'http://allowed.test/cb.evil.test', 'http://allowed.test/cbx', 'http://allowed.test/cb@evil.test',
	'http://allowed.test.evil.test/cb', 'http://allowed.test:80@evil.test/cb', '//evil.test', '/\\evil.test',
	'http://allowed.test/cb\\@evil.test', 'HTTP://ALLOWED.TEST/cb', 'http://app.test.evil.test',
	'http://app.test@evil.test', 'http://app.test:8080', 'https://dir.test.evil.test/', 'https://dir.test@evil.test/',
	'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', "http://allowed.test/cb\r\nSet-Cookie: a=b",
	"http://allowed.test/cb\tx", "http://allowed.test/cb\x7f", 'http://allowed.test/cb"><script>',
	'http://*.allowed.test/cb', '');
for my $url (@refused)
{
	(my $shown = $url) =~ s/([^\x21-\x7e])/sprintf '\\x%02x', ord $1/ge;
	my $got = psql($db, q{SELECT authoob_redirect_url(convert_from(decode('} . unpack('H*', $url)
		. q{', 'hex'), 'UTF8'))});
	is($got, 'http://app.test', "redirect_to $shown leads to app_url");
}
for my $url ('http://allowed.test/cb', 'http://allowed.test/cb/next', 'http://allowed.test/cb?x=1#y',
	'https://dir.test/any/page', 'http://app.test/welcome')
{
	is(psql($db, qq{SELECT authoob_redirect_url('$url')}), $url, "redirect_to $url is followed");
}
# a wildcard entry, as Supabase writes them, allows nothing but itself
psql($db, q{SELECT authoob_configure('{"redirect_urls": "https://*.example.com/**"}')});
is(psql($db, q{SELECT authoob_redirect_url('https://evil.com/x')}), 'http://app.test', 'a glob entry: no wildcard');
is(psql($db, q{SELECT authoob_redirect_url('https://a.example.com/x')}), 'http://app.test', 'nor a match of its glob');
psql($db, q{SELECT authoob_configure('{"redirect_urls": "http://allowed.test/cb, https://dir.test/"}')});

# CR LF in redirect_to through the link itself: no header injected
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
signup('crlf@example.com');
my ($t) = mailed('crlf@example.com', $activation_re);
my $r = $front->request(GET => "/verify?type=signup&token=$t&redirect_to=http%3A%2F%2Fallowed.test%2Fcb%0D%0ASet-Cookie%3A%20a%3Db");
is($r->{status}, 303, 'a link whose redirect_to holds CR LF: 303');
like($r->{headers}{location}, qr{^http://app\.test#access_token=}, 'to app_url');
ok(!exists $r->{headers}{'set-cookie'}, 'and no header injected');

# the mailed token of a link is never logged (it is in the query string)
my @access = grep { m{/auth/v1/verify} } $front->access_lines;
ok(@access, 'the link was logged');
unlike(join("\n", @access), qr/\Q$t\E|token=/, 'without its token');

# --- mailed tokens: single use, one kind each, guesses limited
signup('kinds@example.com');
my ($act) = mailed('kinds@example.com', $activation_re);
$r = $front->request(POST => '/verify', json => { type => 'recovery', token_hash => $act });
is($r->{status}, 403, 'an activation token as a recovery one: 403, as GoTrue');
is($r->{json}{error_code}, 'otp_expired', 'otp_expired');
$r = $front->request(POST => '/verify', json => { type => 'signup', token_hash => $act });
is($r->{status}, 200, 'as what it is: signed in');
$r = $front->request(POST => '/verify', json => { type => 'signup', token_hash => $act });
is($r->{status}, 403, 'again: refused') or diag($r->{content});
$front->request(POST => '/recover', json => { email => 'kinds@example.com' });
my ($rec) = mailed('kinds@example.com', $reset_re);
$r = $front->request(POST => '/verify', json => { type => 'signup', token_hash => $rec });
is($r->{status}, 403, 'a reset token as an activation one: 403');
$r = $front->request(POST => '/verify', json => { type => 'email', token_hash => $rec });
is($r->{status}, 403, 'nor of type email');
$r = $front->request(GET => "/verify?type=signup&token=$rec");
like($r->{headers}{location} // '', qr{#error=access_denied&error_code=otp_expired&},
	'nor through the link (back to the app with the error)');
$r = $front->request(POST => '/verify', json => { type => 'recovery', token_hash => $rec });
is($r->{status}, 200, 'as what it is: signed in');
$r = $front->request(POST => '/verify', json => { type => 'recovery', token_hash => $rec });
is($r->{status}, 403, 'a reset token again: 403');
is(psql($db, q{SELECT count(*) FROM authoob.mail_tokens WHERE kind = 'reset' AND used_at IS NULL}), 0,
	'the reset token is spent');

psql($db, q{SELECT authoob_configure('{"token_failures_per_window": 3}')});
my @guesses = map { $front->request(POST => '/verify', json => { type => 'recovery', token_hash => 'A' x 42 . $_ }) } 1 .. 6;
is($guesses[-1]{status}, 429, 'guessing mailed tokens: 429 in the end');
is($guesses[-1]{json}{error_code}, 'over_request_rate_limit', 'over_request_rate_limit');
@guesses = map { $front->request(GET => "/verify?type=signup&token=" . 'B' x 42 . $_) } 1 .. 2;
is($guesses[-1]{status}, 429, 'through the link too');
psql($db, q{SELECT authoob_clear_throttle()});
psql($db, q{SELECT authoob_configure('{"token_failures_per_window": 20}')});

# --- PKCE
# The code of a link, and who may exchange it: Mallory's verifier is
# refused, the owner's signs the owner in.
sub exchanges
{
	my ($code, $mallory, $owner, $email) = @_;
	my $r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $mallory });
	is($r->{status}, 400, "Mallory's verifier with the code of ${email}'s link: refused") or diag($r->{content});
	ok(!defined $r->{json}{access_token}, 'no session for Mallory');
	$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $owner });
	is($r->{status}, 200, "the owner's own verifier: signed in") or diag($r->{content});
	is($r->{json}{user}{email}, $email, "as $email");
}

sub link_code
{
	my ($type, $token) = @_;
	my $r = $front->request(GET => "/verify?type=$type&token=$token&redirect_to=http://allowed.test/cb");
	my ($code) = ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$};
	ok($code, "the $type link leads to a code") or diag($r->{status}, ' ', $r->{headers}{location} // $r->{content});
	return $code;
}

# A flow planted on someone else's address: Mallory asks a reset mail for
# Victor's address with her own code_challenge, after Victor asked his (the
# mail interval holds hers back: no mail).  Victor's link must not yield a
# code that Mallory's verifier turns into Victor's session (were the code
# to leak from Victor's page, by its Referer, history or logs).
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
signup('victor@example.com');
my ($victor_verifier, $mallory_verifier) = ('v' x 50, 'm' x 50);
$r = $front->request(POST => '/recover', json => { email => 'victor@example.com',
	code_challenge => challenge_of($victor_verifier), code_challenge_method => 's256' });
is($r->{status}, 200, 'Victor asks a reset mail, PKCE');
my ($vt) = mailed('victor@example.com', $reset_re);
ok($vt, 'mailed');
$r = $front->request(POST => '/recover', json => { email => 'victor@example.com',
	code_challenge => challenge_of($mallory_verifier), code_challenge_method => 's256' });
is($r->{status}, 200, "Mallory asks one for Victor's address, her challenge");
is(scalar(() = mailed('victor@example.com', $reset_re)), 1, 'no second mail (the interval)');
exchanges(link_code(recovery => $vt), $mallory_verifier, $victor_verifier, 'victor@example.com');

# A challenge planted between the owner's request and the mail: Olga asks
# a reset mail with her challenge; before a mailer has made it, Mallory
# asks one for Olga's address with hers (the mail interval holds hers
# back).  The mail, made after both requests, is the one Olga's request
# caused: its code is Olga's flow's, and only her verifier exchanges it.
signup('olga@example.com');
my $olga_verifier = 'o' x 50;
$r = $front->request(POST => '/recover', json => { email => 'olga@example.com',
	code_challenge => challenge_of($olga_verifier), code_challenge_method => 's256' });
is($r->{status}, 200, 'Olga asks a reset mail, PKCE');
$r = $front->request(POST => '/recover', json => { email => 'olga@example.com',
	code_challenge => challenge_of($mallory_verifier), code_challenge_method => 's256' });
is($r->{status}, 200, "Mallory asks one for Olga's address before the mail is made, her challenge");
is(psql($db, q{SELECT count(*) FROM authoob.flow_states WHERE email = 'olga@example.com'}), 1,
	'the request the interval held back keeps no flow');
my @olga = mailed('olga@example.com', $reset_re);
is(scalar @olga, 1, 'one mail, made after both requests');
exchanges(link_code(recovery => $olga[0]), $mallory_verifier, $olga_verifier, 'olga@example.com');

# The same with another activation mail (resend): Nina, not yet active,
# asks it with her challenge, Mallory with hers before the mailer runs.
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
signup('nina@example.com');
my $nina_verifier = 'n' x 50;
$r = $front->request(POST => '/resend', json => { type => 'signup', email => 'nina@example.com',
	code_challenge => challenge_of($nina_verifier), code_challenge_method => 's256' });
is($r->{status}, 200, 'Nina asks her activation mail again, PKCE');
$r = $front->request(POST => '/resend', json => { type => 'signup', email => 'nina@example.com',
	code_challenge => challenge_of($mallory_verifier), code_challenge_method => 's256' });
is($r->{status}, 200, "Mallory asks one for Nina's address before the mail is made, her challenge");
my @nina = mailed('nina@example.com', $activation_re);
is(scalar @nina, 2, "two mails: the sign-up's, and the one Nina's resend caused");
exchanges(link_code(signup => $nina[1]), $mallory_verifier, $nina_verifier, 'nina@example.com');
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});

# A challenge planted before the owner's own request without one (an app
# on the implicit flow): the owner's mail leads to the session in the
# fragment, not to a code bound to the planted challenge.
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 0}')});
signup('ivy@example.com');
$r = $front->request(POST => '/recover', json => { email => 'ivy@example.com',
	code_challenge => challenge_of($mallory_verifier) });
is($r->{status}, 200, "Mallory asks a reset mail for Ivy's address, her challenge");
is(scalar(() = mailed('ivy@example.com', $reset_re)), 1, 'Ivy gets that mail');
$r = $front->request(POST => '/recover', json => { email => 'ivy@example.com' });
is($r->{status}, 200, 'Ivy asks her own, without a challenge');
my (undef, $ivy_token) = mailed('ivy@example.com', $reset_re);
ok($ivy_token, 'and gets it');
$r = $front->request(GET => "/verify?type=recovery&token=$ivy_token&redirect_to=http://allowed.test/cb");
like($r->{headers}{location} // '', qr{^http://allowed\.test/cb#access_token=[^&]+&},
	"Ivy's link follows her request's flow: the session in the fragment, no code for Mallory's challenge");
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 60}')});

# the flow of the client that asked the mail: code and verifier, once
signup('pkce@example.com');
my $verifier = 'k' x 43;
$front->request(POST => '/recover', json => { email => 'pkce@example.com', code_challenge => challenge_of($verifier) });
my ($pt) = mailed('pkce@example.com', $reset_re);
my $code = link_code(recovery => $pt);
$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code });
is($r->{status}, 400, 'the code without a verifier: 400');
$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => challenge_of($verifier) });
is($r->{status}, 400, 'the challenge sent as a plain verifier: 400 bad_code_verifier');
$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => [$verifier] });
is($r->{status}, 400, 'a verifier of the wrong type: 400');
psql($db, q{UPDATE authoob.flow_states SET code_expires_at = now() - interval '1 second'});
$r = $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $verifier });
is_gotrue_error($r, 422, 'flow_state_expired', 'an expired code with its verifier: 422 flow_state_expired');

# guessing at codes or verifiers meets the per-client limit of sign-ins
# (counted per partition when sharded: the guesses are codes of one)
psql($db, q{SELECT authoob_clear_throttle()});
psql($db, q{SELECT authoob_configure('{"ip_failures_per_window": 3}')});
my @codes = same_partition($db, token => sprintf('%064x', 1), 5, sub { sprintf('%064x', $_[0]) });
my @tries = map { $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $_, code_verifier => $verifier }) } @codes;
is_deeply([ map { $_->{status} } @tries ], [ 404, 404, 404, 429, 429 ], 'made-up codes: 404, then 429 once the client spent its failures');
is($tries[-1]{json}{error_code}, 'over_request_rate_limit', 'over_request_rate_limit');
psql($db, q{SELECT authoob_clear_throttle()});
psql($db, q{SELECT authoob_configure('{"ip_failures_per_window": 100}')});

# --- PUT /user: only what user_metadata holds (the user's free-form
# JSON: whatever data says lands there, and nowhere else)
$r = $front->request(POST => '/token?grant_type=password', json => { email => 'victor@example.com', password => $password });
my $access = $r->{json}{access_token};
ok($access, 'Victor signs in');
psql($db, q{SELECT authoob_create_role('admin', 'administrators')});
my $before = psql($db, q{SELECT row_to_json(u)::jsonb - 'update_date' - 'user_metadata' FROM authoob.users u WHERE email = 'victor@example.com'});
$r = $front->request(PUT => '/user', headers => { Authorization => "Bearer $access" },
	json => { app_metadata => { roles => ['admin'] }, role => 'service_role', id => '1',
		email_confirmed_at => '2000-01-01T00:00:00Z',
		data => { id => 1, email => 'other@example.com', roles => ['admin'], active => JSON::PP::false,
			confirmed_at => '2000-01-01T00:00:00Z', password => 'x', create_date => '2000-01-01', app_metadata => { roles => ['admin'] } } });
is($r->{status}, 200, 'PUT /user with fields no user may set: 200, ignored') or diag($r->{content});
is(psql($db, q{SELECT row_to_json(u)::jsonb - 'update_date' - 'user_metadata' FROM authoob.users u WHERE email = 'victor@example.com'}), $before,
	'nothing of the account changed');
is_deeply([ $r->{json}{email}, $r->{json}{app_metadata}{roles}, $r->{json}{user_metadata}{roles}, $r->{json}{role} ],
	[ 'victor@example.com', [], ['admin'], 'authenticated' ],
	'the answer: the same address, no role; "roles" only as the user\'s own metadata');
is(psql($db, q{SELECT count(*) FROM authoob.roles_users}), 0, 'no role granted');
$r = $front->request(PUT => '/user', headers => { Authorization => "Bearer $access" },
	body => qq({"data": {"firstname": "Vic"}, "data": {"firstname": "Mal\\u0000lory"}}));
is($r->{status}, 400, 'a NUL byte in a value (after a duplicate key): 400') or diag($r->{content});
is(psql($db, q{SELECT coalesce(firstname, '') FROM authoob.users WHERE email = 'victor@example.com'}), '', 'nothing stored');

# --- logout: unknown scopes refused, the session kept
for my $scope ('all', 'GLOBAL', '', 'global%00', "local'--")
{
	$r = $front->request(POST => "/logout?scope=$scope", headers => { Authorization => "Bearer $access" });
	isnt($r->{status}, 204, "logout scope '$scope': refused");
	ok($r->{status} >= 400 && $r->{status} < 500, 'with a 4xx') or diag($r->{content});
}
is($front->request(GET => '/user', headers => { Authorization => "Bearer $access" })->{status}, 200, 'the session lives on');

# --- odd API versions: errors in the older shape, no header echoed
for my $version ('2024-01-0', '2024-01-01x', 'zzzzzzzzzz', '1999-12-31')
{
	$r = $front->request(GET => '/user', headers => { Authorization => 'Bearer x', 'X-Supabase-Api-Version' => $version });
	is_gotrue_error($r, 403, 'bad_jwt', "API version '$version': 403 in the older shape (code is the status)");
	ok(!exists $r->{headers}{'x-supabase-api-version'}, 'and no API version header echoed');
}

# --- CORS: no foreign origin is echoed, with credentials or not
$r = $front->request(GET => '/settings', headers => { Origin => 'http://evil.test' });
ok(!defined $r->{headers}{'access-control-allow-origin'}, 'a foreign origin is not allowed');
$r = $front->request(OPTIONS => '/token', headers => { Origin => 'http://app.test.evil.test', 'Access-Control-Request-Method' => 'POST' });
ok(!defined $r->{headers}{'access-control-allow-origin'}, 'nor a look-alike, in a preflight');

# --- sign-up with a known address and confirmation on: not told apart (a
# made-up user, GoTrue's sanitizeUser), and nothing of the account changes
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
$before = psql($db, q{SELECT row_to_json(u)::jsonb - 'update_date' FROM authoob.users u WHERE email = 'victor@example.com'});
$r = $front->request(POST => '/signup', json => { email => 'victor@example.com', password => strong_password('Other'),
	data => { firstname => 'Mallory' } });
is($r->{status}, 200, 'a known address: 200') or diag($r->{content});
ok(!exists $r->{json}{access_token} && $r->{json}{email} eq 'victor@example.com', 'a user, no session');
isnt($r->{json}{id}, psql($db, q{SELECT id FROM authoob.users WHERE email = 'victor@example.com'}), "not the account's id");
is(psql($db, q{SELECT row_to_json(u)::jsonb - 'update_date' FROM authoob.users u WHERE email = 'victor@example.com'}), $before,
	'the account is as it was');

# --- the admin routes: a service_role token the owner signs, and no other
# token (Supabase Auth's requireAdmin: 401 without one, 403 otherwise)
my $service = psql((partitions($db))[0] // $db, q{SELECT authoob_service_token()});
$r = $front->request(POST => '/admin/users', headers => { Authorization => "Bearer $service" },
	json => { email => 'managed@example.com', password => $password, email_confirm => JSON::PP::true });
is($r->{status}, 200, 'the service token creates a user') or diag($r->{content});
my $managed = $r->{json}{id};
$r = $front->request(POST => '/token?grant_type=password', json => { email => 'managed@example.com', password => $password });
my $user_token = $r->{json}{access_token} // die "no sign-in: $r->{content}";
# a factor of theirs, which the admin routes of factors are tried on
$r = $front->request(POST => '/factors', headers => { Authorization => "Bearer $user_token" },
	json => { factor_type => 'totp', friendly_name => 'managed' });
my $managed_factor = $r->{json}{id} // die "no factor: $r->{content}";
my ($head, $claims, $sig) = split /\./, $user_token;
my $forged_claims = encode_base64url(json_encode({ %{ json_decode(MIME::Base64::decode_base64url($claims)) },
	role => 'service_role' }));
my ($s_head, $s_claims, $s_sig) = split /\./, $service;
my %bad_tokens = (
	"a user's token" => [ $user_token, 403, 'not_admin' ],
	"a user's token whose role says service_role" => [ "$head.$forged_claims.$sig", 403, 'bad_jwt' ],
	'alg none' => [ encode_base64url('{"alg":"none","typ":"JWT"}') . ".$s_claims.", 403, 'bad_jwt' ],
	'a service token signed with another key' => [ "$s_head.$s_claims." . encode_base64url('x' x 32), 403, 'bad_jwt' ],
	'not a JWT' => [ 'service_role', 403, 'bad_jwt' ],
);
for my $what (sort keys %bad_tokens)
{
	my ($token, $status, $code) = @{ $bad_tokens{$what} };
	for my $route ([ GET => '/admin/users' ], [ GET => "/admin/users/$managed" ],
		[ PUT => "/admin/users/$managed", { ban_duration => 'none', app_metadata => { admin => JSON::PP::true } } ],
		[ DELETE => "/admin/users/$managed" ], [ POST => '/admin/users', { email => 'intruder@example.com' } ],
		[ GET => "/admin/users/$managed/factors" ], [ DELETE => "/admin/users/$managed/factors/$managed_factor" ])
	{
		my ($method, $path, $json) = @$route;
		$r = $front->request($method => $path, headers => { Authorization => "Bearer $token" },
			($json ? (json => $json) : ()));
		is_gotrue_error($r, $status, $code, "$what on $method $path: $status $code");
	}
}
$r = $front->request(GET => '/admin/users');
is_gotrue_error($r, 401, 'no_authorization', 'no token on an admin route: 401 no_authorization');
is(psql((partitions($db))[0] // $db, q{SELECT count(*) FROM authoob.users WHERE email = 'intruder@example.com'}), 0,
	'no refused token made a user');
# an expired service token
my $expired = psql((partitions($db))[0] // $db, q{SELECT authoob_service_token(interval '1 second')});
sleep 2;
is_gotrue_error($front->request(GET => '/admin/users', headers => { Authorization => "Bearer $expired" }),
	403, 'bad_jwt', 'an expired service token: 403 bad_jwt');
# one of another issuer (its signature made with the key: only the issuer
# differs), signed in a transaction that then rolls back
my $other = (split /\n/, psql((partitions($db))[0] // $db, q{BEGIN;
	SELECT authoob_configure('{"jwt_issuer": "https://other.example.com"}') IS NOT NULL;
	SELECT authoob_service_token(); ROLLBACK}))[-1];
is_gotrue_error($front->request(GET => "/admin/users/$managed", headers => { Authorization => "Bearer $other" }),
	403, 'bad_jwt', 'a service token of another issuer: 403 bad_jwt');
# the service token is nobody's: the user routes refuse it
is_gotrue_error($front->request(GET => '/user', headers => { Authorization => "Bearer $service" }), 403, 'bad_jwt',
	'the service token is no user\'s token: GET /user refuses it (403 bad_jwt, as GoTrue a token without sub)');

is(psql($db, qq{SELECT count(*) FROM authoob.mfa_factors WHERE id = '$managed_factor'}), 1, 'no refused token removed the factor');

# --- the admin routes of factors (auth.admin.mfa.*): a factor is removed
# only through its own user's path
my $service_auth = { Authorization => "Bearer $service" };
my $victor = psql($db, q{SELECT uuid FROM authoob.users WHERE email = 'victor@example.com'});
$r = $front->request(GET => "/admin/users/$managed/factors", headers => $service_auth);
is_deeply([ $r->{status}, [ map { $_->{id} } @{ $r->{json} // [] } ], exists(($r->{json} // [ {} ])->[0]{secret}) ],
	[ 200, [$managed_factor], '' ], 'GET G/admin/users/<id>/factors: the user\'s factor, no secret');
is_deeply($front->request(GET => "/admin/users/$victor/factors", headers => $service_auth)->{json}, [],
	'another user\'s list: [], nothing of theirs');
is_gotrue_error($front->request(DELETE => "/admin/users/$victor/factors/$managed_factor", headers => $service_auth),
	404, 'mfa_factor_not_found', 'a factor through another user\'s path: 404 mfa_factor_not_found');
is_gotrue_error($front->request(DELETE => "/admin/users/$managed/factors/nope", headers => $service_auth),
	404, 'validation_failed', 'a factor id that is no uuid: 404 validation_failed');
is_gotrue_error($front->request(DELETE => "/admin/users/0b0b0b0b-0000-4000-8000-00000000ffff/factors/$managed_factor",
	headers => $service_auth), 404, 'user_not_found', 'the factor under nobody: 404 user_not_found');
is_gotrue_error($front->request(GET => '/admin/users/nope/factors', headers => $service_auth),
	404, 'validation_failed', 'a user path that is no uuid: 404 validation_failed');
is($front->request(PUT => "/admin/users/$managed/factors/$managed_factor", headers => $service_auth,
	json => { friendly_name => 'renamed' })->{status}, 405, 'renaming a factor is not built: 405');
is(psql($db, qq{SELECT count(*) FROM authoob.mfa_factors WHERE id = '$managed_factor'}), 1, 'the factor is still there');
$r = $front->request(DELETE => "/admin/users/$managed/factors/" . uc($managed_factor), headers => $service_auth);
is_deeply([ $r->{status}, $r->{json}{id}, $r->{json}{friendly_name} ], [ 200, $managed_factor, 'managed' ],
	'DELETE G/admin/users/<id>/factors/<id>: 200, the factor');
is(psql($db, qq{SELECT count(*) FROM authoob.mfa_factors WHERE id = '$managed_factor'}), 0, 'it is gone');
is($front->request(GET => '/user', headers => { Authorization => "Bearer $user_token" })->{status}, 200,
	'the user\'s session lives on, as in Supabase Auth');
is(psql($db, qq{SELECT count(*) FROM authoob.audit_log WHERE action = 'factor_deleted' AND actor = 'service_role'
	AND target = (SELECT uuid FROM authoob.users WHERE email = 'managed\@example.com')
	AND payload ->> 'factor_id' = '$managed_factor'}), 1, 'audited as factor_deleted, by service_role');

# --- a ban: no sign-in, no refresh, the tokens end; lifted by "none"
$r = $front->request(POST => '/token?grant_type=password', json => { email => 'managed@example.com', password => $password });
my $refresh = $r->{json}{refresh_token};
$r = $front->request(PUT => "/admin/users/$managed", headers => { Authorization => "Bearer $service" },
	json => { ban_duration => '1h' });
ok($r->{json}{banned_until}, 'banned for an hour') or diag($r->{content});
is_gotrue_error($front->request(POST => '/token?grant_type=password', json => { email => 'managed@example.com', password => $password }),
	400, 'user_banned', 'a banned user cannot sign in: 400 user_banned');
isnt($front->request(POST => '/token?grant_type=refresh_token', json => { refresh_token => $refresh })->{status}, 200,
	'nor refresh');
isnt($front->request(GET => '/user', headers => { Authorization => "Bearer $user_token" })->{status}, 200,
	'and the tokens they held are ended');
$r = $front->request(PUT => "/admin/users/$managed", headers => { Authorization => "Bearer $service" },
	json => { ban_duration => 'none' });
is($front->request(POST => '/token?grant_type=password', json => { email => 'managed@example.com', password => $password })->{status},
	200, 'unbanned: signs in again');
is_gotrue_error($front->request(PUT => "/admin/users/$managed", headers => { Authorization => "Bearer $service" },
	json => { ban_duration => '1 hour' }), 400, 'validation_failed', 'a ban_duration that is no Go duration: 400');
is_gotrue_error($front->request(GET => '/admin/users/nope', headers => { Authorization => "Bearer $service" }),
	404, 'validation_failed', 'a path that is no uuid: 404 as Supabase Auth');

# --- anonymous sign-ins (docs/supabase.md): refused while off; what a
# user sends cannot make a token anonymous or not
sub claims_of { json_decode(decode_base64url((split /\./, $_[0] // "")[1] // "")) // {} }
is_gotrue_error($front->request(POST => '/signup', json => { data => {} }), 422, 'anonymous_provider_disabled',
	'an anonymous sign-in while anonymous_signin is off: 422');
is(psql($db, q{SELECT count(*) FROM authoob.users WHERE email IS NULL}), 0, 'and no user is made');
psql($db, q{SELECT authoob_configure('{"anonymous_signin": true}')});
$r = $front->request(POST => '/signup', json => { email => '', data => { is_anonymous => JSON::PP::false } });
is($r->{status}, 200, 'an empty address: an anonymous sign-in, as GoTrue') or diag($r->{content});
my ($anon, $anon_refresh) = @{ $r->{json} }{qw(access_token refresh_token)};
is(claims_of($anon)->{is_anonymous}, JSON::PP::true, 'data saying is_anonymous false: the token says true');
$r = $front->request(PUT => '/user', headers => { Authorization => "Bearer $anon" },
	json => { data => { is_anonymous => JSON::PP::false } });
is_deeply([ $r->{status}, $r->{json}{is_anonymous} ], [ 200, JSON::PP::true ], 'updateUser({data}) cannot make it permanent');
$r = $front->request(PUT => '/user', headers => { Authorization => "Bearer $anon" },
	json => { app_metadata => { is_anonymous => JSON::PP::false } });
ok($r->{json}{is_anonymous} && !exists $r->{json}{app_metadata}{is_anonymous}, 'nor app_metadata (not the user\'s to set)');
$r = $front->request(POST => '/token?grant_type=refresh_token', json => { refresh_token => $anon_refresh });
is(claims_of($r->{json}{access_token} // '')->{is_anonymous}, JSON::PP::true, 'its refreshed token still says true')
	or diag($r->{content});
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
my $permanent = signup('permanent@example.com', data => { is_anonymous => JSON::PP::true })->{json}{access_token};
is(claims_of($permanent)->{is_anonymous}, JSON::PP::false, 'a permanent user\'s data saying true: the token says false');
is_gotrue_error($front->request(POST => '/token?grant_type=password', json => { email => '', password => $password }),
	400, 'invalid_credentials', 'no sign-in by an empty address (an anonymous user has none)');
is_gotrue_error($front->request(GET => '/reauthenticate', headers => { Authorization => "Bearer $anon" }),
	400, 'validation_failed', 'no reauthentication without an address');
psql($db, q{SELECT authoob_configure('{"anonymous_signin": false}')});

# --- reauthentication nonces: another user's, replayed, guessed
psql($db, q{SELECT authoob_configure('{"secure_password_change": true, "login_failures_per_hour": 3}')});
my %reauth;
for my $who ('nonce-a@example.com', 'nonce-b@example.com')
{
	my $token = signup($who)->{json}{access_token};
	$r = $front->request(GET => '/reauthenticate', headers => { Authorization => "Bearer $token" });
	is_deeply([ $r->{status}, $r->{json} ], [ 200, {} ], "GET /reauthenticate for $who: 200 {}");
	my ($nonce) = psql($db, qq{SELECT body_text FROM authoob.mail_outbox
		WHERE recipient = '$who' AND kind = 'reauthentication'}) =~ /code: (\d{6})/;
	$reauth{$who} = { token => $token, nonce => $nonce };
}
is_gotrue_error($front->request(GET => '/reauthenticate', headers => { Authorization => "Bearer $reauth{'nonce-a@example.com'}{token}" }),
	429, 'over_email_send_rate_limit', 'asked again at once: 429');
# sessions signed in more than a day ago need the nonce
psql($db, q{UPDATE authoob.sessions SET created_at = now() - interval '25 hours'});
sub change_password
{
	my ($token, %body) = @_;
	return $front->request(PUT => '/user', headers => { Authorization => "Bearer $token" },
		json => { password => strong_password('9'), %body });
}
my $a_token = $reauth{'nonce-a@example.com'}{token};
is_gotrue_error(change_password($a_token), 400, 'reauthentication_needed', 'a password without a nonce: 400');
is_gotrue_error(change_password($a_token, nonce => $reauth{'nonce-b@example.com'}{nonce}), 422,
	'reauthentication_not_valid', 'another user\'s nonce: 422');
is(change_password($a_token, nonce => $reauth{'nonce-a@example.com'}{nonce})->{status}, 200, 'the right nonce: 200');
$r = $front->request(POST => '/token?grant_type=password', json => { email => 'nonce-a@example.com', password => strong_password('9') });
is($r->{status}, 200, 'the new password signs in');
$a_token = $r->{json}{access_token};
psql($db, q{UPDATE authoob.sessions SET created_at = now() - interval '25 hours'});
is_gotrue_error(change_password($a_token, nonce => $reauth{'nonce-a@example.com'}{nonce}), 422,
	'reauthentication_not_valid', 'the nonce replayed: 422');
# guesses: each counts against the user, then 429 even for the right one
my $b_token = $reauth{'nonce-b@example.com'}{token};
my $b_nonce = $reauth{'nonce-b@example.com'}{nonce};
my @wrong_nonces = map { sprintf '%06d', ($b_nonce + $_) % 1000000 } 1 .. 3;
is_deeply([ map { change_password($b_token, nonce => $_)->{status} } @wrong_nonces ], [ 422, 422, 422 ],
	'three wrong nonces: 422 each');
is_gotrue_error(change_password($b_token, nonce => "$b_nonce"), 429, 'over_request_rate_limit',
	'then 429, the right nonce too');
$front->set_prefix('/authoob');
is($front->request(PUT => '/reset_password', headers => { 'Authentication-Token' => $b_token },
	json => { password1 => strong_password('8'), password2 => strong_password('8'), nonce => "$b_nonce" })->{status}, 429,
	'and through P/reset_password');
$front->set_prefix('/auth/v1');
psql($db, q{SELECT authoob_configure('{"secure_password_change": false, "login_failures_per_hour": 100}')});

# --- the API role may not call the owner's internals (a partition's, when
# sharded: the proxy has none of them)
my $owner_db = (partitions($db))[0] // $db;
for my $call ('authoob_grant_session_of(1)', 'authoob_check_client_throttle(NULL)', q{authoob_activate_user('x')}, q{authoob_spend_reset_token('x')},
	q{authoob_gotrue_pkce('{}', NULL)}, q{authoob_gotrue_mailed_user('signup', 'x', NULL)},
	"authoob_gotrue_start_flow('{\"email\": \"a\@b.c\", \"code_challenge\": \"" . ('c' x 43) . "\"}', 'signup')",
	q{authoob_gotrue_user_json(1)}, q{authoob_gotrue_session('{"user": {"id": "1"}}')},
	q{authoob_service_token()}, q{authoob_check_service_token('x')}, q{authoob_admin_create_user('{}')},
	q{authoob_admin_list_users()}, q{authoob_admin_delete_user(gen_random_uuid())},
	q{authoob_admin_apply(1, '{}')}, q{authoob_audit('login', NULL)},
	q{authoob_admin_list_factors(gen_random_uuid())}, q{authoob_admin_delete_factor(gen_random_uuid(), gen_random_uuid())},
	q{authoob_gotrue_sign_in_anonymously('{}', NULL)}, q{authoob_count_sign_up(NULL)}, q{authoob_mail_nonce(1)},
	q{authoob_sweep_anonymous('1 day')})
{
	like(psql_as($owner_db, 'api_login', "SELECT $call"), qr/permission denied/, "authoob_api may not run $call");
}
like(psql_as($owner_db, 'api_login', 'SELECT count(*) FROM authoob.flow_states'), qr/permission denied/,
	'nor read the PKCE flows');
like(psql_as($owner_db, 'api_login', 'SELECT count(*) FROM authoob.audit_log'), qr/permission denied/,
	'nor the audit log');

done_testing();
