-- GET P/profile: the token's user, as private JSON.
CREATE OR REPLACE FUNCTION authoob_profile(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_profile'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_profile(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_profile(text) TO authoob_api;
