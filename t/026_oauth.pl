# Sign-in with an identity provider (docs/identity-providers.md), over HTTP
# against the real front and database, with a provider whose answers the
# test chooses (t/js/fake_idp.mjs: discovery, JWKS, a token endpoint that
# checks the client's secret and PKCE, GitHub's /user): the redirect to the
# provider, the callback, the exchange of the app's code, and every attack
# of the contract: forged, replayed and foreign states, a wrong nonce, an
# ID token for another audience, expired, signed by a key the provider
# does not publish, an unverified address that matches an account, an
# off-list redirect_to, the provider unreachable; signInWithIdToken with
# auth-js (t/js/idtoken_flow.mjs) and its attacks: another audience,
# expired, issued ahead, foreign keys, alg none and HS256 with the public
# key, nonces wrong or missing, a replay, unknown and disabled providers,
# an unverified address of an account, bad bodies, throttling.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Digest::SHA qw(sha256);
use Digest::SHA ();
use MIME::Base64 qw(encode_base64url);
use MIME::Base64 ();
use JSON::PP ();
use URI;
use Test::More;

my $node = $ENV{NODE} // 'node';
my $js = "$FindBin::Bin/js";
skip_all_missing("no $node (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
skip_all_missing("t/js/node_modules: run npm ci in t/js")
  unless -e "$js/node_modules/jose/package.json";

my $idp_pid = open(my $idp_out, '-|', $node, "$js/fake_idp.mjs", 'authoob-client', 's3cret/+:x')
  or die "cannot run $node: $!";
my $idp_port = <$idp_out>;
chomp $idp_port;
my $issuer = "http://127.0.0.1:$idp_port";
END { local $?; kill 'KILL', $idp_pid if $idp_pid; close $idp_out if $idp_out }

# Sharded (AUTHOOB_SHARDS), every sign-in goes through the proxy: the
# flow on partition 0, the user on the partition of its identity or
# address (docs/identity-providers.md, "Sharding"); the owner configures
# each partition, and reads partition 0's flows and provider rows there.
my $db = new_database();
my @owner_dbs = partitions($db) ? partitions($db) : ($db);
my $owner_db = $owner_dbs[0];
sub on_each_partition { join "\n", grep { $_ ne '' } map { AuthoobTest::psql_in($_, $_[0]) } @owner_dbs }
psql($db, q{SELECT authoob_configure('{"redirect_urls": "http://app.test/cb"}')});
on_each_partition(qq{SELECT authoob_add_identity_provider('fake', '{"kind": "oidc", "issuer": "$issuer",
	"client_id": "authoob-client", "client_secret": "s3cret/+:x"}')});
on_each_partition(qq{SELECT authoob_add_identity_provider('hub', '{"kind": "oauth2",
	"authorization_url": "$issuer/authorize", "token_url": "$issuer/token", "userinfo_url": "$issuer/user",
	"client_id": "authoob-client", "client_secret": "s3cret/+:x", "token_auth_method": "client_secret_post",
	"email_verified_claim": "verified"}')});
on_each_partition(q{SELECT authoob_add_identity_provider('gone', '{"kind": "oidc", "issuer": "http://127.0.0.1:9",
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

# counted over every partition when sharded (psql reads them all)
sub count_of { psql($db, "SELECT count(*) FROM $_[0]") }
sub stats { json_decode(HTTP::Tiny->new->get("$issuer/stats")->{content}) }

# an access token's amr, as "method:provider" entries (Supabase Auth's AMREntry)
sub amr_of
{
	my ($jwt) = @_;
	my $payload = (split /\./, $jwt // '')[1] // return '';
	my $claims = json_decode(MIME::Base64::decode_base64url($payload));
	return join ',', map { join ':', grep { defined } $_->{method}, $_->{provider} } @{ $claims->{amr} // [] };
}

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
is(amr_of($session->{json}{access_token}), 'oauth:fake', 'its amr says oauth, at the provider fake');
my $refreshed = $front->request(POST => '/token?grant_type=refresh_token', json => { refresh_token => $session->{json}{refresh_token} });
is(amr_of($refreshed->{json}{access_token}), 'oauth:fake', 'and still does after a refresh');
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
psql($db, q{UPDATE authoob.users SET confirmed_at = now() WHERE email = 'victim@example.com'});
($bad) = sign_in(sub => 'attacker-1', email => 'victim@example.com', email_verified => JSON::PP::false);
refused('an unverified address of an existing account', $bad, 'email_exists');
is(count_of(q{authoob.identities i JOIN authoob.users u ON u.id = i.user_id WHERE u.email = 'victim@example.com'}), 0,
	'no identity links to the account');
# an account never confirmed is not linked either, verified or not
$front->request(POST => '/signup', json => { email => 'waiting@example.com', password => strong_password() });
psql($db, q{UPDATE authoob.users SET confirmed_at = NULL WHERE email = 'waiting@example.com'});
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
is(on_each_partition(q{SELECT concat_ws(' ', provider, subject, email) FROM public.oauth_seen}), 'fake hooked-1 hooked@example.com',
	'post_oauth_signin sees the user and the identity');
# the same hooks around signInWithIdToken (below; sharded, it is refused)
unless (sharded())
{
	my $hooked_grant = id_token_grant(provider => 'fake', id_token => id_token_of(sub => 'blocked-2', email => 'blocked@example.com',
		email_verified => JSON::PP::true));
	is_deeply([ $hooked_grant->{status}, $hooked_grant->{json}{msg} ], [ 403, 'this address may not sign in here' ],
		'pre_oauth_signin refuses an ID token\'s sign-in too, with its status and message');
	is(count_of(q{authoob.users WHERE email = 'blocked@example.com'}), 0, 'and no user is made');
	is(id_token_grant(provider => 'fake', id_token => id_token_of(sub => 'hooked-2', email => 'hooked2@example.com',
		email_verified => JSON::PP::true))->{status}, 200, 'an ID token the hook lets through');
	is(on_each_partition(q{SELECT concat_ws(' ', provider, subject, email) FROM public.oauth_seen WHERE subject = 'hooked-2'}),
		'fake hooked-2 hooked2@example.com', 'post_oauth_signin sees its user and identity');
}
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
is(amr_of($hs->{json}{access_token}), 'oauth:hub', 'its amr names the plain OAuth 2.0 provider');

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
my ($fragment_token) = ($pb->{headers}{location} // '') =~ /#access_token=([^&]+)/;
is(amr_of($fragment_token), 'oauth:fake', 'the fragment\'s session says oauth and the provider too');

# --- signInWithIdToken, sharded: refused, as a partition cannot hand a
# token grant to another (docs/identity-providers.md, "Sharding")
if (sharded())
{
	$front->set_prefix('/auth/v1');
	my $r = $front->request(POST => '/token?grant_type=id_token', json => { provider => 'fake', id_token => 'a.b.c' });
	is($r->{status}, 400, 'sharded: signInWithIdToken refuses');
	is($r->{json}{error_code}, 'validation_failed', 'sharded: validation_failed');
}
else
{
	# --- signInWithIdToken: POST G/token?grant_type=id_token with an ID token
	# the app got from the provider itself (docs/identity-providers.md)
	$front->set_prefix('/auth/v1');
	my $gotrue_url = $front->url('');
	# an ID token of the provider, saying what the test wants (fake_idp.mjs)
	sub id_token_of
	{
		my (%said) = @_;
		return json_decode(HTTP::Tiny->new->post("$issuer/id_token", { content => json_encode(\%said) })->{content})->{id_token};
	}
	# auth-js's signInWithIdToken, once for each set of credentials
	sub with_authjs
	{
		my @calls = @_;
		open(my $out, '-|', $node, "$js/idtoken_flow.mjs", $gotrue_url, json_encode(\@calls)) or die "cannot run $node: $!";
		my @answers = map { json_decode($_) } <$out>;
		close $out;
		is(scalar @answers, scalar @calls, 'auth-js answered every call') or diag(explain(\@answers));
		return @answers;
	}
	sub id_token_grant { $front->request(POST => '/token?grant_type=id_token', json => { @_ }) }
	sub jwt_part { encode_base64url(json_encode($_[0])) }
	sub sha256_hex_of { Digest::SHA::sha256_hex($_[0]) }

	my $now = time;
	my %carol = (sub => 'carol-1', email => 'Carol@Example.com', email_verified => JSON::PP::true);
	my $carol_token = id_token_of(%carol, nonce => sha256_hex_of('the app nonce'));
	my $sessions_of = sub { count_of(q{authoob.sessions s JOIN authoob.users u ON u.id = s.user_id WHERE u.email = 'carol@example.com'}) };
	my ($carol) = with_authjs({ provider => 'fake', token => $carol_token, nonce => 'the app nonce' });
	ok($carol->{access_token} && $carol->{refresh_token}, 'signInWithIdToken: a session') or diag(explain($carol->{error}));
	ok($carol->{stored}, 'auth-js keeps it as the signed-in session');
	is($carol->{user}{email}, 'carol@example.com', 'the provider\'s user, made');
	ok($carol->{user}{confirmed}, 'confirmed: the provider verified the address');
	is_deeply($carol->{user}{providers}, ['email', 'fake'], 'its identities: the address and the provider');
	is(amr_of($carol->{access_token}), 'oauth:fake', 'its amr says oauth, at the provider fake');
	is(count_of(q{authoob.identities WHERE provider = 'fake' AND subject = 'carol-1'}), 1, 'the identity is kept');
	is($sessions_of->(), 1, 'one session');
	# GoTrue keeps no record of the ID tokens it took: one signs in again
	# until it expires, as there (its nonce binds it to the app that asked)
	my ($replay) = with_authjs({ provider => 'fake', token => $carol_token, nonce => 'the app nonce' });
	is($replay->{user} && $replay->{user}{id}, $carol->{user}{id}, 'the same ID token again signs the same user in, as in Supabase Auth');
	is($sessions_of->(), 2, 'in a second session');
	# the issuer and client id name the provider as well as its name
	my $by_issuer = id_token_grant(id_token => id_token_of(%carol), issuer => $issuer, client_id => 'authoob-client');
	is($by_issuer->{status}, 200, 'issuer and client_id name the provider') or diag($by_issuer->{content});
	# an access token the ID token names (at_hash) must be its
	my $at_hash = encode_base64url(substr(sha256('the access token'), 0, 16));
	my $with_at = id_token_of(%carol, claims => { at_hash => $at_hash });
	is(id_token_grant(provider => 'fake', id_token => $with_at, access_token => 'the access token')->{status}, 200,
		'an access_token that matches the ID token\'s at_hash');

	# --- its attacks: each a clear 4xx, nothing made
	my $users_before_id = count_of('authoob.users');
	my $identities_before_id = count_of('authoob.identities');
	my $sessions_before_id = count_of('authoob.sessions');
	my $bad_token = 'Bad ID token';
	my %refusals = (
		'a token for another audience' => [{ provider => 'fake', token => id_token_of(%carol, claims => { aud => 'another-client' }) },
			'Unacceptable audience in id_token: [another-client]'],
		'an expired token' => [{ provider => 'fake', token => id_token_of(%carol, claims => { iat => $now - 7200, exp => $now - 3600 }) }, $bad_token],
		'a token issued in the future (iat)' => [{ provider => 'fake', token => id_token_of(%carol, claims => { iat => $now + 3600, exp => $now + 7200 }) }, $bad_token],
		'a token of another issuer' => [{ provider => 'fake', token => id_token_of(%carol, claims => { iss => 'http://evil.test' }) }, $bad_token],
		'a token signed by a key not in the JWKS' => [{ provider => 'fake', token => id_token_of(%carol, key => 'rogue') }, $bad_token],
		'a token signed by another key under a published kid' => [{ provider => 'fake', token => id_token_of(%carol, key => 'rogue', kid => 'rsa-1') }, $bad_token],
		'HS256 with the public key as its secret (algorithm confusion)' => [{ provider => 'fake', token => id_token_of(%carol, key => 'hs256-public') }, $bad_token],
		'alg none' => [{ provider => 'fake', token => join('.', jwt_part({ alg => 'none', kid => 'rsa-1' }),
			jwt_part({ iss => $issuer, aud => 'authoob-client', sub => 'carol-1', iat => $now, exp => $now + 300 }), '') }, $bad_token],
		'a token with a nonce, and none sent' => [{ provider => 'fake', token => $carol_token },
			'Passed nonce and nonce in id_token should either both exist or not.'],
		'a wrong nonce' => [{ provider => 'fake', token => $carol_token, nonce => 'another nonce' }, 'Nonces mismatch'],
		'the token\'s nonce sent as it is, not hashed' => [{ provider => 'fake', token => $carol_token, nonce => sha256_hex_of('the app nonce') }, 'Nonces mismatch'],
		'a nonce sent for a token without one' => [{ provider => 'fake', token => id_token_of(%carol), nonce => 'the app nonce' },
			'Passed nonce and nonce in id_token should either both exist or not.'],
		'a token without a subject' => [{ provider => 'fake', token => id_token_of(%carol, sub => undef) }, 'Missing sub claim in id_token'],
		'an access_token that is not the one of at_hash' => [{ provider => 'fake', token => $with_at, access_token => 'another access token' }, $bad_token],
		'an unknown provider' => [{ provider => 'nobody', token => $carol_token }, 'Custom OIDC provider "nobody" not allowed', 'validation_failed'],
		'a plain OAuth 2.0 provider' => [{ provider => 'hub', token => $carol_token }, 'Provider "hub" is not an OIDC provider', 'validation_failed'],
	);
	my @names = sort keys %refusals;
	my @answers = with_authjs(map { $refusals{$_}[0] } @names);
	for my $i (0 .. $#names)
	{
		my ($what, $message, $code) = ($names[$i], @{ $refusals{ $names[$i] } }[1, 2]);
		my $error = $answers[$i]{error} // {};
		ok(!$answers[$i]{access_token}, "$what: no session");
		is($error->{status}, 400, "$what: 400");
		is($error->{message}, $message, "$what: \"$message\"");
		is($error->{code}, $code, "$what: error code " . ($code // 'none, as GoTrue\'s OAuth errors'));
	}
	my $raw = id_token_grant(provider => 'fake', id_token => id_token_of(%carol, key => 'rogue'));
	is_deeply($raw->{json}, { error => 'invalid request', error_description => $bad_token },
		'GoTrue\'s OAuth error, word for word');
	ok(!$raw->{headers}{'x-sb-error-code'}, 'with no error code header, as GoTrue\'s');

	# a disabled provider keeps its users, signs none in
	AuthoobTest::psql_in($owner_db, q{SELECT authoob_alter_identity_provider('fake', '{"enabled": false}')});
	my ($disabled) = with_authjs({ provider => 'fake', token => $carol_token, nonce => 'the app nonce' });
	is($disabled->{error} && $disabled->{error}{code}, 'provider_disabled', 'a disabled provider: provider_disabled');
	is($disabled->{error} && $disabled->{error}{message}, qq{Provider (issuer "$issuer") is not enabled}, 'in GoTrue\'s words');
	AuthoobTest::psql_in($owner_db, q{SELECT authoob_alter_identity_provider('fake', '{"enabled": true}')});

	# pre-account-takeover: an unverified address of an account never links
	my ($squat) = with_authjs({ provider => 'fake', token => id_token_of(sub => 'squatter-1', email => 'victim@example.com',
		email_verified => JSON::PP::false) });
	is($squat->{error} && $squat->{error}{code}, 'email_exists', 'an unverified address of an existing account: email_exists');
	is(count_of(q{authoob.identities WHERE subject = 'squatter-1'}), 0, 'no identity links to the account');

	# bad bodies: GoTrue's words, nothing done
	my $r6 = $front->request(POST => '/token?grant_type=id_token', body => 'not json', headers => { 'Content-Type' => 'application/json' });
	is($r6->{status}, 400, 'a body that is not JSON: 400');
	is($r6->{json}{error_code}, 'bad_json', 'bad_json');
	$r6 = id_token_grant(provider => 'fake', id_token => 7);
	is($r6->{status}, 400, 'an id_token that is no string: 400');
	is($r6->{json}{error_code}, 'bad_json', 'bad_json');
	like($r6->{json}{msg}, qr/cannot unmarshal number into Go struct field IdTokenGrantParams\.id_token of type string/, 'in Go\'s words');
	$r6 = id_token_grant(provider => ['fake'], id_token => $carol_token);
	is($r6->{json}{error_code}, 'bad_json', 'a provider that is no string: bad_json');
	$r6 = id_token_grant(provider => 'fake', id_token => $carol_token, nonce => 'the app nonce', link_identity => 'yes');
	is($r6->{json}{error_code}, 'bad_json', 'a link_identity that is no boolean: bad_json');
	$r6 = id_token_grant(provider => 'fake', id_token => $carol_token, nonce => 'the app nonce', link_identity => JSON::PP::true);
	is_deeply([ $r6->{status}, $r6->{json}{error_code} ], [ 404, 'manual_linking_disabled' ],
		'link_identity: linking is not built, 404 manual_linking_disabled as Supabase Auth with it off');
	$r6 = id_token_grant(provider => 'fake');
	is_deeply([ $r6->{status}, $r6->{json} ], [ 400, { error => 'invalid request', error_description => 'id_token required' } ],
		'no id_token: GoTrue\'s 400');
	$r6 = id_token_grant(id_token => $carol_token);
	is_deeply($r6->{json}, { error => 'invalid request', error_description => 'provider or client_id and issuer required' },
		'no provider: GoTrue\'s 400');
	$r6 = id_token_grant(id_token => $carol_token, issuer => 'http://evil.test', client_id => 'authoob-client');
	is($r6->{json}{error_code}, 'validation_failed', 'an issuer of no provider: validation_failed');
	is(count_of('authoob.users'), $users_before_id, 'no attack made a user');
	is(count_of('authoob.identities'), $identities_before_id, 'nor an identity');
	is(count_of('authoob.sessions'), $sessions_before_id, 'nor a session');

	# throttled as the other token grants: a client over its failures is refused first
	AuthoobTest::psql_in($owner_db, q{SELECT authoob_clear_throttle()});
	psql($db, q{SELECT authoob_configure('{"ip_failures_per_window": 3}')});
	my @guesses = map { id_token_grant(provider => 'fake', id_token => id_token_of(%carol, key => 'rogue'))->{status} } 1 .. 4;
	is("@guesses", '400 400 400 429', 'refused ID tokens count against the client: the fourth is 429');
	my $throttled = id_token_grant(provider => 'fake', id_token => $carol_token, nonce => 'the app nonce');
	is($throttled->{status}, 429, 'a client over its failures gets 429, even with a good ID token');
	psql($db, q{SELECT authoob_configure('{"ip_failures_per_window": 100}')});
	AuthoobTest::psql_in($owner_db, q{SELECT authoob_clear_throttle()});
}

# --- the database asks the provider itself: a client with the API role's
# credentials can neither hand it a provider's answers nor send its
# requests anywhere (docs/identity-providers.md, "Who asks the provider")
AuthoobTest::psql_in($owner_db, q{DROP ROLE IF EXISTS api_login; CREATE ROLE api_login LOGIN PASSWORD 'api_login' IN ROLE authoob_api});
my $stats_before = stats()->{'/stats'} // 0;
like(psql_as($owner_db, 'api_login', "SELECT authoob_provider_fetch('$issuer/stats', NULL, NULL)"), qr/permission denied/,
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
	like(psql_as($owner_db, 'api_login', "SELECT $call"), qr/permission denied/, "authoob_api may not run $call");
}
my ($forged_to, $forged_cookie) = (authorize(provider => 'hub'))[1, 2];
my $forged_state = query_of($forged_to)->{state};
my ($forged_value) = $forged_cookie =~ /=(.*)/;
like(psql_as($owner_db, 'api_login', qq{SELECT authoob_oauth_callback('{"code": "x", "state": "$forged_state"}', '$forged_value', NULL,
	'[{"for": "token", "status": 200, "body": "{\\"access_token\\": \\"x\\"}"}, {"for": "userinfo", "status": 200,
	  "body": "{\\"id\\": 1, \\"email\\": \\"octo\@example.com\\", \\"verified\\": true}"}]')}),
	qr/function .* does not exist/, 'the callback takes no answers from its caller');
is(count_of(q{authoob.identities WHERE provider = 'hub' AND subject = '1'}), 0, 'and no identity was made of them');

# --- a sign-in handed from one partition to another (sharded; unsharded,
# the hand-off functions only refuse): sealed by the partition of the
# flow, taken once, within its minute, on its own partition only
sub handoff_call { my ($on, $sql) = @_; psql_as($on, 'api_login', $sql) }
like(handoff_call($owner_db, q{SELECT authoob_oauth_finish('eyJpZCI6IngifQ.forged', NULL)}),
	qr{"url": "http://app\.test\?error=invalid_request&error_code=bad_oauth_state}, 'a forged hand-off leads to app_url, refused');
like(handoff_call($owner_db, q{SELECT authoob_oauth_locate('not a hand-off')}), qr/not a sign-in this deployment handed over/,
	'and cannot ask where an identity lives');
like(handoff_call($owner_db, q{SELECT authoob_oauth_handoff_seal('{"id": "x"}')}), qr/permission denied/,
	'the API role may not seal a hand-off');
if (sharded())
{
	$front->set_prefix('/auth/v1');
	my @parts = partitions($db);
	# two addresses of different partitions, as the proxy routes them
	my %by_partition;
	for my $i (1 .. 50)
	{
		my $email = "roamer$i\@example.com";
		$by_partition{ AuthoobTest::psql_in($owner_db, "SELECT hashtext('$email') & 1") } //= $email;
		last if keys %by_partition == 2;
	}
	my ($app_a) = sign_in(sub => 'roamer', email => $by_partition{0}, email_verified => JSON::PP::true);
	my $sa = exchange($app_a);
	is($sa->{status}, 200, 'sharded: a new user signs in through the proxy') or diag($app_a, ' ', $sa->{content});
	is(AuthoobTest::psql_in($parts[0], q{SELECT count(*) FROM authoob.identities WHERE subject = 'roamer'}), 1,
		'sharded: the identity is on the partition of its address');
	my ($app_b) = sign_in(sub => 'roamer', email => $by_partition{1}, email_verified => JSON::PP::true);
	my $sb = exchange($app_b);
	my $ua = $front->request(GET => '/user', headers => { Authorization => "Bearer $sa->{json}{access_token}" });
	my $ub = $front->request(GET => '/user', headers => { Authorization => "Bearer $sb->{json}{access_token}" });
	ok($ua->{json}{id} && $ua->{json}{id} eq ($ub->{json}{id} // ''),
		'sharded: the same subject is the same user, though the provider now names an address of another partition');
	is(count_of(q{authoob.identities WHERE subject = 'roamer'}), 1, 'sharded: one identity in all');

	# the steps the proxy takes, taken by hand as the API role
	my ($r, $to, $cookie) = authorize();
	my $q = query_of($to);
	my ($browser) = $cookie =~ /=(.*)/;
	my $code = encode_base64url(json_encode({ nonce => $q->{nonce}, challenge => $q->{code_challenge}, sub => 'handed',
		email => $by_partition{1}, email_verified => JSON::PP::true }));
	my $answer = json_decode(handoff_call($parts[0], qq{SELECT authoob_oauth_callback('{"state": "$q->{state}", "code": "$code"}', '$browser', NULL)}));
	ok($answer->{handoff}, 'sharded: the partition of the flow answers a hand-off') or diag(explain($answer));
	is($answer->{partition}, 1, 'sharded: naming the partition of the address');
	my $sealed = $answer->{handoff} // '';
	(my $tampered = $sealed) =~ s/^(.{10})(.)/$1 . ($2 eq 'A' ? 'B' : 'A')/e;
	like(handoff_call($parts[1], "SELECT authoob_oauth_finish('$tampered', NULL)"), qr/error_code=bad_oauth_state/,
		'sharded: a hand-off changed on the way is refused');
	like(handoff_call($parts[0], "SELECT authoob_oauth_finish('$sealed', NULL)"), qr/error_code=bad_oauth_state/,
		'sharded: a hand-off taken to a partition it does not belong to is refused');
	is(count_of(q{authoob.identities WHERE subject = 'handed'}), 0, 'sharded: nothing made of either');
	like(handoff_call($parts[1], "SELECT authoob_oauth_finish('$sealed', NULL)"), qr{"url": "http://app\.test/cb\?code=},
		'sharded: the partition it belongs to ends the sign-in');
	like(handoff_call($parts[1], "SELECT authoob_oauth_finish('$sealed', NULL)"), qr/handed%20over%20already/,
		'sharded: once');
	my $expired = AuthoobTest::psql_in($parts[1], q{SELECT authoob_oauth_handoff_seal(jsonb_build_object('id', 'old',
		'expires_at', floor(extract(epoch FROM now())) - 1, 'provider', 'fake', 'claims', '{"sub": "late"}',
		'redirect_to', 'http://app.test/cb'))});
	like(handoff_call($parts[1], "SELECT authoob_oauth_finish('$expired', NULL)"), qr/unknown%20or%20expired/,
		'sharded: a hand-off past its minute is refused');
}

is($front->log =~ /s3cret/ ? 'logged' : 'not logged', 'not logged', 'the client secret never reaches the log');
hostile_checks($db) if hostile();
done_testing();
