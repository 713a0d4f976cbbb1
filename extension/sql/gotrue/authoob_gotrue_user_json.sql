-- The user object of Supabase Auth as jsonb, written from the private user
-- JSON by the renderer of GET /user (extension/gotrue.c): user_metadata
-- holds what the user may change (username, firstname, lastname and the
-- custom fields registered updatable), app_metadata what only the server
-- changes (the roles, the exposed custom fields that are not updatable).
-- VOLATILE, as authoob_gotrue_session: they see what the call before them
-- just wrote.  NULL for no such user.
CREATE OR REPLACE FUNCTION authoob_gotrue_user_json(user_id bigint)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_gotrue_user_json'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_gotrue_user_json(bigint) FROM PUBLIC;
