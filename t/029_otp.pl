# Passwordless sign-in (docs/supabase.md, "Magic links and email codes";
# docs/http-api.md, POST P/otp): a magic link and a 6-digit code by mail,
# through the real SMTP server on loopback, in both dialects.  Either signs
# in once, within otp_ttl; a newer mail ends the older; unknown addresses
# get the same answer and no mail; wrong codes count as wrong passwords;
# the link's redirect stays on the allow-list, and in the PKCE flow a
# mail scanner that follows the link first does not burn it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use HTTP::Tiny;
use MIME::Base64 qw(encode_base64url);
use Digest::SHA qw(sha256);
use Test::More;

my $sink = start_mail_sink();
my $db = new_database();
psql($db, q{SELECT authoob_configure('{"mail_retry_delay": 1, "redirect_urls": "http://allowed.test/cb"}')});
my $front = AuthoobTest::Front->start(db => $db,
	args => [ '--smtp-url', 'smtp://127.0.0.1:' . $sink->port, '--mail-sweep', 1 ]);
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
psql($db, sprintf(q{SELECT authoob_configure('{"api_url": "http://127.0.0.1:%d"}')}, $front->port));

sub gotrue { my ($method, $path, %opt) = @_; $front->set_prefix('/auth/v1'); my $r = $front->request($method, $path, %opt); $front->set_prefix('/authoob'); $r }

my $link = qr{http://127\.0\.0\.1:\d+/auth/v1/verify\?token=([A-Za-z0-9_-]{43})&type=magiclink&redirect_to=(\S*)};
my $own_link = qr{http://app\.test\?magic_link_token=([A-Za-z0-9_-]{43})};
my $code = qr{code: (\d{6})\b};

# the link's token and the code of the $count-th mail to $to
sub mailed
{
	my ($to, $count, $re) = @_;
	$re //= $link;
	wait_until(sub { (grep { $_ =~ $re } $sink->texts($to)) >= $count }, 30);
	my $text = (grep { $_ =~ $re } $sink->texts($to))[ $count - 1 ] // die "no mail $count to $to";
	my ($token) = $text =~ $re;
	my ($digits) = $text =~ $code;
	return ($token, $digits, $text);
}

# the methods of an access token's amr
sub amr
{
	my ($jwt) = @_;
	my $payload = (split /\./, $jwt // '')[1] // return '';
	$payload =~ tr/-_/+\//;
	my $claims = json_decode(MIME::Base64::decode_base64($payload));
	return join ',', map { $_->{method} } @{ $claims->{amr} };
}

register_user($front, 'ada@example.com');

# --- the ask: the same answer for a known and an unknown address
my $known = gotrue(POST => '/otp', json => { email => 'ada@example.com', create_user => JSON::PP::false });
my $unknown = gotrue(POST => '/otp', json => { email => 'nobody@example.com', create_user => JSON::PP::false });
is_deeply([ $known->{status}, $known->{content} ], [ 200, '{}' ], 'POST G/otp, a known address: 200 {}');
is_deeply([ $unknown->{status}, $unknown->{content} ], [ 200, '{}' ], 'an unknown address: the same');
is(gotrue(POST => '/otp', json => { email => 'nobody@example.com' })->{status}, 200,
	'create_user (auth-js default) on an unknown address: 200 too, and no account');
my ($token, $digits, $text) = mailed('ada@example.com', 1);
ok($token && $digits, 'the mail carries a magic link and a 6-digit code') or diag($text);
like($text, qr/Sign in/, 'in the magic link template');
is(psql($db, q{SELECT count(*) FROM authoob.users WHERE email = 'nobody@example.com'}), 0,
	'no account made for the unknown address');
is(scalar $sink->texts('nobody@example.com'), 0, 'and no mail to it');
is_gotrue_error(gotrue(POST => '/otp', json => {}), 400, 'validation_failed', 'no address: 400');
is_gotrue_error(gotrue(POST => '/otp', json => { phone => '+33600000000' }), 400,
	'phone_provider_disabled', 'a phone: as GoTrue with phone sign-in off');

# --- by code: once
my $r = gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $digits, type => 'email' });
is($r->{status}, 200, 'verifyOtp type email with the code: a session') or diag($r->{content});
is(amr($r->{json}{access_token}), 'otp', 'its amr says otp');
is($r->{json}{user}{email}, 'ada@example.com', 'of the address');
is_gotrue_error(gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $digits, type => 'email' }),
	403, 'otp_expired', 'the same code again: 403');
is_gotrue_error(gotrue(POST => '/verify', json => { token_hash => $token, type => 'magiclink' }),
	403, 'otp_expired', 'and its link, spent with it: 403');

# --- a new ask ends the older mail; by the link's token_hash
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 0}')});
gotrue(POST => '/otp', json => { email => 'ada@example.com' }) for 1 .. 2;
my ($old_token, $old_digits) = mailed('ada@example.com', 2);
my ($new_token, $new_digits) = mailed('ada@example.com', 3);
is_gotrue_error(gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $old_digits, type => 'magiclink' }),
	403, 'otp_expired', 'the older code, after a newer mail: 403');
is_gotrue_error(gotrue(POST => '/verify', json => { token_hash => $old_token, type => 'magiclink' }),
	403, 'otp_expired', 'the older link too');
$r = gotrue(POST => '/verify', json => { token_hash => $new_token, type => 'magiclink' });
is($r->{status}, 200, 'the newer link by token_hash: a session') or diag($r->{content});
is(amr($r->{json}{access_token}), 'otp', 'amr otp');
is_gotrue_error(gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $new_digits, type => 'email' }),
	403, 'otp_expired', 'its code, spent with it: 403');

# --- expiry: otp_ttl
gotrue(POST => '/otp', json => { email => 'ada@example.com' });
my ($late_token, $late_digits) = mailed('ada@example.com', 4);
psql($_, q{UPDATE authoob.mail_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'magiclink'})
  for sharded() ? AuthoobTest::partitions($db) : ($db);
is_gotrue_error(gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $late_digits, type => 'email' }),
	403, 'otp_expired', 'a code past otp_ttl: 403');
is_gotrue_error(gotrue(POST => '/verify', json => { token_hash => $late_token, type => 'magiclink' }),
	403, 'otp_expired', 'a link past otp_ttl: 403');
is(psql($db, q{SELECT otp_ttl FROM authoob.settings}), 600, 'otp_ttl is 10 minutes by default')
  unless sharded();

# --- the link: implicit flow, the allow-list
gotrue(POST => '/otp?redirect_to=http%3A%2F%2Fevil.test%2F', json => { email => 'ada@example.com' });
my ($evil_token, undef, $evil_text) = mailed('ada@example.com', 5);
$r = gotrue(GET => "/verify?token=$evil_token&type=magiclink&redirect_to=http%3A%2F%2Fevil.test%2F");
is($r->{status}, 303, 'GET the link: 303');
like($r->{headers}{location} // '', qr{^http://app\.test#access_token=[^&]+&.*&type=magiclink$},
	'an off-list redirect_to falls back to app_url, the session in the fragment')
  or diag($r->{headers}{location});
$r = gotrue(GET => "/verify?token=$evil_token&type=magiclink");
like($r->{headers}{location} // '', qr{^http://app\.test#error=access_denied&error_code=otp_expired&},
	'the implicit link works once: then the error, in the fragment')
  or diag($r->{status}, ' ', $r->{headers}{location});
gotrue(POST => '/otp?redirect_to=http%3A%2F%2Fallowed.test%2Fcb', json => { email => 'ada@example.com' });
my ($ok_token) = mailed('ada@example.com', 6);
$r = gotrue(GET => "/verify?token=$ok_token&type=magiclink&redirect_to=http%3A%2F%2Fallowed.test%2Fcb");
like($r->{headers}{location} // '', qr{^http://allowed\.test/cb#access_token=}, 'an allowed redirect_to is followed');

# --- PKCE: the link gives a code, the exchange spends the mail
my $verifier = encode_base64url(join '', map { chr int rand 256 } 1 .. 48);
my $challenge = encode_base64url(sha256($verifier));
gotrue(POST => '/otp?redirect_to=http%3A%2F%2Fallowed.test%2Fcb',
	json => { email => 'ada@example.com', code_challenge => $challenge, code_challenge_method => 's256' });
my ($pkce_token) = mailed('ada@example.com', 7);
my $follow = sub {
	my $r = gotrue(GET => "/verify?token=$pkce_token&type=magiclink&redirect_to=http%3A%2F%2Fallowed.test%2Fcb");
	return ($r->{status}, ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$});
};
my ($scanner_status, $scanner_code) = $follow->();
is($scanner_status, 303, 'PKCE: a mail scanner follows the link first: 303 with a code');
my ($user_status, $user_code) = $follow->();
ok($user_status == 303 && $user_code && $user_code ne $scanner_code,
	'the user follows it next: a new code, the link not burnt');
like(gotrue(GET => "/verify?token=$pkce_token&type=magiclink")->{headers}{location} // '', qr{\?code=},
	'no token in any query string: a code, again') ;
($user_status, $user_code) = $follow->();
is_gotrue_error(gotrue(POST => '/token?grant_type=pkce', json => { auth_code => $scanner_code, code_verifier => $verifier }),
	404, 'flow_state_not_found', "the scanner's code, replaced since: refused");
is_gotrue_error(gotrue(POST => '/token?grant_type=pkce', json => { auth_code => $user_code, code_verifier => 'x' x 43 }),
	400, 'bad_code_verifier', 'the code without its verifier: refused');
($user_status, $user_code) = $follow->();
$r = gotrue(POST => '/token?grant_type=pkce', json => { auth_code => $user_code, code_verifier => $verifier });
is($r->{status}, 200, 'the code with its verifier: a session') or diag($r->{content});
is(amr($r->{json}{access_token}), 'magiclink', 'amr magiclink');
$r = gotrue(GET => "/verify?token=$pkce_token&type=magiclink");
like($r->{headers}{location} // '', qr{#error=access_denied&error_code=otp_expired&},
	'the link, spent by the exchange: the error, in the fragment')
  or diag($r->{status}, ' ', $r->{headers}{location});

# --- authoob's own routes: P/otp, P/otp/verify
is($front->request(POST => '/otp', json => { email => 'ada@example.com' })->{status}, 204, 'POST P/otp: 204');
is($front->request(POST => '/otp', json => { email => 'nobody@example.com' })->{status}, 204, 'unknown: 204');
my ($p_token, $p_digits) = mailed('ada@example.com', 1, $own_link);
ok($p_token && $p_digits, "authoob's mail: a link to app_url with the token, and a code");
$r = $front->request(POST => '/otp/verify', json => { email => 'ada@example.com', code => $p_digits });
is($r->{status}, 200, 'P/otp/verify by code: the token endpoint answer') or diag($r->{content});
ok($r->{json}{access_token} && $r->{json}{refresh_token}, 'an access and a refresh token');
is(amr($r->{json}{access_token}), 'otp', 'amr otp');
is($front->request(POST => '/otp/verify', json => { token => $p_token })->{status}, 404,
	'the link of the same mail, spent with it: 404');
$front->request(POST => '/otp', json => { email => 'ada@example.com' });
($p_token) = mailed('ada@example.com', 2, $own_link);
is($front->request(POST => '/otp/verify', json => { token => $p_token })->{status}, 200, 'by the token: 200');
is($front->request(POST => '/otp/verify', json => { token => $p_token })->{status}, 404, 'once');

# --- wrong codes count as wrong passwords
gotrue(POST => '/otp', json => { email => 'ada@example.com' });
my (undef, $good) = mailed('ada@example.com', 8);
my $wrong = sprintf '%06d', ($good + 1) % 1000000;
my @statuses = map {
	gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $wrong, type => 'email' })->{status}
} 1 .. 8;
is($statuses[0], 403, 'a wrong code: 403');
ok((grep { $_ == 429 } @statuses), 'then 429: the address is blocked as after wrong passwords')
  or diag("@statuses");
is(gotrue(POST => '/verify', json => { email => 'ada@example.com', token => $good, type => 'email' })->{status},
	429, 'the right code too while blocked');

# --- per address: one mail per reset_mail_interval
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 3600}')});
psql($db, q{SELECT authoob_clear_throttle()});
my $before = () = grep { $_ =~ $link } $sink->texts('ada@example.com');
gotrue(POST => '/otp', json => { email => 'ada@example.com' }) for 1 .. 3;
ok(wait_until(sub { (grep { $_ =~ $link } $sink->texts('ada@example.com')) == $before + 1 }, 30), 'one more mail');
is(scalar(grep { $_ =~ $link } $sink->texts('ada@example.com')), $before + 1,
	'for three asks within reset_mail_interval: one mail, the same answer');

# --- a magic link confirms an account as its address's owner takes it:
# whoever registered the address first (a password they chose, their
# sessions) keeps no way in; and a ban holds whatever proves who signs in
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 0}')});
psql($db, q{SELECT authoob_clear_throttle()});
my $squatter_password = strong_password();
register_user($front, 'victim@example.com', $squatter_password);
psql($db, q{UPDATE authoob.users SET confirmed_at = NULL WHERE email = 'victim@example.com'});
my $squat = gotrue(POST => '/token?grant_type=password',
	json => { email => 'victim@example.com', password => $squatter_password });
is($squat->{status}, 200, 'whoever registered the address first signs in while it is unconfirmed')
  or diag($squat->{content});
gotrue(POST => '/otp', json => { email => 'victim@example.com' });
my (undef, $victim_code) = mailed('victim@example.com', 1);
$r = gotrue(POST => '/verify', json => { email => 'victim@example.com', token => $victim_code, type => 'email' });
is($r->{status}, 200, "the address's owner signs in by the mailed code") or diag($r->{content});
is_gotrue_error(gotrue(POST => '/token?grant_type=password',
	json => { email => 'victim@example.com', password => $squatter_password }), 400, 'invalid_credentials',
	"the first registrant's password no longer signs in");
is(gotrue(POST => '/token?grant_type=refresh_token',
	json => { refresh_token => $squat->{json}{refresh_token} })->{status}, 400,
	"nor their session's refresh token");
psql($db, q{UPDATE authoob.users SET banned_until = now() + interval '1 hour' WHERE email = 'victim@example.com'});
gotrue(POST => '/otp', json => { email => 'victim@example.com' });
my (undef, $banned_code) = mailed('victim@example.com', 2);
is_gotrue_error(gotrue(POST => '/verify',
	json => { email => 'victim@example.com', token => $banned_code, type => 'email' }), 400, 'user_banned',
	'a banned user: no session by a mailed code either');

# --- sign-up by code: only with otp_signup on and create_user asked
# the accounts made in the mailer, once it has taken every request
sub users_of
{
	my ($email) = @_;
	wait_until(sub { psql($db, q{SELECT count(*) FROM authoob.mail_requests}) == 0 }, 30);
	return psql($db, qq{SELECT count(*) FROM authoob.users WHERE email = '$email'});
}
psql($db, q{SELECT authoob_clear_throttle()});
is(gotrue(POST => '/otp', json => { email => 'new@example.com' })->{status}, 200, 'otp_signup off: 200');
is(users_of('new@example.com'), 0, 'off: no account made');
psql($db, q{SELECT authoob_configure('{"otp_signup": true}')});
is(gotrue(POST => '/otp', json => { email => 'other@example.com', create_user => JSON::PP::false })->{status},
	200, 'on, create_user false: 200');
is(users_of('other@example.com'), 0, 'and no account');
$known = gotrue(POST => '/otp', json => { email => 'ada@example.com', data => { plan => 'free' } });
$unknown = gotrue(POST => '/otp', json => { email => 'fresh@example.com', data => { plan => 'free' } });
is_deeply([ $unknown->{status}, $unknown->{content} ], [ $known->{status}, $known->{content} ],
	'on, create_user (the default): an unknown address answered as a known one');
($token, $digits) = mailed('fresh@example.com', 1);
ok($digits, 'the new address gets the magic link and code mail');
is(psql($db, q{SELECT confirmed_at IS NULL, user_metadata ->> 'plan' FROM authoob.users WHERE email = 'fresh@example.com'}),
	't|free', 'an account, unconfirmed, its user_metadata the data');
$r = gotrue(POST => '/verify', json => { email => 'fresh@example.com', token => $digits, type => 'email' });
is($r->{status}, 200, 'the code signs the new user in') or diag($r->{content});
is($r->{json}{user}{email}, 'fresh@example.com', 'as the new address');
ok($r->{json}{user}{email_confirmed_at}, 'confirmed');
is($r->{json}{user}{user_metadata}{plan}, 'free', 'with the data');
is(gotrue(POST => '/token?grant_type=password', json => { email => 'fresh@example.com', password => '' })->{status},
	400, 'no password signs in');
is($front->request(POST => '/otp', json => { email => 'seed@example.com', create_user => JSON::PP::true })->{status},
	204, 'P/otp with create_user: 204');
my (undef, $seed_digits) = mailed('seed@example.com', 1, $own_link);
$r = $front->request(POST => '/otp/verify', json => { email => 'seed@example.com', code => $seed_digits });
is($r->{status}, 200, 'its code signs in') or diag($r->{content});
is(psql($db, q{SELECT confirmed_at IS NOT NULL FROM authoob.users WHERE email = 'seed@example.com'}), 't',
	'the account made and confirmed');
is($front->request(POST => '/otp', json => { email => 'plain@example.com' })->{status}, 204,
	'P/otp without create_user: 204');
is(users_of('plain@example.com'), 0, 'and no account');

# a sign-up by code is a registration: disable_signup, the client's budget
psql($db, q{SELECT authoob_configure('{"disable_signup": true}')});
is_gotrue_error(gotrue(POST => '/otp', json => { email => 'ada@example.com' }), 422, 'otp_disabled',
	'disable_signup, create_user: 422 otp_disabled for a known address');
is_gotrue_error(gotrue(POST => '/otp', json => { email => 'late@example.com' }), 422, 'otp_disabled',
	'and for an unknown one');
is($front->request(POST => '/otp', json => { email => 'late@example.com', create_user => JSON::PP::true })->{status},
	403, 'P/otp: 403');
is(gotrue(POST => '/otp', json => { email => 'late@example.com', create_user => JSON::PP::false })->{status},
	200, 'without create_user: 200 as before');
is(users_of('late@example.com'), 0, 'no account made');
psql($db, q{SELECT authoob_configure('{"disable_signup": false, "client_hashes_per_window": 2}')});
psql($db, q{SELECT authoob_clear_throttle()});
@statuses = map { gotrue(POST => '/otp', json => { email => "burst$_\@example.com" })->{status} } 1 .. 3;
is("@statuses", '200 200 429', 'sign-ups by code spend the client budget of registrations');
is(gotrue(POST => '/signup', json => { email => 'burst@example.com', password => 'Passw0rd-ok' })->{status},
	429, 'and a registration after them too');

done_testing();
