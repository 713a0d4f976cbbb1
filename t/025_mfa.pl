# Second factors over HTTP, as an attacker who holds a user's password tries
# them (docs/security.md, "Multi-factor authentication"): the P/mfa routes,
# codes computed by Debian's oathtool from the secret shown at enrolment,
# never by authoob, and at the edges of the time steps by pyotp too (two
# implementations that must agree with each other and with what authoob
# takes). Guessed codes are throttled like passwords (429 with
# Retry-After, committed although each request failed, and audited), however
# the factor's id is spelt; a code is spent once, even by two requests that
# wait on the factor's row together; an aal1 session changes no password
# and removes no factor; another user's factor is none of theirs; a
# recovery code works once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Socket::INET;
use MIME::Base64 ();
use Test::More;

skip_all_missing('oathtool is not installed (Debian: apt-get install oathtool)')
  unless system('command -v oathtool >/dev/null 2>&1') == 0;
my $python = '/usr/bin/python3';	# Debian's, where python3-pyotp lives
skip_all_missing('python3-pyotp is not installed (scripts/install-deps.sh)')
  unless system($python, '-c', 'import pyotp') == 0;

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"login_free_failures": 3}')});
my $front = AuthoobTest::Front->start(db => $db);
my $password = strong_password();

# The TOTP code of a base32 secret, now or at another time ('30 seconds ago')
sub totp
{
	my ($secret, $when) = @_;
	open(my $out, '-|', 'oathtool', '--totp', '-b', (defined $when ? ('--now', $when) : ()), $secret)
	  or die "oathtool: $!";
	chomp(my $code = <$out> // '');
	close $out;
	die "oathtool gave no code for $secret" unless $code =~ /^\d{6}\z/;
	return $code;
}

# The code of a base32 secret at the Unix time $at, by oathtool and by pyotp
sub totp_at
{
	my ($secret, $at) = @_;
	my $oathtool = totp($secret, "\@$at");
	open(my $out, '-|', $python, '-c', 'import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))',
		$secret, $at) or die "pyotp: $!";
	chomp(my $pyotp = <$out> // '');
	close $out;
	return ($oathtool, $pyotp);
}

sub claims { json_decode(MIME::Base64::decode_base64url((split /\./, $_[0])[1])) }

sub verify
{
	my ($token, $factor, $code) = @_;
	return $front->request(POST => "/mfa/factors/$factor/verify", token => $token, json => { code => $code });
}

register_user($front, 'alice@example.com');
my $bob = same_partition($db, email => 'alice@example.com', 1, sub { $_[0] == 1 ? 'bob@example.com' : "bob$_[0]\@example.com" });
my $bob_token = register_user($front, $bob);
my $alice = $front->login('alice@example.com')->{json}{token};

# --- enrolment: the secret, its URI and QR code, ten recovery codes
my $r = $front->request(POST => '/mfa/factors', token => $alice, json => { friendly_name => 'phone' });
is($r->{status}, 200, 'POST P/mfa/factors: 200');
my $factor = $r->{json}{id};
my $secret = $r->{json}{totp}{secret} // '';
like($secret, qr/^[A-Z2-7]{32}\z/, 'a base32 secret of 20 bytes');
like($r->{json}{totp}{uri}, qr{^otpauth://totp/app\.test:alice\@example\.com\?.*secret=\Q$secret\E}, 'its otpauth:// URI');
like($r->{json}{totp}{qr_code}, qr{^<svg .*</svg>\z}s, 'and the URI as a QR code in SVG');
my @recovery = @{ $r->{json}{recovery_codes} // [] };
is(scalar @recovery, 10, 'ten recovery codes, shown once');
is($front->request(GET => '/mfa/factors', token => $alice)->{json}[0]{status}, 'unverified', 'unverified until a code');

# --- a guessed code counts as a wrong password: a doubling wait per factor
my @statuses;
for my $guess (1 .. 10)
{
	$r = verify($alice, $factor, sprintf('%06d', $guess));
	push @statuses, $r->{status};
	last if $r->{status} == 429;
}
is_deeply([ @statuses[0 .. 2] ], [ 422, 422, 422 ], 'the first guesses: 422 mfa_verification_failed');
is($statuses[-1], 429, 'then 429');
like($r->{headers}{'retry-after'} // '', qr/^[1-9][0-9]*\z/, 'with Retry-After in seconds');
is(psql($db, qq{SELECT consecutive >= 3 FROM authoob.throttle WHERE scope = 'mfa' AND key = '$factor'}), 't',
	'the failures were committed although each request failed');
is(psql($db, qq{SELECT count(*) FROM authoob.audit_log WHERE action = 'verification_attempted' AND outcome = 'failure'
	AND payload ->> 'factor_id' = '$factor' AND ip_address = '127.0.0.1'}), scalar(grep { $_ == 422 } @statuses),
	'each refused code is in the audit log, with the client\'s address');
psql($db, q{UPDATE authoob.throttle SET blocked_until = now() + interval '1 hour' WHERE scope = 'mfa'});
is(verify($alice, $factor, totp($secret))->{status}, 429, 'while blocked, even the right code gets 429');
is(verify($alice, uc $factor, totp($secret))->{status}, 429, 'the factor\'s id in upper case is the same factor: 429 too');
psql($db, q{SELECT authoob_clear_throttle()});

# --- one code, two requests at once: a third session holds the factor's
# row, so each request, having checked the code, waits to take it; let go,
# one takes the code, the other finds its step spent. The second request
# is sent once the first waits: a worker of the front that waits in the
# database takes no new connection, so another worker takes it.
sub send_raw
{
	my ($request) = @_;
	my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port, Proto => 'tcp',
		Timeout => 10) or die "connect: $!";
	$socket->autoflush(1);
	print $socket $request;
	return $socket;
}

sub answer_of
{
	my ($socket) = @_;
	local $/;
	my $text = <$socket>;
	close $socket;
	return AuthoobTest::Front::parse_response($text // '');
}

my $code = totp($secret);
my $holder = hold_row_lock($db, 'authoob.mfa_factors', "id = '$factor'", 60);
my $request = $front->raw_request(POST => "/mfa/factors/$factor/verify", content_type => 'application/json',
	headers => { 'Authentication-Token' => $alice }, json => { code => $code });
my $first = send_raw($request);
my $first_waits = wait_until(sub { row_lock_waiters($db) >= 1 }, 30);
my $second = send_raw($request);
my $both_wait = wait_until(sub { row_lock_waiters($db) >= 2 }, 30);
release_row_lock($db, $holder);
ok($first_waits && $both_wait, 'both requests waited on the factor\'s row');
my @answers = map { answer_of($_) } $first, $second;
is_deeply([ sort map { $_->{status} } @answers ], [ 200, 422 ], 'one request took the code, the other was refused');
my ($taken) = grep { $_->{status} == 200 } @answers;
my $alice2 = $taken->{json}{token} // '';
is(claims($alice2)->{aal}, 'aal2', 'the new token says aal2');
is(join(',', map { $_->{method} } @{ claims($alice2)->{amr} // [] }), 'totp,password', 'amr: totp, then password');
is(verify($alice2, $factor, $code)->{status}, 422, 'the code again later: spent');
is(verify($alice2, $factor, totp($secret, '30 seconds ago'))->{status}, 422, 'a code of the step before: spent too');
is($front->request(GET => '/profile', token => $alice)->{status}, 200, 'the session itself lives on, at aal2');

# --- the password alone: an aal1 session
my $thief = $front->login('alice@example.com')->{json}{token};
is(claims($thief)->{aal}, 'aal1', 'a sign-in with the password is aal1');
$r = $front->request(PUT => '/reset_password', token => $thief, json => { password1 => "${password}x", password2 => "${password}x" });
is_deeply([ $r->{status}, $r->{json}{message} ], [ 401, 'AAL2 session is required to update email or password when MFA is enabled.' ],
	'aal1: no password change');
is($front->login('alice@example.com')->{status}, 200, 'the password is unchanged');
is($front->request(DELETE => "/mfa/factors/$factor", token => $thief)->{status}, 422, 'aal1: the factor stays');
is($front->request(POST => '/mfa/factors', token => $thief, json => { friendly_name => 'mine' })->{status}, 403,
	'aal1: no factor of the thief\'s own');

# --- another user's factor is none of theirs
is(verify($bob_token, $factor, totp($secret))->{status}, 404, 'bob verifies alice\'s factor: 404');
is($front->request(DELETE => "/mfa/factors/$factor", token => $bob_token)->{status}, 404, 'nor removes it');
is($front->request(DELETE => '/mfa/factors/not-a-uuid', token => $bob_token)->{status}, 404, 'not an id: 404');
is($front->request(POST => '/mfa/factors/x/verify', json => { code => '123456' })->{status}, 401, 'no token: 401');

# --- a recovery code raises an aal1 session to aal2, once
$r = $front->request(POST => '/mfa/recover', token => $thief, json => { code => $recovery[0] });
is($r->{status}, 200, 'a recovery code: 200');
is(claims($r->{json}{token} // '')->{aal}, 'aal2', 'aal2');
is($front->request(POST => '/mfa/recover', token => $thief, json => { code => $recovery[0] })->{status}, 422,
	'the same recovery code again: 422');
is(psql($db, qq{SELECT count(*) FROM authoob.mfa_recovery_codes WHERE code_hash = convert_to('$recovery[1]', 'UTF8')}), 0,
	'recovery codes are not stored as they are');

# --- removal from aal2 ends the user's other sessions
is($front->request(DELETE => "/mfa/factors/$factor", token => $alice2)->{status}, 204, 'aal2: DELETE P/mfa/factors/<id>');
is($front->request(GET => '/profile', token => $r->{json}{token})->{status}, 401, 'the user\'s other sessions ended');
is($front->request(GET => '/profile', token => $alice2)->{status}, 200, 'not this one');
is_deeply($front->request(GET => '/mfa/factors', token => $alice2)->{json}, [], 'no factor left');

# --- the edges of the time steps: oathtool and pyotp agree on each code; a
# code of the step before or after now is taken, two steps away is not,
# and once a step is taken no earlier one is
my $carol = register_user($front, 'carol@example.com');
$r = $front->request(POST => '/mfa/factors', token => $carol, json => { friendly_name => 'edges' });
my ($edges, $edges_secret) = ($r->{json}{id}, $r->{json}{totp}{secret});
# a step with time left for the four requests
wait_until(sub { time % 30 < 20 }, 15);
my $step = int(time / 30);
my %code;
for my $offset (-2, -1, 0, 1, 2)
{
	my ($oathtool, $pyotp) = totp_at($edges_secret, ($step + $offset) * 30);
	is($pyotp, $oathtool, "step $offset: pyotp's code is oathtool's");
	$code{$offset} = $oathtool;
}
is(verify($carol, $edges, $code{-2})->{status}, 422, 'two steps before now: refused');
is(verify($carol, $edges, $code{2})->{status}, 422, 'two steps after now: refused');
psql($db, q{SELECT authoob_clear_throttle()});
$r = verify($carol, $edges, $code{-1});
is($r->{status}, 200, 'the step before now: taken');
my $carol2 = $r->{json}{token} // '';
is(verify($carol2, $edges, $code{1})->{status}, 200, 'the step after now: taken');
is(verify($carol2, $edges, $code{0})->{status}, 422, 'now\'s, after a later step was taken: refused');
diag('the time step changed during the checks of its edges: their outcomes above may be off') if int(time / 30) != $step;

hostile_checks();
done_testing();
