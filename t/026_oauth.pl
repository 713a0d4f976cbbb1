# Sign-in with an identity provider (docs/identity-providers.md), over HTTP
# against the real front and database, with a provider whose answers the
# test chooses (t/js/fake_idp.mjs: discovery, JWKS, a token endpoint that
# checks the client's secret and PKCE, GitHub's /user): the redirect to the
# provider, the callback, the exchange of the app's code, and every attack
# of the contract: forged, replayed and foreign states, a wrong nonce, an
# ID token for another audience, expired, signed by a key the provider
# does not publish, an unverified address that matches an account, an
# off-list redirect_to, the provider unreachable.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64url);
use JSON::PP ();
use URI;
use Test::More;

my $node = $ENV{NODE} // 'node';
my $js = "$FindBin::Bin/js";
skip_all_missing("no $node (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
skip_all_missing("t/js/node_modules: run npm ci in t/js")
  unless -e "$js/node_modules/jose/package.json";

# sharded, a partition refuses to start a sign-in (docs/identity-providers.md)
if (sharded())
{
	my $db = new_database();
	AuthoobTest::psql_in($_, q{SELECT authoob_add_identity_provider('fake', '{"kind": "oauth2",
		"authorization_url": "https://idp.test/a", "token_url": "https://idp.test/t", "userinfo_url": "https://idp.test/u",
		"client_id": "c"}')}) for partitions($db);
	my $front = AuthoobTest::Front->start(db => $db, prefix => '/auth/v1');
	my $r = $front->request(GET => '/authorize?provider=fake');
	is($r->{status}, 400, 'sharded: G/authorize refuses, as for a provider not enabled');
	is($r->{json}{error_code}, 'validation_failed', 'sharded: validation_failed');
	done_testing();
	exit;
}

my $idp_pid = open(my $idp_out, '-|', $node, "$js/fake_idp.mjs", 'authoob-client', 's3cret/+:x')
  or die "cannot run $node: $!";
my $idp_port = <$idp_out>;
chomp $idp_port;
my $issuer = "http://127.0.0.1:$idp_port";
END { local $?; kill 'KILL', $idp_pid if $idp_pid; close $idp_out if $idp_out }

my $db = new_database();
my $owner_db = $db;
psql($db, q{SELECT authoob_configure('{"redirect_urls": "http://app.test/cb"}')});
AuthoobTest::psql_in($owner_db, qq{SELECT authoob_add_identity_provider('fake', '{"kind": "oidc", "issuer": "$issuer",
	"client_id": "authoob-client", "client_secret": "s3cret/+:x"}')});
AuthoobTest::psql_in($owner_db, qq{SELECT authoob_add_identity_provider('hub', '{"kind": "oauth2",
	"authorization_url": "$issuer/authorize", "token_url": "$issuer/token", "userinfo_url": "$issuer/user",
	"client_id": "authoob-client", "client_secret": "s3cret/+:x", "token_auth_method": "client_secret_post",
	"email_verified_claim": "verified"}')});
AuthoobTest::psql_in($owner_db, q{SELECT authoob_add_identity_provider('gone', '{"kind": "oidc", "issuer": "http://127.0.0.1:9",
	"client_id": "authoob-client"}')});

my $front = AuthoobTest::Front->start(db => $db);
$front->set_prefix('/auth/v1');
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
my $verifier = encode_base64url(sha256('the app keeps this secret')) . 'x' x 10;
my $app_challenge = encode_base64url(sha256($verifier));

sub query_of { my %q = URI->new($_[0])->query_form; return \%q }

# GET G/authorize: the redirect to the provider, and the flow's cookie
sub authorize
{
	my (%q) = @_;
	my $uri = URI->new('/authorize');
	$uri->query_form(provider => 'fake', redirect_to => 'http://app.test/cb',
		code_challenge => $app_challenge, code_challenge_method => 's256', %q);
	my $r = $front->request(GET => "$uri");
	my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(authoob_flow=[^;]+)/;
	return ($r, $r->{headers}{location} // '', $cookie);
}

# The callback as the provider sends the browser back, the code saying
# what the test wants the provider to say (fake_idp.mjs)
sub callback
{
	my ($state, $cookie, %said) = @_;
	my $uri = URI->new('/callback');
	$uri->query_form(state => $state, code => encode_base64url(json_encode(\%said)));
	my $r = $front->request(GET => "$uri", headers => { defined $cookie ? (Cookie => $cookie) : () });
	return ($r, $r->{headers}{location} // '');
}

# The whole way: authorize, the provider's answer, the callback; the
# app's redirect (and the flow's state and cookie, to replay)
sub sign_in
{
	my (%said) = @_;
	my $provider = delete $said{provider} // 'fake';
	my ($r, $to, $cookie) = authorize(provider => $provider);
	my $q = query_of($to);
	my ($back, $app) = callback($q->{state}, $cookie, nonce => $q->{nonce}, challenge => $q->{code_challenge}, %said);
	return ($app, $q, $cookie, $back);
}

sub exchange
{
	my ($app) = @_;
	my $code = query_of($app)->{code};
	return $front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $verifier });
}

sub count_of { AuthoobTest::psql_in($owner_db, "SELECT count(*) FROM $_[0]") }
sub stats { json_decode(HTTP::Tiny->new->get("$issuer/stats")->{content}) }

# --- the redirect to the provider
my ($r, $to, $cookie) = authorize();
is($r->{status}, 302, 'G/authorize redirects');
like($to, qr{^\Q$issuer\E/authorize\?}, 'to the authorization endpoint of the discovery document');
my $q = query_of($to);
is($q->{client_id}, 'authoob-client', 'with the client id');
is($q->{response_type}, 'code', 'asking for a code');
is($q->{redirect_uri}, 'http://127.0.0.1/auth/v1/callback', 'the callback of the dialect that started');
is($q->{scope}, 'openid email profile', 'the scopes');
like($q->{state}, qr/^[A-Za-z0-9_-]{43}$/, 'a state of 256 bits');
like($q->{nonce}, qr/^[A-Za-z0-9_-]{43}$/, 'a nonce');
is($q->{code_challenge_method}, 'S256', 'PKCE S256 towards the provider');
like($q->{code_challenge}, qr/^[A-Za-z0-9_-]{43}$/, 'its challenge');
ok($cookie, 'the browser gets the flow cookie');
like($r->{headers}{'set-cookie'}, qr/; Path=\/auth\/v1\/callback; Max-Age=600; HttpOnly; SameSite=Lax/,
	'HttpOnly, SameSite=Lax, for the callback only, ten minutes');
is(AuthoobTest::psql_in($owner_db, q{SELECT discovery ->> 'issuer' FROM authoob.identity_providers WHERE name = 'fake'}),
	$issuer, 'the discovery document is kept in the provider\'s row');
is(AuthoobTest::psql_in($owner_db, q{SELECT count(*) FROM authoob.oauth_flows
	WHERE state_hash = sha256(convert_to('} . $q->{state} . q{', 'UTF8'))}), 1, 'the state is kept as its hash');
my ($r2, $to2) = authorize(provider => 'nobody');
is($r2->{status}, 400, 'an unknown provider is a 400');
is($r2->{json}{error_code}, 'validation_failed', 'validation_failed, as Supabase Auth says it');
($r2, $to2) = authorize(code_challenge => 'short');
is($r2->{status}, 400, 'a bad code_challenge is a 400');

# --- a new user signs in through the provider
my ($app, $flow, $flow_cookie) = sign_in(sub => 'alice-1', email => 'Alice@Example.com', email_verified => JSON::PP::true);
like($app, qr{^http://app\.test/cb\?code=[A-Za-z0-9_-]{43}$}, 'the callback leads to redirect_to with a one-time code')
  or diag($app);
my $session = exchange($app);
is($session->{status}, 200, 'the app exchanges the code with its verifier (grant_type=pkce)') or diag($session->{content});
my $user = $front->request(GET => '/user', token => $session->{json}{access_token}, headers => { Authorization => "Bearer $session->{json}{access_token}" });
is($user->{json}{email}, 'alice@example.com', 'and reads the user');
ok($user->{json}{email_confirmed_at}, 'confirmed: the provider verified the address');
is(exchange($app)->{status} >= 400 ? 'refused' : 'taken', 'refused', 'the app\'s code works once');
is(count_of(q{authoob.identities WHERE provider = 'fake' AND subject = 'alice-1'}), 1, 'the identity is kept');
my ($at_idp) = grep { $_->{provider} eq 'fake' } @{ $user->{json}{identities} // [] };
is($at_idp && $at_idp->{id}, 'alice-1', 'G/user shows the identity at the provider, its id the subject');
is($at_idp && $at_idp->{identity_data}{email}, 'Alice@Example.com', 'with what the provider said');

# the same subject finds the same user, whatever address it says now
my ($app2) = sign_in(sub => 'alice-1', email => 'alice.new@example.com', email_verified => JSON::PP::true);
my $again = exchange($app2);
is($front->request(GET => '/user', headers => { Authorization => "Bearer $again->{json}{access_token}" })->{json}{id},
	$user->{json}{id}, 'the same subject signs in the same user');

# ES256 keys too
my ($app3) = sign_in(sub => 'ec-user', email => 'ec@example.com', email_verified => JSON::PP::true, key => 'ec');
like($app3, qr{\?code=}, 'an ID token signed ES256 is taken');

# --- attacks: each ends at the app with an error, nothing made
sub refused
{
	my ($what, $app, $error_code) = @_;
	my $q = query_of($app);
	# to the flow's redirect_to; to app_url when no flow is known
	like($app, qr{^http://app\.test(/cb)?\?error=}, "$what: the browser goes back to the app with an error");
	is($q->{error_code}, $error_code, "$what: error_code $error_code") if defined $error_code;
	return $q;
}
my $users_before = count_of('authoob.users');

my ($back, $to_app) = callback('forged-state-' . 'x' x 30, $flow_cookie, nonce => 'n', challenge => 'c', sub => 'mallory');
refused('a forged state', $to_app, 'bad_oauth_state');
is($back->{status}, 302, 'a forged state is a redirect, not an error page');
($back, $to_app) = callback($flow->{state}, $flow_cookie, nonce => $flow->{nonce}, challenge => $flow->{code_challenge}, sub => 'alice-1');
refused('a replayed state', $to_app, 'bad_oauth_state');

my ($r3, $to3, $cookie3) = authorize();
my $q3 = query_of($to3);
($back, $to_app) = callback($q3->{state}, 'authoob_flow=another-browser', nonce => $q3->{nonce}, challenge => $q3->{code_challenge}, sub => 'csrf');
refused('a state of another browser (login CSRF)', $to_app, 'bad_oauth_state');
($back, $to_app) = callback($q3->{state}, undef, nonce => $q3->{nonce}, challenge => $q3->{code_challenge}, sub => 'csrf');
refused('a state without the cookie', $to_app, 'bad_oauth_state');
($back, $to_app) = callback($q3->{state}, $cookie3, nonce => $q3->{nonce}, challenge => $q3->{code_challenge}, sub => 'csrf-owner',
	email => 'csrf@example.com', email_verified => JSON::PP::true);
like($to_app, qr{\?code=}, 'the browser that started still finishes its own flow');

my ($bad) = sign_in(sub => 'm1', email => 'm1@example.com', email_verified => JSON::PP::true, nonce => 'not-the-nonce');
like(refused('a wrong nonce', $bad, 'oauth_failed')->{error_description}, qr/nonce/, 'it says the nonce');
($bad) = sign_in(sub => 'm2', email => 'm2@example.com', email_verified => JSON::PP::true, claims => { aud => 'another-client' });
like(refused('an ID token for another audience', $bad)->{error_description}, qr/aud/, 'it says the audience');
($bad) = sign_in(sub => 'm3', email => 'm3@example.com', email_verified => JSON::PP::true, claims => { exp => time - 3600 });
like(refused('an expired ID token', $bad)->{error_description}, qr/expired/, 'it says expired');
($bad) = sign_in(sub => 'm4', email => 'm4@example.com', email_verified => JSON::PP::true, claims => { iss => 'http://evil.test' });
like(refused('an ID token of another issuer', $bad)->{error_description}, qr/iss/, 'it says the issuer');
my $jwks_before = json_decode(HTTP::Tiny->new->get("$issuer/stats")->{content})->{'/jwks'} // 0;
($bad) = sign_in(sub => 'm5', email => 'm5@example.com', email_verified => JSON::PP::true, key => 'rogue');
like(refused('an ID token signed by a key the provider does not publish', $bad)->{error_description},
	qr/key the provider does not publish/, 'it says the key is unknown');
($bad) = sign_in(sub => 'm6', email => 'm6@example.com', email_verified => JSON::PP::true, key => 'rogue', kid => 'rsa-1');
like(refused('an ID token signed by another key under a published kid', $bad)->{error_description},
	qr/signature/, 'it says the signature');
my $jwks_after = json_decode(HTTP::Tiny->new->get("$issuer/stats")->{content})->{'/jwks'} // 0;
cmp_ok($jwks_after - $jwks_before, '<=', 1, 'an unknown kid fetches the keys again, once a minute at most');
($bad) = sign_in(sub => 'm7', email => 'm7@example.com', email_verified => JSON::PP::true, token_status => 500);
refused('the token endpoint failing', $bad);
is(count_of('authoob.users'), $users_before + 1, 'no attack made a user (only the browser that started did)');
is(count_of(q{authoob.identities WHERE subject LIKE 'm_'}), 0, 'nor an identity');

# registrations turned off: a new subject makes no account (as Supabase
# Auth's signup_disabled); a known one still signs in
psql($db, q{SELECT authoob_configure('{"disable_signup": true}')});
my $users_closed = count_of('authoob.users');
($bad) = sign_in(sub => 'newcomer', email => 'newcomer@example.com', email_verified => JSON::PP::true);
refused('disable_signup, a new subject', $bad, 'signup_disabled');
is(count_of('authoob.users'), $users_closed, 'disable_signup: no account made');
my ($known_app) = sign_in(sub => 'alice-1', email => 'alice.new@example.com', email_verified => JSON::PP::true);
like($known_app, qr{\?code=}, 'disable_signup: a known subject still signs in');
psql($db, q{SELECT authoob_configure('{"disable_signup": false}')});

# pre-account-takeover: an address the provider does not vouch for never links
my $victim = $front->request(POST => '/signup', json => { email => 'victim@example.com', password => strong_password() });
AuthoobTest::psql_in($owner_db, q{UPDATE authoob.users SET confirmed_at = now() WHERE email = 'victim@example.com'});
($bad) = sign_in(sub => 'attacker-1', email => 'victim@example.com', email_verified => JSON::PP::false);
refused('an unverified address of an existing account', $bad, 'email_exists');
is(count_of(q{authoob.identities i JOIN authoob.users u ON u.id = i.user_id WHERE u.email = 'victim@example.com'}), 0,
	'no identity links to the account');
# an account never confirmed is not linked either, verified or not
$front->request(POST => '/signup', json => { email => 'waiting@example.com', password => strong_password() });
AuthoobTest::psql_in($owner_db, q{UPDATE authoob.users SET confirmed_at = NULL WHERE email = 'waiting@example.com'});
($bad) = sign_in(sub => 'attacker-2', email => 'waiting@example.com', email_verified => JSON::PP::true);
refused('a verified address of an unconfirmed account', $bad, 'email_exists');
# a verified address of a confirmed account links
my ($linked) = sign_in(sub => 'victim-at-idp', email => 'victim@example.com', email_verified => JSON::PP::true);
my $vs = exchange($linked);
is($front->request(GET => '/user', headers => { Authorization => "Bearer $vs->{json}{access_token}" })->{json}{email},
	'victim@example.com', 'a verified address of a confirmed account signs in to it');

# the hooks: pre_oauth_signin may refuse, post_oauth_signin sees the identity
psql($db, q{CREATE TABLE public.oauth_seen (provider text, subject text, email text)});
psql($db, q{CREATE FUNCTION public.no_blocked(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    IF context #>> '{claims,email}' = 'blocked@example.com' THEN
        RAISE EXCEPTION 'this address may not sign in here' USING ERRCODE = 'PT403';
    END IF;
    RETURN NULL;
END $$});
psql($db, q{CREATE FUNCTION public.seen(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
    INSERT INTO public.oauth_seen VALUES (context #>> '{identity,provider}', context #>> '{identity,subject}',
                                          context #>> '{user,email}') RETURNING NULL::jsonb $$});
psql($db, q{SELECT authoob_add_hook('pre_oauth_signin', 'public.no_blocked(jsonb)')});
psql($db, q{SELECT authoob_add_hook('post_oauth_signin', 'public.seen(jsonb)')});
($bad) = sign_in(sub => 'blocked-1', email => 'blocked@example.com', email_verified => JSON::PP::true);
is(refused('pre_oauth_signin raising', $bad)->{error_description}, 'this address may not sign in here',
	'pre_oauth_signin refuses the sign-in, its message to the app');
is(count_of(q{authoob.users WHERE email = 'blocked@example.com'}), 0, 'and no user is made');
my ($hooked) = sign_in(sub => 'hooked-1', email => 'hooked@example.com', email_verified => JSON::PP::true);
like($hooked, qr{\?code=}, 'a sign-in the hook lets through');
is(psql($db, q{SELECT concat_ws(' ', provider, subject, email) FROM public.oauth_seen}), 'fake hooked-1 hooked@example.com',
	'post_oauth_signin sees the user and the identity');
psql($db, q{SELECT authoob_remove_hook('pre_oauth_signin', 'public.no_blocked(jsonb)'), authoob_remove_hook('post_oauth_signin', 'public.seen(jsonb)')});

# an off-list redirect_to leads to app_url
my ($r4, $to4, $cookie4) = authorize(redirect_to => 'https://evil.test/steal');
my $q4 = query_of($to4);
($back, $to_app) = callback($q4->{state}, $cookie4, nonce => $q4->{nonce}, challenge => $q4->{code_challenge},
	sub => 'offlist', email => 'offlist@example.com', email_verified => JSON::PP::true);
like($to_app, qr{^http://app\.test\?code=}, 'an off-list redirect_to leads to app_url instead');

# the provider unreachable: a clear error, nothing kept
my ($r5, $to5) = authorize(provider => 'gone');
isnt($r5->{status}, 500, 'an unreachable provider is no 500 page');
is($r5->{status}, 502, 'but a 502') or diag($r5->{content});
is(count_of(q{authoob.oauth_flows WHERE provider = 'gone'}), 0, 'and no flow is kept');

# --- plain OAuth 2.0 of GitHub's shape: the user read from /user
my ($hub) = sign_in(provider => 'hub', sub => '4242', email => 'octo@example.com', email_verified => JSON::PP::false);
like($hub, qr{\?code=}, 'a plain OAuth 2.0 provider signs in through its userinfo URL') or diag($hub);
my $hs = exchange($hub);
my $hub_user = $front->request(GET => '/user', headers => { Authorization => "Bearer $hs->{json}{access_token}" });
is($hub_user->{json}{email}, 'octo@example.com', 'the address /user gave');
ok(!$hub_user->{json}{email_confirmed_at}, 'not confirmed: the provider did not verify it');
is(count_of(q{authoob.identities WHERE provider = 'hub' AND subject = '4242'}), 1, 'its numeric id is the subject');

# P/ too, without the app's PKCE: the session in the fragment
$front->set_prefix('/authoob');
my $uri = URI->new('/authorize');
$uri->query_form(provider => 'fake', redirect_to => 'http://app.test/cb');
my $p = $front->request(GET => "$uri");
my $pq = query_of($p->{headers}{location});
is($pq->{redirect_uri}, 'http://127.0.0.1/authoob/callback', 'P/authorize: the callback under P/');
my ($pc) = ($p->{headers}{'set-cookie'} // '') =~ /^(authoob_flow=[^;]+)/;
$uri = URI->new('/callback');
$uri->query_form(state => $pq->{state}, code => encode_base64url(json_encode({ nonce => $pq->{nonce},
	challenge => $pq->{code_challenge}, sub => 'alice-1' })));
my $pb = $front->request(GET => "$uri", headers => { Cookie => $pc });
like($pb->{headers}{location}, qr{^http://app\.test/cb#access_token=[^&]+&expires_at=\d+&expires_in=\d+&refresh_token=[^&]+&token_type=bearer$},
	'P/callback: the implicit flow, the session in the fragment');

# --- the database asks the provider itself: a client with the API role's
# credentials can neither hand it a provider's answers nor send its
# requests anywhere (docs/identity-providers.md, "Who asks the provider")
psql($db, q{DROP ROLE IF EXISTS api_login; CREATE ROLE api_login LOGIN PASSWORD 'api_login' IN ROLE authoob_api});
my $stats_before = stats()->{'/stats'} // 0;
like(psql_as($db, 'api_login', "SELECT authoob_provider_fetch('$issuer/stats', NULL, NULL)"), qr/permission denied/,
	'the API role may not make the database fetch a URL');
is(stats()->{'/stats'} // 0, $stats_before + 1, 'and the database asked nothing (the one request is the test\'s own)');
# a provider that does not answer holds nobody longer than the statement
# may run: a cancel ends the request at once, and the backend goes on
my $t0 = time;
like((eval { AuthoobTest::psql_in($owner_db, qq{SET statement_timeout = '500ms'; SELECT authoob_provider_fetch('$issuer/slow', NULL, NULL)}) } // $@),
	qr/canceling statement due to statement timeout/, 'statement_timeout stops a request to a provider that does not answer');
cmp_ok(time - $t0, '<', 5, 'at once, not after the 10 s of the request\'s own timeout');
for my $call (q{authoob_oauth_provider('fake')}, q{authoob_oauth_answer('{"status": 200, "body": "{}"}', 'x')},
	q{authoob_oauth_identity_user(NULL, '{"sub": "x", "email": "ada@example.com", "email_verified": true}', NULL, NULL)})
{
	like(psql_as($db, 'api_login', "SELECT $call"), qr/permission denied/, "authoob_api may not run $call");
}
my ($forged_to, $forged_cookie) = (authorize(provider => 'hub'))[1, 2];
my $forged_state = query_of($forged_to)->{state};
my ($forged_value) = $forged_cookie =~ /=(.*)/;
like(psql_as($db, 'api_login', qq{SELECT authoob_oauth_callback('{"code": "x", "state": "$forged_state"}', '$forged_value', NULL,
	'[{"for": "token", "status": 200, "body": "{\\"access_token\\": \\"x\\"}"}, {"for": "userinfo", "status": 200,
	  "body": "{\\"id\\": 1, \\"email\\": \\"octo\@example.com\\", \\"verified\\": true}"}]')}),
	qr/function .* does not exist/, 'the callback takes no answers from its caller');
is(count_of(q{authoob.identities WHERE provider = 'hub' AND subject = '1'}), 0, 'and no identity was made of them');

is($front->log =~ /s3cret/ ? 'logged' : 'not logged', 'not logged', 'the client secret never reaches the log');
hostile_checks($db) if hostile();
done_testing();
