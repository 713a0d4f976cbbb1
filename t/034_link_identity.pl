# Linking and unlinking identities (docs/identity-providers.md, "Linking
# and unlinking"), with the real @supabase/auth-js (t/js/link_flow.mjs:
# linkIdentity, exchangeCodeForSession, getUserIdentities, unlinkIdentity)
# against the real front and database, the test playing the browser and a
# provider whose answers it chooses (t/js/fake_idp.mjs): a second identity
# linked to a signed-in user, who signs in with it afterwards and unlinks
# it; and the attacks: manual_linking off, no token, a revoked or expired
# one, an identity linked to someone else or already linked, a link flow's
# one-time URL and state replayed or brought by another browser, another
# user's identity unlinked by its id, the last identity, the address's,
# bad ids, two unlinks at once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use MIME::Base64 qw(encode_base64url);
use URI;
use Test::More;

my $node = $ENV{NODE} // 'node';
my $js = "$FindBin::Bin/js";
skip_all_missing("no $node (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
skip_all_missing("t/js/node_modules: run npm ci in t/js")
  unless -e "$js/node_modules/\@supabase/auth-js/package.json" && -e "$js/node_modules/jose/package.json";

my $password = strong_password();

# sharded, linking is refused as a sign-in with a provider is
# (docs/identity-providers.md), after the token and manual_linking
if (sharded())
{
	my $db = new_database();
	psql($db, q{SELECT authoob_configure('{"manual_linking": true}')});
	AuthoobTest::psql_in($_, q{SELECT authoob_add_identity_provider('fake', '{"kind": "oauth2",
		"authorization_url": "https://idp.test/a", "token_url": "https://idp.test/t", "userinfo_url": "https://idp.test/u",
		"client_id": "c"}')}) for partitions($db);
	my $front = AuthoobTest::Front->start(db => $db);
	my $token = $front->register('sharded@example.com')->{json}{token};
	$front->set_prefix('/auth/v1');
	is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=fake&skip_http_redirect=true',
		headers => { Authorization => "Bearer $token" }), 400, 'validation_failed',
		'sharded: linkIdentity refused as a provider not enabled');
	is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=fake'), 401, 'no_authorization',
		'sharded: the token first');
	done_testing();
	exit;
}

my $idp_pid = open(my $idp_out, '-|', $node, "$js/fake_idp.mjs", 'authoob-client', 's3cret')
  or die "cannot run $node: $!";
my $idp_port = <$idp_out>;
chomp $idp_port;
my $issuer = "http://127.0.0.1:$idp_port";
END { local $?; kill 'KILL', $idp_pid if $idp_pid; close $idp_out if $idp_out }

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"redirect_urls": "http://app.test/cb", "jwt_sub": "uuid", "anonymous_signin": true}')});
psql($db, qq{SELECT authoob_add_identity_provider('fake', '{"kind": "oidc", "issuer": "$issuer",
	"client_id": "authoob-client", "client_secret": "s3cret"}')});
psql($db, qq{SELECT authoob_add_identity_provider('hub', '{"kind": "oauth2",
	"authorization_url": "$issuer/authorize", "token_url": "$issuer/token", "userinfo_url": "$issuer/user",
	"client_id": "authoob-client", "client_secret": "s3cret", "email_verified_claim": "verified"}')});

my $front = AuthoobTest::Front->start(db => $db);
$front->set_prefix('/auth/v1');
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
my $base = 'http://127.0.0.1:' . $front->port . '/auth/v1';
my $dir = File::Temp->newdir;

# A step of t/js/link_flow.mjs for the client whose storage is $who's;
# each of its lines is a test; returns what its checks got.
sub authjs
{
	my ($step, $who, %args) = @_;
	open(my $out, '-|', $node, "$js/link_flow.mjs", $step, $base,
		json_encode({ %args, storage => "$dir/$who.json" }))
	  or die "cannot run $node: $!";
	my @got;
	while (my $line = <$out>)
	{
		my $check = eval { json_decode($line) };
		unless (ref $check eq 'HASH') { fail("$step: $line"); next }
		ok($check->{ok}, "auth-js ($who): $check->{name}") or diag(json_encode($check->{got}));
		push @got, $check->{got};
	}
	close $out;
	is($? >> 8, 0, "auth-js step $step ($who) ran to its end");
	return @got;
}

# the access token auth-js keeps for $who
sub token_of
{
	my ($who) = @_;
	open(my $in, '<', "$dir/$who.json") or die "no storage for $who";
	my $items = json_decode(do { local $/; <$in> });
	return json_decode($items->{'sb-link'})->{access_token};
}

sub bearer { { Authorization => "Bearer $_[0]" } }
sub query_of { my %q = URI->new($_[0])->query_form; return \%q }
sub fragment_of { my %q = URI->new('?' . (URI->new($_[0])->fragment // ''))->query_form; return \%q }
sub count_of { psql($db, "SELECT count(*) FROM $_[0]") }

# The browser opens a URL of the front (a link's one-time URL): the answer
# and where it leads, and the flow cookie it sets
sub browse
{
	my ($url) = @_;
	my $path = URI->new($url)->path_query;
	$path =~ s{^/auth/v1}{};
	my $r = $front->request(GET => $path);
	my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(authoob_flow=[^;]+)/;
	return ($r, $r->{headers}{location} // '', $cookie);
}

# The provider sends the browser back to the callback, saying what the
# test wants said (fake_idp.mjs), for the flow of the provider URL $to;
# where the browser then goes
sub provider_back
{
	my ($to, $cookie, %said) = @_;
	my $q = query_of($to);
	my $uri = URI->new('/callback');
	$uri->query_form(state => $q->{state}, code => encode_base64url(json_encode({ nonce => $q->{nonce},
		challenge => $q->{code_challenge}, %said })));
	my $r = $front->request(GET => "$uri", headers => { defined $cookie ? (Cookie => $cookie) : () });
	return $r->{headers}{location} // '';
}

# $who links $provider with auth-js, the browser opens the URL, the
# provider says %said: where the browser lands at the app
# (and, when the browser comes back with a code, the app exchanges it with
# its verifier: only then is the identity added)
sub link_identity
{
	my ($who, $provider, %said) = @_;
	my ($got) = authjs('link', $who, provider => $provider, redirect_to => 'http://app.test/cb');
	my ($r, $to, $cookie) = browse($got->{url} // '');
	my $app = provider_back($to, $cookie, %said);
	exchange_as($who, $app) if $app =~ /\?code=/;
	return $app;
}

# The PKCE verifier auth-js keeps in $who's storage, and the exchange of a
# code with it, as the app does (POST G/token?grant_type=pkce)
sub verifier_of
{
	my ($who) = @_;
	open(my $in, '<', "$dir/$who.json") or die "no storage for $who";
	my $items = json_decode(do { local $/; <$in> });
	return json_decode($items->{'sb-link-code-verifier'} // 'null') // '';
}

sub exchange_as
{
	my ($who, $app) = @_;
	return $front->request(POST => '/token?grant_type=pkce',
		json => { auth_code => query_of($app)->{code} // '', code_verifier => verifier_of($who) });
}

# a plain sign-in with a provider (no PKCE): the session in the fragment
sub sign_in_with
{
	my ($provider, %said) = @_;
	my $uri = URI->new('/authorize');
	$uri->query_form(provider => $provider, redirect_to => 'http://app.test/cb');
	my $r = $front->request(GET => "$uri");
	my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(authoob_flow=[^;]+)/;
	return fragment_of(provider_back($r->{headers}{location}, $cookie, %said));
}

my ($ada) = authjs('sign_up', 'ada', email => 'ada@example.com', password => $password);
my $ada_id = $ada->{id};
my ($bea) = authjs('sign_up', 'bea', email => 'bea@example.com', password => $password);

# --- manual_linking off (the default): GoTrue's answer once the token is good
authjs('link', 'ada', provider => 'fake', code => 'manual_linking_disabled', status => 404);
is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=fake', headers => bearer(token_of('ada'))),
	404, 'manual_linking_disabled', 'off: GET G/user/identities/authorize 404 manual_linking_disabled');
is_gotrue_error($front->request(DELETE => "/user/identities/$ada_id", headers => bearer(token_of('ada'))),
	404, 'manual_linking_disabled', 'off: DELETE G/user/identities/<id> 404 manual_linking_disabled');
is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=fake'), 401, 'no_authorization',
	'off: without a token, 401 first');
$front->set_prefix('/authoob');
is($front->request(GET => '/identities/authorize?provider=fake', headers => bearer(token_of('ada')))->{status}, 404,
	'off: GET P/identities/authorize 404');
$front->set_prefix('/auth/v1');
is(count_of('authoob.oauth_flows'), 0, 'off: no flow started');

psql($db, q{SELECT authoob_configure('{"manual_linking": true}')});

# --- a second identity linked: auth-js's URL, the browser, the provider, the code
my ($got) = authjs('link', 'ada', provider => 'fake', redirect_to => 'http://app.test/cb');
like($got->{url}, qr{^http://127\.0\.0\.1/auth/v1/authorize\?link=[A-Za-z0-9_-]{43}$},
	'linkIdentity answers a one-time URL of authoob\'s own');
my ($r, $to, $cookie) = browse($got->{url});
is($r->{status}, 302, 'opened, it redirects');
like($to, qr{^\Q$issuer\E/authorize\?}, 'to the provider');
ok($cookie, 'and binds the flow to this browser with its cookie');
my ($r2, $again) = browse($got->{url});
like($again, qr{^http://app\.test/?\?error=invalid_request&error_code=bad_oauth_state&},
	'the one-time URL opened again: to app_url with bad_oauth_state');
# another browser (no cookie, or another flow's) brings the state back
my $other_cookie = do {
	my $o = $front->request(GET => '/authorize?provider=hub');
	($o->{headers}{'set-cookie'} // '') =~ /^(authoob_flow=[^;]+)/ ? $1 : 'authoob_flow=x';
};
for ([ 'without the cookie', undef ], [ 'with another flow\'s cookie', $other_cookie ])
{
	like(provider_back($to, $_->[1], sub => 'ada-at-fake', email => 'ada@example.com', email_verified => JSON::PP::true),
		qr{error_code=bad_oauth_state}, "the state brought by another browser ($_->[0]): bad_oauth_state");
}
is(count_of('authoob.identities'), 0, 'no identity linked by them');
my $app = provider_back($to, $cookie, sub => 'ada-at-fake', email => 'ada@example.com', email_verified => JSON::PP::true);
like($app, qr{^http://app\.test/cb\?code=}, 'the browser that opened it comes back to the app with a code');
authjs('exchange', 'ada', code => query_of($app)->{code}, user_id => $ada_id, providers => [ 'email', 'fake' ]);
authjs('identities', 'ada', providers => [ 'email', 'fake' ]);
like(provider_back($to, $cookie, sub => 'ada-at-fake'), qr{error_code=bad_oauth_state},
	'the link flow\'s state replayed: bad_oauth_state');
is(psql($db, qq{SELECT action || ' ' || (payload ->> 'provider') || ' ' || (payload ->> 'provider_id')
	FROM authoob.audit_log WHERE target = '$ada_id' AND action LIKE 'identity%'}), 'identity_linked fake ada-at-fake',
	'the audit log says identity_linked, with GoTrue\'s payload');

# signing in with the linked identity afterwards is signing in as ada
my $session = sign_in_with('fake', sub => 'ada-at-fake', email => 'ada@example.com', email_verified => JSON::PP::true);
is($front->request(GET => '/user', headers => bearer($session->{access_token} // ''))->{json}{id}, $ada_id,
	'a sign-in with the linked identity is ada\'s');

# --- attacks on linking
# an identity linked to another user: bea brings ada's subject
like(link_identity('bea', 'fake', sub => 'ada-at-fake', email => 'bea@example.com', email_verified => JSON::PP::true),
	qr{^http://app\.test/cb\?error=access_denied&error_code=identity_already_exists&},
	'another user\'s identity: back to the app with identity_already_exists');
is(psql($db, q{SELECT u.email FROM authoob.identities i JOIN authoob.users u ON u.id = i.user_id
	WHERE i.subject = 'ada-at-fake'}), 'ada@example.com', 'it stays ada\'s');
authjs('identities', 'bea', providers => [ 'email' ]);
# the same identity again
like(link_identity('ada', 'fake', sub => 'ada-at-fake'), qr{error_code=identity_already_exists},
	'an identity already linked to the same user: identity_already_exists');
# two users link the same new subject at once: one gets it
my @racing = map {
	my ($got) = authjs('link', $_, provider => 'fake', redirect_to => 'http://app.test/cb');
	my ($r, $to, $cookie) = browse($got->{url} // '');
	my $q = query_of($to);
	my $uri = URI->new('/callback');
	$uri->query_form(state => $q->{state}, code => encode_base64url(json_encode({ nonce => $q->{nonce},
		challenge => $q->{code_challenge}, sub => 'raced', email => 'raced@example.com' })));
	$front->raw_request(GET => "$uri", headers => { Cookie => $cookie });
} qw(ada bea);
my @landed = map { $_->{headers}{location} // '' } $front->parallel_raw(\@racing);
is(scalar(grep { /\?code=/ } @landed), 2,
	'two links of one subject at once: both browsers come back with a code (the exchange adds the identity)');
my @racers = qw(ada bea);
my @exchanged = sort map { $_->{status} == 200 ? 'linked' : ($_->{json}{error_code} // "other: $_->{status}") }
	$front->parallel_raw([ map { $front->raw_request(POST => '/token?grant_type=pkce', content_type => 'application/json',
		json => { auth_code => query_of($landed[$_])->{code} // '', code_verifier => verifier_of($racers[$_]) }) } 0, 1 ]);
is_deeply(\@exchanged, [ 'identity_already_exists', 'linked' ], 'their two exchanges at once: one linked, one identity_already_exists');
is(count_of(q{authoob.identities WHERE subject = 'raced'}), 1, 'the subject has one user');
psql($db, q{DELETE FROM authoob.identities WHERE subject = 'raced'});
# the login CSRF of a link: bea's one-time URL opened by someone else's
# browser (a page of bea's sends it there), who consents at the provider
# as themselves: that browser comes back to the app with a code its own
# app cannot exchange (the verifier is bea's app's), and nothing is linked
my ($bea_link) = authjs('link', 'bea', provider => 'fake', redirect_to => 'http://app.test/cb');
my (undef, $victim_to, $victim_cookie) = browse($bea_link->{url} // '');
my $victim_back = provider_back($victim_to, $victim_cookie, sub => 'victim-at-fake', email => 'victim@example.com',
	email_verified => JSON::PP::true);
like($victim_back, qr{\?code=}, 'a link URL opened by another browser comes back to the app with a code');
is(count_of(q{authoob.identities WHERE subject = 'victim-at-fake'}), 0, 'which links nothing by itself');
is(exchange_as('ada', $victim_back)->{json}{error_code}, 'bad_code_verifier',
	'the app of that browser cannot exchange it: its verifier is its own');
is(count_of(q{authoob.identities WHERE subject = 'victim-at-fake'}), 0, 'so the victim\'s identity is linked to nobody');
# and a link is never asked without PKCE (nor answered with a session in the fragment)
is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=fake&skip_http_redirect=true',
	headers => bearer(token_of('bea'))), 400, 'validation_failed', 'a link without a code_challenge: 400 validation_failed');

# tokens: none, revoked, expired
my $bea_token = token_of('bea');
is($front->request(POST => '/logout?scope=local', headers => bearer($bea_token))->{status}, 204, 'bea signs out');
is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=hub&skip_http_redirect=true', headers => bearer($bea_token)),
	403, 'session_not_found', 'a revoked token cannot start a link: 403 session_not_found, as Supabase Auth');
my $fresh = $front->request(POST => '/token?grant_type=password', json => { email => 'bea@example.com', password => $password });
psql($db, q{UPDATE authoob.sessions s SET expires_at = now() - interval '1 second'
	FROM authoob.users u WHERE u.id = s.user_id AND u.email = 'bea@example.com'});
is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=hub&skip_http_redirect=true',
	headers => bearer($fresh->{json}{access_token})), 403, 'session_not_found', 'nor one of an expired session');
is_gotrue_error($front->request(GET => '/user/identities/authorize?provider=hub&skip_http_redirect=true'),
	401, 'no_authorization', 'none: 401 no_authorization');
authjs('link', 'ada', provider => 'nobody', code => 'validation_failed', status => 400);

# without skip_http_redirect, the answer is the redirect itself (P/ too)
$front->set_prefix('/authoob');
my $p = $front->request(GET => '/identities/authorize?provider=hub&redirect_to=http://app.test/cb'
	. '&code_challenge=0123456789012345678901234567890123456789abc&code_challenge_method=s256',
	headers => bearer(token_of('ada')));
is($p->{status}, 302, 'GET P/identities/authorize redirects');
like($p->{headers}{location} // '', qr{^http://127\.0\.0\.1/authoob/authorize\?link=}, 'to authoob\'s one-time URL');
ok(!$p->{headers}{'set-cookie'}, 'and sets no cookie: the browser that opens it gets it');
$front->set_prefix('/auth/v1');

# --- a second provider for ada (a numeric subject, GitHub's shape), and bea
like(link_identity('ada', 'hub', sub => '4242', email => 'ada@example.com', email_verified => JSON::PP::true),
	qr{^http://app\.test/cb\?code=}, 'ada links hub too');
my ($bea_again) = do {
	my $t = $front->request(POST => '/token?grant_type=password', json => { email => 'bea@example.com', password => $password });
	$t->{json}{access_token};
};

# --- unlinking
my $ada_fake = psql($db, q{SELECT id FROM authoob.identities WHERE subject = 'ada-at-fake'});
my $state_sql = q{SELECT count(*) || ' ' || coalesce(string_agg(provider || ':' || subject, ',' ORDER BY subject), '')
	FROM authoob.identities};
my $before = psql($db, $state_sql);
is_gotrue_error($front->request(DELETE => "/user/identities/$ada_fake", headers => bearer($bea_again)),
	422, 'single_identity_not_deletable', 'bea, with her address only, unlinks nothing: single_identity_not_deletable');
# bea gets a second identity; ada's stays out of her reach all the same
psql($db, q{INSERT INTO authoob.identities (provider, subject, user_id, email)
	SELECT 'hub', '777', id, email FROM authoob.users WHERE email = 'bea@example.com'});
$before = psql($db, $state_sql);
is_gotrue_error($front->request(DELETE => "/user/identities/$ada_fake", headers => bearer($bea_again)),
	422, 'identity_not_found', 'another user\'s identity by its id: 422 identity_not_found');
is_gotrue_error($front->request(DELETE => '/user/identities/00000000-0000-4000-8000-000000000000', headers => bearer($bea_again)),
	422, 'identity_not_found', 'an id of no identity: the same answer');
for ([ 'not a uuid', 'not-a-uuid' ], [ 'with a NUL', '%00' ], [ 'huge', 'a' x 5000 ], [ 'a uuid and more', "$ada_fake" . 'x' ])
{
	my $bad = $front->request(DELETE => "/user/identities/$_->[1]", headers => bearer($bea_again));
	ok($bad->{status} >= 400 && $bad->{status} < 500, "a bad id ($_->[0]): a 4xx ($bad->{status})");
}
is_gotrue_error($front->request(DELETE => '/user/identities/not-a-uuid', headers => bearer($bea_again)),
	404, 'validation_failed', 'not a uuid: 404 validation_failed, as Supabase Auth');
is_gotrue_error($front->request(DELETE => "/user/identities/$ada_fake"), 401, 'no_authorization', 'no token: 401');
is(psql($db, $state_sql), $before, 'no refusal unlinked anything');
authjs('unlink', 'ada', identity_id => $ada_id, code => 'validation_failed', status => 422);
authjs('unlink', 'ada', provider => 'fake');
authjs('identities', 'ada', providers => [ 'email', 'hub' ]);
is(count_of(qq{authoob.identities WHERE id = '$ada_fake'}), 0, 'the identity is gone');
is(psql($db, qq{SELECT payload ->> 'identity_id' FROM authoob.audit_log WHERE target = '$ada_id'
	AND action = 'identity_unlinked'}), $ada_fake, 'the audit log says identity_unlinked, with its id');
authjs('unlink', 'ada', identity_id => $ada_fake, code => 'identity_not_found', status => 422);
$front->set_prefix('/authoob');
my $ada_hub = psql($db, q{SELECT id FROM authoob.identities WHERE subject = '4242'});
is($front->request(DELETE => "/identities/$ada_hub", headers => bearer(token_of('ada')))->{status}, 204,
	'DELETE P/identities/<id>: 204');
$front->set_prefix('/auth/v1');
authjs('unlink', 'ada', identity_id => $ada_id, code => 'single_identity_not_deletable', status => 422);

# --- an anonymous user: the provider's verified address makes it permanent;
# an unverified one leaves it anonymous, its one identity not unlinkable
my ($anon) = authjs('anonymous', 'anon');
like(link_identity('anon', 'hub', sub => '9001', email => 'anon@example.com', email_verified => JSON::PP::false),
	qr{^http://app\.test/cb\?code=}, 'an anonymous user links an identity with an unverified address');
is(psql($db, qq{SELECT coalesce(email, 'none') FROM authoob.users WHERE uuid = '$anon->{id}'}), 'none',
	'and stays anonymous');
authjs('unlink', 'anon', provider => 'hub', code => 'single_identity_not_deletable', status => 422);
like(link_identity('anon', 'fake', sub => 'anon-at-fake', email => 'bea@example.com', email_verified => JSON::PP::true),
	qr{error_code=email_exists}, 'a verified address another account has: email_exists, nothing linked');
authjs('identities', 'anon', providers => [ 'hub' ]);
# two unlinks at once of the two identities: one stays
like(link_identity('anon', 'fake', sub => 'anon-at-fake', email => 'x@example.com', email_verified => JSON::PP::false),
	qr{^http://app\.test/cb\?code=}, 'a second identity (unverified address)');
my @ids = split /\n/, psql($db, qq{SELECT i.id FROM authoob.identities i JOIN authoob.users u ON u.id = i.user_id
	WHERE u.uuid = '$anon->{id}' ORDER BY i.subject});
is(scalar @ids, 2, 'the anonymous user has two identities');
my @answers = $front->parallel_raw([ map { $front->raw_request(DELETE => "/user/identities/$_",
	headers => bearer(token_of('anon'))) } @ids ]);
is_deeply([ sort map { $_->{status} } @answers ], [ 200, 422 ], 'two unlinks at once: one 200, one 422');
is(count_of(qq{authoob.identities i JOIN authoob.users u ON u.id = i.user_id WHERE u.uuid = '$anon->{id}'}), 1,
	'one identity stays');
like(link_identity('anon', 'fake', sub => 'anon-verified', email => 'anon@example.com', email_verified => JSON::PP::true),
	qr{^http://app\.test/cb\?code=}, 'a verified address of nobody else\'s');
is(psql($db, qq{SELECT email || ' ' || (confirmed_at IS NOT NULL) FROM authoob.users WHERE uuid = '$anon->{id}'}),
	'anon@example.com true', 'makes the anonymous user permanent, confirmed');

done_testing();
