--
-- Privileges: the tables and the secret belong to the owner; the API role
-- may call the request functions and nothing else.
--
\i sql/fixtures/setup.psql

-- Each function's privileges are written in its source file
-- (extension/sql/): these are the rules they keep.
--
-- The owner-context rule (docs/security.md): every function of the
-- extension runs with search_path = pg_catalog, pg_temp but three, which
-- run no statement of their own under another: the procedure
-- authoob_attempt, in both its forms (a SET clause would forbid its
-- COMMIT: what it does as the owner goes through an owner context,
-- owner.c), authoob_uid() and the cache trigger (no statement at all).  Hooks run with pg_catalog, the
-- extension's schema, pg_temp (t/104).
SELECT p.oid::regprocedure AS without_the_fixed_search_path
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'authoob'
WHERE p.proconfig IS DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp']
ORDER BY p.oid::regprocedure::text COLLATE "C";

-- What the API role may execute runs as the owner (SECURITY DEFINER), but
-- for what reads no table (it builds its answer or its error from its
-- arguments, or calls what does) and authoob_attempt, which runs the
-- caller's action and takes the owner's rights only to record a failure
-- (owner.c; authoob_attempt_outcome, the same for a sharded proxy).
SELECT p.oid::regprocedure AS api_function_run_as_its_caller
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'authoob'
WHERE has_function_privilege('authoob_api', p.oid, 'EXECUTE') AND NOT p.prosecdef
ORDER BY p.oid::regprocedure::text COLLATE "C";

-- PUBLIC may execute only what row-level security and a token's own
-- checks need.
SELECT p.oid::regprocedure AS public_function
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'authoob'
WHERE has_function_privilege('public', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text COLLATE "C";

-- Nobody but the owner reads or writes a table of authoob.
SELECT c.oid::regclass AS table_another_role_may_touch
FROM pg_class c WHERE c.relnamespace = 'authoob'::regnamespace AND c.relkind IN ('r', 'S')
  AND (has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
       OR has_table_privilege('authoob_api', c.oid, 'SELECT, INSERT, UPDATE, DELETE'));

SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = 'authoob_api';

CALL test.drop_roles('regress_authoob_plain', 'regress_authoob_front');
CREATE ROLE regress_authoob_plain;
CREATE ROLE regress_authoob_front IN ROLE authoob_api;
-- and a user, whose token they use
SELECT authoob_register('{"email": "ada@example.com", "password1": "Analytical1", "password2": "Analytical1"}') IS NOT NULL AS registered;

-- A plain role reads nothing and configures nothing ...
SET ROLE regress_authoob_plain;
SELECT test.outcome($$ SELECT count(*) FROM authoob.users $$);
SELECT test.outcome($$ SELECT secret_key FROM authoob.settings $$);
SELECT test.outcome($$ SELECT authoob_configure('{"bcrypt_cost": 4}') $$);
SELECT test.outcome($$ SELECT authoob_settings() $$);
SELECT test.outcome($$ SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') $$);
-- ... but can turn a token into a user id (for its own checks and policies).
RESET ROLE;
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') ->> 'token' AS tok \gset
SELECT id AS uid FROM authoob.users WHERE email = 'ada@example.com' \gset
SET ROLE regress_authoob_plain;
SELECT authoob_verify(:'tok') = :uid AS verifies;

-- The API role calls the request functions, and still reads no table.
SET ROLE regress_authoob_front;
SELECT authoob_profile(:'tok') ->> 'email' AS email;
SELECT authoob_login('{"email": "ada@example.com", "password": "Analytical1"}') IS NOT NULL AS logs_in;
SELECT authoob_settings() ? 'secret_key' AS sees_secret;
SELECT test.outcome($$ SELECT count(*) FROM authoob.users $$);
SELECT test.outcome($$ SELECT count(*) FROM authoob.sessions $$);
SELECT test.outcome($$ SELECT authoob_configure('{"bcrypt_cost": 4}') $$);
SELECT test.outcome($$ UPDATE authoob.users SET active = true $$);
-- a temporary object cannot hijack a function's lookups
CREATE TEMP TABLE users (id int);
SELECT authoob_profile(:'tok') ->> 'email' AS still_the_real_table;
RESET ROLE;

DROP ROLE regress_authoob_plain;
DROP OWNED BY regress_authoob_front;
DROP ROLE regress_authoob_front;
