# Forward auth: GET (or HEAD) P/verify tells a proxy (nginx auth_request,
# Traefik forwardAuth, Envoy ext_authz) whether to let a request through:
# 200 with who the token stands for as X-Auth-* headers and no body, or the
# usual 401.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
my $app = 'https://app.example.com';
psql($db, qq{SELECT authoob_configure('{"app_url": "$app/"}')});
my $front = AuthoobTest::Front->start(db => $db);
my $token = register_user($front, 'Fwd@Example.com');
my $plain = register_user($front, 'plain@example.com');
psql($db, q{SELECT authoob_create_role('admin'), authoob_create_role('billing');
	SELECT authoob_grant_role(id, 'billing'), authoob_grant_role(id, 'admin')
	FROM authoob.users WHERE email = 'Fwd@Example.com'});
my $id = psql($db, q{SELECT id FROM authoob.users WHERE email = 'Fwd@Example.com'});
my $session = psql($db, qq{SELECT s.jti FROM authoob.sessions s WHERE s.user_id = $id});

sub auth_headers
{
	my ($r) = @_;
	return { map { $_ => $r->{headers}{$_} } grep { /^x-auth-/ } keys %{ $r->{headers} } };
}

my $r = $front->request(GET => '/verify', token => $token);
is($r->{status}, 200, 'a valid token: 200');
is($r->{content}, '', 'and no body');
is_deeply(auth_headers($r), {
		'x-auth-user-id' => $id,
		'x-auth-user-email' => 'Fwd@Example.com',
		'x-auth-user-roles' => 'admin,billing',
		'x-auth-session-id' => $session,
		'x-auth-aal' => 'aal1',
	}, 'who it stands for, as X-Auth-* headers');
is($r->{headers}{'cache-control'}, 'no-store', 'not to be cached by anyone between');
$r = $front->request(GET => '/verify', headers => { Authorization => "Bearer $token" });
is_deeply([ $r->{status}, auth_headers($r)->{'x-auth-user-id'} ], [ 200, $id ], 'Authorization: Bearer as well');
# An empty value cannot be sent (libmicrohttpd refuses it): the header is
# left out, which proxies read as empty.
$r = $front->request(GET => '/verify', token => $plain);
is_deeply([ $r->{status}, exists auth_headers($r)->{'x-auth-user-roles'} ], [ 200, '' ],
	'a user without roles: no X-Auth-User-Roles');
is(auth_headers($r)->{'x-auth-user-email'}, 'plain@example.com', 'and the rest');

$r = $front->request(HEAD => '/verify', token => $token);
is($r->{status}, 200, 'HEAD: 200');
is($r->{content} // '', '', 'HEAD: no body');
is(auth_headers($r)->{'x-auth-user-email'}, 'Fwd@Example.com', 'HEAD: the same headers');

sub is_unauthorized
{
	my ($r, $name) = @_;
	is_deeply([ $r->{status}, $r->{json} ], [ 401, { code => 401, message => 'Authentication failed' } ],
		"$name: the usual 401");
	is($r->{headers}{'www-authenticate'}, 'Bearer', "$name: with its challenge");
	is_deeply(auth_headers($r), {}, "$name: no X-Auth-* header");
}
is_unauthorized($front->request(GET => '/verify'), 'no token');
is_unauthorized($front->request(GET => '/verify', token => 'not.a.token'), 'a bad token');
is_unauthorized($front->request(GET => '/verify', token => substr($token, 0, -2) . 'xx'), 'a forged signature');
is($front->request(POST => '/logout', token => $plain)->{status}, 204, 'logging out');
is_unauthorized($front->request(GET => '/verify', token => $plain), 'a logged-out token');
$r = $front->request(HEAD => '/verify', token => $plain);
is_deeply([ $r->{status}, $r->{content} // '' ], [ 401, '' ], 'HEAD of a logged-out token: 401 without body');

$r = $front->request(POST => '/verify', token => $token);
is_deeply([ $r->{status}, $r->{headers}{allow} ], [ 405, 'GET, HEAD' ], 'POST: 405, GET and HEAD allowed');

# Scripts of the app get nothing new: a browser has no use for forward auth.
$r = $front->request(GET => '/verify', token => $token, headers => { Origin => $app });
is($r->{headers}{'access-control-allow-origin'}, $app, 'CORS: the app origin is allowed');
is($r->{headers}{'access-control-expose-headers'}, 'Authentication-Token, Retry-After, WWW-Authenticate',
	'CORS: no X-Auth-* header is exposed');

my @access = $front->access_lines(14);
ok((grep { m{access: GET /authoob/verify 200 \d+us 127\.0\.0\.1$} } @access), 'the access log has /verify');
unlike($front->log, qr/\Q$token\E|Fwd\@Example/, 'and neither the token nor the email');
is($front->stop('TERM'), 0, 'stops');

done_testing();
