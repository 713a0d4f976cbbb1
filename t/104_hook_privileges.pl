# Hooks run the application's code from SECURITY DEFINER request functions
# that any member of authoob_api may call.  These are the attacks a review
# of 0.1 found, each tried by a login role that may call the request
# functions: none may steer which code a hook runs, nor run code with more
# rights than the owner of the hook's function has (docs/security.md,
# "Hooks: who runs what").
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
my $n = 0;

sub register_sql
{
	my $email = sprintf 'u%d@example.com', ++$n;
	return qq{SELECT public.authoob_register('{"email": "$email", "password1": "1Password", "password2": "1Password"}') ? 'token'};
}
sub superuser { psql($db, "SELECT rolsuper FROM pg_roles WHERE rolname = '$_[0]'") }

# the seed's post_register hook, exactly as docs/sql-api.md writes it
add_give_role_hook($db);

# --- 1. A member of authoob_api that owns a schema plants a function named
# like the one the hook calls, and puts its schema first in the session's
# default search_path.
psql($db, q{DROP ROLE IF EXISTS app; CREATE ROLE app LOGIN PASSWORD 'app' IN ROLE authoob_api;
	CREATE SCHEMA app AUTHORIZATION app});
is(psql_as($db, 'app', q{CREATE FUNCTION app.authoob_grant_role(bigint, text) RETURNS void
	LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER ROLE app SUPERUSER'; END $$;
	SELECT 'planted'}), 'planted', 'app plants app.authoob_grant_role(bigint, text)');
is(psql_as($db, 'app', register_sql(), '-c search_path=app,public'), 't',
	'app registers a user with search_path=app,public');
is(superuser('app'), 'f', 'the hook did not run the planted function: app is no superuser');
is(roles_of($db, "u$n\@example.com"), '{customer}', 'the real authoob_grant_role ran: the seed example works');

# The same with an operator: app.-> planted before pg_catalog.
psql($db, 'ALTER ROLE app NOSUPERUSER');
is(psql_as($db, 'app', q{CREATE FUNCTION app.arrow(jsonb, text) RETURNS jsonb
	LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER ROLE app SUPERUSER'; RETURN $1 OPERATOR(pg_catalog.->) $2; END $$;
	CREATE OPERATOR app.-> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = app.arrow);
	SELECT 'planted'}), 'planted', 'app plants the operator app.->(jsonb, text)');
is(psql_as($db, 'app', register_sql(), '-c search_path=app,pg_catalog'), 't',
	'app registers a user with search_path=app,pg_catalog');
is(superuser('app'), 'f', 'the hook did not use the planted operator: app is no superuser');
is(roles_of($db, "u$n\@example.com"), '{customer}', 'and the hook did its work');

# --- 2. The front role of docs/http-api.md, with no CREATE right anywhere, shadows a
# table a hook writes to (named without its schema) with a temporary table
# carrying a trigger of its own.
psql($db, q{CREATE TABLE public.signup_log (email text);
	CREATE FUNCTION log_signup(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO signup_log (email) VALUES (context -> 'user' ->> 'email');
		RETURN NULL;
	END $$;
	SELECT authoob_add_hook('post_register', 'log_signup(jsonb)');
	DROP ROLE IF EXISTS front; CREATE ROLE front LOGIN PASSWORD 'front' IN ROLE authoob_api});
my $users_before = psql($db, 'SELECT count(*) FROM authoob.users');
my $attack = psql_as($db, 'front', q{CREATE TEMP TABLE signup_log (email text);
	CREATE FUNCTION pg_temp.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN EXECUTE 'ALTER ROLE front SUPERUSER'; RETURN NEW; END $$;
	CREATE TRIGGER escalate BEFORE INSERT ON signup_log FOR EACH ROW EXECUTE FUNCTION pg_temp.escalate();
	} . register_sql());
like($attack, qr/ERROR: .*hooks do not run in a session that has temporary tables or types/,
	'a session with temporary tables runs no hook: the registration is refused');
is(superuser('front'), 'f', 'front is no superuser');
is(psql($db, 'SELECT count(*) FROM authoob.users'), $users_before, 'and nothing was registered');
is(psql_as($db, 'front', register_sql()), 't', 'without temporary tables, front registers');
is(psql($db, "SELECT count(*) FROM public.signup_log WHERE email = 'u$n\@example.com'"), 1,
	'the hook wrote to the real table');
psql($db, q{SELECT authoob_remove_hook('post_register', 'log_signup(jsonb)')});

# --- 3. The owner of a registered hook function, a role with few rights,
# replaces its body: it runs as that owner, never as the extension's owner.
psql($db, q{DROP ROLE IF EXISTS low; CREATE ROLE low LOGIN PASSWORD 'low';
	CREATE SCHEMA lowschema AUTHORIZATION low});
is(psql_as($db, 'low', q{CREATE FUNCTION lowschema.whoami(context jsonb) RETURNS jsonb
	LANGUAGE sql AS $$ SELECT jsonb_build_object('ran_as', current_user::text) $$;
	SELECT 'created'}), 'created', 'low owns a hook function');
psql($db, q{SELECT authoob_add_hook('post_register', 'lowschema.whoami(jsonb)')});
like(psql_as($db, 'front', register_sql() =~ s/ \? 'token'//r), qr/"ran_as": "low"/,
	'the hook runs as the owner of its function, not as the extension owner');
is(psql_as($db, 'low', q{CREATE OR REPLACE FUNCTION lowschema.whoami(context jsonb) RETURNS jsonb
	LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER ROLE low SUPERUSER'; RETURN NULL; END $$;
	SELECT 'replaced'}), 'replaced', 'low replaces the body with ALTER ROLE low SUPERUSER');
$users_before = psql($db, 'SELECT count(*) FROM authoob.users');
like(psql_as($db, 'front', register_sql()), qr/ERROR: .*must be superuser to alter superuser roles/,
	'the replaced hook fails with the rights of its owner');
is(superuser('low'), 'f', 'low is no superuser');
is(psql($db, 'SELECT count(*) FROM authoob.users'), $users_before, 'and the registration was undone');
psql($db, q{SELECT authoob_remove_hook('post_register', 'lowschema.whoami(jsonb)')});

# A hook runs in a security-restricted operation: it cannot leave a
# temporary table behind in the caller's session, nor SET ROLE.
psql($db, q{CREATE FUNCTION make_temp(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
	BEGIN CREATE TEMP TABLE left_behind (x int); RETURN NULL; END $$;
	SELECT authoob_add_hook('post_register', 'make_temp(jsonb)')});
like(psql_as($db, 'front', register_sql()),
	qr/ERROR: .*cannot create temporary table within security-restricted operation/,
	'a hook cannot create a temporary table');
psql($db, q{SELECT authoob_remove_hook('post_register', 'make_temp(jsonb)')});

# A temporary type counts too: a hook's type names are looked up in pg_temp.
like(psql_as($db, 'front', q{CREATE DOMAIN pg_temp.planted AS text; } . register_sql()),
	qr/ERROR: .*hooks do not run in a session that has temporary tables or types/,
	'a session with a temporary type runs no hook');

# What a hook sees: the fixed search_path, whatever the caller's.
psql($db, q{CREATE FUNCTION show_path(context jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_build_object('search_path', current_setting('search_path')) $$;
	SELECT authoob_add_hook('post_register', 'show_path(jsonb)')});
like(psql_as($db, 'app', register_sql() =~ s/ \? 'token'//r, '-c search_path=app,public'),
	qr/"search_path": "pg_catalog, public, pg_temp"/, 'a hook sees search_path pg_catalog, public, pg_temp');
psql($db, q{SELECT authoob_remove_hook('post_register', 'show_path(jsonb)')});

# --- 4. The same hole beside hooks: writing a user runs the code attached to
# authoob.users (its column types' domain checks, CHECK constraints,
# defaults, triggers) as the extension's owner.  A role that owns such code
# could change it later; authoob refuses to run while any of it is not a
# superuser's.
psql($db, q{CREATE SCHEMA rv AUTHORIZATION app});
is(psql_as($db, 'app', q{CREATE DOMAIN rv.phone AS text; SELECT 'domain made'}), 'domain made',
	'app owns a domain');
psql($db, q{ALTER TABLE authoob.users ADD COLUMN phone rv.phone;
	SELECT authoob_add_field('phone', exposed => true, updatable => true)});
is(psql_as($db, 'app', q{CREATE FUNCTION rv.valid_phone(text) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN EXECUTE 'ALTER ROLE app SUPERUSER'; RETURN true; END $$;
	ALTER DOMAIN rv.phone ADD CONSTRAINT phone_ok CHECK (rv.valid_phone(VALUE)) NOT VALID;
	SELECT 'planted'}), 'planted', 'app adds a check that escalates to its domain');
my $refused = psql_as($db, 'front', register_sql());
like($refused, qr/ERROR: .*authoob: type rv\.phone, which runs when authoob\.users is written, belongs to app, who is not a superuser/,
	'a write of users is refused while its domain is app\'s');
is(superuser('app'), 'f', 'app is no superuser');
psql($db, q{ALTER DOMAIN rv.phone OWNER TO CURRENT_USER});
like(psql_as($db, 'front', register_sql()), qr/ERROR: .*function rv\.valid_phone\(text\).*belongs to app/,
	'then refused while the function its check calls is app\'s');
psql($db, q{ALTER TABLE authoob.users DROP COLUMN phone; SELECT authoob_remove_field('phone')});
is(psql_as($db, 'front', register_sql()), 't', 'with the column gone, writes go on');
psql($db, q{CREATE FUNCTION rv.valid_tier(text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
	ALTER FUNCTION rv.valid_tier(text) OWNER TO app;
	ALTER TABLE authoob.users ADD COLUMN tier text CHECK (rv.valid_tier(tier))});
like(psql_as($db, 'front', register_sql()), qr/ERROR: .*function rv\.valid_tier\(text\).*belongs to app/,
	'a CHECK constraint calling a function app owns: refused');
psql($db, q{ALTER TABLE authoob.users DROP COLUMN tier});
psql($db, q{CREATE FUNCTION rv.on_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
	ALTER FUNCTION rv.on_write() OWNER TO app;
	CREATE TRIGGER on_write BEFORE UPDATE ON authoob.users FOR EACH ROW EXECUTE FUNCTION rv.on_write()});
like(psql_as($db, 'front', register_sql()), qr/ERROR: .*function rv\.on_write\(\).*belongs to app/,
	'a trigger whose function app owns: refused');
psql($db, q{DROP TRIGGER on_write ON authoob.users});
is(psql_as($db, 'front', register_sql()), 't', 'and all is well once it is gone');
is(superuser('app'), 'f', 'app never became superuser');

done_testing();
