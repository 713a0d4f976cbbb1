# Bad input (docs/security.md): every malformed request gets a 4xx JSON error, never a 500, a
# crash or a hang, and the front answers normally right after each.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);
my $password = strong_password();
my $token = register_user($front, 'victim@example.com');

# A 4xx with a JSON error body whose code is the status, then health is fine.
sub is_clean_4xx
{
	my ($r, $name, $status) = @_;
	subtest $name => sub {
		if (defined $status) { is($r->{status}, $status, "status $status") }
		else { like($r->{status}, qr/^4\d\d$/, "4xx (got $r->{status})") }
		is(ref $r->{json}, 'HASH', 'JSON body');
		is($r->{json}{code}, $r->{status}, 'code is the status');
		ok(length($r->{json}{message} // ''), 'a message');
		is($front->request(GET => '/health')->{status}, 200, 'still answering');
	};
}

# Bodies no route can read.
my @malformed = (
	['invalid JSON' => '{"email": "a@b.co", '],
	['JSON array' => '[1, 2, 3]'],
	['JSON string' => '"hello"'],
	['JSON number' => '42'],
	['JSON null' => 'null'],
	['deep nesting' => ('[' x 5000) . (']' x 5000)],
	['invalid UTF-8' => "{\"username\": \"\xff\xfe\"}"],
	['NUL byte' => "{\"username\": \"a\0b\"}"],
	['only a NUL' => "\0"],
);

# Bodies for register and login that are JSON, but not what they expect.
my @bad_bodies = (
	@malformed,
	['empty object' => '{}'],
	['email as a number' => json_encode({ email => 42, password1 => $password, password2 => $password })],
	['email as an array' => json_encode({ email => ['a@b.co'], password1 => $password, password2 => $password })],
	['email null' => json_encode({ email => undef, password1 => $password, password2 => $password })],
	['password as an object' => json_encode({ email => 'o@b.co', password1 => { a => 1 }, password2 => { a => 1 } })],
	['password as a number' => json_encode({ email => 'n@b.co', password => 12345678, password1 => 12345678, password2 => 12345678 })],
	['very long string' => json_encode({ email => ('x' x 60000) . '@b.co', password1 => $password, password2 => $password })],
	['long password' => json_encode({ email => 'long@b.co', password1 => "P1" . ('x' x 5000), password2 => "P1" . ('x' x 5000) })],
	['injection' => json_encode({ email => "a'); DROP TABLE authoob.users; --\@b.co", password => "' OR '1'='1", password1 => "' OR 1=1 --", password2 => "' OR 1=1 --" })],
	['unicode escapes' => '{"email": "\u0000@b.co", "password1": "\ud800", "password2": "\ud800"}'],
	['NUL byte in the email' => "{\"email\": \"a\0b\@b.co\", \"password1\": \"$password\", \"password2\": \"$password\"}"],
);
for my $route ('/register', '/login')
{
	for my $case (@bad_bodies)
	{
		is_clean_4xx($front->request(POST => $route, body => $case->[1]), "$route: $case->[0]");
	}
}
is_clean_4xx($front->request(PUT => '/profile', token => $token, body => $_->[1]), "PUT profile: $_->[0]")
  for @malformed,
  ['username as an array' => '{"username": ["a"]}'],
  ['username as an object' => '{"username": {"a": 1}}'],
  ['firstname as a number' => '{"firstname": 42}'],
  ['a NUL escape' => '{"username": "a\u0000b"}'];
is_clean_4xx($front->request(PUT => '/reset_password', token => $token, body => $_->[1]),
	"reset_password: $_->[0]")
  for @malformed,
  ['empty object' => '{}'],
  ['passwords as numbers' => '{"password1": 12345678, "password2": 12345678}'],
  ['passwords null' => '{"password1": null, "password2": null}'],
  ['passwords as arrays' => '{"password1": ["Passw0rd!"], "password2": ["Passw0rd!"]}'];

# Unicode that is valid is simply data.
my $r = $front->request(POST => '/register',
	json => { email => 'unicode@example.com', password1 => "P\x{e4}ssw0rd\x{1F600}",
		password2 => "P\x{e4}ssw0rd\x{1F600}", firstname => "\x{c9}lodie" });
is($r->{status}, 200, 'unicode password and name register');
is($front->login('unicode@example.com', "P\x{e4}ssw0rd\x{1F600}")->{status}, 200, 'and log in');
$r = $front->request(PUT => '/profile', token => $token, json => { username => "\x{6F22}\x{5B57} \x{1F600}" });
is($r->{status}, 200, 'unicode username');
is($r->{json}{username}, "\x{6F22}\x{5B57} \x{1F600}", 'unicode username comes back intact');
$r = $front->request(POST => '/register',
	json => { email => "\x{e9}l\x{e8}ve\@exemple.fr", password1 => $password, password2 => $password });
ok($r->{status} == 200 || $r->{status} == 400, "an internationalized email: 200 or a clean 400 (got $r->{status})");
my $registered = 3 + ($r->{status} == 200);

# Tokens that are not tokens.
for my $case (['garbage', 'x' x 5000], ['three dots', 'a.b.c'], ['invalid UTF-8', "\xff\xfe"],
	['injection', "' OR 1=1 --"], ['JWT alg none', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.'])
{
	is_clean_4xx($front->raw($front->raw_request(GET => '/profile',
				headers => { 'Authentication-Token' => $case->[1] })),
		"token: $case->[0]", 401);
}
is_clean_4xx($front->request(GET => '/profile', headers => { Authorization => 'Bearer' }),
	'Authorization: Bearer and nothing', 401);

# Path arguments.
is_clean_4xx($front->request(GET => '/profile/' . ('9' x 100)), 'huge id', 404);
is_clean_4xx($front->request(GET => '/profile/-1'), 'negative id', 404);
is_clean_4xx($front->request(GET => '/profile/1%20OR%201=1'), 'injection in the id', 404);
is_clean_4xx($front->request(GET => '/profile/%FF%FE'), 'invalid UTF-8 in the id', 404);
is_clean_4xx($front->request(GET => '/profile/1/2'), 'too many segments', 404);

# Huge bodies: declared (answered before reading), and chunked (read, dropped).
my $ten_mb = '{"email": "' . ('a' x (10 * 1024 * 1024)) . '"}';
$r = $front->raw($front->raw_request(POST => '/register', content_type => 'application/json', body => $ten_mb));
is_clean_4xx($r, '10 MB body', 413);
$r = $front->raw($front->raw_request(POST => '/register', body => $ten_mb));
is_clean_4xx($r, '10 MB body without Content-Type', 413);

sub chunked
{
	my ($path, $body, $chunk) = @_;
	my $request = "POST /authoob$path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	  . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
	for (my $i = 0; $i < length $body; $i += $chunk)
	{
		my $part = substr($body, $i, $chunk);
		$request .= sprintf("%x\r\n%s\r\n", length $part, $part);
	}
	return "${request}0\r\n\r\n";
}
$r = $front->raw(chunked('/register',
	json_encode({ email => 'chunky@example.com', password1 => $password, password2 => $password }), 7));
is($r->{status}, 200, 'a chunked body is read');
ok($r->{json}{token}, 'a chunked registration gets its token');
is_clean_4xx($front->raw(chunked('/register', '{"a": "' . ('b' x 200_000) . '"}', 8192)),
	'chunked body over the limit', 413);
is_clean_4xx($front->raw(chunked('/login', "{\"email\": \"a\0\"}", 3)), 'chunked body with NUL', 400);

# Methods and requests that are simply wrong.
for my $method (qw(DELETE PATCH FOO TRACE))
{
	$r = $front->raw($front->raw_request($method => '/profile'));
	is_clean_4xx($r, "method $method", 405);
	is($r->{headers}{allow}, 'GET, HEAD, PUT', "method $method: Allow header");
}
is_clean_4xx($front->raw($front->raw_request(FOO => '/nowhere')), 'unknown method, unknown path', 404);
is_clean_4xx($front->raw("GET /authoob/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	'dot segments', 404);
is_clean_4xx($front->raw("GET /authoob/profile/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
	'NUL in the path', 404);

# Broken HTTP never reaches a route: libmicrohttpd answers it itself, with a
# status but its own (HTML) body, or closes the connection.
for my $case (
	['a 100 kB header', "GET /authoob/health HTTP/1.1\r\nHost: x\r\nX-Big: " . ('a' x 100_000) . "\r\n\r\n", 431],
	['a 70 kB URL', "GET /authoob/profile/" . ('1' x 70_000) . " HTTP/1.1\r\nHost: x\r\n\r\n", 414],
	['Content-Length not a number', "POST /authoob/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400],
	['no request line', "GARBAGE\r\n\r\n", 0])
{
	is($front->raw($case->[1])->{status}, $case->[2], "$case->[0]: answered by libmicrohttpd");
	is($front->request(GET => '/health')->{status}, 200, "$case->[0]: still answering");
}

# Nothing was half done: the victim still logs in, no stray account.
is($front->login('victim@example.com', $password)->{status}, 200, 'the victim still logs in');
is(psql($db, 'SELECT count(*) FROM authoob.users'), $registered, 'only the real registrations exist');
unlike($front->log, qr/error: /, 'no error in the front log');
is($front->stop('TERM'), 0, 'front stops cleanly');

done_testing();
