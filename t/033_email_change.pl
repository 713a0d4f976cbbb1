# Email change (docs/supabase.md, "Email change"; docs/http-api.md, PUT
# P/email): a signed-in user asks, the new address gets a link and a code
# through the real SMTP server on loopback, the old one a notice; the
# address changes only on confirmation, stays unique whatever its case
# (a registration racing the confirmation: one wins), and the user's
# sessions end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Socket::INET;
use Test::More;

my $sink = start_mail_sink();
my $db = new_database();
psql($db, q{SELECT authoob_configure('{"mail_retry_delay": 1, "reset_mail_interval": 0}')});
my $front = AuthoobTest::Front->start(db => $db,
	args => [ '--smtp-url', 'smtp://127.0.0.1:' . $sink->port, '--mail-sweep', 1 ]);
psql($db, sprintf(q{SELECT authoob_configure('{"api_url": "http://127.0.0.1:%d", "require_activation": false}')},
	$front->port));
my $password = strong_password();

sub gotrue { my ($method, $path, %opt) = @_; $front->set_prefix('/auth/v1'); my $r = $front->request($method, $path, %opt); $front->set_prefix('/authoob'); $r }
sub bearer { { Authorization => "Bearer $_[0]" } }
sub sign_in
{
	my ($email) = @_;
	my $r = gotrue(POST => '/token?grant_type=password', json => { email => $email, password => $password });
	return $r->{json}{access_token} // die "signing in $email: $r->{status} $r->{content}";
}

my $link = qr{/verify\?token=([A-Za-z0-9_-]{43})&type=email_change&redirect_to=};
my $own_link = qr{email_change_token=([A-Za-z0-9_-]{43})};
# the link's token and the code of the $count-th mail of $re to $to
sub mailed
{
	my ($to, $count, $re) = @_;
	wait_until(sub { (grep { $_ =~ $re } $sink->texts($to)) >= $count }, 30);
	my $text = (grep { $_ =~ $re } $sink->texts($to))[ $count - 1 ] // die "no mail $count to $to";
	my ($token) = $text =~ $re;
	my ($code) = $text =~ /code: (\d{6})\b/;
	return ($token, $code, $text);
}

# new addresses where their users live: when sharded, an address routes
# to a partition, and a change must stay on its user's (else 422)
sub beside { my ($email, $make) = @_; scalar same_partition($db, 'email', $email, 1, $make) }
my $ada_new = beside('ada@example.com', sub { "Ada.New$_[0]\@example.com" });
my $taken = beside('ada@example.com', sub { "taken$_[0]\@example.com" });
my $bea_new = beside('bea@example.com', sub { "bea$_[0]\@example.com" });
my $race_address = beside('cid@example.com', sub { "race$_[0]\@example.com" });
my $dan_new = beside('dan@example.com', sub { "dan$_[0]\@example.com" });
register_user($front, $_) for 'ada@example.com', 'bea@example.com', $taken;
my $token = sign_in('ada@example.com');
my $other = sign_in('ada@example.com');

# --- the ask: nothing changes yet
my $r = gotrue(PUT => '/user', json => { email => $ada_new }, headers => bearer($token));
is($r->{status}, 200, 'PUT G/user {email}: 200') or diag($r->{content});
is($r->{json}{email}, 'ada@example.com', 'the address is still the old one');
my ($change, $code, $text) = mailed(lc $ada_new, 1, $link);
ok($change && $code, 'the new address gets a link of type email_change and a code') or diag($text);
like($text, qr/\Q$ada_new\E.*ada\@example\.com/s, 'naming both addresses');
my (undef, undef, $notice) = mailed('ada@example.com', 1, qr/being changed/);
like($notice, qr/from ada\@example\.com to \Q$ada_new\E/, 'the old address gets a notice');
unlike($notice, qr/code: \d{6}|verify\?token=/, 'with no link nor code');
is(gotrue(GET => '/user', headers => bearer($token))->{json}{email}, 'ada@example.com', 'GET G/user: still the old');
is_gotrue_error(gotrue(PUT => '/user', json => { email => uc $taken }, headers => bearer($token)),
	422, 'email_exists', "another account's address, in another case: 422 email_exists");
is_gotrue_error(gotrue(PUT => '/user', json => { email => 'not an address' }, headers => bearer($token)),
	400, 'validation_failed', 'not an address: 400');
is_gotrue_error(gotrue(PUT => '/user', json => { email => 'x@example.com' }), 401, 'no_authorization', 'no token: 401');

# --- a resend ends the older mail; the code confirms once
is(gotrue(POST => '/resend', json => { type => 'email_change', email => 'ada@example.com' })->{status}, 200,
	'POST G/resend type email_change: 200');
is(gotrue(POST => '/resend', json => { type => 'email_change', email => 'nobody@example.com' })->{content}, '{}',
	'for an unknown address too, the same {}');
my ($change2, $code2) = mailed(lc $ada_new, 2, $link);
is_gotrue_error(gotrue(POST => '/verify', json => { email => lc $ada_new, token => $code, type => 'email_change' }),
	403, 'otp_expired', 'the older code, after a resend: 403');
$r = gotrue(POST => '/verify', json => { email => lc $ada_new, token => $code2, type => 'email_change' });
is($r->{status}, 200, 'verifyOtp email_change with the new address and the code: a session') or diag($r->{content});
is($r->{json}{user}{email}, $ada_new, 'the address is the new one, as the user wrote it');
is_gotrue_error(gotrue(GET => '/user', headers => bearer($other)), 403, 'session_not_found',
	"the user's other sessions ended");
is_gotrue_error(gotrue(POST => '/verify', json => { token_hash => $change2, type => 'email_change' }), 403, 'otp_expired',
	'the link of the same mail: spent with the code');
ok(sign_in(lc $ada_new), 'the new address signs in');
is(gotrue(POST => '/token?grant_type=password', json => { email => 'ada@example.com', password => $password })->{status},
	400, 'the old one no longer');
register_user($front, 'ada@example.com');
pass('the old address is free for a new account');

# --- P/email, P/email/confirm by the link's token
$token = $front->login('bea@example.com', $password)->{json}{token} // die 'bea cannot log in';
is($front->request(PUT => '/email', token => $token, json => { email => $bea_new })->{status}, 204,
	'PUT P/email: 204');
my ($own) = mailed($bea_new, 1, $own_link);
ok($own, "authoob's mail: a link to app_url with the token");
$r = $front->request(POST => '/email/confirm', json => { token => $own });
is($r->{status}, 200, 'POST P/email/confirm {token}: a session') or diag($r->{content});
is($front->request(POST => '/email/confirm', json => { token => $own })->{status}, 404, 'once');
is(psql($db, q{SELECT email FROM authoob.users WHERE id = } . user_id($db, $bea_new)), $bea_new,
	'the address changed') unless sharded();

# --- the race: a registration of the address and the change's confirmation
register_user($front, 'cid@example.com');
$token = sign_in('cid@example.com');
gotrue(PUT => '/user', json => { email => $race_address }, headers => bearer($token));
my ($race) = mailed($race_address, 1, $link);
my $holder = hold_table_lock($db, 'authoob.users', 120);
my @racers;
for (
	$front->raw_request(POST => '/register', content_type => 'application/json',
		json => { email => uc $race_address, password1 => $password, password2 => $password }),
	$front->raw_request(POST => '/email/confirm', content_type => 'application/json', json => { token => $race }))
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port, Proto => 'tcp')
	  or die "connect: $!";
	syswrite($s, $_);
	push @racers, $s;
	wait_until(sub { AuthoobTest::lock_waiters($db, 'authoob.users') == @racers }, 30);
}
is(AuthoobTest::lock_waiters($db, 'authoob.users'), 2, 'a registration and a confirmation of one address wait together');
release_table_lock($db, 'authoob.users', $holder);
my @answers = map { local $/; AuthoobTest::Front::parse_response(scalar(<$_>) // '') } @racers;
is_deeply([ sort map { $_->{status} } @answers ], [ 200, 409 ], 'one wins (200), the other is refused (409), no 500')
  or diag(explain(\@answers));
is(psql($db, q{SELECT count(*) FROM authoob.users WHERE lower(email) = '} . lc($race_address) . q{'}), 1,
	'one account has the address');

# --- a user with a verified factor asks at aal2 only; P/email/confirm by code
register_user($front, 'dan@example.com');
$token = sign_in('dan@example.com');
unless (sharded())
{
	psql($db, q{INSERT INTO authoob.mfa_factors (user_id, status, secret)
		SELECT id, 'verified', '\x00' FROM authoob.users WHERE email = 'dan@example.com'});
	is_gotrue_error(gotrue(PUT => '/user', json => { email => $dan_new }, headers => bearer($token)),
		401, 'insufficient_aal', 'a verified factor, an aal1 session: 401 insufficient_aal');
	is(scalar $sink->texts($dan_new), 0, 'and no mail');
	psql($db, q{DELETE FROM authoob.mfa_factors});
}
$token = $front->login('dan@example.com', $password)->{json}{token};
$front->request(PUT => '/email', token => $token, json => { email => $dan_new });
my (undef, $dan_code) = mailed($dan_new, 1, $own_link);
is($front->request(POST => '/email/confirm', json => { email => $dan_new, code => '000000' })->{status}, 403,
	'a wrong code: 403');
$r = $front->request(POST => '/email/confirm', json => { email => $dan_new, code => $dan_code });
is($r->{status}, 200, 'P/email/confirm by the new address and the code: a session') or diag($r->{content});
is($front->request(GET => '/profile', token => $token)->{status}, 401, 'the session that asked ended too');

if (sharded())
{
	my $elsewhere = (grep { partition_of($db, 'email', $_) != partition_of($db, 'email', 'dan@example.com') }
		map { "far$_\@example.com" } 1 .. 20)[0];
	is_gotrue_error(gotrue(PUT => '/user', json => { email => $elsewhere }, headers => bearer(sign_in(lc $dan_new))),
		422, 'email_change_across_partitions', 'sharded: an address of another partition: 422');
}

# --- an address change's code comes with the new address only (its wrong
# guesses count against that address, which no sign-in of the asking
# account clears); a password change ends a change still waiting; with
# secure_password_change, a session over a day old needs the nonce
psql($db, q{SELECT authoob_clear_throttle()});
register_user($front, 'eve@example.com', $password);
my $eve_new = beside('eve@example.com', sub { "evenew$_[0]\@example.com" });
$token = sign_in('eve@example.com');
is(gotrue(PUT => '/user', json => { email => $eve_new }, headers => bearer($token))->{status}, 200,
	'an address change asked');
my (undef, $eve_code) = mailed($eve_new, 1, $link);
is_gotrue_error(gotrue(POST => '/verify', json => { email => 'eve@example.com', token => $eve_code, type => 'email_change' }),
	403, 'otp_expired', 'its right code with the old address: refused');
is(gotrue(PUT => '/user', json => { password => strong_password('2') }, headers => bearer($token))->{status}, 200,
	'then the password changed');
is_gotrue_error(gotrue(POST => '/verify', json => { email => $eve_new, token => $eve_code, type => 'email_change' }),
	403, 'otp_expired', 'the change that waited is spent by it');
psql($db, q{SELECT authoob_configure('{"secure_password_change": true}')});
$token = gotrue(POST => '/token?grant_type=password',
	json => { email => 'eve@example.com', password => strong_password('2') })->{json}{access_token};
psql($db, q{UPDATE authoob.sessions SET created_at = now() - interval '25 hours'});
is_gotrue_error(gotrue(PUT => '/user', json => { email => $eve_new }, headers => bearer($token)),
	400, 'reauthentication_needed', 'secure_password_change, an old session: an address change needs the nonce');
is(scalar(() = grep { $_ =~ $link } $sink->texts($eve_new)), 1, 'and nothing mailed');
psql($db, q{SELECT authoob_configure('{"secure_password_change": false}')});

done_testing();
