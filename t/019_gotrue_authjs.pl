# Supabase Auth's protocol under gotrue_prefix (docs/supabase.md),
# driven by the real @supabase/auth-js as pinned in t/js/package-lock.json
# (t/js/authjs_flow.mjs): sign-up with and without confirmation (the token
# of the mail the real SMTP server received), sign-in, the user, refresh
# and reuse, claims verified through the JWKS, sign-out scopes, recovery,
# and the auth events.  Beside them, what an attacker sends: bad JSON,
# wrong types, huge bodies, foreign redirects, replays.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use MIME::Base64 ();
use POSIX ':sys_wait_h';
use Time::HiRes qw(sleep time);
use Test::More;

my $js = "$FindBin::Bin/js";
my $node = $ENV{NODE} // 'node';
skip_all_missing("no $node (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
my $python = '/usr/bin/python3';
skip_all_missing('python3-aiosmtpd is not installed')
  unless system("$python -c 'import aiosmtpd' 2>/dev/null") == 0;
unless (-e "$js/node_modules/\@supabase/auth-js/package.json")
{
	fail('@supabase/auth-js is installed in t/js (npm ci --prefix t/js)');
	done_testing();
	exit;
}

# --- the real SMTP server, its mails in $maildir
my $maildir = File::Temp->newdir;
my $sink_log = File::Temp->new;
my $sink_pid = fork // die "fork: $!";
if ($sink_pid == 0)
{
	open(STDOUT, '>', $sink_log->filename) or POSIX::_exit(127);
	open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
	exec($python, "$FindBin::Bin/../scripts/mail_sink.py", '--port', 0, '--maildir', "$maildir")
	  or POSIX::_exit(127);
}
END { if ($sink_pid) { local $?; kill 'TERM', $sink_pid; waitpid($sink_pid, 0) } }
my $sink_port;
wait_until(sub { (do { local (@ARGV, $/) = ($sink_log->filename); <> } // '') =~ /listening on 127\.0\.0\.1:(\d+)/
	  and $sink_port = $1 }, 10) or die 'mail_sink.py did not start';

sub slurp { my ($file) = @_; open(my $fh, '<:raw', $file) or die "$file: $!"; local $/; <$fh> }

# The tokens of the mails to $to whose link matches $re, in order
sub mailed_tokens
{
	my ($to, $re) = @_;
	my @tokens;
	opendir(my $dir, "$maildir") or return ();
	for my $name (sort grep { /\.json\z/ } readdir $dir)
	{
		my $mail = json_decode(slurp("$maildir/$name"));
		next unless grep { lc $_ eq lc $to } @{ $mail->{rcpt_tos} };
		my ($text) = map { $_->{content} } grep { $_->{content_type} eq 'text/plain' } @{ $mail->{parts} };
		push @tokens, $1 if ($text // '') =~ $re;
	}
	return @tokens;
}

# The token of the $count-th such mail (the first by default), waiting for it
sub mailed
{
	my ($to, $re, $count) = @_;
	$count //= 1;
	wait_until(sub { mailed_tokens($to, $re) >= $count }, 30);
	return (mailed_tokens($to, $re))[ $count - 1 ] // die "no mail $count to $to";
}

my $db = new_database();
psql($db, q{SELECT authoob_configure('{"signing_alg": "ES256", "refresh_reuse_interval": 0}')});
my $front = AuthoobTest::Front->start(db => $db,
	args => [ '--smtp-url', "smtp://127.0.0.1:$sink_port", '--mail-sweep', 1 ]);
$front->set_prefix('/auth/v1');
my $base = 'http://127.0.0.1:' . $front->port . '/auth/v1';
my $password = strong_password();

# Runs a step of t/js/authjs_flow.mjs; each of its lines is a test.
sub authjs
{
	my ($step, %args) = @_;
	open(my $out, '-|', $node, "$js/authjs_flow.mjs", $step, $base, json_encode(\%args))
	  or die "cannot run $node: $!";
	my $lines = 0;
	while (my $line = <$out>)
	{
		my $check = eval { json_decode($line) };
		unless (ref $check eq 'HASH') { fail("$step: $line"); next }
		$lines++;
		ok($check->{ok}, "auth-js: $check->{name}") or diag(json_encode($check->{got}));
	}
	close $out;
	is($? >> 8, 0, "auth-js step $step ran to its end") && ok($lines, "$step checked something");
}

authjs('confirm_off', email => 'ada@example.com', password => $password);
like(join("\n", $front->access_lines), qr{GET /auth/v1/\.well-known/jwks\.json 200}, 'getClaims fetched the JWKS');

# --- Supabase apps' ids: with jwt_sub 'uuid' (from here on), the user's id
# is their uuid, in the tokens and in every answer; user_metadata is free
psql($db, q{SELECT authoob_configure('{"jwt_sub": "uuid"}')});
authjs('identity', email => 'uuid@example.com', password => $password);
my $uuid_re = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
# row-level security in the app's database, as Supabase's docs write it,
# with the claims of a token the front issued (PostgREST's part played by
# hand): auth.uid() is the user's uuid
sub claims_of { json_decode(MIME::Base64::decode_base64url((split /\./, $_[0])[1])) }
my %rls_token = map {
	my $r = $front->request(POST => '/token?grant_type=password', json => { email => $_, password => $password });
	($_ => $r->{json}{access_token})
} qw(uuid@example.com ada@example.com);
like(claims_of($rls_token{'uuid@example.com'})->{sub}, $uuid_re, 'a token of the front: its sub is a uuid');
# (a database of its own, where authoob is not installed: the helpers do
# not need it)
my $app = "authoob_t019_app_$$";
system('createdb', $app) == 0 or die "createdb $app failed";
END { system('dropdb', '--if-exists', $app) if $app }
psql($app, q{CREATE EXTENSION authoob_supabase});
psql($app, q{CREATE TABLE todos (id serial, user_id uuid NOT NULL DEFAULT auth.uid(), task text);
	ALTER TABLE todos ENABLE ROW LEVEL SECURITY;
	CREATE POLICY "own todos" ON todos USING (auth.uid() = user_id) WITH CHECK (auth.uid() = user_id);
	DROP ROLE IF EXISTS t019_authenticated; CREATE ROLE t019_authenticated;
	GRANT SELECT, INSERT ON todos TO t019_authenticated; GRANT USAGE ON SEQUENCE todos_id_seq TO t019_authenticated});
sub as_user
{
	my ($who, $sql) = @_;
	my $claims = json_encode(claims_of($rls_token{$who}));
	$claims =~ s/'/''/g;
	my $out = psql($app, qq{BEGIN; SET LOCAL ROLE t019_authenticated;
		SELECT set_config('request.jwt.claims', '$claims', true) IS NULL; $sql; COMMIT;});
	# the last line: what $sql answered
	return (split /\n/, $out)[-1];
}
as_user('uuid@example.com', q{INSERT INTO todos (task) VALUES ('mine')});
is(as_user('uuid@example.com', q{SELECT count(*) FROM todos}), 1, 'auth.uid() = user_id: the user sees their row');
is(as_user('ada@example.com', q{SELECT count(*) FROM todos}), 0, 'another user sees nothing');
is(psql($app, q{SELECT user_id FROM todos}), claims_of($rls_token{'uuid@example.com'})->{sub},
	'the row holds the uuid of the token');
is(psql($db, qq{SELECT uuid FROM authoob.users WHERE email = 'uuid\@example.com'}),
	claims_of($rls_token{'uuid@example.com'})->{sub}, 'which is the user\'s in authoob.users');
psql($app, q{DROP TABLE todos; DROP ROLE t019_authenticated});

# --- with confirmation: the token of the mail the SMTP server received
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
authjs('confirm_on_signup', email => 'grace@example.com', password => $password);
my $activation = mailed('grace@example.com', qr{/activate/([A-Za-z0-9_-]{43})});
authjs('confirm_on_verify', email => 'grace@example.com', password => $password, token => $activation);
# Waits until the mailers have taken every request and sent every mail
sub mails_settled
{
	wait_until(sub { psql($db, q{SELECT (SELECT count(*) FROM authoob.mail_requests)
		+ (SELECT count(*) FROM authoob.mail_outbox WHERE state IN ('pending', 'sending'))}) == 0 }, 30);
}

# resend: another activation mail, at most one per address and interval,
# and the same answer for any address
authjs('confirm_on_signup', email => 'resend@example.com', password => $password);
mailed('resend@example.com', qr{/activate/([A-Za-z0-9_-]{43})});
authjs('resend', email => 'resend@example.com');
my $again = mailed('resend@example.com', qr{/activate/([A-Za-z0-9_-]{43})}, 2);
authjs('resend', email => 'resend@example.com');
authjs('resend', email => 'nobody@example.com');
authjs('confirm_on_verify', email => 'resend@example.com', password => $password, token => $again);
authjs('resend', email => 'resend@example.com');
mails_settled();
is(scalar mailed_tokens('resend@example.com', qr{/activate/([A-Za-z0-9_-]{43})}), 2,
	'no third mail: one resend per interval, and none once activated');
is(scalar mailed_tokens('nobody@example.com', qr{.}), 0, 'no mail to an unknown address');
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 0}')});
authjs('resend', email => 'resend@example.com');
mails_settled();
is(scalar mailed_tokens('resend@example.com', qr{/activate/([A-Za-z0-9_-]{43})}), 2, 'none to an activated account');
psql($db, q{SELECT authoob_configure('{"reset_mail_interval": 60}')});
is_gotrue_error($front->request(POST => '/resend', json => { type => 'sms', phone => '+33600000000' }), 422,
	'otp_not_built', 'resend by SMS: not built yet');
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});

# --- recovery by mail
authjs('recover_ask', email => 'ada@example.com');
my $reset = mailed('ada@example.com', qr{reset_password_token=([A-Za-z0-9_-]{43})});
authjs('recover_verify', email => 'ada@example.com', password => $password, token => $reset,
	new_password => strong_password('2'));

# --- the dialect's errors, and what an attacker sends
is_gotrue_error($front->request(POST => '/signup', body => '{"email": '), 400, 'bad_json', 'bad JSON: 400 bad_json');
is_gotrue_error($front->request(POST => '/signup', json => [1]), 400, 'bad_json', 'not an object: 400 bad_json');
is_gotrue_error($front->request(POST => '/signup', json => { email => 5, password => [] }), 400, 'weak_password',
	'wrong types: refused by the same rules as P/register');
is_gotrue_error($front->request(POST => '/token?grant_type=password', json => { email => {}, password => 1 }), 400,
	'validation_failed', 'sign-in with wrong types: 400');
is_gotrue_error($front->request(PUT => '/user', json => { data => 'x' }, headers => { Authorization => 'Bearer x' }), 401,
	'session_not_found', 'a bad token: session_not_found');
my $users = psql($db, 'SELECT count(*) FROM authoob.users');
is_gotrue_error($front->raw($front->raw_request(POST => '/signup', content_type => 'application/json',
	body => '{"email":"' . ('a' x (2 * 1024 * 1024)) . '"}')), 413, 'request_too_large', 'a huge body: 413');
is(psql($db, 'SELECT count(*) FROM authoob.users'), $users, 'and nothing changed');
is_gotrue_error($front->request(GET => '/nothing'), 404, 'not_found', 'unknown path under /auth/v1: 404 in the dialect');
my $r = $front->request(POST => '/token?grant_type=password', json => { email => 'ada@example.com', password => 'x' },
	headers => { 'X-Supabase-Api-Version' => '2024-01-01' });
is_deeply([ $r->{status}, $r->{json}{code}, $r->{headers}{'x-supabase-api-version'} ],
	[ 401, 'invalid_credentials', '2024-01-01' ], 'API version 2024-01-01: code is the error code, and the answer says so');
for ([ POST => '/otp', 'otp_not_built' ], [ POST => '/factors', 'mfa_not_built' ], [ GET => '/authorize', 'oauth_not_built' ],
	[ POST => '/reauthenticate', 'reauthenticate_not_built' ], [ POST => '/signup', 'anonymous_not_built' ],
	[ POST => '/token?grant_type=id_token', 'oauth_not_built' ])
{
	is_gotrue_error($front->request($_->[0], $_->[1], json => {}), 422, $_->[2], "$_->[0] $_->[1]: not built yet, 422");
}

# throttling as through P/login: 429 over_request_rate_limit with Retry-After
psql($db, q{SELECT authoob_configure('{"login_free_failures": 2}')});
my @statuses = map { $front->request(POST => '/token?grant_type=password',
	json => { email => 'ada@example.com', password => "wrong$_" }) } 1 .. 4;
my ($limited) = grep { $_->{status} == 429 } @statuses;
ok($limited, 'repeated wrong passwords: 429');
is($limited && $limited->{json}{error_code}, 'over_request_rate_limit', 'error_code over_request_rate_limit');
like($limited && $limited->{headers}{'retry-after'}, qr/^\d+$/, 'with Retry-After');
psql($db, q{SELECT authoob_clear_throttle()});

# the mailed link: redirects only to allowed URLs, tokens in the fragment
psql($db, q{SELECT authoob_configure('{"require_activation": true, "redirect_urls": "http://allowed.test/cb"}')});
authjs('confirm_on_signup', email => 'link1@example.com', password => $password);
my $t1 = mailed('link1@example.com', qr{/activate/([A-Za-z0-9_-]{43})});
$front->{http} = HTTP::Tiny->new(timeout => 30, max_redirect => 0);
$r = $front->request(GET => "/verify?type=signup&token=$t1&redirect_to=http://evil.test/steal");
is($r->{status}, 303, 'GET /verify: 303');
like($r->{headers}{location}, qr{^http://app\.test#access_token=[^&]+&expires_at=\d+&expires_in=\d+&refresh_token=[A-Za-z0-9_-]{43}&token_type=bearer&type=signup$},
	'a foreign redirect_to falls back to app_url, the session in the fragment');
$r = $front->request(GET => "/verify?type=signup&token=$t1&redirect_to=http://allowed.test/cb");
is($r->{status}, 404, 'the link again: refused (single use)');
authjs('confirm_on_signup', email => 'link2@example.com', password => $password);
my $t2 = mailed('link2@example.com', qr{/activate/([A-Za-z0-9_-]{43})});
$r = $front->request(GET => "/verify?type=signup&token=$t2&redirect_to=http://allowed.test/cb?x=1");
like($r->{headers}{location} // '', qr{^http://allowed\.test/cb\?x=1#access_token=}, 'an allowed redirect_to is followed');
$r = $front->request(GET => "/verify?type=signup&token=$t2&redirect_to=http://allowed.test.evil/cb");
is($r->{status}, 404, 'a spent token, whatever the redirect');
is(psql($db, q{SELECT authoob_redirect_url('http://allowed.test/cbx')}), 'http://app.test', 'a look-alike URL is not allowed');
is(psql($db, q{SELECT authoob_redirect_url('http://allowed.test/cb@evil.test')}), 'http://app.test', 'nor a user-info trick');

# the PKCE flow: the link leads to the app with a one-time code, which signs
# in once, and only with the verifier of the client that asked for the mail
my $store = File::Temp->new;
authjs('pkce_signup', email => 'pkce@example.com', password => $password, store => $store->filename);
my $t3 = mailed('pkce@example.com', qr{/activate/([A-Za-z0-9_-]{43})});
$r = $front->request(GET => "/verify?type=signup&token=$t3&redirect_to=http://allowed.test/cb");
is($r->{status}, 303, 'PKCE link: 303');
my ($code) = ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$};
ok($code, 'PKCE link: a code in the query string, no token') or diag($r->{headers}{location});
my %kept = %{ json_decode(slurp($store->filename)) };
my ($verifier) = map { json_decode($kept{$_}) } grep { /-code-verifier$/ } keys %kept;
ok($verifier, 'auth-js kept its code verifier');
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => 'x' x 43 }),
	401, 'bad_code_verifier', 'the code with another verifier: refused');
authjs('pkce_exchange', email => 'pkce@example.com', store => $store->filename, code => $code);
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => $code, code_verifier => $verifier }),
	401, 'flow_state_not_found', 'the code again, with its verifier: refused (single use)');
is_gotrue_error($front->request(POST => '/token?grant_type=pkce', json => { auth_code => 'f' x 64, code_verifier => $verifier }),
	401, 'flow_state_not_found', 'a made-up code: refused');
my $rstore = File::Temp->new;
authjs('pkce_recover_ask', email => 'pkce@example.com', store => $rstore->filename);
my $t4 = mailed('pkce@example.com', qr{reset_password_token=([A-Za-z0-9_-]{43})});
$r = $front->request(GET => "/verify?type=recovery&token=$t4&redirect_to=http://allowed.test/cb");
($code) = ($r->{headers}{location} // '') =~ m{^http://allowed\.test/cb\?code=([A-Za-z0-9_-]{43})$};
ok($code, 'PKCE recovery link: a code') or diag($r->{headers}{location});
authjs('pkce_recover_exchange', email => 'pkce@example.com', store => $rstore->filename, code => $code,
	new_password => strong_password('3'));

# --- the admin API (auth.admin.*) with the service_role token the owner signs
# (sharded, every partition verifies it only with the secret they share:
# under ES256 each partition signs with a key of its own, docs/supabase.md)
if (partitions($db))
{
	# leaving ES256 left each partition a secret of its own: one for all again
	psql($db, q{SELECT authoob_configure(jsonb_build_object('signing_alg', 'HS256',
		'secret_key', encode(sha256('t/019 admin'::bytea) || substr(sha256('again'::bytea), 1, 16), 'base64')))});
}
my $service = psql((partitions($db))[0] // $db, q{SELECT authoob_service_token()});
authjs('admin', service => $service, email => 'admin-made@example.com', password => $password,
	new_password => strong_password('4'));
is(psql($db, q{SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM authoob.audit_log WHERE actor = 'service_role'}),
	'user_deleted,user_modified,user_signedup', 'every admin action is in the audit log, by service_role');
is(psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE actor = 'service_role' AND ip_address = '127.0.0.1'}),
	psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE actor = 'service_role'}), 'with the client\'s address');

# CORS: what auth-js sends is allowed
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
$r = $front->request(OPTIONS => '/token', headers => { Origin => 'http://app.test',
	'Access-Control-Request-Method' => 'POST',
	'Access-Control-Request-Headers' => 'apikey, x-client-info, x-supabase-api-version, authorization, content-type' });
like($r->{headers}{'access-control-allow-headers'} // '', qr/apikey.*X-Client-Info.*X-Supabase-Api-Version/i,
	'preflight: apikey, x-client-info, x-supabase-api-version allowed');
$r = $front->request(GET => '/settings', headers => { Origin => 'http://app.test' });
like($r->{headers}{'access-control-expose-headers'} // '', qr/X-Supabase-Api-Version/,
	'the API version header is exposed to the app');
is_deeply([ @{ $r->{json} }{qw(mailer_autoconfirm disable_signup)}, $r->{json}{external}{email} ],
	[ JSON::PP::true, JSON::PP::false, JSON::PP::true ], 'GET /settings: email sign-up, no confirmation required');

# the seed's routes answer as before, and null turns the dialect off
$front->set_prefix('/authoob');
is($front->request(POST => '/login', json => { email => 'ada@example.com', password => 'x' })->{json}{message},
	'Authentication failed', "authoob's own routes keep their error shape");
psql($db, q{SELECT authoob_configure('{"gotrue_prefix": null}')});
kill 'HUP', $front->pid;
$front->set_prefix('/auth/v1');
ok(wait_until(sub { $front->request(GET => '/health')->{status} == 404 }, 10), 'gotrue_prefix null: the routes are gone');

done_testing();
