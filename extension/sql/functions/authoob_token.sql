-- GET P/token: a fresh access token in the same session.
CREATE OR REPLACE FUNCTION authoob_token(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'authoob_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION authoob_token(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authoob_token(text) TO authoob_api;
