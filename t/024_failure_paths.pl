# The failure paths of routes whose other tests ask only the happy one: a
# missing or bad token on the token routes of P (/authoob), a bad body on
# PUT P/password/reset; on G (/auth/v1, Supabase Auth's protocol) a bad
# token on logout, bad JSON or types on recover, verify and resend, and each
# route that is not built yet (docs/supabase.md). Every answer is a
# 4xx in its family's error shape, and nothing changes.
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

# the auth-js client reads any 401 of signOut as "signed out already"; a
# token refused is session_not_found on every route of the dialect (a
# wrong password is invalid_credentials)
is_gotrue_error($front->request(POST => '/logout', headers => { Authorization => 'Bearer not-a-token' }),
	401, 'session_not_found', 'POST G/logout with a bad token: 401');
is_gotrue_error($front->request(POST => '/logout'), 401, 'session_not_found', 'POST G/logout with no token: 401');

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

# --- G: each route of the protocol that is not built yet (frontend/routes.c,
# NOT_BUILT): 422 <what>_not_built, with a body or without
for ([ POST => '/otp', 'otp' ], [ POST => '/magiclink', 'otp' ], [ POST => '/reauthenticate', 'reauthenticate' ],
	[ GET => '/authorize', 'oauth' ], [ GET => '/factors', 'mfa' ], [ POST => '/factors', 'mfa' ],
	[ DELETE => '/factors/f1', 'mfa' ], [ POST => '/factors/f1/challenge', 'mfa' ], [ POST => '/factors/f1/verify', 'mfa' ])
{
	my ($method, $path, $what) = @$_;
	is_gotrue_error($front->request($method => $path, json => { email => $email }), 422, "${what}_not_built",
		"$method G$path: 422, not built yet");
	is_gotrue_error($front->request($method => $path), 422, "${what}_not_built", 'and without a body');
}

is(psql($db, $state_sql), $before, 'no failure changed the password, the sessions or the outbox');
$front->set_prefix('/authoob');
is($front->login($email)->{status}, 200, 'the password is the one registered');
unlike($front->log, qr/ 500 /, 'no 500 at all');

done_testing();
