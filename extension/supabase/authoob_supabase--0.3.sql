/* authoob_supabase--0.3.sql: Supabase's auth schema helpers (README "Supabase users") */
--
-- What a Supabase app's row-level-security policies call, as GoTrue's
-- migrations define them (00_init_auth_schema, 20220224000811,
-- 20220531120530): the claims of the request's token as PostgREST sets
-- them, request.jwt.claims (or the request.jwt.claim.* of PostgREST
-- before 9), so that `using (auth.uid() = user_id)` runs unchanged.  A
-- separate extension, not a part of authoob: the app's tables may live in
-- a database of their own, behind a PostgREST that verifies authoob's
-- tokens with its JWKS, where authoob is not installed (a sharded
-- deployment's partitions hold the users, not the app's rows).  Plain SQL
-- functions run with the caller's rights, inlined into the policies as
-- Supabase's are; they trust the settings as Supabase's do (PostgREST
-- sets them from a token it verified).

\echo Use "CREATE EXTENSION authoob_supabase" to load this file. \quit

-- A trusted extension's script runs as a superuser, and its last line
-- gives everyone USAGE on the schema: so it takes only a schema that
-- holds nothing yet, or a role allowed to create extensions could open
-- another role's own schema named auth (and its SECURITY DEFINER
-- functions) to everyone.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.pronamespace = '@extschema@'::pg_catalog.regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typnamespace = '@extschema@'::pg_catalog.regnamespace) THEN
        RAISE EXCEPTION 'schema @extschema@ holds objects already'
            USING HINT = 'authoob_supabase makes its own schema: drop or rename the one that exists.';
    END IF;
END
$$;

-- The claims of the request's token, or NULL for an anonymous request
CREATE FUNCTION @extschema@.jwt()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
        nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
    )::pg_catalog.jsonb
$$;

-- One claim of the request's token as text, as PostgREST sets them: its
-- own setting (PostgREST before 9), or a member of the claims
CREATE FUNCTION @extschema@.jwt_claim(name text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(pg_catalog.current_setting(pg_catalog.textcat('request.jwt.claim.', name), true), ''),
        pg_catalog.jsonb_extract_path_text(
            nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::pg_catalog.jsonb, name))
$$;

-- The user's uuid, the token's sub: authoob writes the uuid there once
-- jwt_sub is 'uuid'.  A sub that is not a uuid (a numeric id: a token
-- issued before, or jwt_sub 'id') is NULL, which no policy matches,
-- rather than an error in every request it makes.
CREATE FUNCTION @extschema@.uid()
RETURNS uuid
LANGUAGE sql STABLE
AS $$
    -- one expression, no FROM: inlined into a policy, as Supabase's is
    SELECT CASE WHEN @extschema@.jwt_claim('sub')
                     OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN @extschema@.jwt_claim('sub')::pg_catalog.uuid END
$$;

CREATE FUNCTION @extschema@.role()
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT @extschema@.jwt_claim('role') $$;

CREATE FUNCTION @extschema@.email()
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT @extschema@.jwt_claim('email') $$;

COMMENT ON FUNCTION @extschema@.uid() IS 'The user''s uuid: the sub of the request''s token, if a uuid';
COMMENT ON FUNCTION @extschema@.jwt() IS 'The claims of the request''s token, as PostgREST set them';
COMMENT ON FUNCTION @extschema@.role() IS 'The role claim of the request''s token';
COMMENT ON FUNCTION @extschema@.email() IS 'The email claim of the request''s token';
COMMENT ON FUNCTION @extschema@.jwt_claim(text) IS 'A claim of the request''s token, as text';

-- Policies run as the request's role (anon, authenticated...): each must
-- reach the schema, as Supabase grants it to its roles
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
