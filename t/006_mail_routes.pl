# The routes of mailed tokens (docs/routes.md): activation by POST and by the mailed
# GET link, password/ask and password/reset/token. Tokens are read from the
# mail outbox, as a mailer would send them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"app_url": "https://app.example.com",
	"api_url": "https://api.example.com", "email_sender": "no-reply@example.com"}')});
my $front = AuthoobTest::Front->start(db => $db);
my $password = strong_password();

# --- activation by POST
register_user($front, 'post@example.com');
my $token = mailed_token($db, 'post@example.com', 'activation');
my $r = $front->request(POST => "/activate/$token");
is($r->{status}, 201, 'POST activate: 201');
is($r->{content} // '', '', 'POST activate: no body');
is_error($front->request(POST => "/activate/$token"), 404, 'No token match', 'POST activate again: the spent token is unknown, 404');
is_error($front->request(POST => '/activate/garbage'), 404, 'No token match', 'unknown token: 404');

# --- activation by the mailed link: a redirect to the app
my $user = register_user($front, 'link@example.com');
my $id = $front->request(GET => '/profile', token => $user)->{json}{id};
$token = mailed_token($db, 'link@example.com', 'activation');
$r = $front->raw($front->raw_request(GET => "/activate/$token"));
is($r->{status}, 302, 'GET activate: 302');
is($r->{headers}{location}, "https://app.example.com?validated_user=$id", 'to app_url?validated_user=<id>');
is_error($front->request(GET => "/activate/$token"), 404, 'No token match', 'GET activate again: 404');
is_error($front->request(GET => '/activate/garbage'), 404, 'No token match', 'GET unknown token: 404');

# --- password recovery
is($front->request(POST => '/password/ask', json => { email => 'post@example.com' })->{status}, 204,
	'password/ask: 204');
is($front->request(POST => '/password/ask', json => { email => 'nobody@example.com' })->{status}, 204,
	'password/ask for an unknown email: 204 too');
is_error($front->request(POST => '/password/ask'), 400, 'Missing data', 'password/ask without body: 400');
$token = mailed_token($db, 'post@example.com', 'reset');
my $new = 'N3wPassword';
is_error($front->request(PUT => '/password/reset/token', json => { password1 => $new, password2 => $new }),
	400, 'Missing data', 'reset/token without token: 400');
is_error($front->request(PUT => '/password/reset/token', json => { token => 'unknown', password1 => 'weak', password2 => 'weak' }),
	404, 'No token match', 'reset/token: an unknown token is 404 whatever the passwords');
is_error($front->request(PUT => '/password/reset/token', json => { token => $token, password1 => $new, password2 => 'other' }),
	400, 'Password mismatch', 'reset/token with mismatching passwords: 400');
$r = $front->request(PUT => '/password/reset/token', json => { token => $token, password1 => $new, password2 => $new });
is($r->{status}, 204, 'reset/token: 204');
is_error($front->request(PUT => '/password/reset/token', json => { token => $token, password1 => $new, password2 => $new }),
	404, 'No token match', 'reset/token used twice: 404');
is($front->login('post@example.com', $new)->{status}, 200,
	'the new password logs in');

# --- the mailed tokens never reach the log
my $log = $front->log;
like($log, qr{access: GET /authoob/activate/\* 302 }, 'the activation link is logged as a pattern');
my @mailed = psql($db, 'SELECT body_text FROM authoob.mail_outbox')
  =~ m{(?:/activate/|reset_password_token=)([A-Za-z0-9_-]+)}g;
cmp_ok(scalar(@mailed), '>=', 3, 'tokens were mailed');
unlike($log, qr/\Q$_\E/, 'a mailed token is not in the log') for @mailed;
is($front->stop('TERM'), 0, 'front stops cleanly');

done_testing();
