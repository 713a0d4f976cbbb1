# The owner-context rule (docs/security.md): whatever runs with the
# extension owner's rights runs under a search_path of authoob's choosing,
# never the caller's.  The caller here is the attacker of the hostile mode
# (t/lib/hostile.sql): a member of authoob_api that owns the schema app,
# first on its search_path, where a trap stands in for every operator and
# function authoob's statements use.  First the hole a review of 0.2 found
# (a refresh token replayed through authoob_attempt ended its session as
# the owner, under the caller's search_path: the trap =(uuid, uuid) made
# the caller a superuser); then every function and procedure authoob_api
# may execute, each called with arguments that reach its failure paths and
# its success.  No trap may run, no role may become a superuser.  The
# calls are written so that the caller's own statements use no operator
# or function of its schema: a trap that runs is authoob's doing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use Digest::SHA ();
use HTTP::Tiny;
use JSON::PP ();
use Test::More;

# a provider of GitHub's shape on loopback (t/js/fake_idp.mjs), which the
# database itself asks during a sign-in
my $node = $ENV{NODE} // 'node';
skip_all_missing("no $node, or t/js/node_modules: run npm ci in t/js")
  unless system("command -v '$node' >/dev/null 2>&1") == 0 && -e "$FindBin::Bin/js/node_modules/jose/package.json";
my $idp_pid = open(my $idp_out, '-|', $node, "$FindBin::Bin/js/fake_idp.mjs", 'authoob-client', 's3cret')
  or die "cannot run $node: $!";
my $idp_port = <$idp_out>;
chomp $idp_port;
END { local $?; kill 'KILL', $idp_pid if $idp_pid; close $idp_out if $idp_out }

my $db = new_database();
make_hostile($db) unless hostile();
psql($db, q{SELECT authoob_configure('{"refresh_reuse_interval": 0, "redirect_urls": "http://app.test/cb"}')});
psql($db, qq{SELECT authoob_add_identity_provider('hub', '{"kind": "oauth2", "authorization_url": "http://127.0.0.1:$idp_port/authorize",
	"token_url": "http://127.0.0.1:$idp_port/token", "userinfo_url": "http://127.0.0.1:$idp_port/user",
	"client_id": "authoob-client", "client_secret": "s3cret", "email_verified_claim": "verified"}')});
# the same provider as OpenID Connect, for the ID tokens of signInWithIdToken
psql($db, qq{SELECT authoob_add_identity_provider('idp', '{"kind": "oidc", "issuer": "http://127.0.0.1:$idp_port",
	"client_id": "authoob-client"}')});
# anonymous sign-ins, and housekeeping's sweep of them, run too
psql($db, q{SELECT authoob_configure('{"anonymous_signin": true, "anonymous_retention": 30}')});
# users link and unlink identities themselves
psql($db, q{SELECT authoob_configure('{"manual_linking": true}')});
my $attacker = 'authoob_hostile';

sub as_attacker { psql_as($db, $attacker, $_[0]) }
sub traps { psql($db, q{SELECT count(*) FROM app.trap_log}) }
sub superuser { psql($db, qq{SELECT rolsuper FROM pg_roles WHERE rolname = '$attacker'}) }
sub grant_body { json_encode({ grant_type => 'refresh_token', refresh_token => $_[0] }) }

# --- the reproduction: a refresh token rotated, then replayed through
# authoob_attempt (its failure is counted, and its session ended, as the
# owner)
as_attacker(q{SELECT public.authoob_register('{"email": "victim@example.com", "password1": "1Password", "password2": "1Password"}')});
my $first = json_decode(as_attacker(q{SELECT public.authoob_token_grant('{"grant_type": "password", "email": "victim@example.com", "password": "1Password"}')}));
ok($first && $first->{refresh_token}, 'the attacker signs in through authoob_token_grant');
my $second = json_decode(as_attacker('SELECT public.authoob_token_grant(' . quote(grant_body($first->{refresh_token})) . ')'));
ok($second && $second->{refresh_token}, 'and rotates its refresh token');
like(as_attacker('CALL public.authoob_attempt(\'token\', ' . quote(grant_body($first->{refresh_token}))
	  . ", '192.0.2.1', NULL)"), qr/^ERROR: .*Authentication failed/s,
	'the first token replayed through authoob_attempt is refused');
like(as_attacker('SELECT public.authoob_token_grant(' . quote(grant_body($second->{refresh_token})) . ')'),
	qr/^ERROR: .*Authentication failed/s, 'the replay ended the session: its newest token is refused too');
is(traps(), 0, 'no trap ran: the session was ended under authoob\'s search_path');
is(superuser(), 'f', 'the attacker is no superuser');

# --- every function and procedure authoob_api may execute, called by the
# attacker.  {TOKEN} is an access token of a signed-in user, {REFRESH} a
# refresh token, {ACTIVATION} and {RESET} mailed tokens, {MAIL} a mail id,
# {SERVICE} the admin API's service_role token, {USER} the user's uuid.
my $user = 'ada@example.com';
my @calls = (
	[ 'authoob_register(text,inet)' => q{SELECT public.authoob_register('{"email": "ada@example.com", "password1": "1Password", "password2": "1Password"}', '192.0.2.7')},
		q{SELECT public.authoob_register('{"email": "ada@example.com", "password1": "1Password", "password2": "1Password"}')},
		q{SELECT public.authoob_register('not json')},
		q{SELECT public.authoob_register('{"email": "x@example.com", "password1": "weak", "password2": "weak"}')} ],
	[ 'authoob_register(jsonb,inet)' => q{SELECT public.authoob_register('{"email": "bea@example.com", "password1": "1Password", "password2": "2Password"}'::pg_catalog.jsonb)},
		q{SELECT public.authoob_register('{"email": "bea@example.com", "password1": "1Password", "password2": "1Password"}'::pg_catalog.jsonb)} ],
	[ 'authoob_login(text,inet)' => q{SELECT public.authoob_login('{"email": "ada@example.com", "password": "1Password"}', '192.0.2.7')},
		q{SELECT public.authoob_login('{"email": "ada@example.com", "password": "Wrong1"}')},
		q{SELECT public.authoob_login('{"email": "nobody@example.com", "password": "Wrong1"}')} ],
	[ 'authoob_login(jsonb,inet)' => q{SELECT public.authoob_login('{"email": "ada@example.com", "password": "1Password"}'::pg_catalog.jsonb)},
		q{SELECT public.authoob_login('{"email": 7}'::pg_catalog.jsonb)} ],
	[ 'authoob_sign_in_request(text,text,text)' => q{SELECT public.authoob_sign_in_request('{"email": "a"}', 'password', 'curl/8')},
		q{SELECT public.authoob_sign_in_request('[', NULL, NULL)} ],
	[ 'authoob_token_request(text,text)' => q{SELECT public.authoob_token_request('{}', 'password')},
		q{SELECT public.authoob_token_request('nope', NULL)} ],
	[ 'authoob_attempt(text,text,inet,jsonb)' => q{CALL public.authoob_attempt('login', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('login', '{"email": "ada@example.com", "password": "1Password"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('activate', 'no-such-token', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('activate_redirect', 'no-such-token', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('password_reset_token', '{"token": "nope", "password1": "3Password", "password2": "3Password"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"grant_type": "password", "email": "ada@example.com", "password": "Wrong1"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"grant_type": "pkce", "auth_code": "nope", "code_verifier": "nope"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('gotrue_verify', '{"type": "signup", "token_hash": "nope"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('gotrue_verify_link', '{"type": "recovery", "token": "nope"}', '192.0.2.7', NULL)},
		q{CALL public.authoob_attempt('nonsense', 'x', NULL, NULL)} ],
	[ 'authoob_attempt(text,text,inet,text,text,jsonb)' => q{CALL public.authoob_attempt('login', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.7', NULL, 'curl/8', NULL)},
		q{CALL public.authoob_attempt('login', '{"email": "ada@example.com", "password": "1Password"}', '192.0.2.7', NULL, 'curl/8', NULL)},
		q{CALL public.authoob_attempt('login', 'not json', '192.0.2.7', NULL, 'curl/8', NULL)},
		q{CALL public.authoob_attempt('login', '[1]', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('login', NULL, '192.0.2.7', NULL, 'curl/8', NULL)},
		q{CALL public.authoob_attempt('token', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.7', 'password', 'curl/8', NULL)},
		q{CALL public.authoob_attempt('mfa_verify', '{"token": "x", "factor_id": "y", "body": "{}"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_mfa_verify', 'not json', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('mfa_recover', NULL, NULL, NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_update_user', '{"token": "x", "body": "{}"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('token', '{"refresh_token": "{REFRESH}"}', '192.0.2.7', 'refresh_token', 'curl/8', NULL)},
		q{CALL public.authoob_attempt('token', '{"refresh_token": "{REFRESH}"}', '192.0.2.7', 'refresh_token', NULL, NULL)},
		q{CALL public.authoob_attempt('activate', 'no-such-token', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('activate_redirect', 'no-such-token', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('password_reset_token', '{"token": "nope", "password1": "3Password", "password2": "3Password"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.7', 'password', 'curl/8', NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"auth_code": "nope", "code_verifier": "nope"}', '192.0.2.7', 'pkce', NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_token', 'email=ada', '192.0.2.7', 'password', 'curl/8', NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"id_token": "{IDTOKEN}", "provider": "idp", "nonce": "n-107"}', '192.0.2.7', 'id_token', 'curl/8', NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"id_token": "{IDTOKEN}", "provider": "idp", "nonce": "wrong"}', '192.0.2.7', 'id_token', NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_token', '{"id_token": 7, "provider": "idp"}', '192.0.2.7', 'id_token', NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_verify', '{"type": "signup", "token_hash": "nope"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_verify', '{"type": "signup", "email": "cid@example.com", "token": "000000"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('gotrue_verify_link', '{"type": "recovery", "token": "nope"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('otp_verify', '{"email": "ada@example.com", "code": "000000"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('otp_verify', '{"token": "nope"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('email_change_confirm', '{"token": "nope"}', '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('nonsense', 'x', NULL, NULL, NULL, NULL)} ],
	[ 'authoob_attempt_outcome(text,text,inet)' => q{SELECT public.authoob_attempt_outcome('login', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.8')},
		q{SELECT public.authoob_attempt_outcome('token', '{"grant_type": "refresh_token", "refresh_token": "{REFRESH}"}', '192.0.2.8')},
		q{SELECT public.authoob_attempt_outcome('activate', 'no-such-token', '192.0.2.8')} ],
	[ 'authoob_attempt_outcome(text,text,inet,text,text)' => q{SELECT public.authoob_attempt_outcome('login', '{"email": "ada@example.com", "password": "Wrong1"}', '192.0.2.8', NULL, 'curl/8')},
		q{SELECT public.authoob_attempt_outcome('token', '{"refresh_token": "{REFRESH}"}', '192.0.2.8', 'refresh_token', 'curl/8')},
		q{SELECT public.authoob_attempt_outcome('login', 'not json', '192.0.2.8', NULL, NULL)},
		q{SELECT public.authoob_attempt_outcome('activate', 'no-such-token', '192.0.2.8', NULL, NULL)} ],
	[ 'authoob_token_grant(text,inet,text)' => q{SELECT public.authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "1Password"}')},
		q{SELECT public.authoob_token_grant('{"grant_type": "refresh_token", "refresh_token": "nope"}')},
		q{SELECT public.authoob_token_grant('{}', NULL, 'nonsense')} ],
	[ 'authoob_token_grant(jsonb,inet,text)' => q{SELECT public.authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "1Password"}'::pg_catalog.jsonb, '192.0.2.7')},
		q{SELECT public.authoob_token_grant('{"refresh_token": "{REFRESH}"}'::pg_catalog.jsonb, NULL, 'refresh_token')},
		q{SELECT public.authoob_token_grant('[1]'::pg_catalog.jsonb)} ],
	[ 'authoob_token(text)' => q{SELECT public.authoob_token('{TOKEN}')}, q{SELECT public.authoob_token('bad.token.here')} ],
	[ 'authoob_profile(text)' => q{SELECT public.authoob_profile('{TOKEN}')}, q{SELECT public.authoob_profile('x')} ],
	[ 'authoob_public_profile(text)' => q{SELECT public.authoob_public_profile('1')},
		q{SELECT public.authoob_public_profile('99999')}, q{SELECT public.authoob_public_profile('x')} ],
	[ 'authoob_update_profile(text,text)' => q{SELECT public.authoob_update_profile('{TOKEN}', '{"username": "ada", "firstname": "Ada"}')},
		q{SELECT public.authoob_update_profile('{TOKEN}', '{"username": 7}')},
		q{SELECT public.authoob_update_profile('x', '{}')} ],
	[ 'authoob_update_profile(text,jsonb)' => q{SELECT public.authoob_update_profile('{TOKEN}', '{"lastname": "Lovelace"}'::pg_catalog.jsonb)} ],
	[ 'authoob_sessions(text)' => q{SELECT public.authoob_sessions('{TOKEN}')}, q{SELECT public.authoob_sessions('x')} ],
	[ 'authoob_end_session(text,text)' => q{SELECT public.authoob_end_session('{TOKEN}', '00000000-0000-0000-0000-000000000000')},
		q{SELECT public.authoob_end_session('{TOKEN}', 'not a uuid')} ],
	[ 'authoob_verify(text)' => q{SELECT public.authoob_verify('{TOKEN}')}, q{SELECT public.authoob_verify('x')} ],
	[ 'authoob_verify_role(text,text)' => q{SELECT public.authoob_verify_role('{TOKEN}', 'admin')},
		q{SELECT public.authoob_verify_role('x', 'admin')} ],
	[ 'authoob_verify_headers(text)' => q{SELECT public.authoob_verify_headers('{TOKEN}')},
		q{SELECT public.authoob_verify_headers('x')} ],
	[ 'authoob_authenticate(text)' => q{SELECT public.authoob_authenticate('{TOKEN}')},
		q{SELECT public.authoob_authenticate('x')} ],
	[ 'authoob_uid()' => q{SELECT public.authoob_uid()} ],
	[ 'authoob_aal()' => q{SELECT public.authoob_aal()},
		q{SELECT public.authoob_authenticate('{TOKEN}') IS NOT NULL, public.authoob_aal()} ],
	[ 'authoob_has_role(text)' => q{SELECT public.authoob_has_role('admin')} ],
	[ 'authoob_postgrest_pre_request()' => q{SELECT public.authoob_postgrest_pre_request()},
		q{SELECT pg_catalog.set_config('request.headers', '{"authorization": "Bearer x"}', false); SELECT public.authoob_postgrest_pre_request()},
		q{SELECT pg_catalog.set_config('request.headers', '{"authorization": "Bearer {TOKEN}"}', false); SELECT public.authoob_postgrest_pre_request()} ],
	[ 'authoob_jwks()' => q{SELECT public.authoob_jwks()} ],
	[ 'authoob_settings()' => q{SELECT public.authoob_settings()} ],
	[ 'authoob_password_ask(text,inet)' => q{SELECT public.authoob_password_ask('{"email": "ada@example.com"}', '192.0.2.9')},
		q{SELECT public.authoob_password_ask('{"email": "nobody@example.com"}', '192.0.2.9')},
		q{SELECT public.authoob_password_ask('{}')} ],
	[ 'authoob_password_ask(jsonb,inet)' => q{SELECT public.authoob_password_ask('{"email": "bea@example.com"}'::pg_catalog.jsonb)} ],
	[ 'authoob_mail_claim(integer,integer)' => q{SELECT * FROM public.authoob_mail_claim(100, 60)} ],
	[ 'authoob_mail_done(bigint,text,boolean)' => q{SELECT public.authoob_mail_done({MAIL})},
		q{SELECT public.authoob_mail_done(-1, 'boom', true)} ],
	[ 'authoob_mail_release(bigint)' => q{SELECT public.authoob_mail_release({MAIL})} ],
	[ 'authoob_password_reset_token(text,inet)' => q{SELECT public.authoob_password_reset_token('{"token": "{RESET}", "password1": "1Password", "password2": "1Password"}', '192.0.2.9')},
		q{SELECT public.authoob_password_reset_token('{"token": "{RESET}", "password1": "1Password", "password2": "1Password"}')} ],
	[ 'authoob_password_reset_token(jsonb,inet)' => q{SELECT public.authoob_password_reset_token('{"token": "nope", "password1": "2Password", "password2": "2Password"}'::pg_catalog.jsonb)} ],
	[ 'authoob_activate(text,inet)' => q{SELECT public.authoob_activate('{ACTIVATION}', '192.0.2.9')},
		q{SELECT public.authoob_activate('{ACTIVATION}')}, q{SELECT public.authoob_activate('nope')} ],
	[ 'authoob_activate_redirect(text,inet)' => q{SELECT public.authoob_activate_redirect('{ACTIVATION}')},
		q{SELECT public.authoob_activate_redirect('nope')} ],
	[ 'authoob_activation_ask(text,inet)' => q{SELECT public.authoob_activation_ask('{"email": "bea@example.com"}', '192.0.2.9')},
		q{SELECT public.authoob_activation_ask('[]')} ],
	[ 'authoob_reset_password(text,text)' => q{SELECT public.authoob_reset_password('{TOKEN}', '{"password1": "4Password", "password2": "5Password"}')},
		q{SELECT public.authoob_reset_password('x', '{}')} ],
	[ 'authoob_reset_password(text,jsonb)' => q{SELECT public.authoob_reset_password('x', '{}'::pg_catalog.jsonb)} ],
	[ 'authoob_redirect_url(text)' => q{SELECT public.authoob_redirect_url('http://app.test/cb?x=1')},
		q{SELECT public.authoob_redirect_url('https://evil.example')} ],
	[ 'authoob_gotrue_signup(text,inet,text)' => q{SELECT public.authoob_gotrue_signup('{"email": "cid@example.com", "password": "1Password", "data": {"firstname": "Cid", "nick": "c"}, "code_challenge": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"}', '192.0.2.10', 'http://app.test/cb')},
		q{SELECT public.authoob_gotrue_signup('{"email": "cid@example.com", "password": "1Password"}')},
		q{SELECT public.authoob_gotrue_signup('{"phone": "123"}')}, q{SELECT public.authoob_gotrue_signup('{}')},
		q{SELECT public.authoob_gotrue_signup('x')},
		q{SELECT public.authoob_gotrue_signup('{"data": {"firstname": "Anon", "theme": "dark"}}', '192.0.2.12')} ],
	[ 'authoob_gotrue_token(text,inet)' => q{SELECT public.authoob_gotrue_token('{"grant_type": "password", "email": "cid@example.com", "password": "1Password"}', '192.0.2.10')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "pkce", "auth_code": "x", "code_verifier": "y"}')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "id_token"}')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "id_token", "id_token": "{IDTOKEN}", "provider": "idp", "nonce": "n-107"}', '192.0.2.10')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "id_token", "id_token": "a.b.c", "provider": "nobody"}')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "refresh_token", "refresh_token": "{REFRESH}"}')},
		q{SELECT public.authoob_gotrue_token('not json')} ],
	[ 'authoob_gotrue_token(jsonb,inet)' => q{SELECT public.authoob_gotrue_token('{"grant_type": "password", "email": "cid@example.com", "password": "1Password"}'::pg_catalog.jsonb, '192.0.2.10')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "pkce", "auth_code": "x", "code_verifier": "y"}'::pg_catalog.jsonb)},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "refresh_token", "refresh_token": "{REFRESH}"}'::pg_catalog.jsonb)},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "id_token", "id_token": "{IDTOKEN}", "provider": "idp", "nonce": "n-107"}'::pg_catalog.jsonb, '192.0.2.10')},
		q{SELECT public.authoob_gotrue_token('{"grant_type": "id_token", "id_token": "{IDTOKEN}", "provider": "idp"}'::pg_catalog.jsonb)},
		q{SELECT public.authoob_gotrue_token('[1]'::pg_catalog.jsonb)} ],
	[ 'authoob_gotrue_user(text)' => q{SELECT public.authoob_gotrue_user('{TOKEN}')}, q{SELECT public.authoob_gotrue_user('x')} ],
	[ 'authoob_gotrue_update_user(text,text)' => q{SELECT public.authoob_gotrue_update_user('{TOKEN}', '{"data": {"firstname": "Ada"}}')},
		q{SELECT public.authoob_gotrue_update_user('{TOKEN}', '{"email": "other@example.com"}')},
		q{SELECT public.authoob_gotrue_update_user('{TOKEN}', '{"data": 7}')},
		q{SELECT public.authoob_gotrue_update_user('x', '{}')} ],
	[ 'authoob_gotrue_update_user_request(text,inet)' => q{SELECT public.authoob_gotrue_update_user_request(pg_catalog.jsonb_build_object('token', '{TOKEN}', 'body', '{"data": {"lastname": "L"}}')::text, '192.0.2.7')},
		q{SELECT public.authoob_gotrue_update_user_request('not json')},
		q{SELECT public.authoob_gotrue_update_user_request('{"token": "x", "body": "{}"}')} ],
	[ 'authoob_reset_password_request(text,inet)' => q{SELECT public.authoob_reset_password_request(pg_catalog.jsonb_build_object('token', '{TOKEN}', 'body', '{"password1": "weak", "password2": "weak"}')::text, '192.0.2.7')},
		q{SELECT public.authoob_reset_password_request('not json')},
		q{SELECT public.authoob_reset_password_request('{"token": "x", "body": "{}"}')} ],
	[ 'authoob_gotrue_reauthenticate(text)' => q{SELECT public.authoob_gotrue_reauthenticate('{TOKEN}')},
		q{SELECT public.authoob_gotrue_reauthenticate('{TOKEN}')}, q{SELECT public.authoob_gotrue_reauthenticate('x')} ],
	[ 'authoob_mfa_enroll(text,text)' => q{SELECT public.authoob_mfa_enroll('{TOKEN}', '{"friendly_name": "phone"}')},
		q{SELECT public.authoob_mfa_enroll('{TOKEN}', '{"factor_type": "sms"}')},
		q{SELECT public.authoob_mfa_enroll('x', '{}')} ],
	[ 'authoob_gotrue_enroll_factor(text,text)' => q{SELECT public.authoob_gotrue_enroll_factor('{TOKEN}', '{"factor_type": "totp", "friendly_name": "key"}')},
		q{SELECT public.authoob_gotrue_enroll_factor('{TOKEN}', '{}')} ],
	[ 'authoob_mfa_factors(text)' => q{SELECT public.authoob_mfa_factors('{TOKEN}')},
		q{SELECT public.authoob_mfa_factors('x')} ],
	[ 'authoob_gotrue_challenge_factor(text,text,inet)' => q{SELECT public.authoob_gotrue_challenge_factor('{TOKEN}', (SELECT pg_catalog.min(f OPERATOR(pg_catalog.->>) 'id') FROM pg_catalog.jsonb_array_elements(public.authoob_mfa_factors('{TOKEN}')) f), '192.0.2.7')},
		q{SELECT public.authoob_gotrue_challenge_factor('{TOKEN}', '00000000-0000-0000-0000-000000000000', NULL)} ],
	[ 'authoob_mfa_verify(text,inet)' => q{SELECT public.authoob_mfa_verify(pg_catalog.jsonb_build_object('token', '{TOKEN}', 'factor_id', (SELECT pg_catalog.min(f OPERATOR(pg_catalog.->>) 'id') FROM pg_catalog.jsonb_array_elements(public.authoob_mfa_factors('{TOKEN}')) f), 'body', '{"code": "123456"}')::text, '192.0.2.7')},
		q{SELECT public.authoob_mfa_verify('{"token": "x"}')},
		q{SELECT public.authoob_mfa_verify('nope')} ],
	[ 'authoob_gotrue_verify_factor(text,inet)' => q{SELECT public.authoob_gotrue_verify_factor(pg_catalog.jsonb_build_object('token', '{TOKEN}', 'factor_id', (SELECT pg_catalog.min(f OPERATOR(pg_catalog.->>) 'id') FROM pg_catalog.jsonb_array_elements(public.authoob_mfa_factors('{TOKEN}')) f), 'body', '{"code": "123456", "challenge_id": "00000000-0000-0000-0000-000000000000"}')::text)},
		q{SELECT public.authoob_gotrue_verify_factor('{}')} ],
	[ 'authoob_mfa_recover(text,inet)' => q{SELECT public.authoob_mfa_recover(pg_catalog.jsonb_build_object('token', '{TOKEN}', 'body', '{"code": "aaaaa-aaaaa"}')::text)},
		q{SELECT public.authoob_mfa_recover('[]')} ],
	[ 'authoob_mfa_unenroll(text,text)' => q{SELECT public.authoob_mfa_unenroll('{TOKEN}', (SELECT pg_catalog.min(f OPERATOR(pg_catalog.->>) 'id') FROM pg_catalog.jsonb_array_elements(public.authoob_mfa_factors('{TOKEN}')) f))},
		q{SELECT public.authoob_mfa_unenroll('{TOKEN}', 'not a uuid')} ],
	[ 'authoob_unlink_identity(text,text,inet)' => q{SELECT public.authoob_unlink_identity('{TOKEN}', '{USER}', '192.0.2.7')},
		q{SELECT public.authoob_unlink_identity('{TOKEN}', '00000000-0000-0000-0000-000000000000')},
		q{SELECT public.authoob_unlink_identity('{TOKEN}', 'not a uuid')},
		q{SELECT public.authoob_unlink_identity('x', NULL)} ],
	[ 'authoob_gotrue_recover(text,inet,text)' => q{SELECT public.authoob_gotrue_recover('{"email": "cid@example.com", "code_challenge": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"}', '192.0.2.10', 'https://evil.example')},
		q{SELECT public.authoob_gotrue_recover('{"email": "cid@example.com", "code_challenge": "short"}')} ],
	[ 'authoob_gotrue_resend(text,inet,text)' => q{SELECT public.authoob_gotrue_resend('{"type": "signup", "email": "bea@example.com"}', '192.0.2.10', 'http://app.test/cb')},
		q{SELECT public.authoob_gotrue_resend('{"type": "sms"}')}, q{SELECT public.authoob_gotrue_resend('{"type": "x"}')} ],
	[ 'authoob_gotrue_verify(text,inet)' => q{SELECT public.authoob_gotrue_verify('{"type": "recovery", "token_hash": "nope"}', '192.0.2.10')},
		q{SELECT public.authoob_gotrue_verify('{"type": "magiclink", "token_hash": "nope"}')},
		q{SELECT public.authoob_gotrue_verify('{"type": "signup"}')},
		q{SELECT public.authoob_gotrue_verify('{"type": "recovery", "email": "cid@example.com", "token": "123456"}', '192.0.2.10')},
		q{SELECT public.authoob_gotrue_verify('{"type": "email", "email": "nobody@example.com", "token": "12345x"}')} ],
	[ 'authoob_gotrue_verify_link(text,inet)' => q{SELECT public.authoob_gotrue_verify_link('{"type": "signup", "token": "nope", "redirect_to": "http://app.test/cb"}', '192.0.2.10')} ],
	[ 'authoob_gotrue_settings()' => q{SELECT public.authoob_gotrue_settings()} ],
	[ 'authoob_gotrue_not_built(text)' => q{SELECT public.authoob_gotrue_not_built('mfa')} ],
	[ 'authoob_gotrue_not_built(text,text)' => q{SELECT public.authoob_gotrue_not_built('admin', '{TOKEN}')},
		q{SELECT public.authoob_gotrue_not_built('mfa', 'x')}, q{SELECT public.authoob_gotrue_not_built('mfa', NULL)} ],
	[ 'authoob_logout_scope(text,text)' => q{SELECT public.authoob_logout_scope('{TOKEN}', 'others')},
		q{SELECT public.authoob_logout_scope('{TOKEN}', 'nonsense')}, q{SELECT public.authoob_logout_scope('x', 'global')} ],
	[ 'authoob_logout(text)' => q{SELECT public.authoob_logout('{TOKEN}')}, q{SELECT public.authoob_logout('{TOKEN}')} ],
	[ 'authoob_housekeeping(integer)' => q{SELECT public.authoob_housekeeping(1000)},
		q{SELECT public.authoob_housekeeping(0)} ],
	[ 'authoob_metrics()' => q{SELECT public.authoob_metrics()} ],
	[ 'authoob_gotrue_admin_create_user(text,text,inet)' => q{SELECT public.authoob_gotrue_admin_create_user('{SERVICE}', '{"email": "made@example.com", "user_metadata": {"a": 1}, "ban_duration": "1h"}', '192.0.2.7')},
		q{SELECT public.authoob_gotrue_admin_create_user('{SERVICE}', '{"email": "made@example.com"}')},
		q{SELECT public.authoob_gotrue_admin_create_user('{SERVICE}', 'not json')},
		q{SELECT public.authoob_gotrue_admin_create_user('{TOKEN}', '{"email": "mine@example.com"}')} ],
	[ 'authoob_gotrue_admin_users(text,text)' => q{SELECT public.authoob_gotrue_admin_users('{SERVICE}', '{"page": "1", "per_page": "2"}')},
		q{SELECT public.authoob_gotrue_admin_users('{SERVICE}', '{"page": "x"}')},
		q{SELECT public.authoob_gotrue_admin_users('{TOKEN}', '{}')} ],
	[ 'authoob_gotrue_admin_user(text,text)' => q{SELECT public.authoob_gotrue_admin_user('{SERVICE}', '{USER}')},
		q{SELECT public.authoob_gotrue_admin_user('{SERVICE}', 'nope')},
		q{SELECT public.authoob_gotrue_admin_user(NULL, '{USER}')} ],
	[ 'authoob_gotrue_admin_update_user(text,text,text,inet)' => q{SELECT public.authoob_gotrue_admin_update_user('{SERVICE}', '{USER}', '{"user_metadata": {"b": 2}, "app_metadata": {"c": 3}, "email_confirm": true}', '192.0.2.7')},
		q{SELECT public.authoob_gotrue_admin_update_user('{SERVICE}', '{USER}', '{"ban_duration": "soon"}')},
		q{SELECT public.authoob_gotrue_admin_update_user('{TOKEN}', '{USER}', '{"app_metadata": {"admin": true}}')} ],
	[ 'authoob_gotrue_admin_delete_user(text,text,inet)' => q{SELECT public.authoob_gotrue_admin_delete_user('{SERVICE}', public.authoob_gotrue_admin_create_user('{SERVICE}', '{"email": "doomed@example.com"}') OPERATOR(pg_catalog.->>) 'id')},
		q{SELECT public.authoob_gotrue_admin_delete_user('{SERVICE}', '00000000-0000-4000-8000-000000000000')},
		q{SELECT public.authoob_gotrue_admin_delete_user('{TOKEN}', '{USER}')} ],
	# a wrong code, and a wrong recovery code, whose count and audit record
	# are written as the owner once the refusal rolled back
	[ 'authoob_attempt(text,text,inet,text,text,jsonb)' => q{SELECT public.authoob_mfa_enroll('{TOKEN}', '{"friendly_name": "audited"}') IS NOT NULL},
		q{CALL public.authoob_attempt('mfa_verify', pg_catalog.jsonb_build_object('token', '{TOKEN}', 'factor_id', (SELECT pg_catalog.min(f OPERATOR(pg_catalog.->>) 'id') FROM pg_catalog.jsonb_array_elements(public.authoob_mfa_factors('{TOKEN}')) f), 'body', '{"code": "123456"}')::text, '192.0.2.7', NULL, NULL, NULL)},
		q{CALL public.authoob_attempt('mfa_recover', pg_catalog.jsonb_build_object('token', '{TOKEN}', 'body', '{"code": "aaaaa-aaaaa"}')::text, '192.0.2.7', NULL, NULL, NULL)} ],
	[ 'authoob_gotrue_admin_factors(text,text)' => q{SELECT public.authoob_gotrue_admin_factors('{SERVICE}', '{USER}')},
		q{SELECT public.authoob_gotrue_admin_factors('{SERVICE}', 'nope')},
		q{SELECT public.authoob_gotrue_admin_factors('{TOKEN}', '{USER}')} ],
	[ 'authoob_gotrue_admin_delete_factor(text,text,text,inet)' => q{SELECT public.authoob_gotrue_admin_delete_factor('{SERVICE}', '{USER}', (SELECT pg_catalog.min(f OPERATOR(pg_catalog.->>) 'id') FROM pg_catalog.jsonb_array_elements(public.authoob_mfa_factors('{TOKEN}')) f), '192.0.2.7')},
		q{SELECT public.authoob_gotrue_admin_delete_factor('{SERVICE}', '{USER}', 'not a uuid')},
		q{SELECT public.authoob_gotrue_admin_delete_factor('{SERVICE}', '{USER}', '00000000-0000-4000-8000-000000000000')},
		q{SELECT public.authoob_gotrue_admin_delete_factor('{TOKEN}', '{USER}', '00000000-0000-4000-8000-000000000000')} ],
	[ 'authoob_gotrue_invite(text,text,inet,text)' => q{SELECT public.authoob_gotrue_invite('{SERVICE}', '{"email": "invited@example.com", "data": {"a": 1}}', '192.0.2.7', 'http://app.test/cb')},
		q{SELECT public.authoob_gotrue_invite('{SERVICE}', '{"email": "ada@example.com"}')},
		q{SELECT public.authoob_gotrue_invite('{TOKEN}', '{"email": "mine@example.com"}')} ],
	[ 'authoob_gotrue_admin_generate_link(text,text,inet,text)' => q{SELECT public.authoob_gotrue_admin_generate_link('{SERVICE}', '{"type": "recovery", "email": "ada@example.com"}', '192.0.2.7', 'http://app.test/cb')},
		q{SELECT public.authoob_gotrue_admin_generate_link('{SERVICE}', '{"type": "signup", "email": "linked@example.com", "password": "1Password", "data": {"a": 1}}')},
		q{SELECT public.authoob_gotrue_admin_generate_link('{SERVICE}', '{"type": "nope", "email": "ada@example.com"}')},
		q{SELECT public.authoob_gotrue_admin_generate_link('{TOKEN}', '{"type": "recovery", "email": "ada@example.com"}')} ],
	[ 'authoob_gotrue_verify_link_error(text,text,text,text)' => q{SELECT public.authoob_gotrue_verify_link_error('{"type": "signup", "token": "nope", "redirect_to": "http://app.test/cb"}', 'PT404', 'No token match', '{"error_code": "otp_expired", "gotrue": {"status": 403, "msg": "Email link is invalid or has expired"}}')},
		q{SELECT public.authoob_gotrue_verify_link_error('not json', 'PT404', 'x', 'not json')},
		q{SELECT public.authoob_gotrue_verify_link_error('{"type": "signup", "token": "x"}', 'PT429', 'x', NULL)} ],
	# a sign-in with a provider of GitHub's shape: the code says what the
	# provider is to answer (fake_idp.mjs), with the PKCE challenge of the
	# redirect; the flow's state and cookie read from the redirect
	[ 'authoob_oauth_authorize(text,text,inet)' => q{SELECT public.authoob_oauth_authorize('gotrue', '{"provider": "hub", "redirect_to": "http://app.test/cb"}', '192.0.2.7')},
		q{SELECT public.authoob_oauth_authorize('authoob', '{"provider": "nobody"}')},
		q{SELECT public.authoob_oauth_authorize('gotrue', '{"provider": "hub", "code_challenge": "short"}')},
		q{SELECT public.authoob_oauth_authorize('gotrue', 'not json')} ],
	[ 'authoob_oauth_callback(text,text,inet)' => q{SELECT public.authoob_oauth_callback(pg_catalog.concat('{"code": "',
			pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(pg_catalog.concat(
				'{"sub": "7", "email": "hub7@example.com", "email_verified": true, "challenge": "',
				pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'url', 'code_challenge=', 2), '&', 1), '"}'),
				'UTF8'), 'base64'), E'+/=\n', '-_'),
			'", "state": "', pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'url', 'state=', 2), '&', 1), '"}'),
			pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'cookie', '=', 2), ';', 1), '192.0.2.7')
		  FROM public.authoob_oauth_authorize('gotrue', '{"provider": "hub", "redirect_to": "http://app.test/cb", "code_challenge": "0123456789012345678901234567890123456789abc"}') AS r},
		q{SELECT public.authoob_oauth_callback(pg_catalog.concat('{"code": "not the provider''s", "state": "',
			pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'url', 'state=', 2), '&', 1), '"}'),
			pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'cookie', '=', 2), ';', 1), NULL)
		  FROM public.authoob_oauth_authorize('authoob', '{"provider": "hub"}') AS r},
		q{SELECT public.authoob_oauth_callback('{"state": "forged", "code": "c"}', 'cookie', '192.0.2.7')},
		q{SELECT public.authoob_oauth_callback('not json', NULL)} ],
	[ 'authoob_oauth_locate(text)' => q{SELECT public.authoob_oauth_locate('{HANDOFF}')},
		q{SELECT public.authoob_oauth_locate('eyJ9.forged')} ],
	[ 'authoob_oauth_finish(text,inet)' => q{SELECT public.authoob_oauth_finish('{HANDOFF}', '192.0.2.7')},
		q{SELECT public.authoob_oauth_finish('{HANDOFF}')},
		q{SELECT public.authoob_oauth_finish('eyJ9.forged')} ],
	[ 'authoob_link_identity(text,text,text,inet)' => q{SELECT public.authoob_link_identity('gotrue', '{TOKEN}',
			'{"provider": "hub", "redirect_to": "http://app.test/cb", "skip_http_redirect": "true",
			  "code_challenge": "0123456789012345678901234567890123456789abc"}', '192.0.2.7')},
		# the link's one-time URL opened (authoob_oauth_authorize), and the
		# provider's way back adding a subject of its own to the user
		q{SELECT public.authoob_oauth_callback(pg_catalog.concat('{"code": "',
			pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(pg_catalog.concat(
				'{"sub": "linked-8", "email": "hub8@example.com", "email_verified": true, "challenge": "',
				pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'url', 'code_challenge=', 2), '&', 1), '"}'),
				'UTF8'), 'base64'), E'+/=\n', '-_'),
			'", "state": "', pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'url', 'state=', 2), '&', 1), '"}'),
			pg_catalog.split_part(pg_catalog.split_part(r OPERATOR(pg_catalog.->>) 'cookie', '=', 2), ';', 1), '192.0.2.7')
		  FROM public.authoob_link_identity('authoob', '{TOKEN}', '{"provider": "hub",
			  "code_challenge": "0123456789012345678901234567890123456789abc"}') AS l,
		       LATERAL public.authoob_oauth_authorize('authoob',
			       pg_catalog.concat('{"link": "', pg_catalog.split_part(l OPERATOR(pg_catalog.->>) 'url', 'link=', 2), '"}')) AS r},
		q{SELECT public.authoob_oauth_authorize('gotrue', '{"link": "spent or forged"}')},
		q{SELECT public.authoob_link_identity('gotrue', '{TOKEN}', '{"provider": "nobody"}')},
		q{SELECT public.authoob_link_identity('gotrue', '{TOKEN}', 'not json')},
		q{SELECT public.authoob_link_identity('gotrue', 'x', '{}')} ],
	[ 'authoob_otp_ask(text,inet)' => q{SELECT public.authoob_otp_ask('{"email": "ada@example.com"}', '192.0.2.11')},
		q{SELECT public.authoob_otp_ask('{"email": "nobody@example.com"}')},
		q{SELECT public.authoob_otp_ask('[]')} ],
	[ 'authoob_gotrue_otp(text,inet,text)' => q{SELECT public.authoob_gotrue_otp('{"email": "ada@example.com", "code_challenge": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"}', '192.0.2.11', 'https://evil.example')},
		q{SELECT public.authoob_gotrue_otp('{"phone": "+33600000000"}')},
		q{SELECT public.authoob_gotrue_otp('{}')} ],
	[ 'authoob_otp_verify(text,inet)' => q{SELECT public.authoob_otp_verify('{"token": "{MAGIC}"}', '192.0.2.11')},
		q{SELECT public.authoob_otp_verify('{"token": "{MAGIC}"}')},
		q{SELECT public.authoob_otp_verify('{"email": "ada@example.com", "code": "000000"}', '192.0.2.11')},
		q{SELECT public.authoob_otp_verify('nope')} ],
	[ 'authoob_email_change(text,text)' => q{SELECT public.authoob_email_change('{TOKEN}', '{"email": "ada.new@example.com"}')},
		q{SELECT public.authoob_email_change('{TOKEN}', '{"email": "bea@example.com"}')},
		q{SELECT public.authoob_email_change('x', '{"email": "z@example.com"}')},
		q{SELECT public.authoob_email_change('{TOKEN}', 'nope')} ],
	[ 'authoob_email_change_confirm(text,inet)' => q{SELECT public.authoob_email_change_confirm('{"token": "nope"}', '192.0.2.12')},
		q{SELECT public.authoob_email_change_confirm('{"email": "ada.new@example.com", "code": "000000"}')},
		q{SELECT public.authoob_email_change_confirm('[]')} ],
);

# each function authoob_api may execute has its calls here
my %called = map { $_->[0] => 1 } @calls;
my @executable = split /\n/, psql($db, q{SELECT p.oid::regprocedure FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'authoob'
	WHERE has_function_privilege('authoob_api', p.oid, 'EXECUTE') ORDER BY 1});
is_deeply([ grep { !$called{$_} } @executable ], [], 'every function authoob_api may execute is called here');
is_deeply([ grep { my $f = $_; !grep { $_ eq $f } @executable } sort keys %called ], [],
	'and nothing else');

# what the calls need, made through the attacker's own calls, again for
# each function that uses them (a call before may have spent them)
my %value;
sub fresh
{
	psql($db, q{SELECT authoob_clear_throttle(); UPDATE authoob.settings SET reset_mail_interval = 0});
	my $login = json_decode(as_attacker(q{SELECT public.authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "1Password"}')}))
	  // die 'ada cannot sign in';
	%value = (TOKEN => $login->{access_token}, REFRESH => $login->{refresh_token});
	$value{ACTIVATION} = eval { mailed_token($db, $user, 'activation') } // 'none';
	as_attacker(q{SELECT public.authoob_password_ask('{"email": "ada@example.com"}')});
	$value{RESET} = eval { mailed_token($db, $user, 'reset') } // 'none';
	$value{MAIL} = psql($db, q{SELECT coalesce(max(id), 0) FROM authoob.mail_outbox});
	$value{SERVICE} = psql($db, q{SELECT authoob_service_token()});
	$value{USER} = psql($db, q{SELECT uuid FROM authoob.users WHERE email = 'ada@example.com'});
	as_attacker(q{SELECT public.authoob_otp_ask('{"email": "ada@example.com"}')});
	$value{MAGIC} = eval { mailed_token($db, $user, 'magiclink') } // 'none';
	# a hand-off between partitions, which an unsharded database refuses
	# (the sharded mode of t/026 takes real ones, as the hostile role)
	$value{HANDOFF} = 'eyJpZCI6ICJ4In0.' . ('A' x 43);
	# an ID token of the provider, its nonce the SHA-256 of the app's n-107
	$value{IDTOKEN} = json_decode(HTTP::Tiny->new->post("http://127.0.0.1:$idp_port/id_token", {
		content => json_encode({ sub => 'idtok-107', email => 'idtok107@example.com', email_verified => JSON::PP::true,
			nonce => Digest::SHA::sha256_hex('n-107') }) })->{content})->{id_token};
}

# The statements of one function in one session of the attacker's; what
# each printed, errors included.
sub as_attacker_each
{
	my @statements = @_;
	my $out = File::Temp->new;
	local $ENV{PGUSER} = $attacker;
	local $ENV{PGPASSWORD} = $attacker;
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	open(my $psql, '|-', "psql -X -q -At -d $db >" . $out->filename . ' 2>&1') or die "psql: $!";
	print $psql join '', map { "\\echo <<<$_>>>\n$statements[$_];\n" } 0 .. $#statements;
	close $psql;
	local $/;
	open(my $fh, '<', $out->filename) or die;
	my @parts = split /^<<<\d+>>>\n/m, <$fh> // '';
	shift @parts;
	return @parts;
}

for my $call (@calls)
{
	my ($function, @statements) = @$call;
	fresh() if grep { /\{[A-Z]+\}/ } @statements;
	s/\{([A-Z]+)\}/$value{$1}/g for my @sql = @statements;
	my @outputs = as_attacker_each(@sql);
	for my $i (0 .. $#statements)
	{
		# "does not exist" of an error's own words, not of the JSON of its
		# detail (Supabase Auth's words for a session that is over)
		unlike($outputs[$i] // 'no output', qr/(internal|ERROR:.*does not exist|permission denied|may run only with search_path|^no output$)/m,
			"$function: " . substr($statements[$i], 0, 90)) or diag($outputs[$i]);
	}
}
# the provider's sign-in above went the whole way: the database asked the
# provider itself, and the identity it named is there
is(psql($db, q{SELECT count(*) FROM authoob.identities WHERE provider = 'hub' AND subject = '7'}), 1,
	'the sign-in with the provider made its identity');
is(psql($db, q{SELECT count(*) FROM authoob.identities WHERE provider = 'idp' AND subject = 'idtok-107'}), 1,
	'and so did the ID token\'s (signInWithIdToken)');
is(traps(), 0, 'no trap ran, whatever the attacker called') or
  diag(psql($db, q{SELECT string_agg(DISTINCT trap || ' as ' || ran_as, E'\n') FROM app.trap_log}));
is(superuser(), 'f', 'the attacker is no superuser');
hostile_checks();

sub quote { my ($s) = @_; $s =~ s/'/''/g; "'$s'" }

done_testing();
