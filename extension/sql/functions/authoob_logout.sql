-- GET and POST P/logout: ends the token's session.
CREATE OR REPLACE FUNCTION authoob_logout(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_logout'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_logout(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_logout(text) TO authoob_api;
