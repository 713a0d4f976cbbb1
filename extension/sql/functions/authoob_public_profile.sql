-- GET P/profile/<id>: a user's public JSON, or 404.
CREATE OR REPLACE FUNCTION authoob_public_profile(user_id text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_public_profile'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_public_profile(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_public_profile(text) TO authoob_api;
