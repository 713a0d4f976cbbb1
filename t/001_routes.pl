# Every route of docs/routes.md, with its success and each of its errors.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use MIME::Base64 ();
use JSON::PP ();
use Test::More;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);

my $password = strong_password();
my %alice = (email => 'alice@example.com', password1 => $password, password2 => $password,
	firstname => 'Alice', lastname => 'Liddell');

# --- health
my $r = $front->request(GET => '/health');
is($r->{status}, 200, 'health answers 200');
is_deeply($r->{json}, { status => 'ok' }, 'health body');

# --- register: success, then each error in the original's order
$r = $front->request(POST => '/register', json => \%alice);
is($r->{status}, 200, 'register: 200');
is_deeply([ keys %{ $r->{json} } ], ['token'], 'register: only a token');
my $token = $r->{json}{token};
# the token names the new account, signed in with its password
my $claims = json_decode(MIME::Base64::decode_base64url((split /\./, $token)[1]));
is_deeply([ @$claims{qw(email is_anonymous)}, $claims->{amr}[0]{method} ],
	[ 'alice@example.com', JSON::PP::false, 'password' ],
	'register: the token is the new account\'s (email, not anonymous, amr password)');

is_error($front->request(POST => '/register'), 400, 'Missing data', 'register: no body');
is_error($front->request(POST => '/register', body => '{"email":'), 400, 'Missing data',
	'register: invalid JSON');
is_error($front->request(POST => '/register', json => { %alice, password1 => 'weak', password2 => 'other' }),
	400, 'Passwords strength policy invalid', 'register: weak password checked first');
is_error($front->request(POST => '/register', json => { %alice, password2 => "${password}x" }),
	400, 'Mismatching passwords', 'register: mismatching passwords');
is_error($front->request(POST => '/register', json => { %alice, email => 'not-an-email' }),
	400, 'Invalid email given', 'register: invalid email');
# the original's answers to incomplete bodies: a missing password fails the
# policy, a missing password2 mismatches, a missing email is invalid
is_error($front->request(POST => '/register', json => { email => 'new@example.com' }),
	400, 'Passwords strength policy invalid', 'register: only an email');
is_error($front->request(POST => '/register', json => { email => 'new@example.com', password1 => 'test' }),
	400, 'Passwords strength policy invalid', 'register: a weak password1 alone');
is_error($front->request(POST => '/register', json => { email => 'new@example.com', password1 => '1Password' }),
	400, 'Mismatching passwords', 'register: no password2');
is_error($front->request(POST => '/register', json => { password1 => '1Password', password2 => '1Password' }),
	400, 'Invalid email given', 'register: no email');
is_error($front->request(POST => '/register', json => { email => 42, password1 => '1Password', password2 => '1Password' }),
	400, 'Invalid email given', 'register: an email that is not a string');
is_error($front->request(POST => '/register', body => '[1, 2]'), 400, 'Missing data',
	'register: a body that is not an object');
is_error($front->request(POST => '/register', json => \%alice), 409, 'User already registered',
	'register: twice');
is_error($front->request(POST => '/register', json => { %alice, email => 'ALICE@example.com' }),
	409, 'User already registered', 'register: same email in another case');

# --- login
$r = $front->request(POST => '/login', json => { email => $alice{email}, password => $password });
is($r->{status}, 200, 'login: 200');
is_deeply([ keys %{ $r->{json} } ], ['token'], 'login: only a token');
my $login_token = $r->{json}{token};
is_error($front->request(POST => '/login', json => { email => $alice{email}, password => 'Wr0ngpassword' }),
	401, 'Authentication failed', 'login: wrong password');
is_error($front->request(POST => '/login', json => { email => 'nobody@example.com', password => $password }),
	401, 'Authentication failed', 'login: unknown email, same answer');
is_error($front->request(POST => '/login'), 400, 'Missing data', 'login: no body');

# --- profile, by either header
$r = $front->request(GET => '/profile', token => $login_token);
is($r->{status}, 200, 'profile: 200');
is_deeply([ sort keys %{ $r->{json} } ],
	[qw(create_date email firstname id lastname login_count update_date username)],
	'profile: the private user JSON, nothing more');
is($r->{json}{email}, $alice{email}, 'profile: email');
is($r->{json}{firstname}, 'Alice', 'profile: firstname');
my $alice_id = $r->{json}{id};
$r = $front->request(GET => '/profile', headers => { Authorization => "Bearer $login_token" });
is($r->{status}, 200, 'profile: Authorization: Bearer works too');
$r = $front->request(GET => '/profile');
is_error($r, 401, 'Authentication failed', 'profile: no token');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'a 401 carries its challenge');
is_error($front->request(GET => '/profile', token => 'garbage'), 401, 'Authentication failed',
	'profile: bad token');
is_error($front->request(GET => '/profile', headers => { Authorization => "Basic $login_token" }),
	401, 'Authentication failed', 'profile: not a Bearer');

# --- public profile
$r = $front->request(GET => "/profile/$alice_id");
is($r->{status}, 200, 'public profile: 200');
is_deeply([ sort keys %{ $r->{json} } ], [qw(id username)], 'public profile: id and username only');
is_error($front->request(GET => '/profile/999999'), 404, 'User not found', 'public profile: unknown id');
is_error($front->request(GET => '/profile/abc'), 404, 'User not found', 'public profile: not a number');

# --- update profile
$r = $front->request(PUT => '/profile', token => $login_token,
	json => { username => 'alice', lastname => 'Pleasance', id => 42, email => 'evil@example.com',
		no_such_field => 1 });
is($r->{status}, 200, 'update profile: 200');
is($r->{json}{username}, 'alice', 'update profile: username changed');
is($r->{json}{lastname}, 'Pleasance', 'update profile: lastname changed');
is($r->{json}{id}, $alice_id, 'update profile: id never changes');
is($r->{json}{email}, $alice{email}, 'update profile: email never changes');
$r = $front->request(PUT => '/profile', token => $login_token, json => { username => [1] });
is($r->{status}, 400, 'update profile: a bad value is 400');
like($r->{json}{message} // '', qr/username/, 'update profile: the message names the field');
is_error($front->request(PUT => '/profile', json => { username => 'x' }), 401,
	'Authentication failed', 'update profile: no token');
is_error($front->request(PUT => '/profile', token => $login_token), 400, 'Missing data',
	'update profile: no body');

# --- token: a fresh one
$r = $front->request(GET => '/token', token => $login_token);
is($r->{status}, 200, 'token: 200');
ok($r->{json}{token} && $r->{json}{token} ne $login_token, 'token: a fresh token');
my $fresh = $r->{json}{token};
is($front->request(GET => '/profile', token => $fresh)->{status}, 200, 'token: the fresh one works');
is_error($front->request(GET => '/token'), 401, 'Authentication failed', 'token: no token');

# --- logout, GET and POST
# logout ends the token's session: the token GET P/token gave in it too
is($front->request(GET => '/logout', token => $fresh)->{status}, 204, 'logout (GET): 204');
is_error($front->request(GET => '/profile', token => $fresh), 401, 'Authentication failed',
	'logout: that token is refused after');
is_error($front->request(GET => '/profile', token => $login_token), 401, 'Authentication failed',
	'logout: and the other tokens of its session');
is($front->request(GET => '/profile', token => $token)->{status}, 200,
	'logout: other sessions still work');
$login_token = $front->request(POST => '/login', json => { email => $alice{email}, password => $password })->{json}{token};
$r = $front->request(POST => '/logout', token => $token);
is($r->{status}, 204, 'logout (POST): 204');
is($r->{content} // '', '', 'logout: no body');
is_error($front->request(POST => '/logout'), 401, 'Authentication failed', 'logout: no token');

# --- reset password, and its alias
my $new_password = 'N3wPassword';
is_error($front->request(PUT => '/reset_password', token => $login_token), 400, 'Missing data',
	'reset_password: no body');
is_error($front->request(PUT => '/reset_password', token => $login_token,
		json => { password1 => $new_password, password2 => 'N3wPasswordx' }),
	400, 'Password mismatch', 'reset_password: mismatch');
is_error($front->request(PUT => '/reset_password', token => $login_token,
		json => { password1 => 'weak', password2 => 'weak' }),
	400, 'Passwords strength policy invalid', 'reset_password: weak');
is_error($front->request(PUT => '/reset_password', json => { password1 => $new_password, password2 => $new_password }),
	401, 'Authentication failed', 'reset_password: no token');
$r = $front->request(PUT => '/reset_password', token => $login_token,
	json => { password1 => $new_password, password2 => $new_password });
is($r->{status}, 201, 'reset_password: 201');
is($front->request(GET => '/profile', token => $login_token)->{status}, 401,
	'reset_password: earlier tokens refused');
$r = $front->request(POST => '/login', json => { email => $alice{email}, password => $new_password });
is($r->{status}, 200, 'reset_password: the new password logs in');
$r = $front->request(PUT => '/password/reset', token => $r->{json}{token},
	json => { password1 => $password, password2 => $password });
is($r->{status}, 201, 'password/reset (alias): 201');
is($front->request(POST => '/login', json => { email => $alice{email}, password => $password })->{status},
	200, 'password/reset: the password changed back');

# --- what the front answers itself
is_error($front->request(GET => '/no/such/route'), 404, 'Not found', 'unknown route: 404');
is_error($front->request(GET => '/registerx'), 404, 'Not found', 'no prefix matching: 404');
$r = $front->request(DELETE => '/profile');
is_error($r, 405, 'Method not allowed', 'wrong method: 405');
is($r->{headers}{allow}, 'GET, HEAD, PUT', '405 says what is allowed');
is_error($front->request(GET => '/register'), 405, 'Method not allowed', 'GET register: 405');
is($front->request(HEAD => '/register')->{status}, 405, 'HEAD of a route without GET: 405');

# HEAD of every GET route answers as the GET does, without the body
my $head_token = $front->request(POST => '/login', json => { email => $alice{email}, password => $password })->{json}{token};
for my $case (['/profile', $head_token, 200], ["/profile/$alice_id", undef, 200], ['/health', undef, 200],
	['/profile', 'not-a-token', 401], ['/profile/999999', undef, 404])
{
	my ($path, $as, $status) = @$case;
	my $get = $front->request(GET => $path, defined $as ? (token => $as) : ());
	my $head = $front->request(HEAD => $path, defined $as ? (token => $as) : ());
	is_deeply([ $head->{status}, $head->{content} // '' ], [ $status, '' ], "HEAD $path: $status, no body");
	is($head->{headers}{'content-type'}, $get->{headers}{'content-type'}, "HEAD $path: the GET's Content-Type");
	is($head->{headers}{'content-length'}, length $get->{content}, "HEAD $path: the GET's Content-Length");
}

# A path that decodes to a NUL byte, or to invalid UTF-8, is no route's:
# never the route of the path cut before the NUL
for my $path ('/profile/1%00', '/profile/1%00/x', '/profile%00', '/health%00', '/profile/%ff', '/profile/1%c3')
{
	is_error($front->request(GET => $path), 404, 'Not found', "GET $path: 404");
}

is_error($front->request(POST => '/register', body => '{"x":"' . ('a' x 70000) . '"}'),
	413, 'Payload too large', 'body over 64 KiB: 413');

# --- Content-Type decides whether there is a body
my %bob = (email => 'bob@example.com', password1 => $password, password2 => $password);
is_error($front->request(POST => '/register', json => \%bob, content_type => 'text/plain'),
	400, 'Missing data', 'text/plain: no body');
is_error($front->request(POST => '/register', json => \%bob, content_type => undef),
	400, 'Missing data', 'no Content-Type: no body');
is_error($front->request(POST => '/register', json => \%bob, content_type => 'application/jsonx'),
	400, 'Missing data', 'application/jsonx is not JSON');
is($front->request(POST => '/register', json => \%bob,
		content_type => 'Application/JSON; charset=UTF-8')->{status}, 200,
	'Content-Type with parameters, any case: read');

# --- the database decides; the front's header name follows the settings
psql($db, q{SELECT authoob_configure('{"token_header": "X-Auth-Token"}')});
is($front->stop('TERM'), 0, 'front stops cleanly');
$front = AuthoobTest::Front->start(db => $db);
$r = $front->request(POST => '/login', json => { email => $bob{email}, password => $password });
is($front->request(GET => '/profile', headers => { 'X-Auth-Token' => $r->{json}{token} })->{status},
	200, 'token header from the settings');
is($front->request(GET => '/profile', token => $r->{json}{token})->{status}, 401,
	'the default header no longer counts');
is($front->stop('TERM'), 0, 'front stops cleanly');

done_testing();
