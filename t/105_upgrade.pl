# Upgrades (docs/upgrades.md): 0.1 and 0.2 are released and their scripts
# never change (checked byte for byte); ALTER EXTENSION authoob UPDATE
# brings a 0.1 or 0.2 database to the current version with everything in
# it, and the result is the catalog a fresh install makes.  pg_dump and
# pg_restore keep everything, the secret, the rotated keys and the
# templates included.  DROP EXTENSION then CREATE EXTENSION works.  A
# database that is not UTF-8 is refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Digest::SHA qw(sha256);
use File::Temp ();
use MIME::Base64 qw(encode_base64url);
use Test::More;

my $current = psql('postgres', q{SELECT default_version FROM pg_available_extensions WHERE name = 'authoob'});
isnt($current, '0.1', "the current version is $current");

# --- a 0.1 database with something of everything in it
my $old = "authoob_t_upgrade_$$";
system('createdb', $old) == 0 or die;
psql($old, q{CREATE EXTENSION authoob VERSION '0.1' CASCADE});
psql($old, q{SELECT authoob_configure('{"bcrypt_cost": 4, "app_url": "http://app.test",
	"api_url": "http://127.0.0.1", "email_sender": "no-reply@authoob.test", "reset_mail_interval": 0}')});
psql($old, q{ALTER TABLE authoob.users ADD COLUMN plan text});
psql($old, q{SELECT authoob_add_field('plan', exposed => true, updatable => true, public => true)});
psql($old, q{SELECT authoob_create_role('customer')});
psql($old, q{CREATE FUNCTION give_role(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
	BEGIN PERFORM authoob_grant_role((context -> 'user' ->> 'id')::bigint, 'customer'); RETURN NULL; END $$});
psql($old, q{SELECT authoob_add_hook('post_register', 'give_role(jsonb)')});
my %token;
for my $who (qw(ada bob cid))
{
	$token{$who} = psql($old, qq{SELECT authoob_register('{"email": "$who\@example.com",
		"password1": "1Password", "password2": "1Password"}') ->> 'token'});
}
psql($old, qq{SELECT authoob_update_profile('$token{ada}', '{"plan": "gold", "username": "ada"}')});
# a token signed with a key since rotated out, still valid for an hour
psql($old, q{SELECT authoob_rotate_secret(interval '1 hour')});
$token{rotated} = $token{ada};
$token{ada} = psql($old, q{SELECT authoob_login('{"email": "ada@example.com", "password": "1Password"}') ->> 'token'});
psql($old, q{SELECT authoob_password_ask('{"email": "bob@example.com"}')});
# a failed login, recorded by authoob_attempt (its error is the 401 expected)
system(qq{psql -X -q -d $old -c "CALL authoob_attempt('login', '{\\"email\\": \\"cid\@example.com\\", \\"password\\": \\"Wrong1\\"}', '192.0.2.1')" 2>/dev/null});
psql($old, q{UPDATE authoob.mail_templates SET subject = 'Welcome aboard' WHERE kind = 'activation'});

my $counts = q{SELECT (SELECT count(*) FROM authoob.users) || ' users, '
	|| (SELECT count(*) FROM authoob.sessions) || ' sessions, '
	|| (SELECT count(*) FROM authoob.roles_users) || ' role grants, '
	|| (SELECT count(*) FROM authoob.hooks) || ' hooks, '
	|| (SELECT count(*) FROM authoob.user_fields) || ' fields, '
	|| (SELECT count(*) FROM authoob.mail_outbox) || ' mails, '
	|| (SELECT count(*) FROM authoob.mail_tokens) || ' mailed tokens, '
	|| (SELECT count(*) FROM authoob.throttle) || ' throttle rows, '
	|| (SELECT count(*) FROM authoob.previous_keys) || ' previous keys'};
my $before = psql($old, $counts);
is($before, '3 users, 4 sessions, 3 role grants, 1 hooks, 1 fields, 4 mails, 4 mailed tokens, 3 throttle rows, 1 previous keys',
	"0.1 holds $before");
my $secret_before = psql($old, q{SELECT md5(secret_key) FROM authoob.settings});

# --- until the update, the new binaries serve 0.1's routes on 0.1's schema:
# sessions as 0.1 had them (GET P/token a new token in the same session)
my $legacy = "authoob_t_legacy_$$";
system('createdb', $legacy) == 0 or die;
psql($legacy, q{CREATE EXTENSION authoob VERSION '0.1' CASCADE});
psql($legacy, q{SELECT authoob_configure('{"bcrypt_cost": 4, "api_url": "http://127.0.0.1", "email_sender": "no-reply@authoob.test"}')});
psql($legacy, q{SELECT authoob_register('{"email": "leo@example.com", "password1": "1Password", "password2": "1Password"}')});
my $legacy_token = psql($legacy, q{SELECT authoob_login('{"email": "leo@example.com", "password": "1Password"}') ->> 'token'});
my $legacy_fresh = psql($legacy, qq{SELECT authoob_token('$legacy_token') ->> 'token'});
like(psql($legacy, qq{SELECT authoob_verify('$legacy_fresh')}), qr/^\d+$/, 'on 0.1\'s schema: GET P/token gives a token that verifies');
is(psql($legacy, q{SELECT count(*) FROM authoob.sessions}), 2, 'in the same session (register, login: two)');
is(psql($legacy, qq{SELECT authoob_logout('$legacy_fresh') IS NULL}), 't', 'logout');
is(system(qq{psql -X -q -d $legacy -c "SELECT authoob_verify('$legacy_token')" 2>/dev/null}) == 0 ? 'valid' : 'refused',
	'refused', 'logout ended the session: its other token is refused');
my $grant = `psql -X -q -d $legacy -c "SELECT authoob_token_grant('{}')" 2>&1`;
like($grant, qr/function authoob_token_grant\(unknown\) does not exist/, 'no token endpoint before the update');
system('dropdb', $legacy);

# --- a 0.2 database: until the update, the new binaries make the mails of
# Supabase Auth's recover as 0.2 did; the update keeps the PKCE flow of what
# was asked before it, a mail already made or a request still waiting for
# the mailers, and each link's code signs in with its client's verifier
my $v02 = "authoob_t_v02_$$";
system('createdb', $v02) == 0 or die;
psql($v02, q{CREATE EXTENSION authoob VERSION '0.2' CASCADE});
psql($v02, q{SELECT authoob_configure('{"bcrypt_cost": 4, "app_url": "http://app.test",
	"api_url": "http://127.0.0.1", "email_sender": "no-reply@authoob.test"}')});
my %verifier = (gil => 'g' x 43, hal => 'h' x 43);
sub recover_v02
{
	my ($who) = @_;
	psql($v02, qq{SELECT authoob_gotrue_signup('{"email": "$who\@example.com", "password": "1Password"}')});
	psql($v02, qq{SELECT authoob_gotrue_recover('{"email": "$who\@example.com",
		"code_challenge": "@{[ encode_base64url(sha256($verifier{$who})) ]}"}')});
}
recover_v02('gil');
is(psql($v02, q{SELECT authoob_mail_prepare()}), 1, "on 0.2's schema, the mailers make the reset mail asked for");
recover_v02('hal');
psql($v02, q{ALTER EXTENSION authoob UPDATE});
is(psql($v02, q{SELECT authoob_mail_prepare()}), 1, 'after the update, the one asked for before it');
for my $who (qw(gil hal))
{
	my ($token) = psql($v02, qq{SELECT body_text FROM authoob.mail_outbox WHERE recipient = '$who\@example.com'
		AND kind = 'reset'}) =~ /reset_password_token=([A-Za-z0-9_-]{43})/;
	my ($code) = psql($v02, qq{SELECT authoob_gotrue_verify_link('{"type": "recovery", "token": "$token"}') ->> 'url'})
	  =~ /^http:\/\/app\.test\?code=([A-Za-z0-9_-]{43})$/;
	ok($code, "$who\'s link, asked for before the update, leads to a code");
	is(psql($v02, qq{SELECT authoob_gotrue_token('{"grant_type": "pkce", "auth_code": "$code",
		"code_verifier": "$verifier{$who}"}') -> 'user' ->> 'email'}), "$who\@example.com", 'which signs in with the verifier');
}
system('dropdb', $v02);

# --- the update
psql($old, q{ALTER EXTENSION authoob UPDATE});
is(psql($old, q{SELECT extversion FROM pg_extension WHERE extname = 'authoob'}), $current, "updated to $current");
is(psql($old, $counts), $before, 'nothing was lost');
is(psql($old, q{SELECT md5(secret_key) FROM authoob.settings}), $secret_before, 'the secret is the same');
for my $who (qw(ada bob cid rotated))
{
	like(psql($old, qq{SELECT authoob_verify('$token{$who}')}), qr/^\d+$/, "a token issued by 0.1 verifies ($who)");
}
is(psql($old, qq{SELECT authoob_profile('$token{ada}') ->> 'plan'}),
	'gold', 'a custom field kept its value and its registration');
is(roles_of($old, 'dan@example.com'), '', 'no dan yet');
psql($old, q{SELECT authoob_register('{"email": "dan@example.com", "password1": "1Password", "password2": "1Password"}')});
is(roles_of($old, 'dan@example.com'), '{customer}',
	'the hook still runs');
is(psql($old, q{SELECT authoob_settings() ->> 'ip_prefix_v6'}), '64', 'new settings have their defaults');
like(psql($old, q{SELECT authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "1Password"}') ->> 'refresh_token'}),
	qr/^[A-Za-z0-9_-]{43}$/, 'after the update: the token endpoint and refresh tokens');
like(psql($old, qq{SELECT authoob_token('$token{bob}') ->> 'token'}), qr/^ey/,
	'a 0.1 token gets a fresh token in its session');

# --- a 0.2 database that left HS256 kept the secret it had signed with
# (its holders could still mint tokens); the new binaries refuse it while
# another alg signs, and the update replaces it, so that HS256 again signs
# with a secret nobody holds (docs/sql-api.md, "Signing keys and JWKS")
my $left = "authoob_t_left_hs256_$$";
system('createdb', $left) == 0 or die;
psql($left, q{CREATE EXTENSION authoob VERSION '0.2' CASCADE});
psql($left, q{SELECT authoob_configure('{"bcrypt_cost": 4, "api_url": "http://127.0.0.1", "email_sender": "no-reply@authoob.test"}')});
my $hs256_token = psql($left, q{SELECT authoob_register('{"email": "hal@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token'});
my $secret_of_0_2 = psql($left, q{SELECT md5(secret_key) FROM authoob.settings});
psql($left, q{SELECT authoob_configure('{"signing_alg": "ES256"}')});
my $verifies = sub { system(qq{psql -X -q -d $left -c "SELECT authoob_verify('$_[0]')" >/dev/null 2>&1}) == 0 ? 'valid' : 'refused' };
is($verifies->($hs256_token), 'refused', 'on 0.2\'s schema with ES256 set: the secret\'s token is refused');
psql($left, q{ALTER EXTENSION authoob UPDATE});
isnt(psql($left, q{SELECT md5(secret_key) FROM authoob.settings}), $secret_of_0_2, 'the update replaced the secret');
is(psql($left, q{SELECT count(*) FROM authoob.previous_keys}), 0, 'and keeps it nowhere');
psql($left, q{SELECT authoob_configure('{"signing_alg": "HS256"}')});
is($verifies->($hs256_token), 'refused', 'HS256 again: the old secret\'s token is still refused');
is($verifies->(psql($left, q{SELECT authoob_login('{"email": "hal@example.com", "password": "1Password"}') ->> 'token'})),
	'valid', 'a token signed with the new secret verifies');
system('dropdb', $left);

# --- the same catalog as a fresh install, by every path: the install
# script of the current version is built from one source per object, the
# update scripts write the changes since (docs/upgrades.md)
my $fresh = "authoob_t_fresh_$$";
system('createdb', $fresh) == 0 or die;
psql($fresh, q{CREATE EXTENSION authoob CASCADE});
# --binary-upgrade dumps the extension's members one by one; the OIDs it
# pins and pg_dump's one-time \restrict keys differ from database to
# database.  Two things an update leaves that are not the catalog's shape:
# the value a column added with a default has in rows older than it
# (binary_upgrade_set_missing_value), and pg_dump's bracket around the
# privileges an extension script set (binary_upgrade_set_record_init_privs:
# 0.1 set pgcrypto's, which the update gives back; the privileges
# themselves are compared).
sub schema_of
{
	my $s = `pg_dump --schema-only --binary-upgrade $_[0]`;
	$s =~ s/^(--|\\restrict|\\unrestrict|SELECT pg_catalog\.binary_upgrade_set_(next|missing_value|record_init_privs)).*\n//mg;
	$s =~ s/'\{[0-9,]+\}'/'{config table oids}'/g;
	$s =~ s/(relfrozenxid|oid) = '\d+'/$1 = 'N'/g;
	$s =~ s/\n{3,}/\n\n/g;
	return $s;
}
my $a = schema_of($fresh);
ok(length $a > 10000, 'pg_dump --schema-only of a fresh install');
my @empty;
for my $path (['0.1'], ['0.1', '0.2'], ['0.2'])
{
	my $empty = "authoob_t_updated_$$" . join '_', map { tr/./_/r } @$path;
	system('createdb', $empty) == 0 or die;
	push @empty, $empty;
	my ($first, @then) = @$path;
	psql($empty, join ';', "CREATE EXTENSION authoob VERSION '$first' CASCADE",
		(map { "ALTER EXTENSION authoob UPDATE TO '$_'" } @then), 'ALTER EXTENSION authoob UPDATE');
	is(schema_of($empty), $a, 'a database made by ' . join(' then updated to ', @$path)
		. " and updated to $current has the catalog of a fresh install");
}

# --- the scripts of released versions are what was released, byte for byte
my %released = (
	'authoob--0.1.sql' => '67322f3c85e44d2cce512b2e634c6bbc79c49c6797edda20880788298f1a8a85',
	'authoob--0.1--0.2.sql' => '4d68abe824edeb0e8d154e7c245d8dc120a4a2cf47ff5ae84f991d71d4f97eb1',
);
my $sharedir = psql('postgres', q{SELECT setting FROM pg_config WHERE name = 'SHAREDIR'});
for my $script (sort keys %released)
{
	for my $copy ("extension/released/$script", "$sharedir/extension/$script")
	{
		my ($sum) = split ' ', `sha256sum $copy`;
		is($sum, $released{$script}, "$copy is $script as released");
	}
}

# --- pg_dump and pg_restore keep everything
my $dump = File::Temp->new;
system('pg_dump', '-Fc', '-f', $dump->filename, $old) == 0 or die 'pg_dump failed';
my $restored = "authoob_t_restored_$$";
system('createdb', $restored) == 0 or die;
# PostgreSQL does not dump columns added to an extension's table: the
# procedure of docs/upgrades.md adds them between the sections of the restore.
my $columns = psql($old, q{SELECT string_agg(format('ALTER TABLE authoob.users ADD COLUMN %I %s;', name, type), ' ')
	FROM authoob_custom_columns()});
is($columns, 'ALTER TABLE authoob.users ADD COLUMN plan text;', 'authoob_custom_columns() names the added column');
my $errors = `pg_restore --section=pre-data -d $restored @{[ $dump->filename ]} 2>&1`;
is($?, 0, 'pg_restore --section=pre-data succeeds') or diag($errors);
psql($restored, $columns);
$errors = `pg_restore --section=data --section=post-data -d $restored @{[ $dump->filename ]} 2>&1`;
is($?, 0, 'pg_restore of the data and the rest succeeds') or diag($errors);
is(psql($restored, $counts), psql($old, $counts), 'every row came back');
is(psql($restored, q{SELECT md5(secret_key) FROM authoob.settings}), $secret_before, 'the secret came back');
is(psql($restored, q{SELECT count(*) FROM authoob.settings}), 1, 'one settings row, the dumped one');
is(psql($restored, q{SELECT authoob_settings() ->> 'app_url'}), 'http://app.test', 'settings came back');
is(psql($restored, q{SELECT subject FROM authoob.mail_templates WHERE kind = 'activation'}), 'Welcome aboard',
	'a changed template came back');
for my $who (qw(ada rotated))
{
	like(psql($restored, qq{SELECT authoob_verify('$token{$who}')}), qr/^\d+$/,
		"a token issued before the dump verifies after the restore ($who)");
}
my $max_id = psql($restored, q{SELECT max(id) FROM authoob.users});
psql($restored, q{SELECT authoob_register('{"email": "eve@example.com", "password1": "1Password", "password2": "1Password"}')});
cmp_ok(user_id($restored, 'eve@example.com'), '>', $max_id,
	'a new user gets a new id: the identity came back too');

# A database without added columns restores in one go.
my $plain = "authoob_t_plain_$$";
system('createdb', $plain) == 0 or die;
psql($fresh, q{SELECT authoob_configure('{"bcrypt_cost": 4, "api_url": "http://127.0.0.1", "email_sender": "no-reply@authoob.test"}')});
my $fresh_token = psql($fresh, q{SELECT authoob_register('{"email": "fay@example.com", "password1": "1Password", "password2": "1Password"}') ->> 'token'});
system('pg_dump', '-Fc', '-f', $dump->filename, $fresh) == 0 or die 'pg_dump failed';
$errors = `pg_restore -d $plain @{[ $dump->filename ]} 2>&1`;
is($?, 0, 'pg_restore of a database without added columns succeeds in one go') or diag($errors);
like(psql($plain, qq{SELECT authoob_verify('$fresh_token')}), qr/^\d+$/, 'and its tokens verify');

# --- DROP EXTENSION leaves the cluster's role and the database's logging
# setting on purpose (other databases may use the role; a later CREATE
# EXTENSION sets the same value); CREATE EXTENSION again works.
psql($restored, q{DROP EXTENSION authoob});
is(psql($restored, q{SELECT count(*) FROM pg_roles WHERE rolname = 'authoob_api'}), 1, 'authoob_api outlives DROP EXTENSION');
like(psql($restored, q{SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting
	WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0}),
	qr/log_parameter_max_length=0/, 'and so does log_parameter_max_length = 0');
psql($restored, q{CREATE EXTENSION authoob});
is(psql($restored, q{SELECT extversion FROM pg_extension WHERE extname = 'authoob'}), $current, 'CREATE EXTENSION again');

# --- a database that is not UTF-8 is refused, with a clear message
my $ascii = "authoob_t_ascii_$$";
system('createdb', '-E', 'SQL_ASCII', '-T', 'template0', '--locale=C', $ascii) == 0 or die;
my $out = `psql -X -d $ascii -c 'CREATE EXTENSION authoob CASCADE' 2>&1`;
like($out, qr/authoob needs a UTF8 database, not SQL_ASCII/, 'CREATE EXTENSION in SQL_ASCII: refused');
is(psql($ascii, q{SELECT count(*) FROM pg_extension WHERE extname IN ('authoob', 'pgcrypto')}), 0, 'and nothing installed');

system('dropdb', $_) for $old, $fresh, @empty, $restored, $plain, $ascii;
done_testing();
