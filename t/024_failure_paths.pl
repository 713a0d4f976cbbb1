# The failure paths of routes whose other tests ask only the happy one: a
# missing or bad token on the token routes of P (/authoob), a bad body on
# PUT P/password/reset; on G (/auth/v1, Supabase Auth's protocol) a bad
# token on logout, bad JSON or types on recover, verify and resend, and each
# route that is not built (docs/supabase.md), as GoTrue answers with
# that feature off. Every answer is a 4xx in its family's error shape, and
# nothing changes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);
my $email = 'failing@example.com';
my $token = register_user($front, $email);
my $new = strong_password('New');

# What a failure must leave as it was: the user's password and sessions,
# the outbox, the throttle's record aside.
my $state_sql = q{SELECT (SELECT password FROM authoob.users WHERE email = 'failing@example.com') || ' '
	|| (SELECT count(*) FROM authoob.sessions) || ' ' || (SELECT count(*) FROM authoob.mail_outbox)};
my $before = psql($db, $state_sql);

# --- P: the token routes without a token, or with a bad one
for my $bad ([ 'no token' ], [ 'a bad token', token => 'not-a-token' ], [ 'a forged one', token => 'x.y.z' ])
{
	my ($what, @token) = @$bad;
	is_error($front->request(GET => '/logout', @token), 401, 'Authentication failed', "GET P/logout with $what: 401");
	is_error($front->request(GET => '/sessions', @token), 401, 'Authentication failed', "GET P/sessions with $what: 401");
	is_error($front->request(PUT => '/password/reset', @token, json => { password1 => $new, password2 => $new }),
		401, 'Authentication failed', "PUT P/password/reset with $what: 401");
}

# --- PUT P/password/reset with the user's token and a bad body
is_error($front->request(PUT => '/password/reset', token => $token, json => { password1 => $new, password2 => "x$new" }),
	400, 'Password mismatch', 'PUT P/password/reset, two different passwords: 400');
is_error($front->request(PUT => '/password/reset', token => $token, json => { password1 => 'weak', password2 => 'weak' }),
	400, 'Passwords strength policy invalid', 'a weak one: 400');
is_error($front->request(PUT => '/password/reset', token => $token, body => '{"password1": '),
	400, 'Missing data', 'a body that is not JSON: 400');
is_error($front->request(PUT => '/password/reset', token => $token),
	400, 'Missing data', 'no body: 400');
is_error($front->request(PUT => '/password/reset', token => $token, json => { password1 => [$new], password2 => { a => 1 } }),
	400, 'Missing data', 'passwords that are not strings: 400');

# --- G: Supabase Auth's protocol
$front->set_prefix('/auth/v1');

# as GoTrue's requireAuthentication: a token that cannot be verified is 403
# bad_jwt, no token 401 no_authorization (auth-js's signOut reads either as
# "signed out already")
is_gotrue_error($front->request(POST => '/logout', headers => { Authorization => 'Bearer not-a-token' }),
	403, 'bad_jwt', 'POST G/logout with a bad token: 403 bad_jwt');
is_gotrue_error($front->request(POST => '/logout'), 401, 'no_authorization', 'POST G/logout with no token: 401');

is_gotrue_error($front->request(POST => '/recover', body => '{"email": '), 400, 'bad_json', 'POST G/recover, bad JSON: 400 bad_json');
is_gotrue_error($front->request(POST => '/recover', json => [$email]), 400, 'bad_json', 'not an object: 400 bad_json');
is_gotrue_error($front->request(POST => '/recover', json => { email => 5 }), 400, 'validation_failed',
	'an email that is a number: 400 validation_failed');
is_gotrue_error($front->request(POST => '/recover', json => { email => [$email] }), 400, 'validation_failed',
	'an email in an array: 400 validation_failed');
is_gotrue_error($front->request(POST => '/recover', json => {}), 400, 'validation_failed', 'no email: 400 validation_failed');

is_gotrue_error($front->request(POST => '/verify', body => '{"type": "signup", '), 400, 'bad_json',
	'POST G/verify, bad JSON: 400 bad_json');
is_gotrue_error($front->request(POST => '/verify', json => ['signup']), 400, 'bad_json', 'not an object: 400 bad_json');
is_gotrue_error($front->request(POST => '/verify', json => { token_hash => 'A' x 43 }), 400, 'validation_failed',
	'no type: 400 validation_failed');
is_gotrue_error($front->request(POST => '/verify', json => { type => 5, token_hash => 'A' x 43 }), 400, 'validation_failed',
	'a type that is a number: 400 validation_failed');
is_gotrue_error($front->request(POST => '/verify', json => { type => 'telepathy', token_hash => 'A' x 43 }), 400,
	'validation_failed', 'an unknown type: 400 validation_failed');
is_gotrue_error($front->request(POST => '/verify', json => { type => 'signup' }), 400, 'validation_failed',
	'no token: 400 validation_failed');

is_gotrue_error($front->request(POST => '/resend', json => { type => 'carrier_pigeon', email => $email }), 400,
	'validation_failed', 'POST G/resend of an unknown type: 400 validation_failed');
is_gotrue_error($front->request(POST => '/resend', json => { email => $email }), 400, 'validation_failed',
	'no type: 400 validation_failed');
is_gotrue_error($front->request(POST => '/resend', body => '{'), 400, 'bad_json', 'bad JSON: 400 bad_json');

my $r = $front->request(GET => '/health');
is_deeply([ $r->{status}, $r->{json} ],
	[ 200, { name => 'authoob', version => '0.3', description => "authoob speaks Supabase Auth's protocol" } ],
	'GET G/health: 200, the name and version');

# --- G: each route of the protocol that is not built (frontend/routes.c,
# NOT_BUILT): GoTrue's answer with the feature off, with a body or without;
# those GoTrue serves a signed-in user only ask for the token first
$front->set_prefix('/authoob');
my $bearer = { Authorization => 'Bearer ' . $front->login($email)->{json}{token} };
$front->set_prefix('/auth/v1');
$before = psql($db, $state_sql);
for ([ GET => '/authorize', 400, 'validation_failed' ], [ POST => '/sso', 404, 'saml_provider_disabled' ],
	[ GET => '/reauthenticate', 401, 'no_authorization' ], [ POST => '/factors', 401, 'no_authorization' ],
	[ DELETE => '/factors/f1', 401, 'no_authorization' ], [ POST => '/factors/f1/challenge', 401, 'no_authorization' ],
	[ POST => '/factors/f1/verify', 401, 'no_authorization' ], [ DELETE => '/user/identities/i1', 401, 'no_authorization' ],
	[ GET => '/admin/users', 401, 'no_authorization' ], [ PUT => '/admin/users/u1', 401, 'no_authorization' ],
	[ DELETE => '/user/identities/i1', 404, 'manual_linking_disabled', $bearer ],
	[ DELETE => '/admin/users/u1', 403, 'not_admin', $bearer ], [ POST => '/invite', 403, 'not_admin', $bearer ])
{
	my ($method, $path, $status, $code, $headers) = @$_;
	my $with = $headers ? " with the user's token" : '';
	is_gotrue_error($front->request($method => $path, json => { email => $email }, headers => $headers // {}), $status, $code,
		"$method G$path$with: $status $code");
	is_gotrue_error($front->request($method => $path, headers => $headers // {}), $status, $code, 'and without a body');
}
is_gotrue_error($front->request(POST => '/reauthenticate'), 405, 'method_not_allowed', 'POST G/reauthenticate: 405, GoTrue has GET');

is(psql($db, $state_sql), $before, 'no failure changed the password, the sessions or the outbox');
$front->set_prefix('/authoob');
is($front->login($email)->{status}, 200, 'the password is the one registered');
unlike($front->log, qr/ 500 /, 'no 500 at all');

done_testing();
