# Running the front: flags, the access log, SIGHUP, CORS, SIGTERM drain.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Select;
use IO::Socket::INET;
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

my $db = new_database();
my $password = strong_password('Secret');

# --- flags
my ($status, $out) = run_front('--help');
is($status, 0, '--help exits 0');
like($out, qr/--listen=HOST:PORT/, '--help lists the flags');
like((run_front('--version'))[1], qr/^authoob-http \d+\.\d+/, '--version');
refuses_flags(@$_) for ['--bogus'], ['--threads', '0'], ['--pool', 'x'], ['--body-limit', '12q'],
  ['--drain-timeout', '-1'], ['--log-level', 'loud'], ['extra'];
($status, $out) = run_front('--listen', '127.0.0.1:0', '--db', 'host=127.0.0.1 port=1 connect_timeout=2');
is($status, 1, 'no database at start: exit 1');
like($out, qr/cannot connect to Postgres/, 'and says why');

system('createdb', "${db}_plain") == 0 or die;
($status, $out) = run_front('--listen', '127.0.0.1:0', '--db', "dbname=${db}_plain");
is($status, 1, 'a database without the extension: exit 1');
like($out, qr/\A[^\n]*error: cannot read settings: [^\n]*authoob_settings\(\) does not exist[^\n]*\n\z/,
	'and one line says why');

my $front = AuthoobTest::Front->start(db => $db, args => ['--body-limit', '1k']);
is($front->request(POST => '/login', json => { email => 'x' x 2000 })->{status}, 413,
	'--body-limit 1k: 2 kB is too large');
is($front->login('x' x 500, 'x')->{status}, 401,
	'--body-limit 1k: 500 bytes are read');

# --- the access log: one line per request, never a token, password or body
my $token = register_user($front, 'logged@mail.test', $password);
$front->request(GET => '/profile', token => $token);
$front->request(GET => '/profile', headers => { Authorization => "Bearer $token" });
$front->request(PUT => '/profile', token => $token, json => { username => 'secret-username' });
$front->request(GET => '/activate/SECRETACTIVATIONTOKEN');
$front->request(GET => '/confirm/SECRETCONFIRMTOKEN');
$front->request(GET => '/profile/1?token=SECRETQUERY');
# A line is written once the response is out: the last one may lag a little.
my ($log, @access);
wait_until(sub { $log = $front->log; @access = $log =~ /^.*access: .*$/mg; @access >= 9 }, 5);
is(scalar(@access), 9, 'one access line per request');
ok((grep { /^\S+Z access: GET \/authoob\/profile 200 \d+us 127\.0\.0\.1$/ } @access),
	'time, method, path, status, microseconds, client');
like($log, qr{access: GET /authoob/activate/\* 404 }, 'secret path segments are logged as *');
like($log, qr{access: GET /authoob/confirm/\.\.\. 404 }, 'unknown paths are cut after their first segment');
for my $secret ($token, $password, 'mail.test', 'secret-username', 'SECRETACTIVATIONTOKEN', 'SECRETCONFIRMTOKEN', 'SECRETQUERY')
{
	unlike($log, qr/\Q$secret\E/, "the log never holds '" . substr($secret, 0, 20) . "'");
}
is($front->stop('TERM'), 0, 'stops');

# --- SIGHUP re-reads the settings
$front = AuthoobTest::Front->start(db => $db);
psql($db, q{SELECT authoob_configure('{"prefix": "/api/v1/auth"}')});
kill 'HUP', $front->pid;
wait_until(sub { $front->log =~ m{prefix "/api/v1/auth"} }, 10);
is($front->request(GET => '/health')->{status}, 404, 'after SIGHUP the old prefix is gone');
$front->set_prefix('/api/v1/auth');
is($front->request(GET => '/health')->{status}, 200, 'and the new one serves');
psql($db, q{SELECT authoob_configure('{"prefix": "/authoob"}')});
is($front->stop('TERM'), 0, 'stops');

# --- CORS for a single-page app on app_url
psql($db, q{SELECT authoob_configure('{"app_url": "https://app.example.com/spa/"}')});
$front = AuthoobTest::Front->start(db => $db);
my $app = 'https://app.example.com';
my $r = $front->request(OPTIONS => '/profile', headers => { Origin => $app,
		'Access-Control-Request-Method' => 'PUT',
		'Access-Control-Request-Headers' => 'authentication-token, content-type' });
is($r->{status}, 204, 'preflight: 204');
is($r->{headers}{'access-control-allow-origin'}, $app, 'preflight: the app origin is allowed');
is($r->{headers}{'access-control-allow-credentials'}, 'true', 'preflight: with credentials');
is($r->{headers}{'access-control-allow-methods'}, 'GET, HEAD, PUT', 'preflight: the path methods');
like($r->{headers}{'access-control-allow-headers'}, qr/\bAuthentication-Token\b/, 'preflight: the token header');
like($r->{headers}{'access-control-allow-headers'}, qr/\bContent-Type\b/, 'preflight: Content-Type');
like($r->{headers}{vary}, qr/Origin/, 'preflight: Vary: Origin');
$r = $front->request(GET => '/profile', token => $token, headers => { Origin => $app });
is($r->{headers}{'access-control-allow-origin'}, $app, 'response: the app origin is allowed');
is($r->{headers}{'access-control-expose-headers'}, 'Authentication-Token, Retry-After, WWW-Authenticate',
	'response: the token header, Retry-After and the 401 challenge are exposed');
$r = $front->request(OPTIONS => '/profile', headers => { Origin => 'https://evil.example.com',
		'Access-Control-Request-Method' => 'GET' });
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'another origin gets no CORS headers');
$r = $front->request(GET => '/profile', token => $token, headers => { Origin => 'https://evil.example.com' });
ok(!exists $r->{headers}{'access-control-allow-origin'}, 'nor on responses');
is($front->request(OPTIONS => '/nowhere', headers => { Origin => $app })->{status}, 404,
	'preflight of an unknown path: 404');
is($front->stop('TERM'), 0, 'stops');

$front = AuthoobTest::Front->start(db => $db, args => ['--cors-origin', '*']);
$r = $front->request(GET => '/health', headers => { Origin => 'https://anywhere.example' });
is($r->{headers}{'access-control-allow-origin'}, '*', '--cors-origin *: any origin');
ok(!exists $r->{headers}{'access-control-allow-credentials'}, '--cors-origin *: never with credentials');
is($front->stop('TERM'), 0, 'stops');

# --- the front needs no more than the authoob_api role
psql($db, q{DROP ROLE IF EXISTS authoob_front_test; CREATE ROLE authoob_front_test LOGIN PASSWORD 'front-secret' IN ROLE authoob_api});
$front = AuthoobTest::Front->start(db => "$db user=authoob_front_test password=front-secret host=127.0.0.1");
is($front->request(GET => '/health')->{status}, 200, 'as a member of authoob_api: health');
$r = $front->login('logged@mail.test', $password);
is($r->{status}, 200, 'as a member of authoob_api: login');
is($front->request(GET => '/profile', token => $r->{json}{token})->{status}, 200,
	'as a member of authoob_api: profile');
is($front->stop('TERM'), 0, 'stops');

# --- SIGTERM: stop accepting, finish what is in flight (bounded), exit 0

# Sends a login that waits: a transaction holds the users table (which login
# writes) for $seconds, or until released. Returns the socket to read the
# answer from once the login waits in Postgres, and the lock's holder.
sub login_in_flight
{
	my ($front, $seconds) = @_;
	my $locker = hold_table_lock($db, 'authoob.users', $seconds);
	my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port) or die;
	my $body = json_encode({ email => 'logged@mail.test', password => $password });
	print $socket "POST /authoob/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	  . "Content-Length: " . length($body) . "\r\n\r\n$body";
	wait_until(sub { lock_waiters($db, 'authoob.users') > 0 }) or die 'the login does not reach Postgres';
	return ($socket, $locker);
}

sub read_answer
{
	my ($socket) = @_;
	local $/;
	return AuthoobTest::Front::parse_response(scalar <$socket>);
}

sub refuses_connections
{
	my ($front) = @_;
	return !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port, Timeout => 2);
}

# the login is held until the listener is seen closed; a drain timeout far
# beyond the test's patience, so that the exit is the drain's end
$front = AuthoobTest::Front->start(db => $db, args => ['--drain-timeout', '120']);
my ($socket, $locker) = login_in_flight($front, 60);
kill 'TERM', $front->pid;
ok(wait_until(sub { refuses_connections($front) }), 'after SIGTERM, new connections are refused');
ok(!IO::Select->new($socket)->can_read(0) && lock_waiters($db, 'authoob.users') > 0,
	'while the login is still in flight');
release_table_lock($db, 'authoob.users', $locker);
my $answer = read_answer($socket);
is($answer->{status}, 200, 'the login in flight finished');
ok($answer->{json}{token}, 'with its token');
is($answer->{headers}{connection}, 'close', 'and the connection closed');
is($front->stop('TERM', 30), 0, 'exit 0 once it was done, long before the 120 s drain timeout');

# A statement that takes longer than --drain-timeout is cancelled.
$front = AuthoobTest::Front->start(db => $db, args => ['--drain-timeout', '1']);
($socket, $locker) = login_in_flight($front, 60);
kill 'TERM', $front->pid;
$answer = read_answer($socket);
is_error($answer, 503, 'Service unavailable', 'past --drain-timeout the request in flight gets a 503');
ok(wait_until(sub { lock_waiters($db, 'authoob.users') == 0 }) && waitpid($locker, WNOHANG) == 0,
	'its statement was cancelled: nothing waits for the lock, still held');
is($front->stop('TERM', 15), 0, 'exit 0');
release_table_lock($db, 'authoob.users', $locker);

done_testing();
