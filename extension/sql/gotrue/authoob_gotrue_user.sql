-- GET /user: GET P/profile's work (the token verified once, its hooks), its
-- answer as Supabase Auth's user object, written as JSON text (json: no
-- jsonb to build and write out again on every request); writes nothing,
-- so that a standby may answer it.
CREATE OR REPLACE FUNCTION authoob_gotrue_user(token text)
RETURNS json AS 'MODULE_PATHNAME', 'authoob_gotrue_user'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_gotrue_user(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_gotrue_user(text) TO authoob_api;
