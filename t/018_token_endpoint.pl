# The token endpoint over HTTP (docs/sql-api.md, "Sessions, refresh
# tokens and claims"): POST P/token with grant_type password or refresh_token, in the
# body or the query string; refresh tokens rotate, a replayed one ends its
# session, and two refreshes of one token at once both get the same
# successor within refresh_reuse_interval.  Login still answers {"token"}.
# Then a user's sessions: listed, ended one by one, logout by scope.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);
my $email = 'refresh@example.com';
register_user($front, $email);
my $password = strong_password();

# login and GET P/token: as in 0.1, and GET P/token stays in the session
my $r = $front->login($email);
is_deeply([ $r->{status}, [ keys %{ $r->{json} } ] ], [ 200, ['token'] ], 'POST P/login still answers exactly {"token"}');
my $sessions = psql($db, 'SELECT count(*) FROM authoob.sessions');
$r = $front->request(GET => '/token', token => $r->{json}{token});
is($r->{status}, 200, 'GET P/token');
is(psql($db, 'SELECT count(*) FROM authoob.sessions'), $sessions, 'a fresh token in the same session: no new row');

# grant_type password, in the body
$r = $front->request(POST => '/token', json => { grant_type => 'password', email => $email, password => $password });
is($r->{status}, 200, 'grant_type password: 200');
is_deeply([ sort keys %{ $r->{json} } ], [qw(access_token expires_at expires_in refresh_token token_type user)],
	'access_token, token_type, expires_in, expires_at, refresh_token, user');
is_deeply([ $r->{json}{token_type}, $r->{json}{expires_in}, $r->{json}{user}{email} ], [ 'bearer', 86400, $email ],
	'bearer, the lifetime, the private user');
like($r->{json}{refresh_token}, qr/^[A-Za-z0-9_-]{43}$/, 'an opaque refresh token of 256 bits');
is($front->request(GET => '/profile', token => $r->{json}{access_token})->{status}, 200, 'the access token works');
my $first = $r->{json};

# in the query string
$r = $front->request(POST => '/token?grant_type=password', json => { email => $email, password => $password });
is($r->{status}, 200, '?grant_type=password: 200');

# refresh: a new access token and the next refresh token
$r = $front->request(POST => '/token?grant_type=refresh_token', json => { refresh_token => $first->{refresh_token} });
is($r->{status}, 200, 'grant_type refresh_token: 200');
isnt($r->{json}{refresh_token}, $first->{refresh_token}, 'a new refresh token');
my $second = $r->{json};
is($front->request(GET => '/profile', token => $second->{access_token})->{status}, 200, 'its access token works');
# a replay after refresh_reuse_interval ends the session
psql($db, q{SELECT authoob_configure('{"refresh_reuse_interval": 0}')});
$r = $front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => $first->{refresh_token} });
is_error($r, 401, 'Authentication failed', 'a rotated refresh token replayed: 401');
is_error($front->request(GET => '/profile', token => $second->{access_token}), 401, 'Authentication failed',
	'and its session is over: its access tokens are refused');
is_error($front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => $second->{refresh_token} }),
	401, 'Authentication failed', 'and its refresh tokens');
psql($db, q{SELECT authoob_configure('{"refresh_reuse_interval": 10}')});

# Bad input: 400 or 401, nothing changes
$sessions = psql($db, 'SELECT count(*) FROM authoob.sessions');
is_error($front->request(POST => '/token', json => { email => $email, password => $password }), 400, 'Missing data', 'no grant_type');
is_error($front->request(POST => '/token', json => { grant_type => 'implicit' }), 400, 'Missing data', 'an unknown grant_type');
is_error($front->request(POST => '/token?grant_type=pass%00word', json => { email => $email, password => $password }),
	400, 'Missing data', 'a NUL in the query grant_type');
is_error($front->request(POST => '/token?grant_type=%ff', json => { email => $email, password => $password }),
	400, 'Missing data', 'invalid UTF-8 in the query grant_type');
is_error($front->request(POST => '/token?grant_type=' . ('x' x 2000), json => { email => $email, password => $password }),
	400, 'Missing data', 'a long query grant_type');
is_error($front->request(POST => '/token', json => { grant_type => ['password'] }), 400, 'Missing data', 'grant_type not a string');
is_error($front->request(POST => '/token', body => 'not json'), 400, 'Missing data', 'not JSON');
is_error($front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => 'x' x 5000 }),
	401, 'Authentication failed', 'a huge refresh token');
is_error($front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => "a\x{0}b" }),
	400, 'Missing data', 'a NUL in the refresh token');
is_error($front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => 'A' x 43 }),
	401, 'Authentication failed', 'an unknown refresh token');
is_error($front->request(POST => '/token', json => { grant_type => 'password', email => $email, password => 'Wrong1' }),
	401, 'Authentication failed', 'a wrong password');
is(psql($db, 'SELECT count(*) FROM authoob.sessions'), $sessions, 'no session was opened or ended');
is(psql($db, q{SELECT count(*) FROM authoob.throttle WHERE scope = 'login'}), 1,
	'the wrong password counted against the account, as a login');
# a failed refresh names no account: an email in its body counts for nothing
$front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => 'B' x 43, email => 'bob@example.com' });
is(psql($db, q{SELECT count(*) FROM authoob.throttle WHERE scope = 'login' AND key = 'bob@example.com'}), 0,
	'a failed refresh with an email in its body counts nothing against that account');
is(psql($db, q{SELECT count(DISTINCT key) FROM authoob.throttle WHERE scope = 'ip'}), 1, 'only against the client');

# Two refreshes of one token at once (two tabs): while a lock holds the
# refresh tokens, both requests are sent; they then take turns on the row.
sub concurrent_refresh
{
	my ($token) = @_;
	my $holder = hold_table_lock($db, 'authoob.refresh_tokens', 2);
	my @answers = $front->parallel_raw([ map {
		$front->raw_request(POST => '/token', content_type => 'application/json',
			json => { grant_type => 'refresh_token', refresh_token => $token })
	} 1 .. 2 ]);
	waitpid($holder, 0);
	return @answers;
}
my $tab = $front->request(POST => '/token', json => { grant_type => 'password', email => $email, password => $password })->{json};
my @answers = concurrent_refresh($tab->{refresh_token});
is_deeply([ map { $_->{status} } @answers ], [ 200, 200 ], 'two refreshes at once within the interval: both succeed');
is($answers[0]{json}{refresh_token}, $answers[1]{json}{refresh_token}, 'with the same successor');
is($front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => $answers[0]{json}{refresh_token} })->{status},
	200, 'which refreshes in turn');

psql($db, q{SELECT authoob_configure('{"refresh_reuse_interval": 0}')});
$tab = $front->request(POST => '/token', json => { grant_type => 'password', email => $email, password => $password })->{json};
@answers = concurrent_refresh($tab->{refresh_token});
is_deeply([ sort map { $_->{status} } @answers ], [ 200, 401 ], 'outside the interval: the second is a replay, 401');
my ($won) = grep { $_->{status} == 200 } @answers;
is_error($front->request(GET => '/profile', token => $won->{json}{access_token}), 401, 'Authentication failed',
	'and it ended the session: the first one\'s tokens are refused too');

# A user's sessions over HTTP: GET P/sessions, DELETE P/sessions/<id>,
# POST P/logout?scope=.
psql($db, q{SELECT authoob_configure('{"refresh_reuse_interval": 10}')});
my $mine = $front->login($email)->{json}{token};
my $other_device = $front->login($email)->{json}{token};
my $bob = register_user($front, 'bob@example.com');
$r = $front->request(GET => '/sessions', token => $mine);
is($r->{status}, 200, 'GET P/sessions: 200');
my @current = grep { $_->{current} } @{ $r->{json}{sessions} };
is(scalar @current, 1, 'one of them is the current one');
is_deeply([ sort keys %{ $current[0] } ], [qw(aal created_at current id ip refreshed_at user_agent)],
	'id, created_at, refreshed_at, ip, user_agent, aal, current');
is($current[0]{ip}, '127.0.0.1', 'with the client\'s address');
my $bob_session = psql($db, q{SELECT s.jti FROM authoob.sessions s JOIN authoob.users u ON u.id = s.user_id
	WHERE u.email = 'bob@example.com'});
is_error($front->request(DELETE => "/sessions/$bob_session", token => $mine), 404, 'Session not found',
	'DELETE P/sessions/<another user\'s id>: 404');
is_error($front->request(DELETE => '/sessions/nonsense', token => $mine), 404, 'Session not found', 'not an id: 404');
is_error($front->request(DELETE => "/sessions/$bob_session"), 401, 'Authentication failed', 'no token: 401');
is($front->request(GET => '/profile', token => $bob)->{status}, 200, 'bob\'s session is untouched');
my ($other) = grep { !$_->{current} } @{ $front->request(GET => '/sessions', token => $other_device)->{json}{sessions} };
is($front->request(DELETE => "/sessions/$current[0]{id}", token => $other_device)->{status}, 204,
	'DELETE P/sessions/<one of mine>: 204');
is_error($front->request(GET => '/profile', token => $mine), 401, 'Authentication failed', 'that session is over');

$mine = $front->login($email)->{json}{token};
is_error($front->request(POST => '/logout?scope=everything', token => $mine), 400, 'Invalid value for scope',
	'an unknown scope: 400');
is_error($front->request(POST => '/logout?scope=%00', token => $mine), 400, 'Missing data', 'a NUL in the scope: 400');
is($front->request(POST => '/logout?scope=others', token => $mine)->{status}, 204, 'logout?scope=others: 204');
is_deeply([ $front->request(GET => '/profile', token => $other_device)->{status},
		$front->request(GET => '/profile', token => $mine)->{status} ], [ 401, 200 ],
	'the other sessions are over, this one is not');
is($front->request(POST => '/logout', token => $mine)->{status}, 204, 'logout without a scope: local, as in 0.1');
is($front->request(GET => '/profile', token => $mine)->{status}, 401, 'this session is over');
$mine = $front->login($email)->{json}{token};
$other_device = $front->login($email)->{json}{token};
is($front->request(POST => '/logout?scope=global', token => $mine)->{status}, 204, 'logout?scope=global: 204');
is_deeply([ map { $front->request(GET => '/profile', token => $_)->{status} } $mine, $other_device, $bob ],
	[ 401, 401, 200 ], 'every session of the user is over, and only theirs');

# The sessions keep the User-Agent of the sign-in (POST P/login, POST
# P/token's password grant): printable ASCII of at most 255 characters.
sub current_session
{
	my ($token) = @_;
	my ($current) = grep { $_->{current} } @{ $front->request(GET => '/sessions', token => $token)->{json}{sessions} };
	return $current;
}
my $browser = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
$r = $front->request(POST => '/login', json => { email => $email, password => $password },
	headers => { 'User-Agent' => $browser });
is($r->{status}, 200, 'POST P/login with a User-Agent');
is(current_session($r->{json}{token})->{user_agent}, $browser, 'its session keeps the user agent');
$r = $front->request(POST => '/token?grant_type=password', json => { email => $email, password => $password },
	headers => { 'User-Agent' => 'app/2.0 ' . ('x' x 400) });
is($r->{status}, 200, 'POST P/token (password grant) with a long User-Agent');
is(current_session($r->{json}{access_token})->{user_agent}, 'app/2.0 ' . ('x' x 247), 'cut to 255 characters');
my $refreshed = $front->request(POST => '/token', json => { grant_type => 'refresh_token', refresh_token => $r->{json}{refresh_token} },
	headers => { 'User-Agent' => 'someone else' });
is(current_session($refreshed->{json}{access_token})->{user_agent}, 'app/2.0 ' . ('x' x 247),
	'a refresh leaves the sign-in\'s user agent');
$r = $front->raw($front->raw_request(POST => '/login', json => { email => $email, password => $password },
	content_type => 'application/json', headers => { 'User-Agent' => "a\x01b\xc3\xa9" }));
my $raw_token = $r->{json}{token};
is($r->{status}, 200, 'POST P/login with bytes that are not printable in the User-Agent: 200');
is(current_session($raw_token)->{user_agent}, 'a?b??', 'kept as printable ASCII');
$r = $front->request(POST => '/login', json => { email => $email, password => $password, user_agent => 'from the body' },
	headers => { 'User-Agent' => 'the header' });
is(current_session($r->{json}{token})->{user_agent}, 'the header', 'the header wins over a body\'s user_agent');

# POST P/token with neither body nor grant_type: 400, and the server is fine
is_error($front->request(POST => '/token'), 400, 'Missing data', 'POST P/token with nothing: 400');
is($front->request(GET => '/profile', token => $refreshed->{json}{access_token})->{status}, 200,
	'and the tokens still work');

done_testing();
