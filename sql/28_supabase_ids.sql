--
-- Supabase apps' users (README "Supabase users"): every user has a uuid;
-- jwt_sub chooses whether tokens' sub and Supabase Auth's user id are the
-- uuid or the numeric id, and tokens of either form verify whatever it
-- says now.  The authoob_supabase extension gives the app's database
-- Supabase's auth.uid(), auth.jwt(), auth.role() and auth.email(), which
-- read the claims PostgREST sets, for policies written as Supabase's
-- docs write them.
--
\i sql/fixtures/setup.psql
\set SHOW_CONTEXT never

-- Every user gets a uuid of their own.
SELECT count(authoob_register(jsonb_build_object('email', e, 'password1', '1Password', 'password2', '1Password')))
FROM unnest(ARRAY['ada@example.com', 'bob@example.com']) e;
SELECT count(DISTINCT uuid) AS uuids FROM authoob.users;
SELECT id AS ada_id, uuid AS ada_uuid FROM authoob.users WHERE email = 'ada@example.com' \gset
SELECT uuid AS bob_uuid FROM authoob.users WHERE email = 'bob@example.com' \gset

-- jwt_sub is 'id' (0.1's and 0.2's tokens) or 'uuid'
SELECT authoob_settings() -> 'jwt_sub' AS jwt_sub;
SELECT test.failure($$ SELECT authoob_configure('{"jwt_sub": "email"}') $$);
SELECT authoob_login('{"email": "ada@example.com", "password": "1Password"}') ->> 'token' AS by_id \gset
SELECT test.claims(:'by_id') ->> 'sub' = :'ada_id' AS sub_is_id;

-- With 'uuid', new tokens name the user by uuid, and so do Supabase
-- Auth's user object and the forward-auth headers; authoob_verify and
-- authoob_uid() still give the numeric id.
SELECT authoob_configure('{"jwt_sub": "uuid"}') -> 'jwt_sub' AS jwt_sub;
SELECT authoob_login('{"email": "ada@example.com", "password": "1Password"}') ->> 'token' AS by_uuid \gset
SELECT test.claims(:'by_uuid') ->> 'sub' = :'ada_uuid' AS sub_is_uuid,
       authoob_verify(:'by_uuid') = :ada_id AS verifies,
       authoob_gotrue_user(:'by_uuid')::jsonb ->> 'id' = :'ada_uuid' AS user_id_is_uuid,
       authoob_gotrue_user(:'by_uuid')::jsonb -> 'identities' -> 0 ->> 'user_id' = :'ada_uuid' AS identity_user,
       authoob_verify_headers(:'by_uuid') ->> 'X-Auth-User-Id' = :'ada_uuid' AS header_is_uuid;
BEGIN;
SELECT authoob_authenticate(:'by_uuid') = authoob_uid() AS uid_is_id;
COMMIT;
-- the token endpoint's sessions too, and their refreshes
SELECT authoob_token_grant('{"grant_type": "password", "email": "ada@example.com", "password": "1Password"}') AS g \gset
SELECT test.claims(:'g'::jsonb ->> 'access_token') ->> 'sub' = :'ada_uuid' AS grant_sub_is_uuid;
-- a token issued before the change lives out its time
SELECT authoob_verify(:'by_id') = :ada_id AS id_token_still_verifies;
-- and after a change back, so does a uuid one
SELECT authoob_configure('{"jwt_sub": "id"}') -> 'jwt_sub' AS jwt_sub;
SELECT authoob_verify(:'by_uuid') = :ada_id AS uuid_token_still_verifies,
       authoob_gotrue_user(:'by_uuid')::jsonb ->> 'id' = :'ada_id' AS user_id_is_id_again;
-- A sub must name the session's own user: ada's session under bob's uuid,
-- or bob's id, signed with the secret, is refused.
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, test.sign(test.header(),
    (test.claims(:'by_uuid') || jsonb_build_object('sub', :'bob_uuid'))::text)));
SELECT test.outcome(format($$ SELECT authoob_verify(%L) $$, test.sign(test.header(),
    (test.claims(:'by_uuid') || jsonb_build_object('sub', (SELECT id::text FROM authoob.users WHERE email = 'bob@example.com')))::text)));
-- and the same token with its own sub, re-signed, passes (what was
-- refused above was the sub alone)
SELECT test.outcome(format($$ SELECT authoob_verify(%L) = %s $$, test.sign(test.header(),
    test.claims(:'by_uuid')::text), :ada_id));

-- In a sharded deployment, a user's uuid routes to their partition as
-- their id does (README "Scale-out: sharding"): hashtext of its text.
SELECT authoob_set_partition(3, 4);
SELECT count(authoob_register(jsonb_build_object('email', 'p' || n || '@example.com',
    'password1', '1Password', 'password2', '1Password')))
FROM generate_series(1, 8) n;
SELECT count(*) AS users, count(*) FILTER (WHERE hashtext(uuid::text) & 3 = 3) AS routed_here,
       count(*) FILTER (WHERE id % 4 = 3) AS ids_here
FROM authoob.users WHERE email LIKE 'p_@example.com';
DELETE FROM authoob.partition;

-- ==== auth.uid() and Supabase's policies ====
CREATE EXTENSION authoob_supabase;
SELECT extnamespace::regnamespace AS schema FROM pg_extension WHERE extname = 'authoob_supabase';
CALL test.drop_roles('regress_supabase_authenticated');
CREATE ROLE regress_supabase_authenticated NOLOGIN;
-- as Supabase's docs write it
CREATE TABLE profiles (
    user_id uuid PRIMARY KEY DEFAULT auth.uid(),
    bio text
);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users see their own profile" ON profiles FOR SELECT USING (auth.uid() = user_id);
CREATE POLICY "Users add their own profile" ON profiles FOR INSERT WITH CHECK (auth.uid() = user_id);
GRANT SELECT, INSERT ON profiles TO regress_supabase_authenticated;

-- A request as PostgREST makes it: the role, then the verified claims of
-- a real token of authoob's, issued with jwt_sub 'uuid'
SELECT authoob_configure('{"jwt_sub": "uuid"}') -> 'jwt_sub' AS jwt_sub;
SELECT authoob_login('{"email": "ada@example.com", "password": "1Password"}') ->> 'token' AS ada \gset
SELECT authoob_login('{"email": "bob@example.com", "password": "1Password"}') ->> 'token' AS bob \gset
BEGIN;
SET LOCAL ROLE regress_supabase_authenticated;
SELECT set_config('request.jwt.claims', test.claims(:'ada')::text, true) IS NOT NULL AS claims_set;
SELECT auth.uid() = :'ada_uuid' AS uid, auth.role() AS role, auth.email() AS email,
       auth.jwt() ->> 'aud' AS aud, auth.jwt() ->> 'session_id' IS NOT NULL AS has_session;
INSERT INTO profiles (bio) VALUES ('Analytical engines');
SELECT bio FROM profiles;
COMMIT;
BEGIN;
SET LOCAL ROLE regress_supabase_authenticated;
SELECT set_config('request.jwt.claims', test.claims(:'bob')::text, true) IS NOT NULL AS claims_set;
SELECT count(*) AS bob_sees FROM profiles;
SELECT test.outcome(format($$ INSERT INTO profiles VALUES (%L, 'not mine') RETURNING 1 $$, :'ada_uuid'));
COMMIT;
-- no claims (an anonymous request): no user, no rows
BEGIN;
SET LOCAL ROLE regress_supabase_authenticated;
SELECT auth.uid() IS NULL AS anonymous, auth.jwt() IS NULL AS no_claims, count(*) AS visible FROM profiles;
COMMIT;
-- a numeric sub (a token issued under jwt_sub 'id') is no uuid: auth.uid()
-- is NULL, not an error in every request
BEGIN;
SELECT set_config('request.jwt.claims', test.claims(:'by_id')::text, true) IS NOT NULL AS claims_set;
SELECT auth.uid() IS NULL AS no_uuid, auth.email() AS email;
COMMIT;
-- PostgREST before 9 set each claim apart
BEGIN;
SELECT set_config('request.jwt.claim.sub', :'ada_uuid', true) IS NOT NULL AS claim_set;
SELECT auth.uid() = :'ada_uuid' AS uid_from_claim;
COMMIT;
-- the owner of every row sees them all
SELECT count(*) AS rows, bool_and(user_id = :'ada_uuid') AS all_ada FROM profiles;

DROP TABLE profiles;
DROP EXTENSION authoob_supabase;
DROP SCHEMA auth;

-- The script runs as a superuser and opens its schema to everyone: it
-- refuses a schema auth that holds objects already (another role's,
-- whose functions would be opened to all), and changes nothing there.
CREATE ROLE supabase_other;
CREATE SCHEMA auth AUTHORIZATION supabase_other;
CREATE FUNCTION auth.kept() RETURNS text LANGUAGE sql AS $$ SELECT 'kept' $$;
ALTER FUNCTION auth.kept() OWNER TO supabase_other;
\set VERBOSITY terse
CREATE EXTENSION authoob_supabase;
\set VERBOSITY default
SELECT has_schema_privilege('public', 'auth', 'USAGE') AS public_usage,
       (SELECT count(*) FROM pg_proc WHERE pronamespace = 'auth'::regnamespace) AS functions;
DROP SCHEMA auth CASCADE;
DROP ROLE supabase_other;
DROP ROLE regress_supabase_authenticated;
